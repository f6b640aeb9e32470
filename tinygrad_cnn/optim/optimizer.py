"""Optimizers with PyTorch's update rules, parameter groups and state dicts.

Each step updates every `p.data` in place, vectorised, keeping its dtype (float32 stays
float32). `param_groups` is a list of dicts ({'params': [...], 'lr': ..., ...}) as in PyTorch, so
learning-rate schedulers (`optim.lr_scheduler`) can change 'lr'; `state[p]` holds the
per-parameter buffers. `state_dict()` is PyTorch's nested {'state': {i: {...}},
'param_groups': [...]}; `flat_state_dict()` is the same as a flat {str: ndarray}, ready for
an .npz checkpoint; `load_state_dict` takes either.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Holds the parameter groups and the per-parameter state (`self.state[p]`: name → array)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group ({'params': [...], optional hyperparameters overriding the defaults})."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            name = getattr(p, "name", None)
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a "
                                f"{type(p).__name__}, expected a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf tensor "
                                 f"(parameter {i}, {name!r})")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} ({name!r}) appears in "
                                 "more than one parameter group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyperparameters {sorted(unknown)}; "
                            f"expected some of {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self.check_hyperparameters(full)
        self.param_groups.append(full)

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming a hyperparameter out of range (subclasses)."""

    # -- the PyTorch surface --------------------------------------------------------------------
    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group after group."""
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate (setting it sets every group's)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for g in self.param_groups:
            g["lr"] = float(value)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (p.grad = None, or zeros in place with set_to_none=False)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; `closure` (re-evaluating the
        loss, with backward) is called first if given, and its result returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    g = np.asarray(p.grad, dtype=p.dtype)
                    self.update(np.asarray(p.data), -g if group.get("maximize") else g,
                                self.state.setdefault(p, {}), group)
        return loss

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__}.update is not defined")

    # -- resuming -------------------------------------------------------------------------------
    def _index(self) -> dict[int, int]:
        return {id(p): i for i, p in enumerate(self.params)}

    def state_dict(self) -> dict[str, Any]:
        """{'state': {i: {name: array}}, 'param_groups': [{hyperparameters, 'params': [i, …]}]}
        with parameters numbered in order (copies: later steps do not change it)."""
        index = self._index()
        state = {index[id(p)]: {k: np.array(v) for k, v in s.items()}
                 for p, s in self.state.items() if s}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def flat_state_dict(self) -> dict[str, np.ndarray]:
        """The state dict as flat arrays: 'param_groups.0.lr', 'state.3.exp_avg', …"""
        sd = self.state_dict()
        out = {f"param_groups.{i}.{k}": np.asarray(v) for i, g in enumerate(sd["param_groups"])
               for k, v in g.items() if k != "params" and v is not None}
        for i, s in sd["state"].items():
            out.update({f"state.{i}.{k}": v for k, v in s.items()})
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers from `state_dict()` or `flat_state_dict()`
        output; errors name every unknown or misshapen entry."""
        if "state" in state_dict and "param_groups" in state_dict:
            groups, state = state_dict["param_groups"], state_dict["state"]
        else:
            groups, state = self._unflatten(state_dict)
        name = type(self).__name__
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: {len(groups)} parameter groups given for "
                             f"{len(self.param_groups)}")
        for i, (g, mine) in enumerate(zip(groups, self.param_groups)):
            if "params" in g and len(g["params"]) != len(mine["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has {len(g['params'])} "
                                 f"parameters, this optimizer's has {len(mine['params'])}")
        params = self.params
        problems: list[str] = []
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, buffers in state.items():
            i = int(key)
            if not 0 <= i < len(params):
                problems.extend(f"unexpected key 'state.{key}.{b}'" for b in buffers)
                continue
            p = params[i]
            restored = {}
            for b, value in buffers.items():
                value = np.asarray(value)
                expected = () if b == "step" else p.shape
                if value.shape != expected:
                    problems.append(f"'state.{i}.{b}' has shape {value.shape}, expected "
                                    f"{expected} (parameter {p.name or i})")
                restored[b] = value.astype(value.dtype if b == "step" else p.dtype)
            new_state[p] = restored
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        for g, mine in zip(groups, self.param_groups):
            for k, v in g.items():
                if k != "params":
                    default = self.defaults.get(k, v)
                    mine[k] = _like(default, v)
        self.state = new_state

    def _unflatten(self, flat: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[int, dict]]:
        """Groups and state from flat keys (also the older 'lr', 'momentum', … top-level form)."""
        name = type(self).__name__
        groups: list[dict[str, Any]] = [{} for _ in self.param_groups]
        state: dict[int, dict[str, Any]] = {}
        problems = []
        for key, value in flat.items():
            parts = key.split(".")
            if key in self.defaults or key in ("beta1", "beta2"):
                groups[0][key] = np.asarray(value).item()
            elif len(parts) == 3 and parts[0] == "param_groups" and parts[1].isdigit() \
                    and int(parts[1]) < len(groups):
                groups[int(parts[1])][parts[2]] = _plain(value)
            elif len(parts) == 3 and parts[0] == "state" and parts[1].isdigit() \
                    and parts[2] in self.buffer_names:
                state.setdefault(int(parts[1]), {})[parts[2]] = value
            else:
                problems.append(f"unexpected key {key!r}")
        for g in groups:                           # the older form split Adam's betas
            if "beta1" in g:
                g["betas"] = (g.pop("beta1"), g.pop("beta2", self.defaults["betas"][1]))
        missing = [k for k in ("lr",) if k not in groups[0]]
        if missing:
            problems.append(f"missing hyperparameters {missing}")
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        return groups, state

    buffer_names: tuple[str, ...] = ()

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params")
        return "\n".join(lines + [")"])


def _plain(value: Any) -> Any:
    arr = np.asarray(value)
    return arr.item() if arr.ndim == 0 else tuple(arr.tolist())


def _like(default: Any, value: Any) -> Any:
    """`value` as the default's Python type (bool, float, tuple of floats)."""
    if isinstance(default, bool):
        return bool(np.asarray(value).item())
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return float(np.asarray(value).item())
    if isinstance(default, tuple):
        return tuple(float(v) for v in np.asarray(value).tolist())
    return value


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (μ momentum, τ dampening, λ weight decay):

        g ← −∇w if maximize else ∇w
        g ← g + λ·w
        b ← g on the first step, else μ·b + (1 − τ)·g     (momentum buffer)
        g ← g + μ·b if nesterov else b
        w ← w − lr·g
    """

    buffer_names = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if lr < 0 or momentum < 0 or wd < 0:
            raise ValueError(f"SGD: lr ({lr}), momentum ({momentum}) and weight_decay ({wd}) "
                             "must be >= 0")
        if group["nesterov"] and (momentum <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={group['dampening']}")

    def update(self, w, g, state, group):
        momentum, wd = group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * w
        if momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()
            else:
                b *= momentum
                b += (1 - group["dampening"]) * g
            g = g + momentum * b if group["nesterov"] else b
        w -= group["lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's rule (weight decay λ is L2, added to the gradient):

        g ← ±∇w + λ·w,  t ← t + 1
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   v̂max ← max(v̂max, v) if amsgrad
        w ← w − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    buffer_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        lr, eps, wd, betas = group["lr"], group["eps"], group["weight_decay"], group["betas"]
        if lr < 0 or eps < 0 or wd < 0 or len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: need lr >= 0 (got {lr}), eps >= 0 (got "
                             f"{eps}), weight_decay >= 0 (got {wd}) and 0 <= betas < 1 (got "
                             f"{betas})")

    def update(self, w, g, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if wd and self.decoupled:
            w *= 1 - lr * wd
        elif wd:
            g = g + wd * w
        if "step" not in state:
            state.update(step=np.asarray(0.0, dtype=np.float32), exp_avg=np.zeros_like(w),
                         exp_avg_sq=np.zeros_like(w))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(w)
        state["step"] = np.asarray(state["step"] + 1, dtype=state["step"].dtype)
        t, m, v = float(state["step"]), state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)          # = β₁m + (1 − β₁)g, PyTorch's lerp
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias1, bias2 = 1 - beta1 ** t, 1 - beta2 ** t
        denom = np.sqrt(v) / math.sqrt(bias2) + eps
        w -= (lr / bias1) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w ← w·(1 − lr·λ) before the
    Adam step, instead of adding λ·w to the gradient. PyTorch's default λ = 0.01."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
