"""Checkpoints: one .npz of plain arrays, written atomically, read with allow_pickle=False.

Keys: `model/<parameter path>` (the model's state dict), `optimizer/<key>` (the optimizer's
state dict, for resuming) and `meta`, a 0-d string array holding JSON: the model's name and
config, the epoch, the optimizer's name and anything the trainer adds (config, history).
Loading never runs code: no pickles, only numeric arrays and that JSON string.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .models import build_model
from .nn import Module
from .optim import Optimizer

FORMAT = "tinygrad_cnn-checkpoint-1"


@dataclass
class Checkpoint:
    """What a checkpoint file holds."""

    model_name: str
    model_config: dict[str, Any]
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    epoch: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def build_model(self) -> Module:
        """A new model of the saved name and config, holding the saved parameters."""
        model = build_model(self.model_name, **self.model_config)
        model.load_state_dict(self.model_state)
        return model


def save_checkpoint(path: str | os.PathLike, model: Module, model_name: str,
                    optimizer: Optimizer | None = None, epoch: int = 0,
                    meta: dict[str, Any] | None = None) -> Path:
    """Write model (+ optimizer) state to `path` atomically: a temp file in the same folder,
    then os.replace, so a crash never leaves a half-written checkpoint."""
    path = Path(path)
    info = dict(meta or {}, format=FORMAT, model=model_name,
                model_config=getattr(model, "config", {}), epoch=int(epoch),
                optimizer=type(optimizer).__name__ if optimizer is not None else None)
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    if optimizer is not None:
        arrays.update({f"optimizer/{k}": v for k, v in optimizer.state_dict().items()})
    arrays["meta"] = np.array(json.dumps(info))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint` (allow_pickle=False: data only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if "meta" not in arrays:
        raise ValueError(f"{path}: not a tinygrad_cnn checkpoint (no 'meta' entry; keys: "
                         f"{sorted(arrays)[:5]}...)")
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: checkpoint format {meta.get('format')!r}, expected {FORMAT!r}")
    part = lambda prefix: {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    return Checkpoint(model_name=meta["model"], model_config=meta["model_config"],
                      model_state=part("model/"), optimizer_state=part("optimizer/"),
                      epoch=int(meta["epoch"]), meta=meta)
