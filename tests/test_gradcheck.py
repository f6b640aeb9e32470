"""gradcheck as a product: it catches small, sign, per-input, broadcast and layout errors in a
VJP, names what is wrong, and passes right VJPs whatever the inputs' dtype and layout.

Each op below is a custom Function whose backward is wrong in one deliberate way (`error`,
`wrong_input`, ...); the right variant of each must pass, so no test passes by gradcheck failing
everything.
"""
import re

import numpy as np
import pytest

from tinygrad_cnn import Function, GradcheckError, Tensor, gradcheck
from tinygrad_cnn.gradcheck import DEFAULT_ATOL, DEFAULT_EPS, DEFAULT_RTOL

SEEN: list[np.ndarray] = []   # the arrays Sin.forward was given


class Sin(Function):
    """y = scale · sin x; backward scaled by (1 + error) and multiplied by `sign`."""

    def forward(self, x, error=0.0, sign=1.0, scale=1.0):
        SEEN.append(x)
        self.save_for_backward(x)
        return scale * np.sin(x)

    def backward(self, grad):
        """δx = scale · cos x ∘ δ"""
        (x,) = self.saved_tensors
        a = self.attrs
        return a.get("sign", 1.0) * (1 + a.get("error", 0.0)) * a.get("scale", 1.0) * np.cos(x) * grad


class Abs(Function):
    """y = |x|; the wrong backward forgets the sign: right only where x > 0."""

    def forward(self, x, wrong=False):
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, grad):
        """δx = sign(x) ∘ δ"""
        (x,) = self.saved_tensors
        return grad if self.attrs["wrong"] else np.sign(x) * grad


class MulAdd(Function):
    """y = a ∘ b + c; the gradient of input `wrong_input` is off by 1 %."""

    def forward(self, a, b, c, wrong_input=None):
        self.save_for_backward(a, b)
        return a * b + c

    def backward(self, grad):
        """δa = b ∘ δ, δb = a ∘ δ, δc = δ"""
        a, b = self.saved_tensors
        grads = [b * grad, a * grad, grad.copy()]
        k = self.attrs["wrong_input"]
        if k is not None:
            grads[k] = grads[k] * 1.01
        return tuple(grads)


class BiasAdd(Function):
    """y = x + b with b broadcast over x's leading axes; `reduce` is how δb is computed."""

    def forward(self, x, b, reduce="sum"):
        return x + b

    def backward(self, grad):
        """δx = δ, δb = Σ over the broadcast axes of δ"""
        b_shape = self.inputs[1].shape
        lead = tuple(range(grad.ndim - len(b_shape)))
        keep = tuple(i for i, n in enumerate(b_shape) if n == 1 and grad.shape[len(lead) + i] != 1)
        reduce = self.attrs["reduce"]
        if reduce == "first_row":          # forgets all but the first slice along each broadcast axis
            db = grad[(0,) * len(lead)][tuple(slice(0, 1) if i in keep else slice(None)
                                              for i in range(len(b_shape)))]
        else:                              # "sum", or "mean": 1/N too small
            db = getattr(grad.sum(axis=lead) if reduce == "sum" else grad.mean(axis=lead), reduce)(
                axis=keep, keepdims=True)
        return grad, db


def c_order_view(a):
    """`a`'s memory read as if it were C-contiguous: the classic stride bug (strides from the shape)."""
    strides = tuple(int(np.prod(a.shape[i + 1:])) * a.itemsize for i in range(a.ndim))
    return np.lib.stride_tricks.as_strided(a, a.shape, strides)


class Cube(Function):
    """y = x³; the wrong backward reads x through strides computed from its shape, which is right
    only when x is C-contiguous."""

    def forward(self, x, layout_bug=False):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, grad):
        """δx = 3x² ∘ δ"""
        (x,) = self.saved_tensors
        if self.attrs["layout_bug"]:
            x = c_order_view(x)
        return 3 * x * x * grad


class Reverse(Function):
    """y = x[::-1]; the wrong backward forgets to reverse δ: right only for a constant δ."""

    def forward(self, x, wrong=False):
        return x[::-1].copy()

    def backward(self, grad):
        """δx = reverse(δ)"""
        return grad.copy() if self.attrs["wrong"] else grad[::-1].copy()


def leaf(rng, *shape, dtype=np.float64, low=0.3, high=1.3):
    """Values away from 0 (no kinks for Abs) with mixed signs."""
    signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return Tensor((signs * rng.uniform(low, high, shape)).astype(dtype), requires_grad=True)


