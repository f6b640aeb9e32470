"""Checkpoints: one .npz of plain arrays, written atomically, read with allow_pickle=False.

Keys: `model/<parameter path>` (the model's state dict), `optimizer/<key>` (the optimizer's
flat state dict, `Optimizer.flat_state_dict()`: 'param_groups.0.lr', 'state.3.momentum_buffer',
…, for resuming) and `meta`, a 0-d string array holding JSON: the model's name and
config, the epoch, the optimizer's name and anything the trainer adds (config, history).
Loading never runs code: no pickles, only numeric arrays and that JSON string. Every way a file
can be wrong (missing, empty, not a zip archive, truncated, pickled, foreign, metadata lacking a
key, non-finite values) is a `CheckpointError` naming the file and what is wrong.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .models import MODELS, build_model
from .nn import Module
from .optim import Optimizer

FORMAT = "tinygrad_cnn-checkpoint-1"
REQUIRED_META = {"format": str, "model": str, "model_config": dict, "epoch": int}
ZIP_MAGIC = b"PK\x03\x04"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and the fault."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds."""

    model_name: str
    model_config: dict[str, Any]
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    epoch: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def build_model(self) -> Module:
        """A new model of the saved name and config, holding the saved parameters."""
        try:
            model = build_model(self.model_name, **self.model_config)
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"checkpoint {self.path}: cannot build model {self.model_name!r} "
                                  f"with config {self.model_config}: {err}") from None
        try:
            model.load_state_dict(self.model_state)
        except ValueError as err:
            raise CheckpointError(f"checkpoint {self.path}: {err}") from None
        return model


def all_finite(arrays: dict[str, np.ndarray]) -> str | None:
    """The first key whose floating-point array holds NaN or ±inf, else None."""
    for key, value in arrays.items():
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            return key
    return None


def save_checkpoint(path: str | os.PathLike, model: Module, model_name: str,
                    optimizer: Optimizer | None = None, epoch: int = 0,
                    meta: dict[str, Any] | None = None) -> Path:
    """Write model (+ optimizer) state to `path` atomically: a temp file in the same folder,
    then os.replace, so a crash never leaves a half-written checkpoint. A model holding NaN or
    ±inf is refused (ValueError): a diverged model never replaces a good checkpoint."""
    path = Path(path)
    state = model.state_dict()
    bad = all_finite(state)
    if bad is not None:
        raise ValueError(f"save_checkpoint: not writing {path}: parameter {bad} holds NaN or inf")
    info = dict(meta or {}, format=FORMAT, model=model_name,
                model_config=getattr(model, "config", {}), epoch=int(epoch),
                optimizer=type(optimizer).__name__ if optimizer is not None else None)
    arrays = {f"model/{k}": v for k, v in state.items()}
    if optimizer is not None:
        flat = (optimizer.flat_state_dict() if hasattr(optimizer, "flat_state_dict")
                else optimizer.state_dict())
        arrays.update({f"optimizer/{k}": np.asarray(v) for k, v in flat.items()})
    arrays["meta"] = np.array(json.dumps(info))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub misreads **kwds
    return path


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the .npz, with each way of failing turned into a CheckpointError."""
    where = f"checkpoint {path}"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except IsADirectoryError:
        raise CheckpointError(f"{where} is a folder; expected a .npz file (e.g. "
                              f"{path / 'last.npz'})") from None
    except OSError as err:
        raise CheckpointError(f"{where}: cannot read it: {err.strerror or err}") from None
    if not head:
        raise CheckpointError(f"{where} is empty (0 bytes): an interrupted copy or write?")
    if head != ZIP_MAGIC:
        raise CheckpointError(f"{where} is not a checkpoint: not a .npz (zip) archive (it starts "
                              f"with bytes {head!r}, expected {ZIP_MAGIC!r})")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise CheckpointError(f"{where} holds a pickled object array; refused: checkpoints "
                                  "are read with allow_pickle=False (data only, no code)") from None
        raise CheckpointError(f"{where} is corrupt: {err}") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, KeyError) as err:
        raise CheckpointError(f"{where} is truncated or corrupt ({type(err).__name__}: {err}); "
                              "use another checkpoint of the run (last.npz / best.npz)") from None


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint` (allow_pickle=False: data only)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    arrays = _read_arrays(path)
    where = f"checkpoint {path}"
    if "meta" not in arrays:
        raise CheckpointError(f"{where}: not a tinygrad_cnn checkpoint (no 'meta' entry; keys: "
                              f"{sorted(arrays)[:5]})")
    meta_array = arrays.pop("meta")
    try:
        meta = json.loads(str(meta_array)) if meta_array.dtype.kind == "U" else None
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{where}: its 'meta' entry is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{where}: its 'meta' entry is not a JSON object of metadata")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{where}: checkpoint format {meta.get('format')!r}, "
                              f"expected {FORMAT!r}")
    for key, kind in REQUIRED_META.items():
        if key not in meta:
            raise CheckpointError(f"{where}: its metadata lacks the key {key!r} (keys: "
                                  f"{sorted(meta)}); the file is damaged or not from this program")
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise CheckpointError(f"{where}: metadata {key!r} is {meta[key]!r}, expected a "
                                  f"{kind.__name__}")
    if meta["model"] not in MODELS:
        raise CheckpointError(f"{where}: unknown model {meta['model']!r}; expected one of "
                              f"{sorted(MODELS)}")
    bad = all_finite(arrays)
    if bad is not None:
        raise CheckpointError(f"{where}: entry {bad!r} holds NaN or inf (a diverged run); "
                              "use an earlier checkpoint")
    def part(prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    return Checkpoint(model_name=meta["model"], model_config=meta["model_config"],
                      model_state=part("model/"), optimizer_state=part("optimizer/"),
                      epoch=int(meta["epoch"]), meta=meta, path=path)
