"""Argument checks of the conv and pooling ops, kept out of the ops so that each op reads as its
formula. The functional layer calls one `check_*` per op before `Op.apply`; every error names
the op, the shapes and what was expected. Shapes that do not fit raise `ShapeError` (a
RuntimeError, as PyTorch, and a ValueError); bad options raise ValueError or TypeError, bad
unpooling indices `ArgumentError` (a RuntimeError, as PyTorch, and a ValueError)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import ArgumentError, ShapeError


def pair(op: str, name: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair as (h, w), each at least `minimum`."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value                                    # already a valid pair: the usual case
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        h, w = value, value
    elif isinstance(value, (tuple, list)) and len(value) in (1, 2):
        h, w = (value[0], value[0]) if len(value) == 1 else value
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (h, w)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if h < minimum or w < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(h), int(w)


def check_nchw(op: str, x: np.ndarray, what: str = "input") -> None:
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected {what} of shape (N, C, H, W), got {x.shape}")


def output_size(op: str, x_shape: tuple[int, ...], kernel: tuple[int, int],
                stride: tuple[int, int], padding: tuple[int, int],
                dilation: tuple[int, int] = (1, 1), ceil_mode: bool = False) -> tuple[int, int]:
    """H_out = floor((H + 2P − d(k−1) − 1) / S) + 1 (ceil with `ceil_mode`, as PyTorch: the last
    window must start inside the input or its left padding), for both spatial axes."""
    sizes = []
    for n, k, s, p, d in zip(x_shape[2:], kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if n + 2 * p < span:
            padded = tuple(m + 2 * q for m, q in zip(x_shape[2:], padding))
            raise ShapeError(f"{op}: kernel {kernel} (dilation {dilation}, span {span}) is larger "
                             f"than the padded input {padded} of input shape {x_shape} with "
                             f"padding {padding}")
        size = (n + 2 * p - span + ((s - 1) if ceil_mode else 0)) // s + 1
        if ceil_mode and (size - 1) * s >= n + p:
            size -= 1
        sizes.append(size)
    return sizes[0], sizes[1]


def check_bias(op: str, bias: np.ndarray | None, channels: int, weight_shape: tuple) -> None:
    if bias is not None and bias.shape != (channels,):
        raise ShapeError(f"{op}: bias of shape {bias.shape} does not match weight "
                         f"{weight_shape}; expected ({channels},)")


def check_conv(op: str, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Any,
               padding: Any, dilation: Any, groups: Any) -> dict[str, Any]:
    """conv2d's arguments → the op's attributes {stride, padding, dilation, groups} as pairs."""
    check_nchw(op, x)
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected weight of shape (out_channels, in_channels, kH, kW), "
                         f"got {weight.shape} (weight[1] is in_channels / groups)")
    g = _groups(op, groups)
    out_ch, in_per_group = weight.shape[:2]
    if x.shape[1] != in_per_group * g:
        raise ShapeError(f"{op}: input {x.shape} has {x.shape[1]} channels but weight "
                         f"{weight.shape} expects {in_per_group * g} (weight[1] = in_channels / "
                         f"groups = {in_per_group}, groups={g})")
    if out_ch % g:
        raise ShapeError(f"{op}: weight {weight.shape} has {out_ch} output channels, not divisible "
                         f"by groups={g}")
    check_bias(op, bias, out_ch, weight.shape)
    s, d = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    p = pair(op, "padding", padding, 0)
    output_size(op, x.shape, weight.shape[2:], s, p, d)
    return dict(stride=s, padding=p, dilation=d, groups=g)


def same_padding(op: str, kernel: tuple[int, ...], stride: Any, dilation: Any) -> list[tuple[int, int]]:
    """padding='same' as PyTorch: total d(k−1) per axis, the odd one extra at the end; stride 1 only."""
    if pair(op, "stride", stride, 1) != (1, 1):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride!r}); use stride=1 or an explicit padding")
    d = pair(op, "dilation", dilation, 1)
    totals = [di * (k - 1) for di, k in zip(d, kernel)]
    return [(t // 2, t - t // 2) for t in totals]


def check_conv_transpose(op: str, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                         stride: Any, padding: Any, output_padding: Any, groups: Any,
                         dilation: Any) -> dict[str, Any]:
    """conv_transpose2d's arguments → attributes; weight is (in_channels, out_channels/groups, kH, kW)."""
    check_nchw(op, x)
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected weight of shape (in_channels, out_channels/groups, kH, kW), "
                         f"got {weight.shape}")
    g = _groups(op, groups)
    if x.shape[1] != weight.shape[0] or weight.shape[0] % g:
        raise ShapeError(f"{op}: input {x.shape} has {x.shape[1]} channels but weight "
                         f"{weight.shape} expects {weight.shape[0]} (weight[0] = in_channels, "
                         f"divisible by groups={g})")
    check_bias(op, bias, weight.shape[1] * g, weight.shape)
    s, d = pair(op, "stride", stride, 1), pair(op, "dilation", dilation, 1)
    p, op_ = pair(op, "padding", padding, 0), pair(op, "output_padding", output_padding, 0)
    if any(o >= max(si, di) for o, si, di in zip(op_, s, d)):
        raise ValueError(f"{op}: output_padding {op_} must be smaller than either stride {s} or "
                         f"dilation {d}")
    size = tuple((n - 1) * si - 2 * pi + di * (k - 1) + oi + 1 for n, si, pi, di, k, oi
                 in zip(x.shape[2:], s, p, d, weight.shape[2:], op_))
    if min(size) < 1:
        raise ValueError(f"{op}: input {x.shape} with weight {weight.shape}, stride {s}, padding "
                         f"{p}, dilation {d} gives output size {size}; expected at least 1")
    return dict(stride=s, padding=p, output_padding=op_, dilation=d, groups=g)


