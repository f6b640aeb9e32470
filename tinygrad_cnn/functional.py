"""The functional API, PyTorch's names, keywords and defaults: `import tinygrad_cnn.functional as F`
(also `import tinygrad_cnn.nn.functional as F`, the same functions).

This is the layer that checks arguments: each function validates its input (naming the op, the
shapes and what was expected), normalises keywords to the op's attributes and then calls one op,
whose forward/backward are the formulas only. stride / padding / kernel_size / dilation take an
int or an (h, w) pair; layout is NCHW; a conv weight is (out_channels, in_channels/groups, kH, kW).
Unbatched inputs (C, H, W) are accepted where PyTorch accepts them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import ops, random
from .ops import checks
from .tensor import Tensor, where

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
           "avg_pool2d", "max_unpool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "subsample",
           "pad", "dropout", "dropout2d", "one_hot", "linear", "relu", "leaky_relu", "relu6",
           "hardtanh", "elu", "softplus", "logsigmoid", "silu", "sigmoid", "tanh", "softmax",
           "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "squared_error",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "batch_norm"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _with_optional(*tensors: Any) -> tuple:
    """Drop a trailing None (an absent bias)."""
    return tuple(t for t in tensors if t is not None)


def _data(t: Any) -> Any:
    return None if t is None else (t.data if isinstance(t, Tensor) else np.asarray(t))


def _batched(op: str, x: Any, dims: int) -> tuple[Tensor, bool]:
    """(x with a batch axis, whether one was added): an unbatched (C, H, W) input gets N = 1."""
    x = _tensor(x)
    if x.ndim == dims - 1:
        return x.reshape(1, *x.shape), True
    if x.ndim != dims:
        names = "(N, C, H, W)" if dims == 4 else "(N, C, L)"
        raise ValueError(f"{op}: expected input of shape {names}, got {x.shape} (or an "
                         f"unbatched {'(C, H, W)' if dims == 4 else '(C, L)'})")
    return x, False


def _unbatch(out: Tensor, unbatched: bool) -> Tensor:
    return out.reshape(*out.shape[1:]) if unbatched else out


# -- convolution --------------------------------------------------------------------------------
def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """net = b + W ⋆ x_p: cross-correlation of the zero-padded input with each filter.

    padding: an int, an (h, w) pair, 'valid' (0) or 'same' (output size = input size; stride 1
    only; an odd total padding puts the extra row/column at the bottom/right, as PyTorch).
    """
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups)


def _conv2d(op: str, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,
            dilation: Any, groups: Any) -> Tensor:
    """conv2d, its errors naming `op` (conv1d runs through here too)."""
    x, unbatched = _batched(op, input, 4)
    weight = _tensor(weight)
    if isinstance(padding, str):
        x, padding = _string_padding(op, x, weight, padding, stride, dilation)
    attrs = checks.check_conv(op, x.data, weight.data, _data(bias), stride, padding, dilation, groups)
    return _unbatch(ops.Conv2d.apply(*_with_optional(x, weight, bias), **attrs), unbatched)


def _string_padding(op: str, x: Tensor, weight: Tensor, padding: str, stride: Any,
                    dilation: Any) -> tuple[Tensor, tuple[int, int]]:
    """'valid' → 0; 'same' → the symmetric part as conv padding, the odd remainder padded first."""
    if padding == "valid":
        return x, (0, 0)
    if padding != "same":
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected weight of shape (out_channels, in_channels/groups, kH, kW), "
                         f"got {weight.shape}")
    (top, bottom), (left, right) = checks.same_padding(op, weight.shape[2:], stride, dilation)
    if bottom != top or right != left:
        x = pad(x, (0, right - left, 0, bottom - top))
    return x, (top, left)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, computed as conv2d on a unit-height axis: (N, C, L) → (N, C, 1, L),
    weight (O, C/groups, k) → (O, C/groups, 1, k); so its VJP is conv2d's."""
    x, unbatched = _batched("conv1d", input, 3)
    weight = _tensor(weight)
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected weight of shape (out_channels, in_channels/groups, k), "
                         f"got {weight.shape}")

    def one(v: Any, name: str) -> Any:
        if isinstance(v, str):
            return v
        if isinstance(v, (tuple, list)) and len(v) == 1:
            v = v[0]
        if not isinstance(v, (int, np.integer)):
            raise TypeError(f"conv1d: {name} must be an int, got {v!r}")
        return v

    s, p, d = one(stride, "stride"), one(padding, "padding"), one(dilation, "dilation")
    out = _conv2d("conv1d", x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]),
                  weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2]), bias,
                  (1, s), p if isinstance(p, str) else (0, p), (1, d), groups)
    return _unbatch(out.reshape(out.shape[0], out.shape[1], out.shape[3]), unbatched)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d (weight (in_channels, out_channels/groups, kH, kW)): conv2d's δx
    with x's role played by this input. H_out = (H−1)S − 2P + d(k−1) + output_padding + 1."""
    x, unbatched = _batched("conv_transpose2d", input, 4)
    weight = _tensor(weight)
    attrs = checks.check_conv_transpose("conv_transpose2d", x.data, weight.data, _data(bias),
                                        stride, padding, output_padding, groups, dilation)
    return _unbatch(ops.ConvTranspose2d.apply(*_with_optional(x, weight, bias), **attrs), unbatched)