# -- defaults and what the tolerances mean ------------------------------------------------------
def test_defaults_are_the_documented_ones():
    import inspect

    params = inspect.signature(gradcheck).parameters
    assert (DEFAULT_EPS, DEFAULT_ATOL, DEFAULT_RTOL) == (1e-6, 1e-5, 1e-4)
    assert [params[k].default for k in ("eps", "atol", "rtol", "seed", "raise_exception")] == \
        [1e-6, 1e-5, 1e-4, 0, True]


def test_right_vjp_passes(rng):
    assert gradcheck(Sin.apply, leaf(rng, 3, 4)) is True


def test_catches_a_one_in_a_thousand_error(rng):
    x = leaf(rng, 3, 4)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3, 4\)\) element \(\d, \d\)"):
        gradcheck(lambda t: Sin.apply(t, error=1e-3), x)


@pytest.mark.parametrize("error", [3e-4, -3e-4])
def test_catches_an_error_three_times_rtol(rng, error):
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Sin.apply(t, error=error), leaf(rng, 3, 4))


@pytest.mark.parametrize("error", [5e-5, -5e-5])
def test_tolerates_an_error_of_half_rtol(rng, error):
    """Half the default relative tolerance passes: the defaults are not tighter than documented."""
    assert gradcheck(lambda t: Sin.apply(t, error=error), leaf(rng, 3, 4))


def test_explicit_tolerances_are_used(rng):
    x = leaf(rng, 3, 4)
    assert gradcheck(lambda t: Sin.apply(t, error=1e-3), x, rtol=2e-3)
    with pytest.raises(GradcheckError, match=r"atol 0\.0 \+ rtol 1e-07"):
        gradcheck(lambda t: Sin.apply(t, error=1e-5), x, atol=0.0, rtol=1e-7)
    # atol alone: every |δx| here is below 1.3·max|r| < 10, so atol 0.1 covers a 1 % error
    assert gradcheck(lambda t: Sin.apply(t, error=1e-2), x, atol=0.1, rtol=0.0)


def test_eps_is_used(rng):
    """A huge ε makes the difference quotient of sin visibly wrong: the right VJP then fails."""
    x = leaf(rng, 3, 4)
    with pytest.raises(GradcheckError):
        gradcheck(Sin.apply, x, eps=0.5)
    assert gradcheck(Sin.apply, x, eps=1e-5)


# -- signs ---------------------------------------------------------------------------------------
def test_catches_a_sign_error(rng):
    x = leaf(rng, 3, 4)
    with pytest.raises(GradcheckError, match="12 of 12 elements of input 0 disagree"):
        gradcheck(lambda t: Sin.apply(t, sign=-1.0), x)


def test_catches_a_sign_error_in_some_elements_only_and_names_the_first(rng):
    x = Tensor(np.array([[0.5, 1.5], [-0.7, 2.0]]), requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda t: Abs.apply(t, wrong=True), x)
    message = str(caught.value)
    assert "input 0 (shape (2, 2)) element (1, 0)" in message
    assert "1 of 4 elements of input 0 disagree" in message and "at element (1, 0)" in message
    analytic, numeric = map(float, re.search(r"analytic gradient (\S+) vs numeric (\S+) ", message).groups())
    assert analytic == pytest.approx(-numeric, rel=1e-6) and analytic != pytest.approx(numeric)
    assert gradcheck(lambda t: Abs.apply(t, wrong=False), x)


# -- every input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("wrong", [0, 1, 2])
def test_catches_an_error_in_any_one_input_and_names_it(rng, wrong):
    a, b, c = leaf(rng, 2, 3), leaf(rng, 2, 3), leaf(rng, 2, 3)
    with pytest.raises(GradcheckError, match=rf"^gradcheck: input {wrong} \(shape \(2, 3\)\) element"):
        gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=wrong), a, b, c)
    assert gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=None), a, b, c)


def test_only_inputs_that_require_grad_are_checked_and_their_index_is_kept(rng):
    a, b, c = leaf(rng, 2, 3), Tensor(rng.standard_normal((2, 3))), leaf(rng, 2, 3)
    assert gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=1), a, b, c)   # b is a constant
    with pytest.raises(GradcheckError, match=r"input 2 \(shape"):
        gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=2), a, b, c)


