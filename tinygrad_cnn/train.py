"""Training and evaluation: the epoch loop, held-out metrics, the confusion matrix, the curve.

`fit(TrainConfig(...))` does a whole run: load the data, build (or resume) model and optimizer,
train with a tqdm bar per epoch, evaluate on the held-out set after each epoch, and write
`checkpoint.npz`, `metrics.json`, `training_curve.png` and pictures of one step (`graph.svg`,
`graph.dot`, `sensitivity_maps.png`) into `config.out`. Randomness comes
only from numpy Generators seeded by `config.seed`: the model's initialisation from seed, and
epoch e's shuffle from (seed, e) (`data.DataLoader`), so a resumed run shuffles as the
straight run.
"""
from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import data as datasets
from .atomic import atomic_path, atomic_write_bytes
from .autograd import no_grad
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .models import MODELS, build_model
from .nn import Module
from .optim import SGD, Adam, Optimizer
from .tensor import Tensor
from .viz import GraphvizNotFound, collect_sensitivity_maps, draw_graph, plot_sensitivity_maps

OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.02}


@dataclass
class TrainConfig:
    """One training run. None means: the model's own default (`Model.train_defaults`), else
    the global default below."""

    model: str = "lenet5"
    dataset: str = "mnist"
    data: str | None = None          # folder of IDX files; None: the embedded MNIST sample
    download: bool = False
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    momentum: float | None = None
    seed: int = 0
    out: str | None = None           # default runs/<model>
    limit: int | None = None         # train on the first N training images only
    resume: str | None = None
    progress: bool = True            # show the tqdm bar

    def resolved(self) -> TrainConfig:
        """A copy with every None filled from the model's defaults, then the global ones."""
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; expected one of {sorted(MODELS)}")
        defaults = dict(epochs=6, batch_size=64, optimizer="sgd", momentum=0.9)
        defaults.update(getattr(MODELS[self.model], "train_defaults", {}))
        filled = {k: (defaults[k] if getattr(self, k) is None else getattr(self, k))
                  for k in defaults}
        cfg = dataclasses.replace(self, **filled)
        if cfg.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {cfg.optimizer!r}; expected one of {OPTIMIZERS}")
        if cfg.lr is None:
            cfg.lr = defaults.get("lr", DEFAULT_LR[cfg.optimizer])
        if cfg.out is None:
            cfg.out = str(Path("runs") / cfg.model)
        for name in ("epochs", "batch_size"):
            if getattr(cfg, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
        if cfg.limit is not None and cfg.limit < 1:
            raise ValueError(f"limit must be >= 1, got {cfg.limit}")
        return cfg


# -- data -------------------------------------------------------------------------------------
def load_data(dataset: str = "mnist", data_dir: str | None = None,
              download: bool = False) -> datasets.Dataset:
    """MNIST / Fashion-MNIST from `data_dir` (or downloaded); MNIST with neither is the embedded
    sample (8,000 training and 2,000 held-out images of the MNIST test set). The test split is
    the held-out set."""
    return datasets.load_dataset(dataset, data_dir=data_dir, download=download)


def pixel_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the pixels scaled to [0, 1]."""
    x = images.astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


# -- one epoch, evaluation ----------------------------------------------------------------------
def train_epoch(model: Module, optimizer: Optimizer, batches: Any, desc: str = "",
                progress: bool = True) -> dict[str, float]:
    """Forward, loss, backward and step over every batch; mean loss and accuracy (per image)."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    bar = tqdm(batches, desc=desc, unit="batch", disable=not progress, leave=True)
    for x, y in bar:
        out = model(Tensor(x))
        loss = model.loss(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += int((out.data.argmax(axis=1) == y).sum())
        seen += len(y)
        elapsed = time.perf_counter() - start
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}",
                        img_s=f"{seen / elapsed:.0f}", refresh=False)
    seconds = time.perf_counter() - start
    if seen == 0:
        raise ValueError("train_epoch: the loader gave no batches (fewer images than one batch "
                         "with drop_last?)")
    return dict(train_loss=total_loss / seen, train_accuracy=correct / seen, seconds=seconds,
                images_per_second=seen / seconds)