# -- pooling ------------------------------------------------------------------------------------
def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum of each window (stride defaults to kernel_size; padding never wins: −∞, or the
    dtype's minimum for integers). return_indices: also the flat index into each H·W plane."""
    x, unbatched = _batched("max_pool2d", input, 4)
    attrs = checks.check_pool("max_pool2d", x.data, kernel_size, stride, padding, dilation, ceil_mode)
    out = _unbatch(ops.MaxPool2d.apply(x, **attrs), unbatched)
    if not return_indices:
        return out
    _, argmax, _ = ops.pool.window_max(x.data, **attrs)
    geometry = {k: attrs[k] for k in ("kernel_size", "stride", "padding", "dilation")}
    indices = Tensor(ops.pool.plane_indices(argmax, x.shape[3], **geometry))
    return out, _unbatch(indices, unbatched)


def _as_2d(op: str, input: Any) -> tuple[Tensor, bool]:
    """A (N, C, L) or (C, L) input as (N, C, 1, L) for the 2-D pooling ops; whether unbatched."""
    x, unbatched = _batched(op, input, 3)
    return x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]), unbatched


def _one(op: str, name: str, v: Any) -> Any:
    """A 1-D size: an int or a 1-tuple."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
        raise TypeError(f"{op}: {name} must be an int, got {v!r}")
    return v


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """max_pool2d on a unit-height axis: (N, C, L) → (N, C, 1, L); indices index L."""
    x, unbatched = _as_2d("max_pool1d", input)
    k, s = _one("max_pool1d", "kernel_size", kernel_size), _one("max_pool1d", "stride", stride)
    out = max_pool2d(x, (1, k), (1, k if s is None else s), (0, _one("max_pool1d", "padding", padding)),
                     (1, _one("max_pool1d", "dilation", dilation)), ceil_mode, return_indices)
    def squeeze(o: Tensor) -> Tensor:
        return _unbatch(o.reshape(o.shape[0], o.shape[1], o.shape[3]), unbatched)

    return (squeeze(out[0]), squeeze(out[1])) if isinstance(out, tuple) else squeeze(out)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """avg_pool2d on a unit-height axis: (N, C, L) → (N, C, 1, L)."""
    x, unbatched = _as_2d("avg_pool1d", input)
    k, s = _one("avg_pool1d", "kernel_size", kernel_size), _one("avg_pool1d", "stride", stride)
    out = avg_pool2d(x, (1, k), (1, k if s is None else s), (0, _one("avg_pool1d", "padding", padding)),
                     ceil_mode, count_include_pad)
    return _unbatch(out.reshape(out.shape[0], out.shape[1], out.shape[3]), unbatched)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean of each window (stride defaults to kernel_size; padding counts as zeros and, with
    count_include_pad, in the divisor; divisor_override replaces the divisor)."""
    x, unbatched = _batched("avg_pool2d", input, 4)
    attrs = checks.check_pool("avg_pool2d", x.data, kernel_size, stride, padding, 1, ceil_mode)
    del attrs["dilation"]
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override == 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}")
    return _unbatch(ops.AvgPool2d.apply(x, count_include_pad=bool(count_include_pad),
                                        divisor_override=divisor_override, **attrs), unbatched)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive bins: output row i averages input rows ⌊iH/H_out⌋ … ⌈(i+1)H/H_out⌉−1.
    output_size: an int, or an (h, w) pair where None keeps the input's size."""
    x, unbatched = _batched("adaptive_avg_pool2d", input, 4)
    size = _adaptive_size("adaptive_avg_pool2d", x, output_size)
    return _unbatch(ops.AdaptiveAvgPool2d.apply(x, output_size=size), unbatched)