def _groups(op: str, groups: Any) -> int:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def check_pool(op: str, x: np.ndarray, kernel_size: Any, stride: Any, padding: Any,
               dilation: Any = 1, ceil_mode: bool = False) -> dict[str, Any]:
    """Pooling arguments → {kernel_size, stride, padding, dilation, ceil_mode, extra}; `extra`
    is the padding beyond P that ceil_mode's last window needs at the bottom/right."""
    check_nchw(op, x)
    k = pair(op, "kernel_size", kernel_size, 1)
    s = pair(op, "stride", k if stride is None or stride == [] or stride == () else stride, 1)
    p, d = pair(op, "padding", padding, 0), pair(op, "dilation", dilation, 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    out = output_size(op, x.shape, k, s, p, d, bool(ceil_mode))
    extra = tuple(max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi)) for o, si, di, ki, n, pi
                  in zip(out, s, d, k, x.shape[2:], p))
    return dict(kernel_size=k, stride=s, padding=p, dilation=d, extra=extra)


def check_subsample(x: np.ndarray, beta: np.ndarray, bias: np.ndarray, kernel_size: Any) -> tuple[int, int]:
    k = check_pool("subsample", x, kernel_size, None, 0)["kernel_size"]
    channels = x.shape[1]
    if beta.shape != (channels,) or bias.shape != (channels,):
        raise ShapeError(f"subsample: beta {beta.shape} and bias {bias.shape} must both have "
                         f"shape ({channels},), one per map of input {x.shape}")
    return k


def check_unpool(x: np.ndarray, indices: np.ndarray, kernel_size: Any, stride: Any, padding: Any,
                 output_size: Any) -> tuple[int, int]:
    """max_unpool2d: indices like the input; the output (H, W), default (H−1)S − 2P + k."""
    op = "max_unpool2d"
    check_nchw(op, x)
    if indices.shape != x.shape or indices.dtype.kind not in "iu":
        raise ValueError(f"{op}: indices of shape {indices.shape} and dtype {indices.dtype}; "
                         f"expected integer indices of the input's shape {x.shape}")
    k = pair(op, "kernel_size", kernel_size, 1)
    s = pair(op, "stride", k if stride is None else stride, 1)
    p = pair(op, "padding", padding, 0)
    default = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(x.shape[2:], s, p, k))
    size = default if output_size is None else tuple(output_size)[-2:]
    if len(size) != 2 or any(abs(a - b) >= si for a, b, si in zip(size, default, s)):
        raise ValueError(f"{op}: output_size {output_size} for input {x.shape}; expected a size "
                         f"within stride {s} of {default}")
    outside = (indices < 0) | (indices >= math.prod(size))
    if outside.any():                     # name the first (PyTorch names one of them)
        raise ArgumentError(f"{op}: index {int(indices[outside].flat[0])} is out of range for an "
                            f"output plane of {size[0]}×{size[1]}")
    return int(size[0]), int(size[1])
