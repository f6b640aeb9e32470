"""The layers: one small Module per op of `functional`, with PyTorch's names, keywords and default
initialisation (weights kaiming_uniform_(a=√5) = U(±1/√fan_in), biases U(±1/√fan_in)).

Random initialisation draws from `generator=` (a `tinygrad_cnn.Generator` or a numpy Generator;
`rng=` is an alias), else the package's default generator (`tinygrad_cnn.manual_seed`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .. import functional as F
from ..ops.checks import pair, same_padding
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def _label(layer: Module) -> str:
    """How errors name a layer: its path in the model and its repr (`c3 = Conv2d(6, 16, ...)`)."""
    layer_repr = f"{type(layer).__name__}({layer.extra_repr()})"
    return f"{layer.path} = {layer_repr}" if layer.path else layer_repr


def _dtype(dtype: Any) -> Any:
    return np.float32 if dtype is None else dtype


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared by Conv1d/Conv2d/ConvTranspose2d: weight, bias and their PyTorch default init."""

    def _init_parameters(self, weight_shape: tuple[int, ...], bias: bool, dtype: Any,
                         generator: Any) -> None:
        self.weight = Parameter(np.zeros(weight_shape), dtype=_dtype(dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if bias:
            fan_in = init.fans(self.weight)[0]
            self.bias = Parameter(np.zeros(self.out_channels), dtype=_dtype(dtype))
            init.default_bias_(self.bias, fan_in, generator=generator)
        else:
            self.register_parameter("bias", None)

    def _check_input(self, x: Tensor, dims: int) -> None:
        names = "(N, {c}, H, W)" if dims == 4 else "(N, {c}, L)"
        if x.ndim not in (dims - 1, dims) or x.shape[-dims + 1] != self.in_channels:
            raise ValueError(f"{_label(self)}: input of shape {x.shape}; expected "
                             f"{names.format(c=self.in_channels)}")


class Conv2d(_ConvNd):
    """net = b + W ⋆ x (cross-correlation), weight (out, in/groups, kH, kW).

    padding: an int, a pair, 'valid' or 'same'; padding_mode: 'zeros', 'reflect', 'replicate' or
    'circular' (the input is padded by F.pad first). `connections`, a boolean (in_channels,
    out_channels) table, connects output map o only to the input maps c with connections[c, o]
    (LeNet-5's C3, LeCun et al. 1998, Table I): the weight is multiplied by that constant mask
    in forward, so masked weights get zero gradient and stay zero.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 connections: np.ndarray | None = None, generator: Any = None, rng: Any = None):
        super().__init__()
        name = "Conv2d"
        if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}({in_channels}, {out_channels}): groups={groups!r} must be a "
                             "positive int dividing in_channels and out_channels")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride, self.dilation = pair(name, "stride", stride, 1), pair(name, "dilation", dilation, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a pair, 'valid' or 'same', "
                                 f"got {padding!r}")
            if padding == "same":
                same_padding(name, self.kernel_size, self.stride, self.dilation)
            self.padding: Any = padding
        else:
            self.padding = pair(name, "padding", padding, 0)
        self.padding_mode = padding_mode
        self._init_parameters((out_channels, in_channels // groups, *self.kernel_size), bias, dtype,
                              generator if generator is not None else rng)
        self.mask = None
        if connections is not None:
            table = np.asarray(connections, dtype=bool)
            if table.shape != (in_channels, out_channels) or groups != 1:
                raise ValueError(f"Conv2d({in_channels}, {out_channels}): connection table of "
                                 f"shape {table.shape}; expected (in_channels, out_channels) = "
                                 f"{(in_channels, out_channels)} (and groups=1)")
            self.mask = Tensor(table.T[:, :, None, None].astype(self.weight.dtype))
            self.weight.data *= self.mask.data

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input, 4)
        weight = self.weight if self.mask is None else self.weight * self.mask
        x, padding = input, self.padding
        if self.padding_mode != "zeros":
            x, padding = F.pad(x, self._mode_pad(), mode=self.padding_mode), 0
        return F.conv2d(x, weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def _mode_pad(self) -> tuple[int, ...]:
        """F.pad's (left, right, top, bottom) for a non-zero padding_mode."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            (top, bottom), (left, right) = same_padding("Conv2d", self.kernel_size, 1, self.dilation)
            return (left, right, top, bottom)
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            s += f", stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        if self.mask is not None:
            s += f", connections={int(self.mask.data.sum())}/{self.in_channels * self.out_channels}"
        return s


class Conv1d(_ConvNd):
    """1-D cross-correlation over (N, C, L), weight (out, in/groups, k): F.conv1d (conv2d on a
    unit-height axis)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: Any = None, rng: Any = None):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv1d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv1d({in_channels}, {out_channels}): groups={groups!r} must be a "
                             "positive int dividing in_channels and out_channels")

        def one(v: Any) -> Any:
            return v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v

        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = (one(kernel_size),), (one(stride),)
        self.padding = padding if isinstance(padding, str) else (one(padding),)
        self.dilation = (one(dilation),)
        self._init_parameters((out_channels, in_channels // groups, self.kernel_size[0]), bias,
                              dtype, generator if generator is not None else rng)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input, 3)
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0],
                        self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class ConvTranspose2d(_ConvNd):
    """The transposed convolution (the adjoint of Conv2d), weight (in, out/groups, kH, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None, *, generator: Any = None, rng: Any = None):
        super().__init__()
        name = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}({in_channels}, {out_channels}): groups={groups!r} must be a "
                             "positive int dividing in_channels and out_channels")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride, self.padding = pair(name, "stride", stride, 1), pair(name, "padding", padding, 0)
        self.output_padding = pair(name, "output_padding", output_padding, 0)
        self.dilation = pair(name, "dilation", dilation, 1)
        self._init_parameters((in_channels, out_channels // groups, *self.kernel_size), bias, dtype,
                              generator if generator is not None else rng)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(input, 4)
        output_padding = self.output_padding
        if output_size is not None:     # choose output_padding to reach the requested size
            h, w = tuple(output_size)[-2:]
            smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
                input.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size)]
            output_padding = (h - smallest[0], w - smallest[1])
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")