def adaptive_max_pool2d(input: Any, output_size: Any,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over PyTorch's adaptive bins (see adaptive_avg_pool2d); return_indices: also the
    flat index into each H·W input plane."""
    x, unbatched = _batched("adaptive_max_pool2d", input, 4)
    size = _adaptive_size("adaptive_max_pool2d", x, output_size)
    out = _unbatch(ops.AdaptiveMaxPool2d.apply(x, output_size=size), unbatched)
    if not return_indices:
        return out
    return out, _unbatch(Tensor(ops.pool.bin_max(x.data, size)[1].astype(np.int64)), unbatched)


def _adaptive_size(op: str, x: Tensor, output_size: Any) -> tuple[int, int]:
    size = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else output_size
    if len(size) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    return checks.pair(op, "output_size", tuple(n if o is None else o for o, n in zip(size, x.shape[2:])), 1)


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """The partial inverse of max_pool2d: each value goes back to the position its index names
    (a flat index into the output's H·W plane), zeros elsewhere."""
    x, unbatched = _batched("max_unpool2d", input, 4)
    idx = _data(indices)
    idx = idx.reshape(x.shape) if unbatched and idx.ndim == 3 else idx
    size = checks.check_unpool(x.data, idx, kernel_size, stride, padding, output_size)
    return _unbatch(ops.MaxUnpool2d.apply(x, idx, output_size=size), unbatched)


def subsample(input: Any, beta: Any, bias: Any, kernel_size: Any = 2) -> Tensor:
    """Bouvrie's trainable subsampling: β·(sum over each k×k block) + b, per map."""
    x = _tensor(input)
    k = checks.check_subsample(x.data, _data(beta), _data(bias), kernel_size)
    return ops.Subsample.apply(x, beta, bias, kernel_size=k)


# -- padding and dropout ------------------------------------------------------------------------
PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)/2 dimensions: pad = (last_before, last_after, 2nd_last_before, …).

    'constant' fills with `value` (0 by default; negative widths crop); 'reflect', 'replicate'
    and 'circular' copy the border from the input (at most the last 3 dimensions, as PyTorch).
    """
    x = _tensor(input)
    widths = _pad_widths(x, pad, mode)
    if mode == "constant":
        return ops.ConstantPad.apply(x, widths=widths, value=0.0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: value={value!r} is only meaningful with mode='constant', not {mode!r}")
    return ops.IndexPad.apply(x, widths=widths[x.ndim - len(pad) // 2:], mode=PAD_MODES[mode])


def _pad_widths(x: Tensor, pad: Any, mode: str) -> tuple[tuple[int, int], ...]:
    """(before, after) for every dimension of x, checked against PyTorch's rules."""
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise ValueError(f"pad: pad {pad} must be an even number of ints, at most 2 per dimension "
                         f"of the input {x.shape}")
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in reversed(range(k))]
    if mode == "constant":
        if any(n + b + a < 0 for n, (b, a) in zip(x.shape, widths)):
            raise ValueError(f"pad: pad {pad} crops more than the input {x.shape} has")
        return tuple(widths)
    if mode not in PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' "
                         f"or 'circular'")
    if k > 3 or x.ndim not in (k + 1, k + 2):
        raise ValueError(f"pad: mode {mode!r} pads 1 to 3 trailing dimensions of a batched or "
                         f"unbatched input; got pad {pad} for input {x.shape}")
    for n, (b, a) in zip(x.shape[x.ndim - k:], widths[x.ndim - k:]):
        limit = n - 1 if mode == "reflect" else (0 if mode == "replicate" else n)
        if min(b, a) < 0 or (mode != "replicate" and max(b, a) > limit):
            raise ValueError(f"pad: mode {mode!r} needs 0 <= padding <= {limit} for a dimension of "
                             f"size {n}; got pad {pad} for input {x.shape}")
        if mode == "replicate" and n == 0:
            raise ValueError(f"pad: mode 'replicate' cannot pad an empty dimension of {x.shape}")
    return tuple(widths)


