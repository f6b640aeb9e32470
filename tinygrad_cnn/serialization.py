"""`save(obj, f)` / `load(f)`: PyTorch's names for storing state dicts, as a NumPy `.npz` file.

What can be stored: tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them
(state dicts of models and optimizers). The nesting is kept as JSON beside the arrays, and
`load` never unpickles anything (`allow_pickle=False`): loading a file cannot run code, which is
what PyTorch's `weights_only=True` asks for. Files are written atomically.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from .atomic import atomic_path

_STRUCTURE = "__structure__"


def save(obj: Any, f: str | Path | IO[bytes]) -> None:
    """Store `obj` (e.g. `model.state_dict()`) in `f`, a path or a binary file."""
    arrays: dict[str, np.ndarray] = {}

    def encode(x: Any) -> Any:
        x = getattr(x, "_data", x)  # a Tensor's values
        if isinstance(x, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = np.asarray(x)
            return {"array": key}
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, dict):
            for k in x:
                if not isinstance(k, (str, int)):
                    raise TypeError(f"save: dict keys must be strings or ints, got {k!r}")
            return {"dict": [[k, encode(v)] for k, v in x.items()]}
        if isinstance(x, (list, tuple)):
            return {type(x).__name__: [encode(v) for v in x]}
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        raise TypeError(f"save: cannot store a {type(x).__name__}; expected tensors, arrays, "
                        "numbers, strings, None, and dicts/lists/tuples of them (a state_dict)")

    arrays[_STRUCTURE] = np.frombuffer(json.dumps(encode(obj)).encode(), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)  # type: ignore[arg-type]
        return
    with atomic_path(f) as tmp, open(tmp, "wb") as out:
        np.savez(out, **arrays)  # type: ignore[arg-type]


def load(f: str | Path | IO[bytes], map_location: Any = None, weights_only: bool = True,
         **kwargs: Any) -> Any:
    """Read what `save` stored. `map_location` may be None or 'cpu' (the only device)."""
    if map_location not in (None, "cpu"):
        raise RuntimeError(f"load: map_location={map_location!r}; tinygrad_cnn runs on the CPU only")
    name = getattr(f, "name", f)
    try:
        with np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"load: {name} is not a file written by tinygrad_cnn.save "
                         f"(truncated, corrupt or another format): {e}") from None
    if _STRUCTURE not in arrays:
        raise ValueError(f"load: {name} is an .npz file but not one written by tinygrad_cnn.save "
                         f"(no {_STRUCTURE!r} entry); read it with numpy.load")
    structure = json.loads(arrays.pop(_STRUCTURE).tobytes().decode())

    def decode(x: Any) -> Any:
        if not isinstance(x, dict):
            return x
        (kind, value), = x.items()
        if kind == "array":
            return arrays[value]
        if kind == "dict":
            return {k: decode(v) for k, v in value}
        items = [decode(v) for v in value]
        return tuple(items) if kind == "tuple" else items

    return decode(structure)
