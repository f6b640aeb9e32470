"""The command line: `tinygrad-cnn train ...`, `tinygrad-cnn evaluate --checkpoint PATH` and
`tinygrad-cnn export --checkpoint PATH --out model.onnx`.

`tinygrad-cnn train` with no options trains LeNet-5 on the embedded MNIST sample (8,000
training and 2,000 held-out images) and writes runs/lenet5/ (runs/lenet5-2/, … when taken):
last.npz, best.npz, metrics.json, training_curve.png and one step drawn.

Every fault is a message, never a traceback: a bad option exits with 2 (as argparse does,
naming the option), a failed run with 1, Ctrl-C with 130 (after writing a checkpoint to resume
from). Set TINYGRAD_CNN_DEBUG=1 to see the traceback of an unexpected error.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .data import DATASETS
from .models import MODELS
from .training.config import DEFAULT_LR, DEFAULTS, OPTIMIZERS, SCHEDULES, OptionError, check_option

PROG = "tinygrad-cnn"
EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def _typed(field: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: convert, then check like TrainConfig does (message names the option)."""
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            kind = "an integer" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        try:
            return check_option(field, value)
        except OptionError as err:
            raise argparse.ArgumentTypeError(err.detail) from None
    parse.__name__ = field
    return parse


def _model_defaults_text() -> str:
    toolbox = getattr(MODELS["toolbox"], "train_defaults", {})
    return (f"Unset options take the defaults: {DEFAULTS['optimizer']} lr "
            f"{DEFAULT_LR[DEFAULTS['optimizer']]:g} (adam: {DEFAULT_LR['adam']:g}), momentum "
            f"{DEFAULTS['momentum']:g}, weight decay {DEFAULTS['weight_decay']:g}, "
            f"{DEFAULTS['schedule']} schedule, batch {DEFAULTS['batch_size']}, "
            f"{DEFAULTS['epochs']} epochs, seed {DEFAULTS['seed']} — except for --model toolbox, "
            f"which trains with its own settings (sgd lr {toolbox.get('lr', 1):g}, momentum "
            f"{toolbox.get('momentum', 0):g}, {toolbox.get('schedule')} schedule, batch "
            f"{toolbox.get('batch_size')}, {toolbox.get('epochs')} epoch). With --resume, unset "
            "options take the checkpoint's settings and the run continues to its planned total "
            "of epochs; options given override them (the log lists which).")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,evaluate,export}")
    # every option defaults to None: unset options come from training.config.DEFAULTS (or the
    # model's own defaults), or from the checkpoint when resuming
    t = sub.add_parser("train", help="train a model; writes checkpoints, metrics and pictures",
                       description="Train a model. " + _model_defaults_text())
    t.add_argument("--model", choices=sorted(MODELS), default=None,
                   help=f"default: {DEFAULTS['model']}")
    t.add_argument("--dataset", choices=DATASETS, default=None,
                   help=f"default: {DEFAULTS['dataset']}")
    t.add_argument("--data", metavar="DIR", default=None,
                   help="folder of the four IDX files (default: the embedded MNIST sample)")
    t.add_argument("--download", action="store_true", default=None,
                   help="download MNIST into --data (or ~/.cache/tinygrad_cnn/mnist) if missing")
    t.add_argument("--epochs", type=_typed("epochs", int), metavar="N", default=None,
                   help="the run's total number of epochs (with --resume too)")
    t.add_argument("--batch-size", type=_typed("batch_size", int), metavar="N", default=None)
    t.add_argument("--lr", type=_typed("lr", float), default=None,
                   help="base learning rate, finite and > 0 (default: "
                   f"{DEFAULT_LR['sgd']:g} for sgd, {DEFAULT_LR['adam']:g} for adam)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=None)
    t.add_argument("--momentum", type=_typed("momentum", float), default=None,
                   help=f"for sgd, 0 <= M < 1 (default {DEFAULTS['momentum']:g})")
    t.add_argument("--weight-decay", type=_typed("weight_decay", float), metavar="WD",
                   default=None, help=f"L2 penalty (default {DEFAULTS['weight_decay']:g})")
    t.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule over the run's epochs: none, step (x0.1 after "
                   "each third) or cosine (to 0) (default: "
                   f"{DEFAULTS['schedule']})")
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random shifts of up to 2 pixels of the training images (default: off)")
    t.add_argument("--seed", type=_typed("seed", int), default=None,
                   help=f"non-negative (default {DEFAULTS['seed']})")
    t.add_argument("--out", metavar="DIR", default=None,
                   help="run folder (default: runs/<model>, numbered runs/<model>-2, ... when "
                   "taken; with --resume: beside the checkpoint); never replaces another run")
    t.add_argument("--limit", type=_typed("limit", int), metavar="N", default=None,
                   help="use only the first N training images (quick runs)")
    t.add_argument("--resume", metavar="CHECKPOINT", default=None,
                   help="continue from a checkpoint (last.npz, best.npz or checkpoint.npz)")
    t.add_argument("--threads", type=_typed("threads", int), metavar="N", default=None,
                   help="threads for BLAS (default: the cores other processes leave free, "
                   "re-checked during the run)")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar per epoch (default: only when stdout is a terminal; "
                   "otherwise one line per epoch)")
    e = sub.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint",
                       description="Evaluate a checkpoint (last.npz, best.npz, checkpoint.npz) "
                       "on the held-out images of the dataset it was trained on (or of "
                       "--dataset/--data).")
    e.add_argument("--checkpoint", metavar="PATH", required=True)
    e.add_argument("--dataset", choices=DATASETS, default=None)
    e.add_argument("--data", metavar="DIR", default=None)
    e.add_argument("--download", action="store_true")
    e.add_argument("--batch-size", type=_typed("batch_size", int), metavar="N", default=1000)
    x = sub.add_parser("export", help="write a checkpoint's model as an ONNX file",
                       description="Write a checkpoint's model as ONNX. The graph takes the "
                       "model's input as the model sees it: (N, 1, 28, 28) float32, normalised "
                       "as in training, x = (pixels/255 − mean)/std with the checkpoint's "
                       "(mean, std). Needs the onnx package: pip install tinygrad_cnn[onnx].")
    x.add_argument("--checkpoint", metavar="PATH", required=True)
    x.add_argument("--out", metavar="FILE", required=True, help="e.g. model.onnx")
    x.add_argument("--opset", type=_typed("opset", int), metavar="N", default=None,
                   help="ONNX operator-set version (default: the exporter's)")
    return p


