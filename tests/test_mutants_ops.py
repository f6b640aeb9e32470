"""Tests that pin op values, VJPs and error messages found unpinned by mutation testing.

Each test names the behaviour it pins: a VJP checked against PyTorch (or exact values) on inputs that
exercise the branch at stake (ties, negative operands, broadcasting), the dtype of δ that reaches a
tensor, or a whole error message. Kept in one file so that the mutation run's fast selection picks
them all up.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.checks import ShapeError

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None


def _both_grads_like_pytorch(fn, a, b, delta):
    """fn(a, b) and the δ of both operands, ours against PyTorch's (float64)."""
    from conftest import need

    torch = need("torch")
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    pa, pb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = fn(ta, tb), fn(pa, pb)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=0)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    np.testing.assert_allclose(ta.grad, pa.grad.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(tb.grad, pb.grad.numpy(), rtol=1e-12, atol=0)
    return ta.grad, tb.grad


def _delta_dtype_seen_by(x, fn):
    """The dtype of δ that a hook on `x` receives when fn(x).sum() is backpropagated."""
    seen = []
    x.register_hook(lambda delta: seen.append(np.asarray(delta).dtype))
    fn(x).sum().backward()
    return seen


# -- elementwise.py: Minimum, Maximum ------------------------------------------------------------


def test_minimum_splits_delta_at_ties_and_sums_over_broadcast_axes_like_pytorch():
    a = np.array([[1.0, 2.0, 3.0], [0.5, -2.0, 3.0]])
    b = np.array([2.0, 2.0, 1.0])          # a tie at [0, 1], a < b and a > b elsewhere
    delta = np.array([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]])
    ga, gb = _both_grads_like_pytorch(lambda x, y: x.minimum(y), a, b, delta)
    np.testing.assert_array_equal(ga, [[1.0, 1.0, 0.0], [8.0, 16.0, 0.0]])
    np.testing.assert_array_equal(gb, [0.0, 1.0, 36.0])


def test_minimum_of_equal_tensors_gives_each_half_of_delta():
    ga, gb = _both_grads_like_pytorch(lambda x, y: x.minimum(y), np.array([1.5, -1.0]),
                                      np.array([1.5, -1.0]), np.array([2.0, 6.0]))
    np.testing.assert_array_equal(ga, [1.0, 3.0])
    np.testing.assert_array_equal(gb, [1.0, 3.0])


@pytest.mark.parametrize("op", ["minimum", "maximum"])
def test_extremum_sends_delta_to_a_float32_input_in_float32(op):
    x = Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    other = Tensor(np.float32([2.0, 2.0, 2.0]))
    assert _delta_dtype_seen_by(x, lambda t: getattr(t, op)(other)) == [np.dtype(np.float32)]


@pytest.mark.parametrize("op", ["minimum", "maximum"])
def test_extremum_with_a_constant_gives_delta_to_the_tensor_that_requires_grad(op):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    getattr(x, op)(Tensor([2.0, 2.0, 2.0])).backward(np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(x.grad, {"minimum": [1.0, 1.0, 0.0], "maximum": [0.0, 1.0, 4.0]}[op])


def test_maximum_splits_delta_at_ties_and_sums_over_broadcast_axes_like_pytorch():
    a = np.array([[1.0, 2.0, 3.0], [0.5, -2.0, 3.0]])
    b = np.array([2.0, 2.0, 1.0])
    delta = np.array([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]])
    ga, gb = _both_grads_like_pytorch(lambda x, y: x.maximum(y), a, b, delta)
    np.testing.assert_array_equal(ga, [[0.0, 1.0, 4.0], [0.0, 0.0, 32.0]])
    np.testing.assert_array_equal(gb, [9.0, 17.0, 0.0])


# -- elementwise.py: Remainder -------------------------------------------------------------------