@no_grad()
def evaluate(model: Module, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 1000) -> dict[str, Any]:
    """Mean loss, accuracy and the predicted classes on float32 (N, 1, H, W) images, in batches,
    without recording a graph."""
    was_training = model.training
    model.eval()
    total_loss, predictions = 0.0, []
    for i in range(0, len(labels), batch_size):
        out = model(Tensor(images[i:i + batch_size]))
        y = labels[i:i + batch_size]
        total_loss += model.loss(out, y).item() * len(y)
        predictions.append(out.data.argmax(axis=1))
    model.train(was_training)
    pred = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
    n = max(len(labels), 1)
    return dict(loss=total_loss / n, accuracy=float((pred == labels).sum()) / n, predictions=pred)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray,
                     num_classes: int = 10) -> np.ndarray:
    """C[t, p] = how many images of true class t were predicted as p (rows sum to class counts)."""
    labels, predictions = np.asarray(labels, np.int64), np.asarray(predictions, np.int64)
    return np.bincount(labels * num_classes + predictions,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def format_confusion(matrix: np.ndarray) -> str:
    """The matrix as text: one row per true class, one column per predicted class."""
    k = len(matrix)
    width = max(5, len(str(int(matrix.max()))) + 1)
    head = "true\\pred" + "".join(f"{j:>{width}d}" for j in range(k))
    rows = [f"{i:>9d}" + "".join(f"{int(v):>{width}d}" for v in row)
            for i, row in enumerate(matrix)]
    return "\n".join([head, *rows])


def plot_curves(history: list[dict[str, float]], path: str | Path, title: str = "") -> Path:
    """training_curve.png: loss and accuracy per epoch, train and held-out (matplotlib's Agg
    canvas directly: no pyplot, no change to the global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    for ax, key in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        ax.plot(epochs, [h[f"train_{key}"] for h in history], "o-", label="train")
        ax.plot(epochs, [h[f"heldout_{key}"] for h in history], "s-", label="held-out")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return Path(path)


# -- a whole run ------------------------------------------------------------------------------
def make_optimizer(name: str, params: list, lr: float, momentum: float) -> Optimizer:
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def _resume(cfg: TrainConfig) -> tuple[TrainConfig, Checkpoint]:
    """The config saved in the checkpoint, overridden by what this run set explicitly."""
    ckpt = load_checkpoint(cfg.resume)
    saved = ckpt.meta.get("config", {})
    given = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
             if getattr(cfg, f.name) != f.default}
    merged = {**saved, **given, "model": ckpt.model_name}
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in merged.items() if k in known}), ckpt


def fit(config: TrainConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, evaluate each epoch, write checkpoint, metrics and curve; return the metrics."""
    started, ckpt = time.perf_counter(), None
    if config.resume is not None:
        config, ckpt = _resume(config)
    cfg = config.resolved()
    data = load_data(cfg.dataset, cfg.data, cfg.download)
    model_cls = MODELS[cfg.model]
    if ckpt is not None:
        mean, std = ckpt.meta["normalization"]
    else:
        mean, std = getattr(model_cls, "normalization", None) or pixel_stats(data.train_images)
    n_train = min(cfg.limit or len(data.train_labels), len(data.train_labels))
    train_x = datasets.normalize(data.train_images[:n_train], mean, std)
    held_x, held_y = datasets.normalize(data.test_images, mean, std), data.test_labels

    model = ckpt.build_model() if ckpt is not None else build_model(cfg.model, seed=cfg.seed)
    optimizer = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.momentum)
    start_epoch, history = 0, []
    if ckpt is not None:
        if ckpt.optimizer_state and ckpt.meta.get("optimizer") == type(optimizer).__name__:
            optimizer.load_state_dict(ckpt.optimizer_state)
            optimizer.lr = cfg.lr              # the saved lr, unless this run sets --lr
            if isinstance(optimizer, SGD):
                optimizer.momentum = cfg.momentum
        else:
            log(f"note: {cfg.resume} holds no {type(optimizer).__name__} state (saved optimizer: "
                f"{ckpt.meta.get('optimizer')}); the optimizer starts fresh")
        start_epoch, history = ckpt.epoch, list(ckpt.meta.get("history", []))

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    log(f"{cfg.model} ({model.num_parameters():,} parameters) on {data.name}: {n_train} training, "
        f"{len(held_y)} held-out images; {cfg.optimizer} lr {cfg.lr}, batch {cfg.batch_size}, "
        f"epochs {start_epoch + 1}..{start_epoch + cfg.epochs}")
    saved_config = {k: v for k, v in dataclasses.asdict(cfg).items()
                    if k not in ("resume", "progress")}
    # epoch e shuffles with (seed, e): a resumed run shuffles as the straight one
    loader = datasets.DataLoader(train_x, data.train_labels[:n_train], cfg.batch_size,
                                 shuffle=True, seed=cfg.seed, start_epoch=start_epoch)
    last = start_epoch + cfg.epochs
    for epoch in range(start_epoch + 1, last + 1):
        stats = train_epoch(model, optimizer, loader, desc=f"epoch {epoch}/{last}",
                            progress=cfg.progress)
        held = evaluate(model, held_x, held_y)
        history.append(dict(epoch=epoch, **stats, heldout_loss=held["loss"],
                            heldout_accuracy=held["accuracy"]))
        log(f"epoch {epoch}: train loss {stats['train_loss']:.4f} "
            f"acc {stats['train_accuracy']:.4f} | "
            f"held-out loss {held['loss']:.4f} acc {held['accuracy']:.4f} | "
            f"{stats['seconds']:.1f} s, {stats['images_per_second']:.0f} img/s")
        save_checkpoint(out / "checkpoint.npz", model, cfg.model, optimizer, epoch,
                        meta=dict(config=saved_config, normalization=[mean, std],
                                  dataset=data.name, history=history))
    metrics = dict(config=saved_config, model=cfg.model, model_config=getattr(model, "config", {}),
                   parameters=model.num_parameters(), dataset=data.name,
                   dataset_description=data.description, train_images=n_train,
                   heldout_images=int(len(held_y)), normalization=[mean, std], epochs=history,
                   wall_seconds=time.perf_counter() - started)
    atomic_write_bytes(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    plot_curves(history, out / "training_curve.png", title=f"{cfg.model} on {data.name}")
    pictures = draw_step(model, held_x[:cfg.batch_size], held_y[:cfg.batch_size], out, log)
    log(f"held-out accuracy {history[-1]['heldout_accuracy']:.4f} "
        f"({len(held_y)} images); wrote {out / 'checkpoint.npz'}, {out / 'metrics.json'}, "
        f"{out / 'training_curve.png'}, " + ", ".join(str(p) for p in pictures))
    return metrics


def draw_step(model: Module, x: np.ndarray, y: np.ndarray, out: Path,
              log: Callable[[str], None] = print) -> list[Path]:
    """Draw one step of the trained model (forward, loss, backward; no update): the graph with
    its gradients (`graph.dot`, and `graph.svg` where Graphviz is installed) and the
    conv/pool layers' sensitivity maps (`sensitivity_maps.png`)."""
    model.train()
    loss = model.loss(model(Tensor(x)), y)
    maps = collect_sensitivity_maps(loss)           # runs this step's backward
    graph = draw_graph(loss, show_grads=True)
    model.zero_grad()
    written = [atomic_write_bytes(out / "graph.dot", graph.source.encode())]
    try:
        written.append(graph.render(out / "graph.svg"))
    except GraphvizNotFound as err:
        log(f"note: graph.svg not drawn: {err}")
    plot_sensitivity_maps(maps, out / "sensitivity_maps.png")
    written.append(out / "sensitivity_maps.png")
    return written
