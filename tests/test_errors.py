"""Bad input gets an error that names the op, the shapes and what was expected."""
import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import GradcheckError, Tensor, gradcheck


def T(*shape, dtype=np.float64):
    return Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(T(1, 3, 8, 8), T(4, 2, 3, 3)),
     r"conv2d: input \(1, 3, 8, 8\) has 3 channels but weight \(4, 2, 3, 3\) expects 2"),
    (lambda: F.conv2d(T(1, 3, 8, 8), T(4, 3, 3)),
     r"conv2d: expected weight of shape \(out_channels, in_channels, kH, kW\), got \(4, 3, 3\)"),
    (lambda: F.conv2d(T(2, 3, 8, 8, 1), T(4, 3, 3, 3)),
     r"conv2d: expected input of shape \(N, C, H, W\), got \(2, 3, 8, 8, 1\) "
     r"\(or an unbatched \(C, H, W\)\)"),
    (lambda: F.conv2d(T(1, 1, 4, 4), T(2, 1, 5, 5), padding=0),
     r"conv2d: kernel \(5, 5\).*larger than the padded input \(4, 4\)"),
    (lambda: F.conv2d(T(1, 1, 4, 4), T(2, 1, 3, 3), T(3)),
     r"conv2d: bias of shape \(3,\) does not match weight \(2, 1, 3, 3\); expected \(2,\)"),
    (lambda: F.conv2d(T(1, 1, 4, 4), T(2, 1, 3, 3), stride=0),
     r"conv2d: stride must be >= 1, got 0"),
    (lambda: F.conv2d(T(1, 1, 4, 4), T(2, 1, 3, 3), padding=-1),
     r"conv2d: padding must be >= 0"),
    (lambda: F.max_pool2d(T(1, 1, 4, 4), 0),
     r"max_pool2d: kernel_size must be >= 1, got 0"),
    (lambda: F.max_pool2d(T(1, 1, 3, 3), 4),
     r"max_pool2d: kernel \(4, 4\).*larger than the padded input \(3, 3\)"),
    (lambda: F.avg_pool2d(T(1, 1, 3, 3), 2, stride=-1),
     r"avg_pool2d: stride must be >= 1, got -1"),
    (lambda: F.avg_pool2d(T(1, 1, 3, 3), 2, padding=2),
     r"avg_pool2d: padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
    (lambda: F.subsample(T(1, 2, 4, 4), T(3), T(2)),
     r"subsample: beta \(3,\) and bias \(2,\) must both have shape \(2,\)"),
    (lambda: T(3, 4) @ T(5, 2),
     r"matmul: inner dimensions differ for \(3, 4\) @ \(5, 2\): 4 vs 5"),
    (lambda: F.linear(T(8, 5), T(3, 4)),
     r"linear: input of shape \(8, 5\) has 5 features but weight \(3, 4\) expects 4"),
    (lambda: F.linear(T(8, 4), T(3, 4), T(4)),
     r"linear: bias of shape \(4,\) does not match weight \(3, 4\); expected \(3,\)"),
    (lambda: F.cross_entropy(T(4, 10), np.array([1, 2, 3, 10])),
     r"cross_entropy: label 10 is out of range for logits \(4, 10\); expected 0..9"),
    (lambda: F.cross_entropy(T(4, 10), np.array([1, 2, -1, 0])),
     r"cross_entropy: label -1 is out of range"),
    (lambda: F.cross_entropy(T(4, 10), np.array([1.0, 2.0, 3.0, 0.0])),
     r"cross_entropy: labels must be integers, got dtype float64"),
    (lambda: F.cross_entropy(T(4, 10), np.array([1, 2, 3])),
     r"cross_entropy: labels of shape \(3,\) do not match logits \(4, 10\); expected \(4,\)"),
    (lambda: F.cross_entropy(T(4, 10, 1), np.array([1, 2, 3, 4])),
     r"cross_entropy: labels of shape \(4,\) do not match logits \(4, 10, 1\); expected \(4, 1\)"),
    (lambda: F.mse_loss(T(4, 10), T(4)),
     r"mse_loss: prediction shape \(4, 10\) and target shape \(4,\) differ; expected equal shapes"),
    (lambda: T(2, 3).reshape(4, 2),
     r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    (lambda: T(2, 3) + T(4, 3),
     r"add: shapes \(2, 3\) and \(4, 3\) do not broadcast"),
    (lambda: T(2, 3).sum(axis=2),
     r"sum: dim 2 is out of range for a tensor with 2 dimensions; expected a dim in \[-2, 1\]"),
    (lambda: T(2, 3).transpose(0, 2),
     r"transpose: dim 2 is out of range for a tensor with 2 dimensions; expected a dim in \[-2, 1\]"),
    (lambda: T(2, 3).permute(0, 0),
     r"permute: dims \(0, 0\) are not a permutation of the 2 axes of a tensor of shape \(2, 3\)"),
    (lambda: T(2, 3).permute(1),
     r"permute: dims \(1,\) are not a permutation of the 2 axes of a tensor of shape \(2, 3\)"),
    (lambda: T(2, 3) @ T(2, 3),
     r"matmul: inner dimensions differ for \(2, 3\) @ \(2, 3\): 3 vs 2"),
    (lambda: T(2, 2, 3) @ T(3, 3, 1),
     r"matmul: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda: T(2, 3).expand(4, 3),
     r"expand: the size 2 of dim 0 of a tensor of shape \(2, 3\) cannot become 4"),
    (lambda: T(2, 3).view(-1, -1),
     r"reshape: invalid shape \(-1, -1\); at most one dim may be −1"),
    (lambda: T(2, 3).reshape(4, -1),
     r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, -1\)"),
    (lambda: T(2, 3).unsqueeze(3),
     r"unsqueeze: dim 3 is out of range for a tensor with 3 dimensions"),
    (lambda: T(2, 3).max(dim=(0, 1)),
     r"max: dim must be an int \(use amax/amin for several dims\)"),
    (lambda: T(0, 3).amax(0),
     r"amax: cannot reduce an empty tensor of shape \(0, 3\) over dims \(0,\)"),
    (lambda: T(2, 3).sum(dim=1, axis=0),
     r"sum: got both dim= and its alias axis=; pass one"),
    (lambda: T(2, 3).mean(dtype=np.int64),
     r"mean: expected a floating-point tensor, got int64"),
    (lambda: T(2, 3, dtype=np.int64).requires_grad_(),
     r"requires_grad_: only floating-point tensors can require grad; this one is int64"),
    (lambda: T(2, 3).var(correction=1, unbiased=True),
     r"var: pass either unbiased= or correction=, not both"),
    (lambda: T(2, 3).to("cuda"),
     r"to: device 'cuda' is not available; tinygrad_cnn runs on the CPU only"),
    (lambda: T(2, 3)[2],
     r"getitem: index 2 does not fit a tensor of shape \(2, 3\) \(index 2 is out of bounds for axis 0"),
    (lambda: Tensor(["a"]),
     r"Tensor: cannot build a tensor from list data"),
])
def test_bad_input_message(call, message):
    with pytest.raises((ValueError, TypeError, RuntimeError), match=message):
        call()


def test_gradcheck_catches_a_wrong_vjp_and_names_the_element():
    from tinygrad_cnn import Function

    class WrongSquare(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, grad):
            """δx = x ∘ δ (wrong: the factor 2 is missing)"""
            (x,) = self.saved_tensors
            return x * grad

    x = Tensor(np.array([[0.5, -1.0], [2.0, 1.5]]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(2, 2\)\) element \(0, 0\): analytic"
                                             r" gradient .* vs numeric"):
        gradcheck(WrongSquare.apply, x)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, Tensor(np.ones(2)))