class Linear(Module):
    """y = x Wᵀ + b, weight (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, generator: Any = None, rng: Any = None):
        super().__init__()
        source = generator if generator is not None else rng
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=_dtype(dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=source)
        if bias:
            self.bias = Parameter(np.zeros(out_features), dtype=_dtype(dtype))
            init.default_bias_(self.bias, in_features, generator=source)
        else:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 1 or input.shape[-1] != self.in_features:
            raise ValueError(f"{_label(self)}: input of shape {input.shape}; expected (N, "
                             f"{self.in_features}) (flatten the maps first: C·H·W must equal "
                             f"{self.in_features})")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        no_bias = ", bias=False" if self.bias is None else ""
        return f"{self.in_features}, {self.out_features}{no_bias}"


class Identity(Module):
    """y = x (any constructor arguments are ignored, as PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


# -- pooling ------------------------------------------------------------------------------------
class _Pool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}"
        if self.stride != self.kernel_size:
            s += f", stride={self.stride}"
        return s + (f", padding={self.padding}" if self.padding != (0, 0) else "")


class MaxPool2d(_Pool):
    """out = max of each window (return_indices: also PyTorch's flat plane indices)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = pair("MaxPool2d", "dilation", dilation, 1)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool2d(_Pool):
    """out = mean of each window (DeepLearnToolbox's parameter-free mean subsampling)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool2d(Module):
    """Mean over PyTorch's adaptive bins, to a fixed output size."""

    def __init__(self, output_size: Any):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Maximum over PyTorch's adaptive bins, to a fixed output size."""

    def __init__(self, output_size: Any, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxUnpool2d(_Pool):
    """The partial inverse of MaxPool2d: forward(input, indices, output_size=None)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__(kernel_size, stride, padding)

    def forward(self, input: Tensor, indices: Any, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class Subsample(Module):
    """Bouvrie (2006), "Notes on Convolutional Neural Networks": a = β·(sum of each k×k block) + b,
    one trainable β and b per map. β starts at 1/k² and b at 0, so an untrained layer is mean pooling.
    """

    def __init__(self, channels: int, kernel_size: Any = 2):
        super().__init__()
        self.channels, self.kernel_size = channels, pair("Subsample", "kernel_size", kernel_size, 1)
        self.beta = Parameter(np.full(channels, 1.0 / (self.kernel_size[0] * self.kernel_size[1])))
        self.bias = Parameter(np.zeros(channels))

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4 or input.shape[1] != self.channels:
            raise ValueError(f"{_label(self)}: input of shape {input.shape}; expected "
                             f"(N, {self.channels}, H, W)")
        return F.subsample(input, self.beta, self.bias, self.kernel_size)

    def extra_repr(self) -> str:
        return f"{self.channels}, kernel_size={self.kernel_size}"


# -- normalisation and dropout ------------------------------------------------------------------
class _BatchNorm(Module):
    """Per-channel normalisation with learned γ (weight), β (bias) and running statistics."""

    dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features), dtype=_dtype(dtype))
            self.bias = Parameter(np.zeros(num_features), dtype=_dtype(dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=_dtype(dtype))))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=_dtype(dtype))))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.dims or input.shape[1] != self.num_features:
            shapes = " or ".join(f"(N, {self.num_features}{', L' * (d - 2)})" if d < 4 else
                                 f"(N, {self.num_features}, H, W)" for d in self.dims)
            raise ValueError(f"{_label(self)}: input of shape {input.shape}; expected {shapes}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:      # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L)."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W), per channel over N·H·W."""

    dims = (4,)


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1−p);
    the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """In training, zero whole channels with probability p (scaling the rest by 1/(1−p))."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class MaxPool1d(Module):
    """out = max of each window along L of (N, C, L)."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 dilation: int = 1, return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """out = mean of each window along L of (N, C, L)."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# -- activations --------------------------------------------------------------------------------
class ReLU(Module):
    """max(0, x)"""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class LeakyReLU(Module):
    """x for x > 0, negative_slope·x otherwise"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ReLU6(Module):
    """min(max(x, 0), 6)"""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu6(input)


class Hardtanh(Module):
    """x clipped to [min_val, max_val]"""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)


class ELU(Module):
    """x for x > 0, α(eˣ − 1) otherwise"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)


class Softplus(Module):
    """(1/β) log(1 + e^(βx)), linear above the threshold"""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)


