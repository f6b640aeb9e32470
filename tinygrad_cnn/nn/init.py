"""Weight initialisation, in place on a tensor's array, drawn from an explicit numpy Generator.

fan_in = in_features (Linear) or in_channels·kH·kW (Conv2d); fan_out likewise with outputs.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng() if rng is None else rng


def fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel); a 1-D tensor counts as (n, n)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan-in/fan-out need a weight with at least 2 dimensions "
                         f"(out, in, ...), got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def uniform_(tensor: Tensor, low: float, high: float,
             rng: np.random.Generator | None = None) -> Tensor:
    """w ~ U(low, high), keeping the tensor's dtype."""
    tensor.data[...] = _rng(rng).uniform(low, high, tensor.shape)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    tensor.data[...] = 0
    return tensor


def constant_(tensor: Tensor, value: float) -> Tensor:
    tensor.data[...] = value
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = math.sqrt(5),
                     rng: np.random.Generator | None = None) -> Tensor:
    """w ~ U(±gain·√(3/fan_in)), gain = √(2/(1+a²)); PyTorch's default a = √5 gives U(±1/√fan_in)."""
    fan_in, _ = fans(tensor)
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, rng)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    rng: np.random.Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): w ~ U(±gain·√(6/(fan_in + fan_out))), as the MATLAB toolbox."""
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def default_bias_(bias: Tensor, fan_in: int, rng: np.random.Generator | None = None) -> Tensor:
    """PyTorch's default bias: b ~ U(±1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound, rng)
