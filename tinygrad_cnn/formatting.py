"""Shared text formatting of shapes and op attributes (graph listings, `explain`, `viz`).

    shape_str((64, 6, 28, 28))          → '(64, 6, 28, 28)'
    shape_str((64, 6), compact=True)    → '64×6'     (and '()' / 'scalar' for a 0-d shape)
    attrs_str({'stride': (1, 1), 'padding': (2, 2), 'bias': None}) → 'stride=1, padding=2'
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def shape_str(shape: Iterable[int], compact: bool = False) -> str:
    """A shape as text: the tuple '(2, 3)', or with `compact` '2×3' ('scalar' for 0-d)."""
    dims = tuple(int(n) for n in shape)
    if compact:
        return "×".join(map(str, dims)) if dims else "scalar"
    return str(dims)


def attr_value_str(value: Any, max_len: int | None = None) -> str:
    """One attribute value: an equal (h, w) pair collapses to h; long reprs are cut with '...'."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    text = repr(value)
    if max_len is not None and len(text) > max_len:
        text = text[:max_len - 3] + "..."
    return text


def attrs_str(attrs: Mapping[str, Any], sep: str = "=", joiner: str = ", ",
              max_len: int | None = None) -> str:
    """'k=v, ...' for the attributes that are set (None and False are left out)."""
    return joiner.join(f"{k}{sep}{attr_value_str(v, max_len)}" for k, v in attrs.items()
                       if v is not None and v is not False)