class LogSigmoid(Module):
    """log σ(x)"""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class SiLU(Module):
    """x · σ(x)"""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class Sigmoid(Module):
    """1 / (1 + e^(−x))"""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x)"""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softmax(Module):
    """exp(x) / Σ exp(x) along `dim`"""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x − log Σ exp(x) along `dim`"""

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


# -- losses -------------------------------------------------------------------------------------
class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._reduction(type(self).__name__, reduction, size_average, reduce)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else Tensor(getattr(weight, "data", weight)))


class CrossEntropyLoss(_WeightedLoss):
    """F.cross_entropy as a module: class-index or probability targets, (N, C, d…) logits."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """F.nll_loss as a module (input: log-probabilities)."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """(input − target)², reduced."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|input − target|, reduced."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid and binary cross-entropy, fused (stable for any logit)."""

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None else
                             Tensor(getattr(pos_weight, "data", pos_weight)))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


# -- shape and containers -----------------------------------------------------------------------
class Flatten(Module):
    """Merge the dims start_dim … end_dim into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (the inverse of Flatten)."""

    def __init__(self, dim: int, unflattened_size: Iterable[int]):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim % input.ndim
        sizes = list(self.unflattened_size)
        if -1 in sizes:
            known = math.prod(s for s in sizes if s != -1)
            sizes[sizes.index(-1)] = input.shape[dim] // max(known, 1)
        if math.prod(sizes) != input.shape[dim]:
            raise ValueError(f"{_label(self)}: sizes {self.unflattened_size} do not multiply to "
                             f"{input.shape[dim]}, the size of dim {self.dim} of input {input.shape}")
        return input.reshape(*input.shape[:dim], *sizes, *input.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _Container(Module):
    """Modules registered under the names '0', '1', …"""

    def _check(self, i: int, item: Any) -> Module:
        if not isinstance(item, Module):
            raise TypeError(f"{type(self).__name__}: item {i} is a {type(item).__name__}, expected a Module")
        return item

    def _items(self) -> list[Module]:
        return [m for m in self._modules.values() if m is not None]

    def _index(self, index: int) -> int:
        n = len(self._modules)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {n} modules")
        return index % n

    def _reset(self, modules: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, str(self._index(index)), self._check(index, module))

    def __delitem__(self, index: int | slice) -> None:
        items = self._items()
        del items[index]
        self._reset(items)

    def append(self, module: Module) -> _Container:
        setattr(self, str(len(self._modules)), self._check(len(self._modules), module))
        return self

    def extend(self, modules: Iterable[Module]) -> _Container:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = self._items()
        items.insert(index, self._check(index, module))
        self._reset(items)


class Sequential(_Container):
    """Layers applied in order; layer i is registered under the name str(i)."""

    def __init__(self, *args: Module):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, layer in args[0].items():
                self.add_module(name, self._check(0, layer))
            return
        for i, layer in enumerate(args):
            setattr(self, str(i), self._check(i, layer))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._items()[index])
        return self._items()[self._index(index)]

    def forward(self, input: Any) -> Any:
        for layer in self._items():
            input = layer(input)
        return input


class ModuleList(_Container):
    """A list of modules that registers them (their parameters belong to the owner)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._items()[index])
        return self._items()[self._index(index)]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        self.extend(modules)
        return self