def test_names_the_input_by_its_name_when_it_has_one(rng):
    a, b, c = leaf(rng, 2, 3), leaf(rng, 2, 3), leaf(rng, 2, 3)
    c.name = "fc.bias"
    with pytest.raises(GradcheckError, match=r"input 2 'fc\.bias' \(shape \(2, 3\)\)"):
        gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=2), a, b, c)


def test_a_missing_gradient_fails(rng):
    class NoGradForB(MulAdd):
        def backward(self, grad):
            da, _, dc = super().backward(grad)
            return da, None, dc

    with pytest.raises(GradcheckError, match=r"input 1 .* analytic gradient 0 vs numeric"):
        gradcheck(lambda *t: NoGradForB.apply(*t, wrong_input=None), leaf(rng, 2), leaf(rng, 2), leaf(rng, 2))


def test_torch_style_tuple_of_inputs_and_raise_exception_false(rng):
    a, b, c = leaf(rng, 2, 3), leaf(rng, 2, 3), leaf(rng, 2, 3)
    assert gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=None), (a, b, c)) is True
    assert gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=1), [a, b, c], raise_exception=False) is False


def test_every_output_of_a_tuple_is_checked(rng):
    x = leaf(rng, 5)
    assert gradcheck(lambda t: (Sin.apply(t), Abs.apply(t, wrong=False)), x)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda t: (Sin.apply(t), Abs.apply(t, wrong=True)), x)


# -- broadcast and layout ------------------------------------------------------------------------
@pytest.mark.parametrize("b_shape", [(4,), (1, 4), (3, 1), (2, 1, 4)])
@pytest.mark.parametrize("reduce", ["first_row", "mean"])
def test_catches_an_error_in_a_broadcast_input(rng, b_shape, reduce):
    x = leaf(rng, 2, 3, 4)
    b = leaf(rng, *b_shape)
    assert gradcheck(lambda x, b: BiasAdd.apply(x, b, reduce="sum"), x, b)
    with pytest.raises(GradcheckError, match=rf"input 1 \(shape {re.escape(str(b_shape))}\)"):
        gradcheck(lambda x, b: BiasAdd.apply(x, b, reduce=reduce), x, b)


def transposed_leaf(rng, dtype=np.float64):
    t = leaf(rng, 4, 3, dtype=dtype)
    t.data = t.data.T            # a transposed view: Fortran-ordered, not C-contiguous
    return t


def strided_leaf(rng, dtype=np.float64):
    t = leaf(rng, 3, 8, dtype=dtype)
    t.data = t.data[:, ::2]      # every other column: neither C- nor Fortran-contiguous
    return t


def test_the_layout_bug_is_invisible_on_c_contiguous_inputs(rng):
    assert gradcheck(lambda t: Cube.apply(t, layout_bug=True), leaf(rng, 3, 4))


@pytest.mark.parametrize("make", [transposed_leaf, strided_leaf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_catches_an_error_in_a_non_contiguous_input(rng, make, dtype):
    x = make(rng, dtype)
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda t: Cube.apply(t, layout_bug=False), x)
    with pytest.raises(GradcheckError, match=rf"input 0 \(shape {re.escape(str(x.shape))}\)"):
        gradcheck(lambda t: Cube.apply(t, layout_bug=True), x)


def test_the_cotangent_is_random_not_ones(rng):
    """Reversing δ is a no-op for a constant δ: only a random cotangent sees it is missing."""
    x = leaf(rng, 6)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Reverse.apply(t, wrong=True), x)
    assert gradcheck(lambda t: Reverse.apply(t, wrong=False), x)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Reverse.apply(t, wrong=True), x, seed=7)


# -- dtypes: float32 and float64 inputs, checked in float64 -----------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_right_vjps_pass_in_float64_whatever_the_input_dtype(rng, dtype):
    SEEN.clear()
    x = leaf(rng, 3, 4, dtype=dtype)
    original = x.data.copy()
    assert gradcheck(Sin.apply, x)
    assert gradcheck(lambda t: Abs.apply(t, wrong=False), x)
    assert gradcheck(lambda t: Cube.apply(t, layout_bug=False), x)
    a, b, c = (leaf(rng, 2, 3, dtype=dtype) for _ in range(3))
    assert gradcheck(lambda *t: MulAdd.apply(*t, wrong_input=None), a, b, c)
    xb, bb = leaf(rng, 2, 3, 4, dtype=dtype), leaf(rng, 4, dtype=dtype)
    assert gradcheck(lambda x, b: BiasAdd.apply(x, b, reduce="sum"), xb, bb)
    assert {a.dtype for a in SEEN} == {np.dtype(np.float64)}          # the op only ever saw float64
    # the caller's tensor is untouched: same dtype, same values, no gradient
    assert x.dtype == dtype and np.array_equal(x.data, original) and x.grad is None