def test_remainder_delta_of_the_divisor_is_minus_floor_quotient_like_pytorch():
    a = np.array([[7.5, -7.5, 1.0], [5.0, -0.5, 9.0]])
    b = np.array([2.0, 2.0, -4.0])         # floor(a / b): [[3, -4, -1], [2, -1, -3]]
    delta = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    ga, gb = _both_grads_like_pytorch(lambda x, y: x % y, a, b, delta)
    np.testing.assert_array_equal(ga, delta)
    np.testing.assert_array_equal(gb, [-(3 * 1 + 2 * 4), -(-4 * 2 - 1 * 5), -(-1 * 3 - 3 * 6)])


# -- elementwise.py: Cast ------------------------------------------------------------------------


def test_cast_sends_delta_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert _delta_dtype_seen_by(x, lambda t: t.double() * 3.0) == [np.dtype(np.float32)]
    np.testing.assert_array_equal(x.grad, np.float32([3.0, 3.0]))


# -- elementwise.py: Sqrt ------------------------------------------------------------------------


def test_sqrt_delta_at_zero_is_infinite_without_a_warning():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])


# -- loss.py: LogSoftmax -------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_log_softmax_vjp_along_each_dim_matches_pytorch(dim):
    from conftest import need

    torch = need("torch")
    rng = np.random.default_rng(3)
    z, delta = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    ours, theirs = Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    out, ref = ours.log_softmax(dim), theirs.log_softmax(dim)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


# -- float32 in, float32 out: the value and the δ that reaches each input keep the input's dtype ----

_X32 = np.random.default_rng(0).random((2, 3)).astype(np.float32) * 0.8 + 0.1
_T32 = np.random.default_rng(1).random((2, 3)).astype(np.float32)
FLOAT32_CASES = {
    "mse_loss": (lambda x, t: F.mse_loss(x, t), (_X32, _T32)),
    "l1_loss": (lambda x, t: F.l1_loss(x, t), (_X32, _T32)),
    "binary_cross_entropy": (lambda x, t: F.binary_cross_entropy(x, t), (_X32, _T32)),
    "binary_cross_entropy_with_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t),
                                         (_X32, _T32)),
    "nll_loss": (lambda x: F.nll_loss(x, np.array([0, 2])), (_X32,)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), (_X32 - 0.5,)),
    "clamp": (lambda x: x.clamp(0.2, 0.6), (_X32,)),
    "constant_pad": (lambda x: F.pad(x, (1, 1)), (_X32,)),
    "reflect_pad": (lambda x: F.pad(x.reshape(1, 2, 3), (1, 1), mode="reflect"), (_X32,)),
    "getitem": (lambda x: x[0], (_X32,)),
    "gather": (lambda x: x.gather(1, Tensor(np.array([[0], [2]]))), (_X32,)),
    "amax": (lambda x: x.amax(1), (_X32,)),
    "max_unpool2d": (lambda x: F.max_unpool2d(x.reshape(1, 1, 2, 3), np.arange(6).reshape(1, 1, 2, 3), 2,
                                              output_size=(4, 6)), (_X32,)),
    "batch_norm_eval": (lambda x: F.batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32),
                                               training=False), (_X32,)),
    "relu": (lambda x: x.relu(), (_X32 - 0.5,)),
    "conv2d": (lambda x, w: F.conv2d(x.reshape(1, 1, 2, 3), w.reshape(2, 1, 1, 3), padding=(1, 0)),
               (_X32, _T32)),
    "max_pool2d": (lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1), (_X32,)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1), (_X32,)),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x.reshape(1, 1, 2, 3), (1, 2)), (_X32,)),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x.reshape(1, 1, 2, 3), (1, 2)), (_X32,)),
    "cross_entropy_weighted": (
        lambda x: F.cross_entropy(x, np.array([0, 2]), weight=np.array([1.0, 2.0, 3.0])), (_X32,)),
    "cross_entropy_probabilities": (lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), (_X32, _T32)),
}


