"""`import tinygrad_cnn.nn.functional as F`: the same functions as `tinygrad_cnn.functional`."""
from ..functional import *  # noqa: F403
from ..functional import __all__  # noqa: F401