def _generator(generator: Any) -> np.random.Generator:
    """The random source: `generator` (a tinygrad_cnn.Generator or a numpy Generator), else the
    package's default one (reseeded by tinygrad_cnn.manual_seed)."""
    if isinstance(generator, np.random.Generator):
        return generator
    return random.rng(generator)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: Any = None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1−p) (identity unless
    training). The mask is drawn from `generator` or the package's random generator."""
    x = _tensor(input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    keep = _generator(generator).random(x.shape) >= p
    scale = np.zeros((), x.dtype) if p == 1.0 else np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    out = ops.Dropout.apply(x, mask=keep * scale)
    if inplace:
        x.data[...] = out.data
    return out


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Any = None) -> Tensor:
    """Zero whole channels: each map x[n, c] is dropped with probability p (the rest scaled by
    1/(1−p)); input (N, C, H, W) or unbatched (C, H, W)."""
    x = _tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    keep = _generator(generator).random(x.shape[:-2] + (1, 1)) >= p
    scale = np.zeros((), x.dtype) if p == 1.0 else np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    out = ops.Dropout.apply(x, mask=keep * scale)
    if inplace:
        x.data[...] = out.data
    return out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (any shape) → int64 one-hot vectors along a new last axis
    (num_classes=-1: one more than the largest index). Not differentiable."""
    t = _data(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got dtype {t.dtype}")
    classes = int(t.max()) + 1 if num_classes == -1 and t.size else max(num_classes, 0)
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise TargetError(f"one_hot: class values must be in 0..{classes - 1}, got "
                          f"{int(t.min())}..{int(t.max())} (shape {t.shape})")
    return Tensor(np.eye(classes, dtype=np.int64)[t])


# -- linear and activations ---------------------------------------------------------------------
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """y = x Wᵀ + b, weight of shape (out_features, in_features)."""
    return ops.Linear.apply(*_with_optional(input, weight, bias))


def relu(input: Any, inplace: bool = False) -> Tensor:
    return ops.ReLU.apply(input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return ops.LeakyReLU.apply(input, negative_slope=float(negative_slope))


def sigmoid(input: Any) -> Tensor:
    return ops.Sigmoid.apply(input)


def tanh(input: Any) -> Tensor:
    return ops.Tanh.apply(input)


# Composite activations: built from the primitive ops (clamp, where, exp, log, abs, sigmoid,
# mul), so their VJPs follow from those ops' formulas.
def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (composite: clamp)."""
    return _tensor(input).clamp(0.0, 6.0)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] (composite: clamp)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not be greater than max_val {max_val}")
    return _tensor(input).clamp(min_val, max_val)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(eˣ − 1) otherwise, as relu(x) + α(exp(min(x, 0)) − 1) (composite: no
    comparison, so the formula is one graph for every input, and exp never overflows)."""
    x = _tensor(input)
    return x.relu() + (x.clamp(max=0.0).exp() - 1.0) * alpha


_SOFTPLUS_EXACT_THRESHOLD = 17.0  # e^(−17) is below float32 rounding of x


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), and x itself where βx > threshold, as PyTorch (composite).

    The smooth part is the stable (max(z, 0) + log(1 + e^(−|z|)))/β, z = βx, with max(z, 0)
    written (z + |z|)/2 so that the VJP at 0 is σ(0) = ½. Past a threshold of 17 or more the
    smooth part differs from x by less than e^(−17)/β, below float32 rounding, so the switch
    to x is left out and no comparison enters the graph (one formula for every input, which
    an ONNX export needs); a smaller threshold switches with `where`, exactly as PyTorch.
    """
    x = _tensor(input)
    z = x * beta
    smooth = ((z + z.abs()) * 0.5 + ((-z.abs()).exp() + 1.0).log()) / beta
    return smooth if threshold >= _SOFTPLUS_EXACT_THRESHOLD else where(z > threshold, x, smooth)


def logsigmoid(input: Any) -> Tensor:
    """log σ(x) = −softplus(−x) (composite)."""
    return -softplus(-_tensor(input))


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x · σ(x) (composite: mul, sigmoid)."""
    x = _tensor(input)
    return x * x.sigmoid()


def _dim(op: str, x: Tensor, dim: Any, axis: Any) -> int:
    """dim (axis accepted as an alias); None means the implicit dim PyTorch picks (1, or 0 for 0/1/3-D)."""
    dim = axis if dim is None else dim
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {x.ndim} dimensions "
                         f"(shape {x.shape})")
    return dim % max(x.ndim, 1)


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int | None = None) -> Tensor:
    x = _tensor(input) if dtype is None else _tensor(input).astype(dtype)
    return ops.Softmax.apply(x, axis=_dim("softmax", x, dim, axis))


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int | None = None) -> Tensor:
    x = _tensor(input) if dtype is None else _tensor(input).astype(dtype)
    return ops.LogSoftmax.apply(x, axis=_dim("log_softmax", x, dim, axis))



# -- losses -------------------------------------------------------------------------------------
REDUCTIONS = ("none", "mean", "sum")


class TargetError(IndexError, ValueError):
    """A class index outside 0..C−1 (an IndexError, as PyTorch, and a ValueError)."""


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    """`reduction`, or PyTorch's deprecated size_average/reduce pair translated into it."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected one "
                         f"of {REDUCTIONS}")
    return reduction