def run_train(args: argparse.Namespace) -> int:
    from .allocator import keep_freed_memory
    from .training import TrainConfig, fit

    keep_freed_memory()                  # reuse freed buffers: fewer page faults per step
    given = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    fit(TrainConfig(**given))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint
    from .data import normalize
    from .training import checkpoint_normalization, confusion_matrix, evaluate, format_confusion, load_data

    ckpt = load_checkpoint(args.checkpoint)
    mean, std = checkpoint_normalization(ckpt)
    model: Any = ckpt.build_model()
    saved: dict[str, Any] = ckpt.meta.get("config") or {}
    if not isinstance(saved, dict):
        saved = {}
    dataset = args.dataset or saved.get("dataset") or "mnist"
    data_dir = args.data if args.data is not None else (
        saved.get("data") if dataset == saved.get("dataset") else None)
    data = load_data(dataset, data_dir, args.download)
    result = evaluate(model, normalize(data.test_images, mean, std), data.test_labels,
                      batch_size=args.batch_size)
    labels, pred = data.test_labels, result["predictions"]
    matrix = confusion_matrix(labels, pred, num_classes=model.config.get("num_classes", 10))
    print(f"{ckpt.model_name} (epoch {ckpt.epoch}) on {data.name} held-out: accuracy "
          f"{result['accuracy']:.4f} ({int((pred == labels).sum())}/{len(labels)}), "
          f"loss {result['loss']:.4f}")
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(matrix))
    return 0


def run_export(args: argparse.Namespace) -> int:
    import numpy as np

    from .checkpoint import load_checkpoint
    from .data import normalize
    from .training import checkpoint_normalization
    from .training.runs import RunFolderError, check_writable

    ckpt = load_checkpoint(args.checkpoint)
    mean, std = checkpoint_normalization(ckpt)
    out = Path(args.out)
    if out.is_dir():
        raise RunFolderError(f"--out {out} is a folder; expected a file name such as "
                             f"{out / (ckpt.model_name + '.onnx')}")
    try:
        check_writable(out.parent)
    except RunFolderError as err:
        raise RunFolderError(f"cannot write --out {out}: {err}") from None
    try:
        from .onnx import export
    except ImportError as err:
        raise ImportError(f"export needs the onnx package: pip install tinygrad_cnn[onnx] ({err})"
                          ) from None
    model: Any = ckpt.build_model()
    # the model's input as it sees it: a blank image, normalised as in training
    example = normalize(np.zeros((1, 28, 28), np.uint8), mean, std)
    options = {} if args.opset is None else {"opset": args.opset}
    export(model, example, out, **options)
    print(f"wrote {out}: {ckpt.model_name} (epoch {ckpt.epoch}); input (N, 1, 28, 28) float32 "
          f"= (pixels/255 − {mean:.4f}) / {std:.4f}, output (N, "
          f"{model.config.get('num_classes', 10)}) "
          f"{'sigmoid outputs' if ckpt.model_name == 'toolbox' else 'logits'}")
    return 0


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and not isinstance(err, FileNotFoundError) and err.strerror:
        where = f" {err.filename}" if err.filename else ""
        return f"cannot write or read{where}: {err.strerror}"
    return str(err)


def main(argv: Sequence[str] | None = None) -> int:
    from .checkpoint import CheckpointError
    from .data import DownloadError
    from .training import TrainingError, TrainingInterrupted
    from .training.runs import RunFolderError

    p = parser()
    args = p.parse_args(argv)
    commands = {"train": run_train, "evaluate": run_evaluate, "export": run_export}
    prefix = f"{PROG} {args.command}"
    try:
        return commands[args.command](args)
    except OptionError as err:
        print(f"{prefix}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except TrainingInterrupted as err:
        print(f"{prefix}: {err.message}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted; no file was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CheckpointError, DownloadError, TrainingError, RunFolderError, ValueError,
            FileNotFoundError, ImportError, OSError, RuntimeError) as err:
        if os.environ.get("TINYGRAD_CNN_DEBUG") == "1":
            raise
        print(f"{prefix}: error: {_message(err)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as err:  # a CLI user never sees a traceback
        if os.environ.get("TINYGRAD_CNN_DEBUG") == "1":
            raise
        print(f"{prefix}: internal error: {type(err).__name__}: {err} (set TINYGRAD_CNN_DEBUG=1 "
              "for the traceback, and please report it)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
