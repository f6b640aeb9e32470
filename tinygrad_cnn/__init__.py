"""tinygrad_cnn: a small, readable autograd framework in NumPy for convolutional networks.

    from tinygrad_cnn import Tensor
    import tinygrad_cnn.functional as F
"""
from . import data, functional, models, nn, ops, optim, viz  # noqa: E402  (they build on Tensor)
from .allocator import keep_freed_memory
from .autograd import Function, Graph, backward, is_grad_enabled, no_grad, topological_order
from .explain import explain
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor

__version__ = "0.1.0"

MALLOC_TUNED = keep_freed_memory()  # see allocator.py: reuse freed buffers, fewer page faults

__all__ = ["Tensor", "Function", "Graph", "no_grad", "is_grad_enabled", "backward",
           "topological_order", "gradcheck", "GradcheckError", "explain", "functional", "ops", "nn",
           "optim", "models", "data", "viz"]
