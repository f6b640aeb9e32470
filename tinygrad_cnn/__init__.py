"""tinygrad_cnn: a small, readable autograd framework in NumPy for convolutional networks.

    import tinygrad_cnn as tc
    from tinygrad_cnn import Tensor
    import tinygrad_cnn.nn.functional as F

Importing the package loads the core only (NumPy, no import side effects). The application
modules — `viz`, `data`, `models`, `training`, `cli`, `checkpoint`, `onnx`, `allocator` — are
loaded on first use, e.g. `tinygrad_cnn.viz.draw_graph(...)`.
"""
from __future__ import annotations

import builtins as _builtins
import importlib
from typing import Any

from . import autograd, dtypes, functional, nn, ops, optim
from .autograd import (
    Function,
    Graph,
    backward,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    topological_order,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .explain import explain  # NumPy only; binds the function, not the submodule
from .functions import *  # noqa: F403 (cat, stack, max, … : PyTorch's module-level functions)
from .functions import __all__ as _function_names
from .gradcheck import GradcheckError, gradcheck
from .parallel import get_num_threads, set_num_threads
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .serialization import load, save
from .tensor import Tensor

__version__ = "0.1.0"

# Application modules, imported on first attribute access (they may pull in graphviz, matplotlib,
# tqdm, onnx, threadpoolctl inside their functions).
_LAZY_MODULES = ("viz", "data", "models", "training", "cli", "checkpoint", "onnx",
                 "allocator", "atomic", "reference")


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_cnn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES))


__all__ = ["Tensor", "Function", "Graph", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "autograd",
           "is_grad_enabled", "backward", "explain", "topological_order", "gradcheck", "GradcheckError",
           "functional", "ops", "nn", "optim", "dtypes", "tensor", "as_tensor", "from_numpy",
           "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
           "rand", "randn", "rand_like", "randn_like", "randint", "randperm", "arange", "linspace",
           "eye", "save", "load", "manual_seed", "seed", "initial_seed", "Generator", "default_generator",
           "get_num_threads", "set_num_threads", "get_default_dtype", "set_default_dtype",
           "float16", "float32", "float64", "half", "float", "double", "uint8", "int8", "int16",
           "short", "int32", "int", "int64", "long", "bool", *_function_names]
# `from tinygrad_cnn import *` must not shadow Python's builtins (max, sum, float, bool, ...):
# those stay reachable as tinygrad_cnn.max, tinygrad_cnn.float, ...
__all__ = [name for name in __all__ if not hasattr(_builtins, name)]