@pytest.mark.parametrize("case", sorted(FLOAT32_CASES))
def test_float32_inputs_give_float32_values_and_float32_deltas(case):
    fn, arrays = FLOAT32_CASES[case]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    seen = []
    for t in tensors:
        t.register_hook(lambda delta: seen.append(np.asarray(delta).dtype))
    out = fn(*tensors)
    assert out.dtype == np.float32
    out.sum().backward()
    assert seen == [np.dtype(np.float32)] * len(tensors)


# -- elementwise.py: Abs, Pow, Where; activation.py: LeakyReLU; loss.py: BCE, SquaredError ---------


def test_abs_delta_at_zero_is_zero_like_pytorch():
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_pow_at_the_poles_gives_inf_and_nan_without_a_warning():
    base, exponent = Tensor([0.0, -1.0], requires_grad=True), Tensor([-1.0, 0.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = base ** exponent
        out.sum().backward()
    np.testing.assert_array_equal(out.data, [np.inf, np.nan])


def test_where_of_shapes_that_do_not_broadcast_names_all_three():
    with pytest.raises(ShapeError) as caught:
        Tensor(np.zeros((2, 3))).where(np.ones((4, 1), dtype=bool), Tensor(np.zeros(3)))
    assert str(caught.value) == ("where: shapes (4, 1) and (2, 3) and (3,) do not broadcast; expected equal "
                                 "sizes or 1 in each trailing axis")


def test_leaky_relu_delta_at_zero_is_the_slope_like_pytorch():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0])


def test_binary_cross_entropy_clamps_the_log_at_minus_100_like_pytorch_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(Tensor([0.0, 1.0]), Tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])


def test_squared_error_of_one_sample_and_of_scalars_divides_by_one():
    np.testing.assert_allclose(F.squared_error(Tensor([[1.0, 3.0]]), Tensor([[0.0, 0.0]])).item(), 5.0)
    np.testing.assert_allclose(F.squared_error(Tensor(3.0), Tensor(1.0)).item(), 2.0)


# -- norm.py, reduce.py, shape.py, pad.py, pool.py, conv.py ------------------------------------------


def test_batch_norm_gives_delta_to_a_weight_whose_bias_needs_none():
    weight = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor(np.arange(8.0).reshape(4, 2) ** 2)
    out = F.batch_norm(x, None, None, weight, Tensor([0.0, 0.0]), training=True)
    (out * Tensor(np.arange(8.0).reshape(4, 2))).sum().backward()
    assert weight.grad is not None and weight.grad.shape == (2,)


def test_amax_over_a_dim_keeps_the_other_unit_dims():
    assert Tensor(np.zeros((1, 3, 1))).amax(1).shape == (1, 1)


def test_permute_vjp_of_a_3d_tensor_undoes_the_permutation():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    delta = np.arange(24.0).reshape(4, 2, 3)
    x.permute(2, 0, 1).backward(delta)
    np.testing.assert_array_equal(x.grad, delta.transpose(1, 2, 0))


def test_constant_pad_with_negative_widths_crops_like_pytorch():
    x = Tensor(np.arange(10.0).reshape(2, 5), requires_grad=True)
    out = F.pad(x, (-1, 2))
    np.testing.assert_array_equal(out.data, [[1, 2, 3, 4, 0, 0], [6, 7, 8, 9, 0, 0]])
    out.backward(np.ones((2, 6)))
    np.testing.assert_array_equal(x.grad, [[0, 1, 1, 1, 1], [0, 1, 1, 1, 1]])


def test_max_unpool2d_accepts_a_four_element_output_size():
    indices = np.array([[[[0, 3], [8, 15]]]])
    out = F.max_unpool2d(Tensor(np.ones((1, 1, 2, 2))), indices, 2, output_size=(1, 1, 4, 4))
    np.testing.assert_array_equal(out.data.ravel(), [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1])


def test_constant_pad_cropping_the_end_like_pytorch():
    out = F.pad(Tensor(np.arange(10.0).reshape(2, 5)), (1, -2))
    np.testing.assert_array_equal(out.data, [[0, 0, 1, 2], [0, 5, 6, 7]])


