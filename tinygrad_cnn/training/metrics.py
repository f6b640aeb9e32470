"""What a run measured: the confusion matrix, its text form, and metrics.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write_bytes


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


def epoch_line(record: dict[str, Any], total: int) -> str:
    """One log line per epoch (the train figures are running means over the epoch)."""
    return (f"epoch {record['epoch']}/{total}: train loss {record['train_loss']:.4f} "
            f"acc {record['train_accuracy']:.4f} (running means) | held-out loss "
            f"{record['heldout_loss']:.4f} acc {record['heldout_accuracy']:.4f} | lr "
            f"{record['lr']:.3g} | {record['seconds']:.1f} s, "
            f"{record['images_per_second']:.0f} img/s")


def write_metrics(path: Path, metrics: dict[str, Any]) -> Path:
    """metrics.json, atomically (never a half-written file beside a good checkpoint)."""
    return atomic_write_bytes(path, json.dumps(metrics, indent=2, allow_nan=False).encode())
