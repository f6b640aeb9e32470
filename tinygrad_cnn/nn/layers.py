"""The layers: one small Module per op of `functional`, initialised as PyTorch does by default."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..ops.windows import pair
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def _label(layer: Module) -> str:
    """How errors name a layer: its path in the model and its repr (`c3 = Conv2d(6, 16, ...)`)."""
    layer_repr = f"{type(layer).__name__}({layer.extra_repr()})"
    return f"{layer.path} = {layer_repr}" if layer.path else layer_repr


class Conv2d(Module):
    """net = b + W ⋆ x (cross-correlation), weight (out, in, kH, kW).

    `connections`, a boolean (in_channels, out_channels) table, connects output map o only to
    the input maps c with connections[c, o] (LeNet-5's C3): the weight is multiplied by that
    constant mask in forward, so masked weights get zero gradient and stay zero.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 bias: bool = True, connections: np.ndarray | None = None,
                 rng: np.random.Generator | None = None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.padding = pair("Conv2d", "padding", padding, 0)
        self.weight = Parameter(np.zeros((out_channels, in_channels, *self.kernel_size)))
        init.kaiming_uniform_(self.weight, rng=rng)
        self.bias = None
        if bias:
            self.bias = Parameter(np.zeros(out_channels))
            init.default_bias_(self.bias, init.fans(self.weight)[0], rng=rng)
        self.mask = None
        if connections is not None:
            table = np.asarray(connections, dtype=bool)
            if table.shape != (in_channels, out_channels):
                raise ValueError(f"Conv2d({in_channels}, {out_channels}): connection table of "
                                 f"shape {table.shape}; expected (in_channels, out_channels) = "
                                 f"{(in_channels, out_channels)}")
            self.mask = Tensor(table.T[:, :, None, None].astype(np.float32))
            self.weight.data *= self.mask.data

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{_label(self)}: input of shape {x.shape}; expected "
                             f"(N, {self.in_channels}, H, W)")
        weight = self.weight if self.mask is None else self.weight * self.mask
        return F.conv2d(x, weight, self.bias, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            s += f", stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        if self.mask is not None:
            s += f", connections={int(self.mask.data.sum())}/{self.in_channels * self.out_channels}"
        return s


class Linear(Module):
    """y = x Wᵀ + b, weight (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | None = None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.zeros((out_features, in_features)))
        init.kaiming_uniform_(self.weight, rng=rng)
        self.bias = None
        if bias:
            self.bias = Parameter(np.zeros(out_features))
            init.default_bias_(self.bias, in_features, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"{_label(self)}: input of shape {x.shape}; expected (N, "
                             f"{self.in_features}) (flatten the maps first: C·H·W must equal "
                             f"{self.in_features})")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        no_bias = ", bias=False" if self.bias is None else ""
        return f"{self.in_features}, {self.out_features}{no_bias}"


class _Pool(Module):
    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None, padding: int | tuple[int, int] = 0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}"
        if self.stride != self.kernel_size:
            s += f", stride={self.stride}"
        return s + (f", padding={self.padding}" if self.padding != (0, 0) else "")


class MaxPool2d(_Pool):
    """out = max of each window."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool):
    """out = mean of each window (the toolbox's parameter-free mean subsampling)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Subsample(Module):
    """Bouvrie (2006): a = β·(sum of each k×k block) + b, one trainable β and b per map.

    β starts at 1/k² and b at 0, so an untrained layer is mean pooling.
    """

    def __init__(self, channels: int, kernel_size: int | tuple[int, int] = 2):
        super().__init__()
        self.channels, self.kernel_size = channels, pair("Subsample", "kernel_size", kernel_size, 1)
        self.beta = Parameter(np.full(channels, 1.0 / (self.kernel_size[0] * self.kernel_size[1])))
        self.bias = Parameter(np.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"{_label(self)}: input of shape {x.shape}; expected "
                             f"(N, {self.channels}, H, W)")
        return F.subsample(x, self.beta, self.bias, self.kernel_size)

    def extra_repr(self) -> str:
        return f"{self.channels}, kernel_size={self.kernel_size}"


class ReLU(Module):
    """max(0, x)"""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """1 / (1 + e^(−x))"""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x)"""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Flatten(Module):
    """(N, C, H, W) → (N, C·H·W): merges the axes from `start_dim` on."""

    def __init__(self, start_dim: int = 1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim)

    def extra_repr(self) -> str:
        return "" if self.start_dim == 1 else f"start_dim={self.start_dim}"


class Sequential(Module):
    """Layers applied in order; layer i is registered under the name str(i)."""

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, "
                                "expected a Module")
            setattr(self, str(i), layer)

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Any:
        return iter(self._modules.values())

    def forward(self, x: Tensor) -> Tensor:
        for layer in self._modules.values():
            x = layer(x)
        return x
