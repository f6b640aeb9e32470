"""The training API under its earlier module name: everything lives in `tinygrad_cnn.training`
(one job per file); this module re-exports it for code that imports `tinygrad_cnn.train`."""
from .training import (
                       DEFAULTS,
                       OPTIMIZERS,
                       SCHEDULES,
                       Diverged,
                       OptionError,
                       RunFolderError,
                       TrainConfig,
                       TrainingError,
                       TrainingInterrupted,
                       check_option,
                       confusion_matrix,
                       draw_step,
                       evaluate,
                       fit,
                       format_confusion,
                       load_data,
                       make_optimizer,
                       pixel_stats,
                       plot_curves,
                       train_epoch,
)

__all__ = ["DEFAULTS", "OPTIMIZERS", "SCHEDULES", "Diverged", "OptionError", "RunFolderError",
           "TrainConfig", "TrainingError", "TrainingInterrupted", "check_option",
           "confusion_matrix", "draw_step", "evaluate", "fit", "format_confusion", "load_data",
           "make_optimizer", "pixel_stats", "plot_curves", "train_epoch"]
