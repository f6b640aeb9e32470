"""`Array`: the NumPy array a leaf's `.data` and every `.grad` are, answering PyTorch's in-place names.

PyTorch code updates parameters through `.data` and `.grad` (`p.data.sub_(lr * p.grad.data)`,
`x.grad.zero_()`). Here those are NumPy arrays, and this subclass adds just those method names so
that such code runs unchanged; everything else is NumPy's. Op outputs keep plain arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _values(other: Any) -> Any:
    """A Tensor's array, or the value itself."""
    return getattr(other, "_data", other)


class Array(np.ndarray):
    """An `np.ndarray` with PyTorch's in-place methods (`zero_`, `fill_`, `add_`, `sub_`, …)."""

    @property
    def data(self) -> Array:  # type: ignore[override]
        """Itself: PyTorch's `t.data` of a plain array (NumPy's buffer object is `memoryview(a)`)."""
        return self

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)

    def clone(self) -> Array:
        return self.copy()

    def zero_(self) -> Array:
        self[...] = 0
        return self

    def fill_(self, value: Any) -> Array:
        self[...] = _values(value)
        return self

    def copy_(self, src: Any) -> Array:
        self[...] = _values(src)
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Array:
        self += _values(other) * alpha if alpha != 1 else _values(other)
        return self

    def sub_(self, other: Any, alpha: Any = 1) -> Array:
        self -= _values(other) * alpha if alpha != 1 else _values(other)
        return self

    def mul_(self, other: Any) -> Array:
        self *= _values(other)
        return self

    def div_(self, other: Any) -> Array:
        self /= _values(other)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Array:
        np.clip(self, min, max, out=self)
        return self

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


def as_leaf_array(values: np.ndarray) -> Array:
    """`values` seen as an `Array` (no copy)."""
    return values if isinstance(values, Array) else values.view(Array)
