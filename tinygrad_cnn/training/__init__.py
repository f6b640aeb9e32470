"""Training and evaluation, one job per file:

* `config`: `TrainConfig`, the defaults (`DEFAULTS`, the one place they live) and option checks;
* `loop`: the epoch loop (stops on divergence or Ctrl-C between steps) and `evaluate`;
* `run`: `fit`, a whole run (data, model, optimizer, schedule, checkpoints, metrics, pictures);
* `resume`: merging a checkpoint's settings with the options given;
* `runs`: run folders (numbered, locked, checked writable, stale temp files removed);
* `schedule`: the learning-rate schedule; `threads`: how many threads; `interrupt`: Ctrl-C;
* `metrics`: confusion matrix, log lines, metrics.json; `pictures`: the curve and the step drawn.

The command line (`tinygrad_cnn.cli`) parses options into a `TrainConfig` and calls `fit`.
"""
from .config import DEFAULTS, OPTIMIZERS, SCHEDULES, OptionError, TrainConfig, check_option
from .loop import Diverged, evaluate, train_epoch
from .metrics import confusion_matrix, format_confusion
from .pictures import draw_step, plot_curves
from .run import (
                  TrainingError,
                  TrainingInterrupted,
                  checkpoint_normalization,
                  fit,
                  load_data,
                  make_optimizer,
                  pixel_stats,
)
from .runs import RunFolderError, RunLock

__all__ = ["DEFAULTS", "OPTIMIZERS", "SCHEDULES", "OptionError", "TrainConfig", "check_option",
           "Diverged", "evaluate", "train_epoch", "confusion_matrix", "format_confusion",
           "draw_step", "plot_curves", "TrainingError", "TrainingInterrupted",
           "checkpoint_normalization", "fit", "load_data", "make_optimizer", "pixel_stats",
           "RunFolderError", "RunLock"]