def test_max_unpool2d_vjp_reads_delta_at_each_index():
    x = Tensor(np.array([[[[1.0, 2.0]]]]), requires_grad=True)
    out = F.max_unpool2d(x, np.array([[[[3, 0]]]]), (1, 2), output_size=(1, 4))
    np.testing.assert_array_equal(out.data, [[[[2.0, 0.0, 0.0, 1.0]]]])
    out.backward(np.array([[[[10.0, 20.0, 30.0, 40.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[40.0, 10.0]]]])


def test_conv_transpose2d_gives_delta_to_an_input_whose_weight_needs_none():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.conv_transpose2d(x, Tensor(np.full((1, 1, 2, 2), 2.0))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2), 8.0))


def test_subsample_with_a_unit_kernel_scales_each_map():
    out = F.subsample(Tensor(np.ones((1, 2, 1, 1))), Tensor([2.0, 3.0]), Tensor([0.5, 0.0]), kernel_size=1)
    np.testing.assert_array_equal(out.data.ravel(), [2.5, 3.0])


def test_max_pool2d_indices_of_padded_dilated_windows_match_pytorch():
    from conftest import need

    torch = need("torch")
    x = np.random.default_rng(4).standard_normal((1, 2, 5, 6))
    x[0, 1, :2, :] = -np.inf                  # windows whose real taps are all −∞
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, padding=1, dilation=2),
               dict(kernel_size=(2, 3), stride=(3, 2), padding=(1, 1), ceil_mode=True)):
        _, ours = F.max_pool2d(Tensor(x), return_indices=True, **kw)
        _, ref = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ours.data, ref.numpy(), err_msg=str(kw))


def test_relu_of_a_0d_tensor_and_its_delta():
    x = Tensor(2.0, requires_grad=True)
    out = x.relu()
    out.backward()
    assert out.shape == () and out.item() == 2.0 and x.grad == 1.0
    assert Tensor(-2.0).relu().item() == 0.0


def test_clamp_delta_is_zero_outside_both_bounds():
    x = Tensor([-2.0, 0.0, 2.0], requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("shape", [(4,), (1, 4), (2, 3, 4)])
def test_linear_value_and_vjp_match_pytorch_for_1d_single_row_and_3d_inputs(shape):
    from conftest import need

    torch = need("torch")
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((5, 4)), rng.standard_normal(5)
    ours = [Tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    out, ref = F.linear(*ours), torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    delta = rng.standard_normal(out.shape)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("x_shape, w_shape, message", [
    ((2, 3), (3,), "linear: weight must have shape (out_features, in_features), got (3,)"),
    ((), (2, 3), "linear: input of shape () has 0 features but weight (2, 3) expects 3 "
                 "(input shape (..., in_features))"),
    ((2, 5, 4), (2, 3), "linear: input of shape (2, 5, 4) has 4 features but weight (2, 3) expects 3 "
                        "(input shape (..., in_features))"),
])
def test_linear_shape_errors_give_the_whole_message(x_shape, w_shape, message):
    with pytest.raises(ValueError) as caught:
        F.linear(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)))
    assert str(caught.value) == message


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=2, stride=1),
                                dict(kernel_size=2, dilation=2), dict(kernel_size=2, padding=1),
                                dict(kernel_size=(2, 1))])
