"""`Module`: a tree of layers that owns `Parameter`s and buffers, with names, train/eval mode and
state dicts, as PyTorch's `torch.nn.Module`.

Assigning a `Parameter` or a `Module` to an attribute registers it; `register_buffer` registers a
tensor that is state but not trained (BatchNorm's running statistics). Every parameter's
`Tensor.name` is its path from the top module (`c1.weight`, `features.0.bias`): set when a
submodule is assigned and again whenever `named_parameters()`/`parameters()` runs, so the graph
drawings label leaves by it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..autograd import enter_module
from ..tensor import Tensor


class Parameter(Tensor):
    """A trainable leaf tensor: float32 by default, requires_grad=True."""

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype: Any = np.float32):
        data = np.zeros(0) if data is None else data
        super().__init__(getattr(data, "data", data), requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        name = f"{self.name!r}, " if self.name else ""
        return f"Parameter({name}shape={self.shape}, dtype={self.dtype})"


class Items(list):
    """What parameters(), modules(), children()… return: a list (len, indexing, repeated
    iteration) that also answers next() as PyTorch's generators do (`next(model.parameters())`)."""

    def __next__(self) -> Any:
        if not self:
            raise StopIteration
        return self.pop(0)


class Module:
    """Base class of layers and models: subclasses set attributes in __init__ and define forward."""

    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]
    training: bool
    path: str

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "path", "")  # this module's name inside the top module

    # -- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning "
                                 f"the {type(value).__name__} {name!r}")
        if "_parameters" in self.__dict__:
            if name in self._buffers and (value is None or isinstance(value, Tensor)) \
                    and not isinstance(value, Parameter):
                self._buffers[name] = value          # a new value for a registered buffer
                object.__setattr__(self, name, value)
                return
            self._parameters.pop(name, None)
            self._modules.pop(name, None)
            self._buffers.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
                value.name = self._join(self.path, name)
            elif isinstance(value, Module):
                self._modules[name] = value
                value._rename(self._join(self.path, name))
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """Only reached for a missing attribute: say which module lacks it."""
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None: a declared but absent one, like bias=False)."""
        self._check_name("register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: cannot assign a {type(param).__name__} as "
                            f"parameter {name!r} (nn.Parameter or None expected)")
        if param is None:
            self._modules.pop(name, None)
            self._buffers.pop(name, None)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add state that is saved in the state dict but not trained (e.g. running statistics);
        persistent=False keeps it out of the state dict."""
        self._check_name("register_buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_name("add_module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    register_module = add_module

    def _check_name(self, what: str, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before {what}")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{what}: name must be a non-empty string without '.', got {name!r}")

    @staticmethod
    def _join(prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def _rename(self, path: str) -> None:
        """Give this module and everything below it their paths (parameters: path.name)."""
        object.__setattr__(self, "path", path)
        for name, p in self._parameters.items():
            if p is not None:
                p.name = self._join(path, name)
        for name, m in self._modules.items():
            if m is not None:
                m._rename(self._join(path, name))

    # -- traversal ------------------------------------------------------------------------------
    def named_children(self) -> Items:
        return Items((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Items:
        return Items(m for _, m in self.named_children())

    def named_modules(self, prefix: str = "") -> Items:
        """(path, module) for this module (`prefix`, '' by default) and every module below,
        depth first, each module once."""
        out, seen, stack = [], set(), [(prefix, self)]
        while stack:
            path, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append((path, m))
            stack.extend((self._join(path, n), c) for n, c in reversed(m.named_children()))
        return Items(out)

    def modules(self) -> Items:
        return Items(m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Items:
        """(path, parameter) pairs from this module down, each shared parameter once.

        Also (re)sets every parameter's `.name` to its full path from the top module.
        """
        self._rename(self.path)
        return self._named("_parameters", prefix, recurse)

    def _named(self, table: str, prefix: str = "", recurse: bool = True) -> Items:
        seen: set[int] = set()
        out = []
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for path, m in modules:
            for name, p in getattr(m, table).items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out.append((self._join(path, name), p))
        return Items(out)

    def parameters(self, recurse: bool = True) -> Items:
        return Items(p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Items:
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Items:
        return Items(b for _, b in self.named_buffers(recurse=recurse))

    def num_parameters(self) -> int:
        return sum(p.data.size for _, p in self._named("_parameters"))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every submodule (children first) and then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients --------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Module.to(device) / to(dtype) / to(device, dtype): the device must be the CPU; a
        floating dtype converts every floating parameter and buffer in place (same objects)."""
        dtype = kwargs.pop("dtype", None)
        for a in (*args, *kwargs.values()):
            if isinstance(a, str) and a.split(":")[0] == "cpu":
                continue
            try:
                dtype = np.dtype(a)
            except TypeError:
                raise RuntimeError(f"{type(self).__name__}.to: device or dtype {a!r} is not "
                                   "available; tinygrad_cnn runs on the CPU only") from None
        if dtype is not None:
            if np.dtype(dtype).kind != "f":
                raise TypeError(f"{type(self).__name__}.to: only floating dtypes are accepted, got {dtype}")
            for t in (*self.parameters(), *self.buffers()):
                if t.data.dtype.kind == "f":
                    t.data = t.data.astype(dtype)
                    if t.grad is not None:
                        t.grad = t.grad.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def cpu(self) -> Module:
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: None (the default, as PyTorch), or zeros with set_to_none=False."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    # -- forward --------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """forward(*args, **kwargs); the graph nodes it records get `node.module` = this module's
        path (a submodule's own nodes get the submodule's), so drawings can box a layer's ops."""
        if not self.path:
            return self.forward(*args, **kwargs)
        outer = enter_module(self.path)
        try:
            return self.forward(*args, **kwargs)
        finally:
            enter_module(outer)

    # -- state ----------------------------------------------------------------------------------
    def _state_items(self) -> list[tuple[str, Tensor]]:
        """PyTorch's state-dict order: each module's parameters, then its persistent buffers,
        then its children's, depth first; shared tensors once."""
        self._rename(self.path)
        out, seen = [], set()
        for path, m in self.named_modules():
            skip = m.__dict__.get("_non_persistent", set())
            for table in (m._parameters, m._buffers):
                for name, t in table.items():
                    if t is not None and name not in skip and id(t) not in seen:
                        seen.add(id(t))
                        out.append((self._join(path, name), t))
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """path → a copy of the parameter's or buffer's array."""
        return {name: t.data.copy() for name, t in self._state_items()}

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy arrays into the parameters and buffers (in place, keeping their dtype).

        Raises ValueError naming every missing or unexpected key (when strict) and every key
        whose shape differs (always); nothing is copied then. Returns (missing, unexpected).
        """
        own = dict(self._state_items())
        state = {k: getattr(v, "data", v) for k, v in state_dict.items()}
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
        for k, t in own.items():
            if k in state:
                np.copyto(t.data, np.asarray(state[k]), casting="same_kind")
        return missing, unexpected

    # -- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown in the repr (override in layers)."""
        return ""

    def _repr_lines(self) -> list[str]:
        head = f"{type(self).__name__}({self.extra_repr()}"
        shapes = ", ".join(f"{n} {p.shape}" for n, p in self._parameters.items() if p is not None)
        children = list(self.named_children())
        if not children:
            return [head + ")" + (f"  [{shapes}]" if shapes else "")]
        lines = [head]
        for name, p in self._parameters.items():
            if p is not None:
                lines.append(f"  ({name}): Parameter {p.shape}")
        for name, m in children:
            sub = m._repr_lines()
            lines.append(f"  ({name}): {sub[0]}")
            lines.extend("  " + line for line in sub[1:])
        lines.append(")")
        return lines

    def __repr__(self) -> str:
        lines = self._repr_lines()
        if len(lines) > 1:
            lines[-1] += f"  {self.num_parameters():,} parameters"
        return "\n".join(lines)
