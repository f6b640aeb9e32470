"""Every op of tinygrad_cnn, one `Function` class each, forward and backward side by side.

`VJP_TABLE` is the derivatives table: op name → the sensitivity-map formula its backward
implements (the first paragraph of each backward's docstring), declared in one visible place.
"""
from .activation import ReLU, Sigmoid, Tanh
from .conv import Conv2d
from .elementwise import Add, Div, Exp, Log, Mul, Neg, Pow, Sub
from .loss import CrossEntropy, HalfSquaredError, LogSoftmax, MSELoss, Softmax
from .matmul import Linear, MatMul
from .pool import AvgPool2d, MaxPool2d, Subsample
from .reduce import Max, Mean, Sum
from .shape import GetItem, Reshape, Transpose

ALL_OPS = (Add, Sub, Mul, Div, Pow, Neg, Exp, Log, Sum, Mean, Max, Reshape, Transpose, GetItem,
           MatMul, Linear, Conv2d, MaxPool2d, AvgPool2d, Subsample, ReLU, Sigmoid, Tanh,
           Softmax, LogSoftmax, CrossEntropy, MSELoss, HalfSquaredError)

VJP_TABLE = {op.op: op.formula.fget(op) for op in ALL_OPS}  # type: ignore[attr-defined]
