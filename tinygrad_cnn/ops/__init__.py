"""Every op of tinygrad_cnn, one `Function` class each, forward and backward side by side.

`VJP_TABLE` is the derivatives table: op name → the sensitivity-map formula its backward
implements (the first paragraph of each backward's docstring), declared in one visible place.
"""
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Cos,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Remainder,
    Sin,
    Sqrt,
    Sub,
    Where,
)
from .loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    L1Loss,
    LogSoftmax,
    MSELoss,
    NLLLoss,
    Softmax,
    SquaredError,
)
from .matmul import Linear, MatMul
from .norm import BatchNorm
from .pad import ConstantPad, IndexPad
from .pool import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d, Subsample
from .reduce import Amax, Amin, Cumsum, Mean, Sum
from .shape import Cat, Clone, Expand, Flip, GetItem, Permute, Reshape, TakeAlongDim

ALL_OPS = (
    # elementwise (core-tensor)
    Add, Sub, Mul, Div, Pow, Neg, Exp, Log, Sqrt, Abs, Maximum, Minimum, Clamp, Where,
    Remainder, Cast, Sin, Cos,
    # reductions
    Sum, Mean, Amax, Amin, Cumsum,
    # shape
    Reshape, Permute, Expand, Flip, GetItem, Cat, TakeAlongDim, Clone,
    # matrix products
    MatMul, Linear,
    # activations
    ReLU, LeakyReLU, Sigmoid, Tanh,
    # convolution and pooling (core-nn)
    Conv2d, MaxPool2d, AvgPool2d, Subsample,
    # softmax and losses (core-nn)
    Softmax, LogSoftmax, CrossEntropy, NLLLoss, MSELoss, L1Loss, SquaredError, BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    ConvTranspose2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxUnpool2d, ConstantPad, IndexPad, Dropout,
    BatchNorm,
)

VJP_TABLE = {op.op: op.formula.fget(op) for op in ALL_OPS}  # type: ignore[attr-defined]
