"""Learning-rate schedules, PyTorch's. The schedule of each parameter group, from its initial
value η₀ (the group's 'initial_lr') and the epoch count t, is the closed form

    StepLR             η = η₀ · γ^⌊t / step_size⌋
    MultiStepLR        η = η₀ · γ^(number of milestones ≤ t)
    ExponentialLR      η = η₀ · γᵗ
    CosineAnnealingLR  η = η_min + (η₀ − η_min) · (1 + cos(π t / T_max)) / 2
    LambdaLR           η = η₀ · λ(t)

Each `step()` (once per epoch) moves every group's 'lr' on from its current value, as PyTorch's
"chainable" schedulers do (`next_lr`: ×γ at a decay epoch for StepLR, MultiStepLR and
ExponentialLR, the ratio of consecutive cosine terms for CosineAnnealingLR), which follows the
closed form while nothing else changes 'lr', and composes when two schedulers share an optimizer.
`step(epoch)` jumps to that epoch by the closed form. Constructing a scheduler makes the first
step, to t = last_epoch + 1, keeping the groups' lr (StepLR and MultiStepLR decay it if t is a
decay epoch); `get_last_lr()` lists the rates it set last.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give the closed form `lr_at(base_lr, epoch)` and, if the schedule
    is chainable, `next_lr(lr, base_lr, epoch)`; or, as in PyTorch, they override `get_lr()`."""

    _initial = False        # True during the step the constructor makes (PyTorch's _is_initial)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in "
                               f"param_groups[{i}] when resuming (last_epoch={last_epoch})")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self._initial = True
        try:
            self.step()
        finally:
            del self._initial

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The closed form: the rate at `epoch` of a group whose initial rate is `base_lr`."""
        raise NotImplementedError(f"{type(self).__name__}.lr_at is not defined")

    def next_lr(self, lr: float, base_lr: float, epoch: int) -> float:
        """The rate at `epoch` of a group whose rate is now `lr` (the closed form unless the
        schedule is chainable)."""
        return self.lr_at(base_lr, epoch)

    def get_lr(self) -> list[float]:
        return [self.next_lr(group["lr"], base, self.last_epoch)
                for group, base in zip(self.optimizer.param_groups, self.base_lrs)]

    def _closed_form(self) -> list[float]:
        if type(self).lr_at is LRScheduler.lr_at:       # only get_lr given, as in PyTorch
            return self.get_lr()
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (each group's lr moves on from its current value), or jump to
        `epoch` (the closed form), and set each group's lr."""
        if epoch is None:
            self.last_epoch += 1
            self._last_lr = self.get_lr()
        else:
            self.last_epoch = int(epoch)
            self._last_lr = self._closed_form()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and callables)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


_LRScheduler = LRScheduler


class StepLR(LRScheduler):
    """η₀ · γ^⌊t / step_size⌋: decay by γ every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)

    def next_lr(self, lr: float, base_lr: float, epoch: int) -> float:
        return lr if epoch == 0 or epoch % self.step_size else lr * self.gamma


class MultiStepLR(LRScheduler):
    """η₀ · γ^(milestones passed): decay by γ at each milestone epoch."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)

    def next_lr(self, lr: float, base_lr: float, epoch: int) -> float:
        return lr * self.gamma ** self.milestones.count(epoch) if epoch in self.milestones else lr


class ExponentialLR(LRScheduler):
    """η₀ · γᵗ."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** epoch

    def next_lr(self, lr: float, base_lr: float, epoch: int) -> float:
        return lr if self._initial else lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """η_min + (η₀ − η_min)(1 + cos(π t / T_max)) / 2: half a cosine from η₀ down to η_min
    over T_max epochs."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2

    def next_lr(self, lr: float, base_lr: float, epoch: int) -> float:
        """PyTorch's recursion: the ratio of consecutive cosine terms, or, at the epoch after
        the minimum (where that ratio is 0/0), a step back up by the first epoch's decrease."""
        if self._initial:
            return lr
        if (epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return ((1 + math.cos(math.pi * epoch / self.T_max))
                / (1 + math.cos(math.pi * (epoch - 1) / self.T_max)) * (lr - self.eta_min) + self.eta_min)


class LambdaLR(LRScheduler):
    """η₀ · λ(t) for a function (or one per group) λ."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: expected {n} lr_lambdas, got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
