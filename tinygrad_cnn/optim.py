"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam, PyTorch's update rules.

Each step updates every `p.data` in place, vectorised, keeping its dtype (float32 stays float32).
`state_dict()` is a flat {str: ndarray} (hyperparameters, step counts and buffers), ready for an
.npz checkpoint; `load_state_dict` restores it to resume training exactly.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .tensor import Tensor


class Optimizer:
    """Holds the parameters and per-parameter state (`self.state[i]`: name → array)."""

    hyperparameters: tuple[str, ...] = ()
    buffers: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor]):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                name = getattr(p, "name", None)
                raise TypeError(f"{type(self).__name__}: parameter {i} ({name!r}) is not a Tensor "
                                "with requires_grad=True")
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget the gradients (p.grad = None), so the next backward starts from zero."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self.update(p.data, np.asarray(p.grad, dtype=p.dtype), state)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    # -- resuming -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """{'lr': 0-d array, ..., 'state.3.exp_avg': array, ...}: plain arrays only."""
        out = {name: np.asarray(getattr(self, name)) for name in self.hyperparameters}
        for i, state in enumerate(self.state):
            out.update({f"state.{i}.{k}": v.copy() for k, v in state.items()})
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers; errors name every unknown or misshapen key."""
        problems, buffers = [], [{} for _ in self.params]
        for key, value in state.items():
            value = np.asarray(value)
            parts = key.split(".")
            if key in self.hyperparameters:
                continue
            if (len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit()
                    or int(parts[1]) >= len(self.params) or parts[2] not in self.buffers):
                problems.append(f"unexpected key {key!r}")
                continue
            i, name = int(parts[1]), parts[2]
            expected = () if name == "step" else self.params[i].shape
            if value.shape != expected:
                problems.append(f"{key!r} has shape {value.shape}, expected {expected} "
                                f"(parameter {self.params[i].name or i})")
            dtype = value.dtype if name == "step" else self.params[i].dtype
            buffers[i][name] = value.astype(dtype)              # a copy
        missing = [h for h in self.hyperparameters if h not in state]
        if missing:
            problems.append(f"missing hyperparameters {missing}")
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for name in self.hyperparameters:
            setattr(self, name, type(getattr(self, name))(np.asarray(state[name]).item()))
        self.state = buffers

    def __repr__(self) -> str:
        hp = ", ".join(f"{h}={getattr(self, h)}" for h in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hp})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum μ, as PyTorch (dampening 0):

        g ← ∇w + λ·w                         (weight decay λ)
        v ← g on the first step, else μ·v + g (momentum buffer)
        g ← g + μ·v if nesterov else v
        w ← w − lr·g
    """

    hyperparameters = ("lr", "momentum", "weight_decay", "nesterov")
    buffers = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params)
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr ({lr}), momentum ({momentum}) and weight_decay "
                             f"({weight_decay}) must be >= 0")
        if nesterov and momentum <= 0:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum={momentum}")
        self.lr, self.momentum = float(lr), float(momentum)
        self.weight_decay, self.nesterov = float(weight_decay), bool(nesterov)

    def update(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            v = state.get("momentum_buffer")
            if v is None:
                v = state["momentum_buffer"] = g.copy()
            else:
                v *= self.momentum
                v += g
            g = g + self.momentum * v if self.nesterov else v
        w -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as PyTorch (weight decay is L2, added to the gradient):

        g ← ∇w + λ·w,  t ← t + 1
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        w ← w − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay")
    buffers = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params)
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: need lr >= 0 (got {lr}), eps >= 0 (got {eps}), weight_decay "
                             f">= 0 (got {weight_decay}) and 0 <= betas < 1 (got {betas})")
        self.lr, self.eps, self.weight_decay = float(lr), float(eps), float(weight_decay)
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])

    def update(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if "step" not in state:
            state.update(step=np.asarray(0, dtype=np.int64), exp_avg=np.zeros_like(w),
                         exp_avg_sq=np.zeros_like(w))
        state["step"] += 1
        t, m, v = int(state["step"]), state["exp_avg"], state["exp_avg_sq"]
        m += (1 - self.beta1) * (g - m)          # = β₁m + (1 − β₁)g, PyTorch's lerp
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        bias1, bias2 = 1 - self.beta1 ** t, 1 - self.beta2 ** t
        denom = np.sqrt(v) / np.sqrt(bias2) + self.eps
        w -= (self.lr / bias1) * (m / denom)
