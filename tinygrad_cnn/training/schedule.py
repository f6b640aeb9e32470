"""The learning-rate schedule of a run (`--schedule`), stepped once per epoch with PyTorch's
schedulers (`tinygrad_cnn.optim.lr_scheduler`, torch's names and formulas):

* `none`: the base lr throughout;
* `step`: StepLR(step_size = ⌈epochs/3⌉, gamma = 0.1): ×0.1 after each third of the run;
* `cosine`: CosineAnnealingLR(T_max = epochs, eta_min = 0): lr_e = ½ lr (1 + cos(π e / epochs)),
  e = epochs done, from the base lr in epoch 1 towards 0 in the last.

The schedule spans the run's total epochs, so a resumed run (fast-forwarded to its epoch) uses
the lr the straight run would; a resume with a larger --epochs stretches the rest of it.
"""
from __future__ import annotations

import math
from typing import Any

from ..optim import Optimizer


def make_scheduler(name: str, optimizer: Optimizer, total_epochs: int, done_epochs: int = 0) -> Any:
    """The scheduler for `name`, already stepped `done_epochs` times (None for "none")."""
    if name == "none":
        return None
    from ..optim.lr_scheduler import CosineAnnealingLR, StepLR

    scheduler: Any
    if name == "step":
        scheduler = StepLR(optimizer, step_size=max(1, math.ceil(total_epochs / 3)), gamma=0.1)
    elif name == "cosine":
        scheduler = CosineAnnealingLR(optimizer, T_max=total_epochs, eta_min=0.0)
    else:
        raise ValueError(f"unknown schedule {name!r}; expected none, step or cosine")
    if done_epochs:
        scheduler.step(done_epochs)              # closed forms: jump to the epoch
    return scheduler
