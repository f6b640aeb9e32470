"""Resuming: the checkpoint's run settings, overridden by what this invocation set explicitly.

* The run continues to its planned total (`epochs` in the saved settings) unless `--epochs N`
  sets a new total; `--epochs` is the run's total number of epochs, never "N more".
* The model and the optimizer must be the checkpoint's: `--model`/`--optimizer` that differ are
  an error (OptionError, exit 2).
* Every other option given explicitly wins over the saved one; `merge` lists those overrides
  so the log can say which ones did.
"""
from __future__ import annotations

from typing import Any

from ..checkpoint import Checkpoint, CheckpointError
from .config import TrainConfig, option_name

# settings of this invocation only: never taken from the checkpoint
NOT_SAVED = ("resume", "out", "progress", "threads")


def saved_settings(ckpt: Checkpoint) -> dict[str, Any]:
    saved = ckpt.meta.get("config")
    if not isinstance(saved, dict):
        raise CheckpointError(f"checkpoint {ckpt.path}: its metadata lacks the run's settings "
                              "('config'), so it cannot be resumed; evaluate it instead")
    return saved


def merge(config: TrainConfig, ckpt: Checkpoint) -> tuple[TrainConfig, list[str]]:
    """(the resumed run's config, the overrides as 'name: saved → given' strings)."""
    from .config import OptionError

    saved = saved_settings(ckpt)
    given = {k: v for k, v in config.given().items() if k not in NOT_SAVED}
    if "model" in given and given["model"] != ckpt.model_name:
        raise OptionError("--model", f"{config.resume} holds a {ckpt.model_name!r} model, not "
                          f"{given['model']!r}; leave out --model to resume it, or start a new run")
    saved_optimizer = saved.get("optimizer")
    if "optimizer" in given and saved_optimizer is not None and given["optimizer"] != saved_optimizer:
        raise OptionError("--optimizer", f"{config.resume} was trained with "
                          f"{saved_optimizer!r} and holds its state, not {given['optimizer']!r}'s; "
                          "leave out --optimizer to resume it, or start a new run")
    known = {k for k in TrainConfig.__dataclass_fields__ if k not in NOT_SAVED}
    # runs saved before schedules, weight decay and shifts existed trained without them
    merged: dict[str, Any] = {"schedule": "none", "weight_decay": 0.0, "augment": False}
    merged.update({k: v for k, v in saved.items() if k in known})
    overrides = [f"{option_name(k)} {saved[k]!r} → {v!r}" for k, v in given.items()
                 if k in saved and saved[k] != v]
    merged.update(given)
    merged["model"] = ckpt.model_name
    merged.update({k: getattr(config, k) for k in NOT_SAVED})
    return TrainConfig(**merged), overrides


def partial_epoch(ckpt: Checkpoint, cfg: TrainConfig) -> dict[str, Any] | None:
    """The interrupted epoch's progress saved in `ckpt`, if it can be continued exactly (same
    batches: batch size, limit, seed and augmentation unchanged), else None."""
    partial = ckpt.meta.get("partial")
    if not isinstance(partial, dict):
        return None
    saved = saved_settings(ckpt)
    same = all(saved.get(k) == getattr(cfg, k) for k in ("batch_size", "limit", "seed", "augment"))
    return partial if same else None
