"""One training run's settings: `TrainConfig`, the defaults (the one place they live; the command
line's help is generated from them) and the checks every option passes before anything runs.

A field left at None takes the model's own default (`Model.train_defaults`), then `DEFAULTS`.
When resuming, None means "as the checkpoint's run had it"; whatever was set explicitly wins.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import MODELS

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("none", "step", "cosine")
DEFAULT_LR = {"sgd": 0.02, "adam": 1e-3}
# the global defaults; a model's `train_defaults` overrides them (ToolboxCNN: its own settings)
DEFAULTS: dict[str, Any] = dict(
    model="lenet5", dataset="mnist", epochs=6, batch_size=64, optimizer="sgd", momentum=0.9,
    schedule="cosine", weight_decay=5e-4, augment=False, seed=0,
)
RUNS_DIR = Path("runs")


class OptionError(ValueError):
    """A bad option value, named as the command line names it (exit code 2, as argparse)."""

    def __init__(self, option: str, message: str):
        super().__init__(f"argument {option}: {message}")
        self.option, self.detail = option, message


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def check_option(field: str, value: Any) -> Any:
    """`value` if it is valid for `field`, else OptionError naming the option and what it needs.
    Used by the command line's argument types and by `TrainConfig.resolved`."""
    name = option_name(field)
    if value is None:
        return value
    if field in ("epochs", "batch_size", "limit", "threads", "opset"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionError(name, f"expected a positive integer, got {value!r}")
    elif field == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OptionError(name, f"expected a non-negative integer, got {value!r}")
    elif field == "lr":
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise OptionError(name, f"expected a finite number > 0, got {value!r}")
    elif field == "momentum":
        if not _is_number(value) or not 0 <= value < 1:       # NaN fails both comparisons
            raise OptionError(name, f"expected a number with 0 <= momentum < 1, got {value!r}")
    elif field == "weight_decay":
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise OptionError(name, f"expected a finite number >= 0, got {value!r}")
    elif field == "optimizer" and value not in OPTIMIZERS:
        raise OptionError(name, f"invalid choice {value!r} (choose from {', '.join(OPTIMIZERS)})")
    elif field == "schedule" and value not in SCHEDULES:
        raise OptionError(name, f"invalid choice {value!r} (choose from {', '.join(SCHEDULES)})")
    elif field == "model" and value not in MODELS:
        raise OptionError(name, f"invalid choice {value!r} (choose from {', '.join(sorted(MODELS))})")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def model_defaults(model: str) -> dict[str, Any]:
    """DEFAULTS overridden by the model's own `train_defaults`."""
    check_option("model", model)
    return {**DEFAULTS, **getattr(MODELS[model], "train_defaults", {})}


@dataclass
class TrainConfig:
    """One training run. None: the model's default (`model_defaults`), or, when resuming, the
    checkpoint's setting."""

    model: str | None = None
    dataset: str | None = None
    data: str | None = None          # folder of IDX files; None: the embedded MNIST sample
    download: bool | None = None
    epochs: int | None = None        # the run's total number of epochs (also when resuming)
    batch_size: int | None = None
    lr: float | None = None          # the base learning rate (the schedule starts from it)
    optimizer: str | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    schedule: str | None = None
    augment: bool | None = None      # random shifts of ±2 pixels
    seed: int | None = None
    out: str | None = None           # default runs/<model>, numbered if taken
    limit: int | None = None         # train on the first N training images only
    resume: str | None = None
    threads: int | None = None       # None: the free cores, re-checked during the run
    progress: bool | None = None     # None: a bar when stdout and stderr are terminals

    def given(self) -> dict[str, Any]:
        """The fields set explicitly (not None)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}

    def validate(self) -> TrainConfig:
        """Check every set field (OptionError naming the option); returns self."""
        for name, value in self.given().items():
            check_option(name, value)
        return self

    def resolved(self) -> TrainConfig:
        """A copy with every None filled from the model's defaults; every option checked."""
        self.validate()
        defaults = model_defaults(self.model or DEFAULTS["model"])
        filled = {k: v for k, v in defaults.items() if getattr(self, k) is None}
        cfg = dataclasses.replace(self, **filled)
        if cfg.lr is None:
            cfg.lr = defaults.get("lr", DEFAULT_LR[str(cfg.optimizer)])
        if cfg.download is None:
            cfg.download = False
        return cfg.validate()

    def saved(self) -> dict[str, Any]:
        """What a checkpoint and metrics.json record of the run's settings."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in ("resume", "progress", "threads")}
