"""A whole training run: `fit(TrainConfig(...))`.

Order: check every option; load the checkpoint to resume (if any) and the data; choose, check
and lock the run folder (`runs.open_run_folder`); train epoch by epoch, evaluating on the
held-out set after each. After every epoch `last.npz` is written (`checkpoint.npz` is the same
file under the name earlier versions used) and, when the held-out accuracy is the best so far,
`best.npz`; then `metrics.json`. At the end: `training_curve.png` and one step of the trained
model drawn (`graph.dot`, `graph.svg`, `sensitivity_maps.png`).

Faults: a non-finite loss, gradient or parameter stops the run at once (`TrainingError` naming
epoch and step; nothing non-finite is written; metrics.json and the curve say why). Ctrl-C stops
after the current step: `last.npz` then holds the model at that step and where the epoch was, so
`--resume` continues at that step exactly; metrics.json and the pictures match it, and
`TrainingInterrupted` (a KeyboardInterrupt) is raised.

Randomness comes only from numpy Generators seeded by `seed`: the model's initialisation, and
epoch e's shuffle and shifts from (seed, e), so a resumed run trains as the straight one.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import data as datasets
from ..checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from ..models import MODELS, build_model
from ..nn import Module
from ..optim import SGD, Adam, Optimizer
from . import resume as resuming
from .config import OPTIMIZERS, OptionError, TrainConfig
from .interrupt import StopOnInterrupt
from .loop import Diverged, EpochProgress, evaluate, train_epoch
from .metrics import epoch_line, write_metrics
from .pictures import draw_step, plot_curves
from .runs import open_run_folder
from .schedule import make_scheduler
from .threads import ThreadGovernor


class TrainingError(RuntimeError):
    """A run that had to stop (diverged); the message says why and what to try."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C: the run stopped cleanly after a step; `message` says what was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def checkpoint_normalization(ckpt: Checkpoint) -> tuple[float, float]:
    """The (mean, std) the checkpoint's model was trained with; CheckpointError if absent."""
    value = ckpt.meta.get("normalization")
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and np.isfinite(v) for v in value)
            or not value[1] > 0):
        raise CheckpointError(f"checkpoint {ckpt.path}: its metadata lacks a valid "
                              f"'normalization' [mean, std] (found {value!r})")
    return float(value[0]), float(value[1])


def make_optimizer(name: str, params: list, lr: float, momentum: float,
                   weight_decay: float = 0.0) -> Optimizer:
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def _link(source: Path, alias: Path) -> None:
    """`alias` becomes the same file as `source` (a hard link, else a copy), atomically."""
    from ..atomic import atomic_path
    with atomic_path(alias) as tmp:
        os.remove(tmp)
        try:
            os.link(source, tmp)
        except OSError:
            import shutil
            shutil.copyfile(source, tmp)