def test_max_pool2d_vjp_matches_pytorch(kw):
    from conftest import need

    torch = need("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 2, 5, 4))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = F.max_pool2d(ours, **kw), torch.nn.functional.max_pool2d(theirs, **kw)
    delta = rng.standard_normal(out.shape)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_delta_and_no_warning():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    seen = []
    x.register_hook(lambda delta: seen.append(np.asarray(delta).dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.array([1, 1]), ignore_index=1)
        loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    assert seen == [np.dtype(np.float64)]


def test_max_pool2d_of_integers_pads_with_the_dtype_minimum():
    x = Tensor(np.arange(16).reshape(1, 1, 4, 4) - 20)
    np.testing.assert_array_equal(F.max_pool2d(x, 3, stride=2, padding=1).data, [[[[-15, -13], [-7, -5]]]])


@pytest.mark.parametrize("kernel", [(17, 16), (257, 1)])
def test_max_pool2d_of_a_kernel_with_more_than_256_taps_finds_the_last_tap(kernel):
    x = np.zeros((1, 1, *kernel))
    x[0, 0, -1, -1] = 1.0
    t = Tensor(x, requires_grad=True)
    out, indices = F.max_pool2d(t, kernel, return_indices=True)
    out.sum().backward()
    assert out.item() == 1.0 and indices.item() == kernel[0] * kernel[1] - 1
    assert t.grad[0, 0, -1, -1] == 1.0 and t.grad.sum() == 1.0


def test_max_pool2d_accepts_an_empty_stride_as_the_kernel_size():
    assert F.max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, stride=[]).shape == (1, 1, 2, 2)


def test_subsample_of_a_single_block():
    out = F.subsample(Tensor(np.ones((1, 1, 2, 2))), Tensor([1.0]), Tensor([0.0]))
    np.testing.assert_array_equal(out.data, [[[[4.0]]]])


# -- checks.py: the argument checks of the conv and pooling ops (whole messages) ------------------


def Z(*shape, dtype=np.float64):
    return Tensor(np.zeros(shape, dtype=dtype))


INT_INDICES = np.zeros((1, 1, 2, 2), dtype=np.int64)

CHECK_MESSAGES = {
    "stride_not_an_int": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride="a"), TypeError,
                          "conv2d: stride must be an int or a pair of ints, got 'a'"),
    "stride_of_three": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(1, 1, 1)), TypeError,
                        "conv2d: stride must be an int or a pair of ints, got (1, 1, 1)"),
    "stride_bool": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=True), TypeError,
                    "conv2d: stride must be an int or a pair of ints, got True"),
    "stride_pair_of_floats": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(1.5, 1)), TypeError,
                              "conv2d: stride must be an int or a pair of ints, got (1.5, 1)"),
    "stride_zero": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(1, 0)), ValueError,
                    "conv2d: stride must be >= 1, got (1, 0)"),
    "padding_negative": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), padding=[-1]), ValueError,
                         "conv2d: padding must be >= 0, got [-1]"),
    "input_not_nchw": (lambda: F.subsample(Z(2, 4, 4), Z(2), Z(2)), ShapeError,
                       "subsample: expected input of shape (N, C, H, W), got (2, 4, 4)"),
    "kernel_larger_than_input": (
        lambda: F.conv2d(Z(1, 1, 4, 5), Z(2, 1, 3, 3), padding=(0, 1), dilation=2), ShapeError,
        "conv2d: kernel (3, 3) (dilation (2, 2), span 5) is larger than the padded input (4, 7) of "
        "input shape (1, 1, 4, 5) with padding (0, 1)"),
    "bias": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), Z(3)), ShapeError,
             "conv2d: bias of shape (3,) does not match weight (2, 1, 3, 3); expected (2,)"),
    "weight_not_4d": (lambda: F.conv2d(Z(1, 3, 8, 8), Z(4, 3, 3)), ShapeError,
                      "conv2d: expected weight of shape (out_channels, in_channels, kH, kW), got (4, 3, 3) "
                      "(weight[1] is in_channels / groups)"),
    "channels": (lambda: F.conv2d(Z(1, 3, 8, 8), Z(4, 2, 3, 3), groups=2), ShapeError,
                 "conv2d: input (1, 3, 8, 8) has 3 channels but weight (4, 2, 3, 3) expects 4 "
                 "(weight[1] = in_channels / groups = 2, groups=2)"),
    "out_channels_by_groups": (lambda: F.conv2d(Z(1, 4, 8, 8), Z(3, 2, 3, 3), groups=2), ShapeError,
                               "conv2d: weight (3, 2, 3, 3) has 3 output channels, not divisible "
                               "by groups=2"),
    "groups_zero": (lambda: F.conv2d(Z(1, 4, 8, 8), Z(4, 4, 3, 3), groups=0), ValueError,
                    "conv2d: groups must be a positive int, got 0"),
    "groups_bool": (lambda: F.conv2d(Z(1, 4, 8, 8), Z(4, 4, 3, 3), groups=True), ValueError,
                    "conv2d: groups must be a positive int, got True"),
    "groups_float": (lambda: F.conv2d(Z(1, 4, 8, 8), Z(4, 4, 3, 3), groups=1.0), ValueError,
                     "conv2d: groups must be a positive int, got 1.0"),
    "same_padding_strided": (
        lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(1, 2), padding="same"), ValueError,
        "conv2d: padding='same' is not supported for strided convolutions (stride=(1, 2)); "
        "use stride=1 or an explicit padding"),
    "transpose_weight_not_4d": (
        lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3)), ShapeError,
        "conv_transpose2d: expected weight of shape (in_channels, out_channels/groups, kH, kW), "
        "got (2, 3, 3)"),
    "transpose_channels": (
        lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(3, 4, 3, 3)), ShapeError,
        "conv_transpose2d: input (1, 2, 4, 4) has 2 channels but weight (3, 4, 3, 3) expects 3 "
        "(weight[0] = in_channels, divisible by groups=1)"),
    "transpose_groups": (
        lambda: F.conv_transpose2d(Z(1, 3, 4, 4), Z(3, 3, 3, 3), groups=2), ShapeError,
        "conv_transpose2d: input (1, 3, 4, 4) has 3 channels but weight (3, 3, 3, 3) expects 3 "
        "(weight[0] = in_channels, divisible by groups=2)"),
    "transpose_bias": (
        lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), Z(3), groups=2), ShapeError,
        "conv_transpose2d: bias of shape (3,) does not match weight (2, 3, 3, 3); expected (6,)"),
    "transpose_output_padding": (
        lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), stride=(2, 3), output_padding=(1, 3)),
        ValueError,
        "conv_transpose2d: output_padding (1, 3) must be smaller than either stride (2, 3) or "
        "dilation (1, 1)"),
    "transpose_output_size": (
        lambda: F.conv_transpose2d(Z(1, 2, 1, 4), Z(2, 3, 1, 3), padding=(1, 0)), ValueError,
        "conv_transpose2d: input (1, 2, 1, 4) with weight (2, 3, 1, 3), stride (1, 1), padding (1, 0), "
        "dilation (1, 1) gives output size (-1, 6); expected at least 1"),
    "pool_padding": (lambda: F.max_pool2d(Z(1, 1, 6, 6), (4, 2), padding=(2, 2)), ValueError,
                     "max_pool2d: padding (2, 2) must be at most half the kernel size (4, 2)"),
    "pool_kernel_larger_than_input": (
        lambda: F.max_pool2d(Z(1, 1, 3, 6), 2, dilation=(3, 1)), ShapeError,
        "max_pool2d: kernel (2, 2) (dilation (3, 1), span 4) is larger than the padded input (3, 6) of "
        "input shape (1, 1, 3, 6) with padding (0, 0)"),
    "subsample_beta_and_bias": (
        lambda: F.subsample(Z(1, 2, 4, 4), Z(3), Z(2)), ShapeError,
        "subsample: beta (3,) and bias (2,) must both have shape (2,), one per map of input (1, 2, 4, 4)"),
    "unpool_float_indices": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), np.zeros((1, 1, 2, 2)), 2), ValueError,
        "max_unpool2d: indices of shape (1, 1, 2, 2) and dtype float64; expected integer indices of "
        "the input's shape (1, 1, 2, 2)"),
    "unpool_indices_shape": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES[..., :1], 2), ValueError,
        "max_unpool2d: indices of shape (1, 1, 2, 1) and dtype int64; expected integer indices of "
        "the input's shape (1, 1, 2, 2)"),
    "unpool_output_size": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES, 2, output_size=(6, 4)), ValueError,
        "max_unpool2d: output_size (6, 4) for input (1, 1, 2, 2); expected a size within stride "
        "(2, 2) of (4, 4)"),
    "unpool_output_size_of_one": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES, 2, output_size=(4,)), ValueError,
        "max_unpool2d: output_size (4,) for input (1, 1, 2, 2); expected a size within stride "
        "(2, 2) of (4, 4)"),
    "unpool_index_out_of_range": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), np.array([[[[0, 1], [2, 16]]]]), 2), ValueError,
        "max_unpool2d: index 16 is out of range for an output plane of 4×4"),
    "transpose_stride": (lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), stride=0), ValueError,
                         "conv_transpose2d: stride must be >= 1, got 0"),
    "transpose_dilation": (lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), dilation=0), ValueError,
                           "conv_transpose2d: dilation must be >= 1, got 0"),
    "transpose_padding": (lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), padding=-1), ValueError,
                          "conv_transpose2d: padding must be >= 0, got -1"),
    "transpose_output_padding_negative": (
        lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), output_padding=-1), ValueError,
        "conv_transpose2d: output_padding must be >= 0, got -1"),
    "transpose_groups_zero": (lambda: F.conv_transpose2d(Z(1, 2, 4, 4), Z(2, 3, 3, 3), groups=0), ValueError,
                              "conv_transpose2d: groups must be a positive int, got 0"),
    "same_padding_stride_zero": (
        lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=0, padding="same"), ValueError,
        "conv2d: stride must be >= 1, got 0"),
    "same_padding_dilation_zero": (
        lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), dilation=0, padding="same"), ValueError,
        "conv2d: dilation must be >= 1, got 0"),
    "unpool_kernel_size": (lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES, 0), ValueError,
                           "max_unpool2d: kernel_size must be >= 1, got 0"),
    "unpool_stride": (lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES, 2, stride=0), ValueError,
                      "max_unpool2d: stride must be >= 1, got 0"),
    "unpool_padding": (lambda: F.max_unpool2d(Z(1, 1, 2, 2), INT_INDICES, 2, padding=-1), ValueError,
                       "max_unpool2d: padding must be >= 0, got -1"),
    "subsample_kernel_size": (lambda: F.subsample(Z(1, 2, 4, 4), Z(2), Z(2), kernel_size=0), ValueError,
                              "subsample: kernel_size must be >= 1, got 0"),
    "unpool_index_out_of_a_non_square_plane": (
        lambda: F.max_unpool2d(Z(1, 1, 2, 2), np.array([[[[0, 1], [2, 8]]]]), (1, 2)), ValueError,
        "max_unpool2d: index 8 is out of range for an output plane of 2×4"),
    "stride_zero_first": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(0, 1)), ValueError,
                          "conv2d: stride must be >= 1, got (0, 1)"),
    "stride_float_second": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), stride=(1, 1.5)), TypeError,
                            "conv2d: stride must be an int or a pair of ints, got (1, 1.5)"),
    "conv_dilation": (lambda: F.conv2d(Z(1, 1, 4, 4), Z(2, 1, 3, 3), dilation=0), ValueError,
                      "conv2d: dilation must be >= 1, got 0"),
    "pool_padding_negative": (lambda: F.max_pool2d(Z(1, 1, 4, 4), 2, padding=-1), ValueError,
                              "max_pool2d: padding must be >= 0, got -1"),
    "pool_dilation": (lambda: F.max_pool2d(Z(1, 1, 4, 4), 2, dilation=0), ValueError,
                      "max_pool2d: dilation must be >= 1, got 0"),
}


@pytest.mark.parametrize("case", sorted(CHECK_MESSAGES))
def test_conv_and_pool_argument_errors_give_the_whole_message(case):
    call, error, message = CHECK_MESSAGES[case]
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message
