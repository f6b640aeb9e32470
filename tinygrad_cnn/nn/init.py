"""Weight initialisation, in place on a tensor's array, with PyTorch's names, gains and fan modes.

fan_in = in_features (Linear) or in_channels/groups·kH·kW (Conv2d); fan_out likewise with the
outputs. The random numbers come from one place: `generator=` (a `tinygrad_cnn.Generator` or a
numpy Generator; `rng=` is accepted as an alias), else the package's default generator, which
`tinygrad_cnn.manual_seed` reseeds.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..tensor import Tensor


def _rng(generator: Any = None, rng: Any = None) -> np.random.Generator:
    """The numpy generator to draw from: `generator`, or its alias `rng`, or the default one."""
    source = generator if generator is not None else rng
    if isinstance(source, np.random.Generator):
        return source
    return random.rng(source)


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor.data[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan-in/fan-out need a weight with at least 2 dimensions "
                         f"(out, in, ...), got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


fans = _calculate_fan_in_and_fan_out


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gains: 1 (linear, conv, sigmoid), 5/3 (tanh), √2 (relu),
    √(2/(1 + a²)) (leaky_relu, a = param or 0.01), 3/4 (selu)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode {mode!r} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None, *,
             rng: Any = None) -> Tensor:
    """w ~ U(a, b), keeping the tensor's dtype."""
    return _fill(tensor, _rng(generator, rng).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None, *,
            rng: Any = None) -> Tensor:
    """w ~ N(mean, std²)."""
    return _fill(tensor, _rng(generator, rng).normal(mean, std, tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None, *, rng: Any = None) -> Tensor:
    """w ~ N(mean, std²) redrawn until inside [a, b]."""
    source, values = _rng(generator, rng), np.empty(tensor.shape)
    todo = np.ones(tensor.shape, dtype=bool)
    while todo.any():
        values[todo] = source.normal(mean, std, int(todo.sum()))
        todo = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (2-D tensors only)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {tensor.shape}")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None, *,
                     rng: Any = None) -> Tensor:
    """He et al. (2015): w ~ U(±gain·√(3/fan)), gain = calculate_gain(nonlinearity, a). The layers'
    default (PyTorch's reset_parameters) is a = √5, which gives U(±1/√fan_in)."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator, rng=rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None, *,
                    rng: Any = None) -> Tensor:
    """He et al. (2015): w ~ N(0, (gain/√fan)²)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator, rng=rng)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None, *,
                    rng: Any = None) -> Tensor:
    """Glorot & Bengio (2010): w ~ U(±gain·√(6/(fan_in + fan_out))), as DeepLearnToolbox's cnnsetup."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator, rng=rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None, *,
                   rng: Any = None) -> Tensor:
    """Glorot & Bengio (2010): w ~ N(0, gain²·2/(fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator, rng=rng)


def default_bias_(bias: Tensor, fan_in: int, generator: Any = None, *, rng: Any = None) -> Tensor:
    """PyTorch's default bias of Linear and Conv: b ~ U(±1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound, generator, rng=rng)