def _as_target(target: Any, like: Tensor) -> Tensor:
    """A Tensor target as given; an array or a number as a constant (floats in the input's dtype)."""
    if isinstance(target, Tensor):
        return target
    arr = np.asarray(target)
    return Tensor(arr.astype(like.dtype) if arr.dtype.kind == "f" or arr.dtype == bool else arr)


def _class_weight(op: str, weight: Any, classes: int, x: Tensor) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(_data(weight), dtype=x.dtype)
    if w.shape != (classes,):
        raise checks.ShapeError(f"{op}: weight of shape {w.shape} for input {x.shape}; expected "
                                f"one weight per class, ({classes},)")
    return w


def _check_class_target(op: str, x: Tensor, target: Tensor, ignore_index: int) -> None:
    """Integer class indices of shape (N, d…) for an input (N, C, d…), each in 0..C−1 or ignored."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integers, got dtype {target.dtype} (shape "
                        f"{target.shape}); a floating-point target must be class probabilities of "
                        f"the input's shape {x.shape}")
    expected = x.shape[:1] + x.shape[2:]
    if target.shape != expected:
        raise checks.ShapeError(f"{op}: labels of shape {target.shape} do not match logits {x.shape}; "
                                f"expected {expected}, one class index per row")
    t, classes = target.data, x.shape[1]
    bad = t[((t < 0) | (t >= classes)) & (t != ignore_index)]
    if bad.size:
        raise TargetError(f"{op}: label {bad[0]} is out of range for logits {x.shape}; expected "
                          f"0..{classes - 1} (or ignore_index={ignore_index})")


def _class_input(op: str, input: Any, target: Any) -> tuple[Tensor, Tensor, bool]:
    """(input, target, unbatched): an unbatched (C,) input gets N = 1."""
    x = _tensor(input)
    t = _as_target(target, x)
    if x.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (N, C) or (N, C, d1, ...), got a 0-d tensor")
    if x.ndim == 1:
        return x.reshape(1, *x.shape), t.reshape(1, *t.shape), True
    return x, t, False


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax and cross-entropy, fused: logits (N, C) or (N, C, d1, …) and a target of class
    indices (N, d1, …) or of class probabilities (the logits' shape). weight: one per class;
    targets equal to ignore_index add nothing (and 'mean' divides by the total weight of the
    others); label_smoothing ε mixes the target with the uniform distribution: (1−ε)·t + ε/C."""
    op = "cross_entropy"
    x, t, unbatched = _class_input(op, input, target)
    red = _reduction(op, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if t.dtype.kind == "f":
        if t.shape != x.shape:
            _check_class_target(op, x, t, ignore_index)   # explains the expected label shape
    else:
        _check_class_target(op, x, t, ignore_index)
    w = _class_weight(op, weight, x.shape[1], x)
    out = ops.CrossEntropy.apply(x, t, weight=w, ignore_index=int(ignore_index), reduction=red,
                                 label_smoothing=float(label_smoothing))
    return out.reshape(()) if unbatched and red == "none" else out


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: −w[t]·input[n, t] for log-probabilities input (N, C, d…) and
    class indices (N, d…); 'mean' divides by the total weight of the non-ignored targets."""
    op = "nll_loss"
    x, t, unbatched = _class_input(op, input, target)
    red = _reduction(op, reduction, size_average, reduce)
    _check_class_target(op, x, t, ignore_index)
    w = _class_weight(op, weight, x.shape[1], x)
    out = ops.NLLLoss.apply(x, t, weight=w, ignore_index=int(ignore_index), reduction=red)
    return out.reshape(()) if unbatched and red == "none" else out


def _same_shape(op: str, x: Tensor, t: Tensor) -> None:
    if x.shape != t.shape:
        raise checks.ShapeError(f"{op}: prediction shape {x.shape} and target shape {t.shape} "
                                "differ; expected equal shapes (no broadcasting)")


def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """(input − target)², reduced; PyTorch's mean over every element by default. Shapes must match."""
    x = _tensor(input)
    t = _as_target(target, x)
    _same_shape("mse_loss", x, t)
    return ops.MSELoss.apply(x, t, reduction=_reduction("mse_loss", reduction, size_average, reduce))


def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """|input − target|, reduced (mean by default). Shapes must match."""
    x = _tensor(input)
    t = _as_target(target, x)
    _same_shape("l1_loss", x, t)
    return ops.L1Loss.apply(x, t, reduction=_reduction("l1_loss", reduction, size_average, reduce))


def squared_error(input: Any, target: Any) -> Tensor:
    """E = ½ Σ (y − t)² / N, N the batch size: the error of R. B. Palm's MATLAB DeepLearnToolbox
    CNN (its cnnbp starts from δ = (y − t) / N). Shapes must match."""
    x = _tensor(input)
    t = _as_target(target, x)
    _same_shape("squared_error", x, t)
    return ops.SquaredError.apply(x, t)


def _elementwise_weight(op: str, name: str, weight: Any, x: Tensor) -> np.ndarray | None:
    """A weight that broadcasts to the input's shape (without growing it)."""
    if weight is None:
        return None
    w = np.asarray(_data(weight), dtype=x.dtype)
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise checks.ShapeError(f"{op}: {name} of shape {w.shape} does not broadcast to the input "
                                f"{x.shape}")
    return w


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """−w (t log y + (1 − t) log(1 − y)) for probabilities y in [0, 1] (logs clamped at −100)."""
    op = "binary_cross_entropy"
    x = _tensor(input)
    t = _as_target(target, x)
    _same_shape(op, x, t)
    if x.data.size and (x.data.min() < 0 or x.data.max() > 1):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1 (input {x.shape} "
                         f"ranges {x.data.min()}..{x.data.max()}); for logits use "
                         "binary_cross_entropy_with_logits")
    return ops.BinaryCrossEntropy.apply(x, t, weight=_elementwise_weight(op, "weight", weight, x),
                                        reduction=_reduction(op, reduction, size_average, reduce))


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid and binary cross-entropy, fused and stable for any logit x:
    w ((1 − t) x + (1 + (pos_weight − 1) t) log(1 + e^(−x))); pos_weight weighs the positives
    (one per class, broadcast along the last dimension)."""
    op = "binary_cross_entropy_with_logits"
    x = _tensor(input)
    t = _as_target(target, x)
    _same_shape(op, x, t)
    return ops.BinaryCrossEntropyWithLogits.apply(
        x, t, weight=_elementwise_weight(op, "weight", weight, x),
        pos_weight=_elementwise_weight(op, "pos_weight", pos_weight, x),
        reduction=_reduction(op, reduction, size_average, reduce))


# -- normalisation ------------------------------------------------------------------------------
def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of (N, C) or (N, C, d…) to zero mean and unit variance,
    then scale by weight γ and shift by bias β. training: use the batch's statistics and move
    running_mean/running_var (updated in place, if given) towards them by `momentum`; otherwise
    use the running statistics."""
    op = "batch_norm"
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C) or (N, C, d1, ...), got {x.shape}")
    channels = x.shape[1]
    stats = [None if s is None else (s.data if isinstance(s, Tensor) else s)
             for s in (running_mean, running_var)]
    for name, s in zip(("running_mean", "running_var"), stats):
        if s is not None and (not isinstance(s, np.ndarray) or s.shape != (channels,)):
            raise checks.ShapeError(f"{op}: {name} of shape {np.shape(s)} for input {x.shape}; "
                                    f"expected an array of shape ({channels},)")
    if (stats[0] is None) != (stats[1] is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    if not training and stats[0] is None:
        raise ValueError(f"{op}: running_mean and running_var are needed when training=False")
    if training and x.data.size // max(channels, 1) <= 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got input "
                         f"of shape {x.shape}")
    params = []
    for name, p, fill in (("weight", weight, 1.0), ("bias", bias, 0.0)):
        p = Tensor(np.full(channels, fill, dtype=x.dtype)) if p is None else _tensor(p)
        if p.shape != (channels,):
            raise checks.ShapeError(f"{op}: {name} of shape {p.shape} for input {x.shape}; "
                                    f"expected ({channels},)")
        params.append(p)
    return ops.BatchNorm.apply(x, *params, running_mean=stats[0], running_var=stats[1],
                               training=bool(training), momentum=float(momentum), eps=float(eps))