def fit(config: TrainConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, evaluate each epoch, write checkpoints, metrics and pictures; return the metrics."""
    started = time.perf_counter()
    config.validate()
    ckpt: Checkpoint | None = None
    overrides: list[str] = []
    if config.resume is not None:
        ckpt = load_checkpoint(config.resume)
        config, overrides = resuming.merge(config, ckpt)
    cfg = config.resolved()
    assert cfg.epochs is not None and cfg.batch_size is not None and cfg.lr is not None
    start_epoch = ckpt.epoch if ckpt is not None else 0
    partial = resuming.partial_epoch(ckpt, cfg) if ckpt is not None else None
    if ckpt is not None and cfg.epochs <= start_epoch and partial is None:
        raise OptionError("--epochs", f"{cfg.resume} is at epoch {start_epoch} and the run's "
                          f"total is {cfg.epochs} epochs: nothing to train; pass --epochs N "
                          f"with N > {start_epoch} (--epochs is the run's total)")

    data = load_data(str(cfg.dataset), cfg.data, bool(cfg.download))
    model_cls = MODELS[str(cfg.model)]
    if ckpt is not None:
        mean, std = checkpoint_normalization(ckpt)
    else:
        mean, std = getattr(model_cls, "normalization", None) or pixel_stats(data.train_images)
    n_train = min(cfg.limit or len(data.train_labels), len(data.train_labels))
    train_x = datasets.normalize(data.train_images[:n_train], mean, std)
    held_x, held_y = datasets.normalize(data.test_images, mean, std), data.test_labels
    model = ckpt.build_model() if ckpt is not None else build_model(str(cfg.model), seed=cfg.seed)
    optimizer = make_optimizer(str(cfg.optimizer), model.parameters(), cfg.lr,
                               float(cfg.momentum or 0.0), float(cfg.weight_decay or 0.0))
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {}
    if ckpt is not None:
        if not ckpt.optimizer_state:
            log(f"note: {cfg.resume} holds no optimizer state; {cfg.optimizer} starts fresh")
        else:
            try:
                optimizer.load_state_dict(ckpt.optimizer_state)
            except ValueError as err:
                raise CheckpointError(f"checkpoint {cfg.resume}: its optimizer state does not "
                                      f"fit {cfg.optimizer}: {err}") from None
        saved_history, saved_best = ckpt.meta.get("history"), ckpt.meta.get("best")
        history = list(saved_history) if isinstance(saved_history, list) else []
        best = dict(saved_best) if isinstance(saved_best, dict) else {}
    # the base lr and hyperparameters of this run (the saved lr is the last scheduled one)
    for group in optimizer.param_groups:
        group.pop("initial_lr", None)            # the schedule restarts from this run's base lr
        group.update(lr=cfg.lr, weight_decay=float(cfg.weight_decay or 0.0))
        if isinstance(optimizer, SGD):
            group["momentum"] = float(cfg.momentum or 0.0)
    scheduler = make_scheduler(str(cfg.schedule), optimizer, cfg.epochs, start_epoch)

    folder, lock = open_run_folder(cfg.out, str(cfg.model),
                                   Path(str(cfg.resume)) if ckpt is not None else None)
    with lock:
        governor = ThreadGovernor(cfg.threads)
        if ckpt is not None:
            log(f"resuming {cfg.resume} (epoch {start_epoch}"
                + (f", step {partial['step']}" if partial else "") + f") into {folder}"
                + ("; overriding the saved settings: " + ", ".join(overrides) if overrides
                   else ""))
            if ckpt.meta.get("partial") and partial is None:
                log(f"note: batch size, limit, seed or augmentation changed: epoch "
                    f"{start_epoch + 1} starts over from its first step")
        log(f"{cfg.model} ({model.num_parameters():,} parameters) on {data.name}: {n_train} "
            f"training, {len(held_y)} held-out images; {cfg.optimizer} lr {cfg.lr:g} "
            f"({cfg.schedule} schedule), weight decay {cfg.weight_decay:g}, batch "
            f"{cfg.batch_size}{', random shifts ±2 px' if cfg.augment else ''}; epochs "
            f"{start_epoch + 1}..{cfg.epochs}; {governor.describe()}; writing to {folder}")
        run = _Run(cfg, folder, model, optimizer, scheduler, data, (mean, std), n_train,
                   history, best, log, started)
        return run.train(train_x, data.train_labels[:n_train], held_x, held_y, start_epoch,
                         partial, governor)


class _Run:
    """The state of one run while it trains, and how it writes its files."""

    def __init__(self, cfg: TrainConfig, folder: Path, model: Module, optimizer: Optimizer,
                 scheduler: Any, data: datasets.Dataset, normalization: tuple[float, float],
                 n_train: int, history: list[dict[str, Any]], best: dict[str, Any],
                 log: Callable[[str], None], started: float):
        self.cfg, self.folder, self.model, self.optimizer = cfg, folder, model, optimizer
        self.scheduler, self.data, self.normalization = scheduler, data, normalization
        self.n_train, self.history, self.best, self.log = n_train, history, best, log
        self.started = started

    def meta(self, partial: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(config=self.cfg.saved(), normalization=list(self.normalization),
                    dataset=self.data.name, history=self.history, best=self.best,
                    partial=partial)

    def save(self, epoch: int, partial: dict[str, Any] | None = None) -> Path:
        last = save_checkpoint(self.folder / "last.npz", self.model, str(self.cfg.model),
                               self.optimizer, epoch, meta=self.meta(partial))
        _link(last, self.folder / "checkpoint.npz")
        return last

    def metrics(self, **extra: Any) -> dict[str, Any]:
        metrics = dict(config=self.cfg.saved(), model=self.cfg.model,
                       model_config=getattr(self.model, "config", {}),
                       parameters=self.model.num_parameters(), dataset=self.data.name,
                       dataset_description=self.data.description, train_images=self.n_train,
                       heldout_images=int(len(self.data.test_labels)),
                       normalization=list(self.normalization), epochs=self.history,
                       best=self.best, wall_seconds=time.perf_counter() - self.started, **extra)
        write_metrics(self.folder / "metrics.json", metrics)
        return metrics

    def title(self) -> str:
        return f"{self.cfg.model} on {self.data.name}"

    def train(self, train_x: np.ndarray, train_y: np.ndarray, held_x: np.ndarray,
              held_y: np.ndarray, start_epoch: int, partial: dict[str, Any] | None,
              governor: ThreadGovernor) -> dict[str, Any]:
        cfg, folder, log = self.cfg, self.folder, self.log
        assert cfg.batch_size is not None and cfg.epochs is not None
        fill = float(datasets.normalize(np.zeros((1, 1, 1), np.uint8), *self.normalization)[0, 0, 0, 0])
        loader = datasets.DataLoader(train_x, train_y, cfg.batch_size, shuffle=True,
                                     seed=cfg.seed, shift=2 if cfg.augment else 0, fill=fill)
        steps = len(loader)
        progress = _wants_progress(cfg.progress)
        stop = StopOnInterrupt()
        epoch, done = start_epoch, EpochProgress()
        with stop:
            try:
                for epoch in range(start_epoch + 1, cfg.epochs + 1):
                    done = EpochProgress(**{k: v for k, v in (partial or {}).items()
                                            if k in ("step", "loss_sum", "correct", "seen",
                                                     "seconds")})
                    partial = None
                    lr = float(self.optimizer.lr)
                    batches = loader.batches(epoch - 1, done.step)
                    bar = _bar(epoch, cfg.epochs, steps, done.step) if progress else None
                    done = train_epoch(self.model, self.optimizer, batches, epoch, steps, done,
                                       bar=bar, stop_requested=stop, every_step=governor.tick)
                    if done.step < steps:
                        raise _Stop
                    held = evaluate(self.model, held_x, held_y)
                    record = dict(epoch=epoch, **done.stats(), heldout_loss=held["loss"],
                                  heldout_accuracy=held["accuracy"], lr=lr)
                    self.history.append(record)
                    if not self.best or held["accuracy"] > self.best["heldout_accuracy"]:
                        self.best = dict(epoch=epoch, heldout_accuracy=held["accuracy"])
                        is_best = True
                    else:
                        is_best = False
                    if self.scheduler is not None:
                        self.scheduler.step()
                    last = self.save(epoch)
                    if is_best:
                        _link(last, folder / "best.npz")
                    self.metrics()
                    log(epoch_line(record, cfg.epochs))
                    if stop():
                        raise _Stop
            except Diverged as err:
                self._diverged(err)
            except _Stop:
                self._interrupted(epoch, done, steps, held_x, held_y)
        metrics = self.metrics()
        plot_curves(self.history, folder / "training_curve.png", title=self.title())
        pictures = draw_step(self.model, held_x[:cfg.batch_size], held_y[:cfg.batch_size],
                             folder, log)
        final = self.history[-1]
        log(f"held-out accuracy {final['heldout_accuracy']:.4f} ({len(held_y)} images; best "
            f"{self.best['heldout_accuracy']:.4f} at epoch {self.best['epoch']}); wrote "
            f"{folder / 'last.npz'}, {folder / 'best.npz'}, {folder / 'metrics.json'}, "
            f"{folder / 'training_curve.png'}, " + ", ".join(str(p) for p in pictures))
        return metrics

    def _diverged(self, err: Diverged) -> None:
        last = self.folder / "last.npz"
        if not last.exists():
            kept = "no checkpoint was written"
        elif self.history:
            kept = f"the last good checkpoint is {last} (epoch {self.history[-1]['epoch']})"
        else:
            kept = f"the last good checkpoint is {last} (the interrupted first epoch)"
        info = dict(epoch=err.epoch, step=err.step, reason=str(err))
        self.metrics(diverged=info)
        plot_curves(self.history, self.folder / "training_curve.png", title=self.title(),
                    note=f"stopped: {err.what} at epoch {err.epoch}, step {err.step}"
                         f"{'' if self.history else ' (nothing to plot)'}; try a lower --lr")
        raise TrainingError(f"{err}. Stopped; nothing non-finite was written; {kept}.") from None

    def _interrupted(self, epoch: int, done: EpochProgress, steps: int, held_x: np.ndarray,
                     held_y: np.ndarray) -> None:
        """Ctrl-C between two steps: save the model as it is now (mid-epoch: with where the
        epoch was), metrics.json and pictures that match it; then TrainingInterrupted."""
        cfg, folder = self.cfg, self.folder
        if self.history and self.history[-1]["epoch"] == epoch:      # after a whole epoch
            where, partial = f"after epoch {epoch}", None
        else:
            where, partial = f"at epoch {epoch}, step {done.step}/{steps}", done.to_json()
            self.save(epoch - 1, partial)
        self.metrics(interrupted=dict(epoch=epoch, step=done.step if partial else steps))
        plot_curves(self.history, folder / "training_curve.png", title=self.title(),
                    note=None if self.history else f"interrupted {where}: no epoch finished yet")
        draw_step(self.model, held_x[:cfg.batch_size], held_y[:cfg.batch_size], folder,
                  lambda s: None)
        raise TrainingInterrupted(
            f"interrupted {where}; wrote {folder / 'last.npz'}, metrics.json and the pictures; "
            f"resume with:\n  tinygrad-cnn train --resume {folder / 'last.npz'}")


class _Stop(Exception):
    """Ctrl-C was pressed: stop between two steps."""


def _wants_progress(progress: bool | None) -> bool:
    import sys
    if progress is not None:
        return progress
    return sys.stdout.isatty() and sys.stderr.isatty()


def _bar(epoch: int, total: int, steps: int, initial: int) -> Callable:
    from tqdm import tqdm

    return lambda batches: tqdm(batches, desc=f"epoch {epoch}/{total}", unit="batch",
                                total=steps, initial=initial, leave=True)
