"""The functional API (`import tinygrad_cnn.functional as F`), PyTorch's names and arguments.

stride / padding / kernel_size / dilation take an int or an (h, w) pair; layout is NCHW and a
conv weight is (out_channels, in_channels, kH, kW).
"""
from __future__ import annotations

from typing import Any

from . import ops
from .tensor import Tensor


def _with_optional(*tensors: Any) -> tuple:
    """Drop a trailing None (an absent bias)."""
    return tuple(t for t in tensors if t is not None)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1) -> Tensor:
    """net = b + W ⋆ x_p: cross-correlation of the zero-padded input with each filter."""
    return ops.Conv2d.apply(*_with_optional(x, weight, bias), stride=stride, padding=padding,
                            dilation=dilation)


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Maximum of each window (stride defaults to kernel_size; padding is −∞)."""
    return ops.MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean of each window (stride defaults to kernel_size; padding counts as zeros)."""
    return ops.AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def subsample(x: Tensor, beta: Tensor, bias: Tensor, kernel_size: Any = 2) -> Tensor:
    """Bouvrie's trainable subsampling: β·(sum over each k×k block) + b, per map."""
    return ops.Subsample.apply(x, beta, bias, kernel_size=kernel_size)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, weight of shape (out_features, in_features)."""
    return ops.Linear.apply(*_with_optional(x, weight, bias))


def relu(x: Tensor) -> Tensor:
    return ops.ReLU.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return ops.Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    return ops.Tanh.apply(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return ops.Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return ops.LogSoftmax.apply(x, axis=axis)


def cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Fused softmax + cross-entropy, mean over the batch; labels are class indices (N,)."""
    return ops.CrossEntropy.apply(logits, labels)


def mse_loss(y: Tensor, target: Any) -> Tensor:
    """Mean squared error over every element (PyTorch's mse_loss); shapes must match."""
    return ops.MSELoss.apply(y, target)


def squared_error(y: Tensor, target: Any) -> Tensor:
    """The toolbox error of seed 001: ½ Σ (y − t)² / N, N the batch size; shapes must match."""
    return ops.HalfSquaredError.apply(y, target)