def test_float32_inputs_still_catch_a_one_in_a_thousand_error(rng):
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Sin.apply(t, error=1e-3), leaf(rng, 3, 4, dtype=np.float32))


def test_integer_inputs_pass_through_unchanged(rng):
    labels = Tensor(np.array([2, 0, 1]))
    seen = []

    def pick(x, y):
        seen.append(y)
        return Sin.apply(x)

    assert gradcheck(pick, leaf(rng, 3, 3), labels)
    assert all(s is labels for s in seen) and labels.dtype.kind == "i"


# -- misuse is reported -------------------------------------------------------------------------
def test_an_op_that_writes_into_its_input_fails(rng):
    class InPlaceSin(Sin):
        def forward(self, x, **attrs):
            out = super().forward(x)
            x += 0.0 * x + 1e-3     # corrupts the input it was given
            return out

    message = (r"^gradcheck: fn or its backward modified input 0 \(shape \(3,\)\) in place; "
               r"an op must not write into its inputs or saved arrays$")
    with pytest.raises(GradcheckError, match=message):
        gradcheck(InPlaceSin.apply, leaf(rng, 3))


def test_nan_gradient_fails(rng):
    class NanSin(Sin):
        def backward(self, grad):
            return np.full_like(grad, np.nan)

    with pytest.raises(GradcheckError, match="analytic gradient nan"):
        gradcheck(NanSin.apply, leaf(rng, 3))


def test_needs_an_input_that_requires_grad_and_a_tensor_output(rng):
    with pytest.raises(ValueError, match=r"^gradcheck: no input requires grad; pass Tensors with "
                                         r"requires_grad=True$"):
        gradcheck(Sin.apply, Tensor(np.ones(3)))
    with pytest.raises(TypeError, match="fn must return a Tensor .* got ndarray"):
        gradcheck(lambda t: t.data, leaf(rng, 3))


def test_non_finite_input_is_refused(rng):
    x = leaf(rng, 4)
    x.data[2] = np.nan
    with pytest.raises(ValueError, match=r"^gradcheck: input 1 \(shape \(4,\)\) holds NaN or inf; finite "
                                         r"differences need finite inputs$"):
        gradcheck(lambda a, b: MulAdd.apply(a, b, b, wrong_input=None), leaf(rng, 4), x)


def test_output_shape_that_changes_between_calls_is_reported(rng):
    calls = []

    def shrinking(t):
        calls.append(1)
        return Sin.apply(t if len(calls) == 1 else t[:2])

    with pytest.raises(GradcheckError, match=r"^gradcheck: fn's output shapes changed between calls: "
                                             r"\[\(3,\)\] then \[\(2,\)\]$"):
        gradcheck(shrinking, leaf(rng, 3))


# -- what the report says, and that it is reproducible --------------------------------------------
def test_report_counts_and_locates_the_largest_difference_for_the_seeded_cotangent(rng):
    """With r drawn from `seed`, a 1 % error gives |diff| = 0.01·|cos x · r| exactly (up to ε):
    the report's count, first and largest elements are those of that array."""
    x = leaf(rng, 3, 4)
    for seed in (0, 5):
        r = np.random.default_rng(seed).standard_normal((3, 4))
        expected = 0.01 * np.abs(np.cos(x.data) * r)
        bad = expected > DEFAULT_ATOL + DEFAULT_RTOL * np.abs(np.cos(x.data) * r)
        kwargs = {} if seed == 0 else {"seed": seed}
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda t: Sin.apply(t, error=1e-2), x, **kwargs)
        message = str(caught.value)
        worst = np.unravel_index(np.argmax(expected), expected.shape)
        first = tuple(int(k) for k in np.argwhere(bad)[0])
        assert f"input 0 (shape (3, 4)) element {first}: analytic gradient" in message
        assert f"{int(bad.sum())} of 12 elements of input 0 disagree" in message
        worst = tuple(int(k) for k in worst)
        assert message.endswith(f"the largest |diff| {expected[worst]:.3g} at element {worst}")
        analytic = float(re.search(r"analytic gradient (\S+)", message).group(1))
        assert analytic == pytest.approx(1.01 * np.cos(x.data[first]) * r[first], rel=1e-9)


