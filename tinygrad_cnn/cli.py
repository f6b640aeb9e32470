"""The command line: `tinygrad-cnn train ...` and `tinygrad-cnn evaluate --checkpoint PATH`.

`tinygrad-cnn train` with no options trains LeNet-5 on the embedded MNIST sample (8,000
training and 2,000 held-out images) and writes runs/lenet5/{checkpoint.npz, metrics.json,
training_curve.png}.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .checkpoint import load_checkpoint
from .data import DATASETS, normalize
from .models import MODELS
from .train import OPTIMIZERS, TrainConfig, confusion_matrix, evaluate, fit, format_confusion, load_data


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tinygrad-cnn", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,evaluate}")
    # every option defaults to None: unset options come from the model's defaults, or from
    # the checkpoint when resuming
    t = sub.add_parser("train", help="train a model; writes checkpoint, metrics and curve",
                       description="Train a model. Unset options take the model's defaults "
                       "(LeNet-5: sgd, lr 0.02, momentum 0.9, batch 64, 6 epochs; toolbox: sgd "
                       "lr 1, no momentum, batch 50, 1 epoch) or, with --resume, the "
                       "checkpoint's settings.")
    t.add_argument("--model", choices=sorted(MODELS), default=None, help="default: lenet5")
    t.add_argument("--dataset", choices=DATASETS, default=None, help="default: mnist")
    t.add_argument("--data", metavar="DIR", default=None,
                   help="folder of the four IDX files (default: the embedded MNIST sample)")
    t.add_argument("--download", action="store_true", default=None,
                   help="download the dataset into --data (or the default data folder) if missing")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--lr", type=float, default=None, help="default: 0.02 for sgd, 1e-3 for adam")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=None)
    t.add_argument("--momentum", type=float, default=None, help="for sgd (default 0.9)")
    t.add_argument("--seed", type=int, default=None, help="default: 0")
    t.add_argument("--out", metavar="DIR", default=None, help="default: runs/<model>")
    t.add_argument("--limit", type=int, metavar="N", default=None,
                   help="use only the first N training images (quick runs)")
    t.add_argument("--resume", metavar="CHECKPOINT", default=None,
                   help="continue from a checkpoint for --epochs more epochs")
    t.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bar")
    e = sub.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint",
                       description="Evaluate a checkpoint on the held-out images of the dataset "
                       "it was trained on (or of --dataset/--data).")
    e.add_argument("--checkpoint", metavar="PATH", required=True)
    e.add_argument("--dataset", choices=DATASETS, default=None)
    e.add_argument("--data", metavar="DIR", default=None)
    e.add_argument("--download", action="store_true")
    e.add_argument("--batch-size", type=int, default=1000)
    return p


def run_train(args: argparse.Namespace) -> int:
    given = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    fit(TrainConfig(**given))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    saved = ckpt.meta.get("config", {})
    dataset = args.dataset or saved.get("dataset", "mnist")
    data_dir = args.data if args.data is not None else (
        saved.get("data") if dataset == saved.get("dataset") else None)
    data = load_data(dataset, data_dir, args.download)
    mean, std = ckpt.meta["normalization"]
    model = ckpt.build_model()
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run_train(args) if args.command == "train" else run_evaluate(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"tinygrad-cnn {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
