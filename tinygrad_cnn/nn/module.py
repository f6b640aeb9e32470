"""`Module`: a tree of layers that owns `Parameter`s, with names, train/eval mode and state dicts.

Assigning a `Parameter` or a `Module` to an attribute registers it. Every parameter's
`Tensor.name` is its path from the top module (`c1.weight`, `features.0.bias`): set when a
submodule is assigned and again whenever `named_parameters()`/`parameters()` runs, so the graph
drawings label leaves by it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A trainable leaf tensor: float32 by default, requires_grad=True."""

    def __init__(self, data: Any, dtype: Any = np.float32):
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self) -> str:
        name = f"{self.name!r}, " if self.name else ""
        return f"Parameter({name}shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class of layers and models: subclasses set attributes in __init__ and define forward."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "path", "")  # this module's name inside the top module

    # -- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning "
                                 f"the {type(value).__name__} {name!r}")
        if "_parameters" in self.__dict__:
            self._parameters.pop(name, None)
            self._modules.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
                value.name = self._join(self.path, name)
            elif isinstance(value, Module):
                self._modules[name] = value
                value._rename(self._join(self.path, name))
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    @staticmethod
    def _join(prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def _rename(self, path: str) -> None:
        """Give this module and everything below it their paths (parameters: path.name)."""
        object.__setattr__(self, "path", path)
        for name, p in self._parameters.items():
            p.name = self._join(path, name)
        for name, m in self._modules.items():
            m._rename(self._join(path, name))

    # -- traversal ------------------------------------------------------------------------------
    def children(self) -> list[Module]:
        return list(self._modules.values())

    def named_modules(self) -> list[tuple[str, Module]]:
        """(path, module) for this module ('' for the top) and every module below, depth first."""
        out, stack = [], [("", self)]
        while stack:
            path, m = stack.pop()
            out.append((path, m))
            stack.extend((self._join(path, n), c) for n, c in reversed(m._modules.items()))
        return out

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(path, parameter) pairs from this module down, each shared parameter once.

        Also (re)sets every parameter's `.name` to its full path from the top module.
        """
        self._rename(self.path)
        return self._named_parameters()

    def _named_parameters(self) -> list[tuple[str, Parameter]]:
        seen: set[int] = set()
        out = []
        for path, m in self.named_modules():
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((self._join(path, name), p))
        return out

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.data.size for _, p in self._named_parameters())

    # -- modes and gradients --------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for _, m in self.named_modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- forward --------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """path → a copy of the parameter's array."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any],
                        strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy arrays into the parameters (in place, keeping their dtype).

        Raises ValueError naming every missing or unexpected key (when strict) and every key
        whose shape differs (always); nothing is copied then. Returns (missing, unexpected).
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        wrong = [f"{k} has shape {tuple(np.shape(state[k]))} in the state dict but "
                 f"{own[k].shape} in the model" for k in own
                 if k in state and tuple(np.shape(state[k])) != own[k].shape]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        if wrong:
            problems.append("wrong shapes: " + "; ".join(wrong))
        if problems:
            raise ValueError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems)
                             + f" (the model expects {len(own)} keys: {list(own)})")
        for k, p in own.items():
            if k in state:
                np.copyto(p.data, np.asarray(state[k]), casting="same_kind")
        return missing, unexpected

    # -- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown in the repr (override in layers)."""
        return ""

    def _repr_lines(self) -> list[str]:
        head = f"{type(self).__name__}({self.extra_repr()}"
        shapes = ", ".join(f"{n} {p.shape}" for n, p in self._parameters.items())
        if not self._modules:
            return [head + ")" + (f"  [{shapes}]" if shapes else "")]
        lines = [head]
        for name, p in self._parameters.items():
            lines.append(f"  ({name}): Parameter {p.shape}")
        for name, m in self._modules.items():
            sub = m._repr_lines()
            lines.append(f"  ({name}): {sub[0]}")
            lines.extend("  " + line for line in sub[1:])
        lines.append(")")
        return lines

    def __repr__(self) -> str:
        lines = self._repr_lines()
        if self._modules:
            lines[-1] += f"  {self.num_parameters():,} parameters"
        return "\n".join(lines)