def test_same_seed_same_report_other_seed_other_report(rng):
    x = leaf(rng, 3, 4)

    def report(**kwargs):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda t: Sin.apply(t, error=1e-2), x, **kwargs)
        return str(caught.value)

    assert report() == report() == report(seed=0)
    assert report(seed=1) != report(seed=0)


def test_a_nan_gradient_in_one_element_is_the_largest_difference(rng):
    class OneNan(Sin):
        def backward(self, grad):
            g = 1.5 * super().backward(grad)
            g[2] = np.nan
            return g

    with pytest.raises(GradcheckError, match=r"5 of 5 elements .* largest \|diff\| nan at element \(2,\)$"):
        gradcheck(OneNan.apply, leaf(rng, 5))


def test_the_tolerance_bound_is_inclusive():
    """x = 0, ε = 2⁻¹⁰: the difference quotient of y = x is exact, so atol = rtol = 0 passes."""
    class Identity(Function):
        def forward(self, x):
            return x.copy()

        def backward(self, grad):
            """δx = δ"""
            return grad.copy()

    x = Tensor(np.zeros(3), requires_grad=True)
    assert gradcheck(Identity.apply, x, eps=2.0 ** -10, atol=0.0, rtol=0.0)


def test_rtol_scales_with_the_gradient_size(rng):
    """Gradients of size ~1000: a half-rtol error (0.005 %) passes, a 3·rtol error fails."""
    x = leaf(rng, 3, 4)
    assert gradcheck(lambda t: Sin.apply(t, error=5e-5, scale=1000.0), x)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: Sin.apply(t, error=3e-4, scale=1000.0), x)


def test_outputs_that_share_nodes_are_all_backpropagated(rng):
    """The second output depends on the first one's node: the graph must survive the first backward."""
    x = leaf(rng, 4)

    def two(t):
        y = Sin.apply(t)
        return y, Abs.apply(y, wrong=False)

    assert gradcheck(two, x)


# -- layout: the op sees what the caller had, as float64, never the caller's own memory ----------------
def strides_order(a):
    return list(np.argsort([-abs(s) for s in a.strides], kind="stable"))


@pytest.mark.parametrize("layout", ["c", "transposed", "strided", "strided-transposed"])
def test_the_op_sees_the_input_layout_in_float64_and_not_the_callers_memory(rng, layout):
    base = rng.standard_normal((6, 10)).astype(np.float32)
    base_copy = base.copy()
    data = {"c": base, "transposed": base.T, "strided": base[:, ::2],
            "strided-transposed": base[:, ::2].T}[layout]
    x = Tensor(np.zeros(1), requires_grad=True)
    x.data = data
    SEEN.clear()
    assert gradcheck(Sin.apply, x)
    seen = SEEN[0]
    assert seen.dtype == np.float64 and seen.shape == data.shape
    assert seen.flags.c_contiguous == data.flags.c_contiguous
    assert seen.flags.f_contiguous == data.flags.f_contiguous
    assert strides_order(seen) == strides_order(data)
    np.testing.assert_array_equal(seen, data.astype(np.float64))
    assert not any(np.shares_memory(a, data) for a in SEEN)
    assert np.shares_memory(x.data, data) and x.data.strides == data.strides   # still the caller's
    views = {"c": base_copy, "transposed": base_copy.T, "strided": base_copy[:, ::2],
             "strided-transposed": base_copy[:, ::2].T}
    np.testing.assert_array_equal(x.data, views[layout])                       # and unchanged
    assert x.grad is None


def test_the_largest_difference_is_looked_for_among_failing_elements_only():
    """cos(π/2) ≈ 0: that element passes; the others fail by |diff| < 1, and the largest of those
    (not the passing element) is reported."""
    x = Tensor(np.array([np.pi / 2, 0.3, 0.5, 1.0]), requires_grad=True)
    r = np.random.default_rng(0).standard_normal(4)
    diff = 0.01 * np.abs(np.cos(x.data) * r)
    assert diff.max() < 1
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda t: Sin.apply(t, error=1e-2), x)
    worst = int(np.argmax(diff[1:])) + 1
    assert str(caught.value).endswith(f"3 of 4 elements of input 0 disagree, the largest |diff| "
                                      f"{diff[worst]:.3g} at element ({worst},)")
