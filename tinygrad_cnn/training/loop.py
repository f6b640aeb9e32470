"""The epoch loop and evaluation.

`train_epoch` runs forward, loss, backward and step over one epoch's batches and stops at once
when the loss, a gradient or a parameter stops being finite (`Diverged`, naming epoch and step),
before a bad update can reach a checkpoint. It also stops between two steps when
`stop_requested()` says so (Ctrl-C), returning how far it got so the run can be resumed at that
step exactly.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..optim import Optimizer
from ..tensor import Tensor


class Diverged(ArithmeticError):
    """The loss, a gradient or a parameter became NaN or infinite."""

    def __init__(self, what: str, epoch: int, step: int, steps: int, lr: float):
        self.what, self.epoch, self.step, self.lr = what, epoch, step, lr
        super().__init__(f"{what} at epoch {epoch}, step {step}/{steps}: training diverged "
                         f"(learning rate {lr:g}); try a lower --lr (e.g. {lr / 10:g})")


@dataclass
class EpochProgress:
    """Running sums of one epoch: where it is and the train metrics so far (running means)."""

    step: int = 0                   # batches done
    loss_sum: float = 0.0           # Σ loss × batch size
    correct: int = 0
    seen: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self) -> dict[str, float]:
        n = max(self.seen, 1)
        return dict(train_loss=self.loss_sum / n, train_accuracy=self.correct / n,
                    seconds=self.seconds, images_per_second=self.seen / max(self.seconds, 1e-9))

    def to_json(self) -> dict[str, Any]:
        return dict(step=self.step, loss_sum=self.loss_sum, correct=self.correct, seen=self.seen,
                    seconds=self.seconds)


def _non_finite(model: Any, attr: str) -> str | None:
    for name, p in model.named_parameters():
        value = p.data if attr == "data" else p.grad
        if value is not None and not np.isfinite(value).all():
            return name
    return None


def train_epoch(model: Any, optimizer: Optimizer, batches: Iterable[tuple[np.ndarray, np.ndarray]],
                epoch: int = 1, steps: int | None = None, progress: EpochProgress | None = None,
                bar: Callable[[Iterable], Any] | None = None,
                stop_requested: Callable[[], bool] = lambda: False,
                every_step: Callable[[], None] = lambda: None) -> EpochProgress:
    """Train over `batches` (continuing `progress`, e.g. of an interrupted epoch); returns the
    progress. Stops early (progress.step < steps) when `stop_requested()` turns true."""
    model.train()
    done = progress or EpochProgress()
    steps = steps if steps is not None else getattr(batches, "__len__", lambda: 0)()
    start = time.perf_counter() - done.seconds
    iterator = bar(batches) if bar is not None else batches
    with np.errstate(all="ignore"):          # overflow is caught below, by name, not warned about
        _steps(model, optimizer, iterator, epoch, steps, done, start, stop_requested, every_step)
    if done.seen == 0:
        raise ValueError("train_epoch: the loader gave no batches (fewer images than one batch "
                         "with drop_last?)")
    return done


def _steps(model: Any, optimizer: Optimizer, iterator: Any, epoch: int, steps: int,
           done: EpochProgress, start: float, stop_requested: Callable[[], bool],
           every_step: Callable[[], None]) -> None:
    for x, y in iterator:
        out = model(Tensor(x))
        loss = model.loss(out, y)
        value = loss.item()
        step = done.step + 1
        if not np.isfinite(value):
            raise Diverged(f"the loss became {value}", epoch, step, steps, optimizer.lr)
        optimizer.zero_grad()
        loss.backward()
        bad = _non_finite(model, "grad")
        if bad is not None:
            raise Diverged(f"the gradient of {bad} became NaN or infinite", epoch, step, steps,
                           optimizer.lr)
        optimizer.step()
        bad = _non_finite(model, "data")
        if bad is not None:
            raise Diverged(f"parameter {bad} became NaN or infinite after the update", epoch,
                           step, steps, optimizer.lr)
        done.step = step
        done.loss_sum += value * len(y)
        done.correct += int((out.data.argmax(axis=1) == y).sum())
        done.seen += len(y)
        done.seconds = time.perf_counter() - start
        if hasattr(iterator, "set_postfix"):
            iterator.set_postfix(loss=f"{done.loss_sum / done.seen:.4f}",
                                 acc=f"{done.correct / done.seen:.4f}",
                                 img_s=f"{done.seen / done.seconds:.0f}", refresh=False)
        every_step()
        if stop_requested():
            break


@no_grad()
def evaluate(model: Any, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 1000) -> dict[str, Any]:
    """Mean loss, accuracy and the predicted classes on float32 (N, 1, H, W) images, in batches,
    without recording a graph."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"evaluate: batch_size must be a positive integer, got {batch_size!r}")
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
