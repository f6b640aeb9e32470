"""Hypothesis parity against PyTorch 2.13 for the conv, pooling, padding, loss and normalisation
ops: random shapes, strides, paddings, dilations, groups and keywords; forward values and the
gradient of every input, in float64 (tolerance 1e-8 unless stated)."""
import numpy as np
import pytest
from conftest import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests need it "
                                            "(pip install torch==2.13.0)")
TF = torch.nn.functional
TOL = dict(rtol=1e-8, atol=1e-8)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
SETTINGS = settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compare(ours, theirs, *arrays, grad=None, tol=TOL):
    """Same float64 arrays through both; backward the same random δ; compare outputs and the
    gradient of each input flagged in `grad` (all by default)."""
    grad = [True] * len(arrays) if grad is None else grad
    ts = [Tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    ps = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    out, ref = ours(*ts), theirs(*ps)
    out, ref = (out, ref) if isinstance(out, tuple) else ((out,), (ref,))
    for o, r in zip(out, ref):
        assert o.shape == tuple(r.shape)
        np.testing.assert_allclose(o.data, r.detach().numpy(), **tol)
    if not any(grad):
        return
    delta = np.random.default_rng(0).standard_normal(out[0].shape)
    out[0].backward(delta)
    ref[0].backward(torch.tensor(delta))
    for i, (t, p) in enumerate(zip(ts, ps)):
        if grad[i]:
            np.testing.assert_allclose(t.grad, p.grad.numpy(), **tol, err_msg=f"input {i}")


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


def two(v):
    return (v, v) if isinstance(v, int) else v


@st.composite
def conv_case(draw, transpose=False):
    g = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s, d = draw(pairs), draw(pairs)
    p = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    ph, pw = two(p)
    dh, dw = two(d)
    if transpose:
        h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        sh, sw = two(s)
        op = (draw(st.integers(0, max(sh, dh) - 1)), draw(st.integers(0, max(sw, dw) - 1)))
        if min((h - 1) * sh - 2 * ph + dh * (k[0] - 1) + op[0] + 1,
               (w - 1) * sw - 2 * pw + dw * (k[1] - 1) + op[1] + 1) < 1:
            p, op = 0, (0, 0)
        return dict(n=draw(st.integers(1, 2)), cin=cin, cout=cout, h=h, w=w, k=k, stride=s,
                    padding=p, dilation=d, groups=g, output_padding=op)
    h = draw(st.integers(max(1, dh * (k[0] - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (k[1] - 1) + 1 - 2 * pw), 9))
    return dict(n=draw(st.integers(1, 2)), cin=cin, cout=cout, h=h, w=w, k=k, stride=s,
                padding=p, dilation=d, groups=g)


@SETTINGS
@given(conv_case(), st.booleans())
def test_conv2d(c, bias):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((c["n"], c["cin"], c["h"], c["w"]))
    w = rng.standard_normal((c["cout"], c["cin"] // c["groups"], *c["k"]))
    kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["groups"])
    if bias:
        b = rng.standard_normal(c["cout"])
        compare(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw), x, w, b)
    else:
        compare(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw), x, w)


@SETTINGS
@given(conv_case(), st.sampled_from(["same", "valid"]))
def test_conv2d_string_padding(c, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((c["n"], c["cin"], c["h"] + 4, c["w"] + 4))
    w = rng.standard_normal((c["cout"], c["cin"] // c["groups"], *c["k"]))
    kw = dict(padding=padding, dilation=c["dilation"], groups=c["groups"])
    compare(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw), x, w)


@SETTINGS
@given(conv_case(transpose=True), st.booleans())
def test_conv_transpose2d(c, bias):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((c["n"], c["cin"], c["h"], c["w"]))
    w = rng.standard_normal((c["cin"], c["cout"] // c["groups"], *c["k"]))
    kw = dict(stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"],
              groups=c["groups"], dilation=c["dilation"])
    b = rng.standard_normal(c["cout"]) if bias else None
    compare(lambda x, w: F.conv_transpose2d(x, w, None if b is None else Tensor(b), **kw),
            lambda x, w: TF.conv_transpose2d(x, w, None if b is None else torch.tensor(b), **kw), x, w)


@SETTINGS
@given(st.integers(1, 2), st.sampled_from([1, 2]), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 1), st.integers(1, 2), st.sampled_from([0, 1, "same", "valid"]))
def test_conv1d(n, g, cpg, k, s, p, d, padding):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((n, g * cpg, 9)), rng.standard_normal((2 * g, cpg, k))
    s = 1 if padding == "same" else s
    kw = dict(stride=s, padding=padding, dilation=d, groups=g)
    compare(lambda x, w: F.conv1d(x, w, **kw), lambda x, w: TF.conv1d(x, w, **kw), x, w)


@st.composite
def pool_case(draw, dilation=True):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = draw(st.one_of(st.none(), pairs))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = draw(pairs) if dilation else 1
    dh, dw = two(d)
    h = draw(st.integers(max(1, dh * (k[0] - 1) + 1 - 2 * p[0]), 10))
    w = draw(st.integers(max(1, dw * (k[1] - 1) + 1 - 2 * p[1]), 10))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), kernel_size=k,
                stride=s, padding=p, dilation=d, ceil_mode=draw(st.booleans()))


def every_window_touches_the_input(c):
    """PyTorch gives a window lying wholly in the padding an index outside the plane (and its
    backward then writes out of bounds), so the max-pool parity cases avoid such windows."""
    k, p, d = c["kernel_size"], two(c["padding"]), two(c["dilation"])
    s = k if c["stride"] is None else two(c["stride"])
    for axis in range(2):
        n = c["shape"][2 + axis]
        span = d[axis] * (k[axis] - 1) + 1
        size = (n + 2 * p[axis] - span + (s[axis] - 1 if c["ceil_mode"] else 0)) // s[axis] + 1
        if c["ceil_mode"] and (size - 1) * s[axis] >= n + p[axis]:
            size -= 1
        for i in range(size):
            taps = s[axis] * i - p[axis] + d[axis] * np.arange(k[axis])
            if not np.any((taps >= 0) & (taps < n)):
                return False
    return True


@SETTINGS
@given(pool_case())
def test_max_pool2d(c):
    assume(every_window_touches_the_input(c))
    shape = c.pop("shape")
    x = np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    compare(lambda t: F.max_pool2d(t, return_indices=True, **c),
            lambda t: TF.max_pool2d(t, return_indices=True, **c), x)


@SETTINGS
@given(pool_case(), st.sampled_from([np.int32, np.int64, np.float32]))
def test_max_pool2d_integer_and_float32_dtypes(c, dtype):
    assume(every_window_touches_the_input(c))
    shape = c.pop("shape")
    x = (np.random.default_rng(6).integers(-50, 50, shape)).astype(dtype)
    out = F.max_pool2d(Tensor(x), **c)
    ref = TF.max_pool2d(torch.tensor(x), **c)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.data, ref.numpy())


@SETTINGS
@given(pool_case(dilation=False), st.booleans(), st.sampled_from([None, None, 1, 3]))
def test_avg_pool2d(c, count_include_pad, divisor_override):
    shape = c.pop("shape")
    del c["dilation"]
    x = np.random.default_rng(7).standard_normal(shape)
    kw = dict(c, count_include_pad=count_include_pad, divisor_override=divisor_override)
    compare(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), x)


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5),
       st.one_of(st.none(), st.integers(1, 5)))
def test_adaptive_avg_pool2d(h, w, oh, ow):
    x = np.random.default_rng(8).standard_normal((2, 3, h, w))
    size = oh if ow is None else (oh, ow)
    compare(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), x)
    compare(lambda t: F.adaptive_avg_pool2d(t, (None, oh)),
            lambda t: TF.adaptive_avg_pool2d(t, (None, oh)), x)


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_max_pool2d(h, w, oh, ow):
    x = np.random.default_rng(12).permutation(2 * 3 * h * w).reshape(2, 3, h, w) * 1.0
    compare(lambda t: F.adaptive_max_pool2d(t, (oh, ow), return_indices=True),
            lambda t: TF.adaptive_max_pool2d(t, (oh, ow), return_indices=True), x)


@SETTINGS
@given(pool_case(dilation=False), st.booleans())
def test_max_unpool2d(c, explicit_size):
    shape = c.pop("shape")
    del c["dilation"], c["ceil_mode"]
    x = np.random.default_rng(9).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    pooled, idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **c)
    size = shape[2:] if explicit_size else None
    k, s, p = c["kernel_size"], c["stride"], c["padding"]
    assume(explicit_size or min(np.subtract(pooled.shape[2:], 1) * two(s or k) - 2 * np.array(p) + k) > 0)
    try:
        TF.max_unpool2d(pooled, idx, k, s, p, output_size=size)
    except RuntimeError:        # an index beyond the (default) output: both refuse
        with pytest.raises(ValueError, match="max_unpool2d: index .* out of range"):
            F.max_unpool2d(Tensor(pooled.numpy()), Tensor(idx.numpy()), k, s, p, output_size=size)
        return
    compare(lambda t: F.max_unpool2d(t, Tensor(idx.numpy()), k, s, p, output_size=size),
            lambda t: TF.max_unpool2d(t, idx, k, s, p, output_size=size), pooled.numpy())


@SETTINGS
@given(st.lists(st.integers(-2, 3), min_size=2, max_size=6).filter(lambda v: len(v) % 2 == 0),
       st.floats(-2, 2))
def test_constant_pad(widths, value):
    x = np.random.default_rng(10).standard_normal((2, 3, 4))
    if any(n + widths[2 * i] + widths[2 * i + 1] < 0 for i, n in enumerate((4, 3, 2)[:len(widths) // 2])):
        with pytest.raises(ValueError, match="crops more than the input"):
            F.pad(Tensor(x), widths)
        return
    compare(lambda t: F.pad(t, widths, value=value), lambda t: TF.pad(t, widths, value=value), x)


@SETTINGS
@given(st.sampled_from(["reflect", "replicate", "circular"]), st.integers(1, 3),
       st.lists(st.integers(0, 3), min_size=2, max_size=6).filter(lambda v: len(v) % 2 == 0))
def test_index_pad(mode, extra_dims, widths):
    k = len(widths) // 2
    x = np.random.default_rng(11).standard_normal((2,) * (extra_dims - (extra_dims > 1) + 0) + (4,) * k)
    if x.ndim not in (k + 1, k + 2):
        x = x.reshape((2,) + (4,) * k)
    compare(lambda t: F.pad(t, widths, mode=mode), lambda t: TF.pad(t, widths, mode=mode), x)


reductions = st.sampled_from(["mean", "sum", "none"])


@st.composite
def class_case(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return (n, c) + extra


@SETTINGS
@given(class_case(), reductions, st.booleans(), st.sampled_from([-100, 0, 1]),
       st.sampled_from([0.0, 0.0, 0.1, 0.5]), st.booleans())
def test_cross_entropy_class_indices(shape, reduction, weighted, ignore_index, smoothing, unbatched):
    rng = np.random.default_rng(13)
    if unbatched:
        shape = shape[1:2]
    logits = rng.standard_normal(shape) * 3
    target = rng.integers(0, shape[1] if not unbatched else shape[0],
                          (shape[:1] + shape[2:]) if not unbatched else ())
    w = rng.uniform(0.5, 2.0, shape[1] if not unbatched else shape[0]) if weighted else None
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    compare(lambda z: F.cross_entropy(z, target, None if w is None else Tensor(w), **kw),
            lambda z: TF.cross_entropy(z, torch.tensor(target), None if w is None else torch.tensor(w), **kw),
            logits)


@SETTINGS
@given(class_case(), reductions, st.booleans(), st.sampled_from([0.0, 0.2]))
def test_cross_entropy_probability_targets(shape, reduction, weighted, smoothing):
    rng = np.random.default_rng(14)
    logits, target = rng.standard_normal(shape) * 3, rng.dirichlet(np.ones(shape[1]), shape[:1] + shape[2:])
    target = np.moveaxis(target, -1, 1)
    w = rng.uniform(0.5, 2.0, shape[1]) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare(lambda z, p: F.cross_entropy(z, p, None if w is None else Tensor(w), **kw),
            lambda z, p: TF.cross_entropy(z, p, None if w is None else torch.tensor(w), **kw),
            logits, target)


@SETTINGS
@given(class_case(), reductions, st.booleans(), st.sampled_from([-100, 0, 2]))
def test_nll_loss(shape, reduction, weighted, ignore_index):
    rng = np.random.default_rng(15)
    x, target = rng.standard_normal(shape), rng.integers(0, shape[1], shape[:1] + shape[2:])
    w = rng.uniform(0.5, 2.0, shape[1]) if weighted else None
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    compare(lambda z: F.nll_loss(z, target, None if w is None else Tensor(w), **kw),
            lambda z: TF.nll_loss(z, torch.tensor(target), None if w is None else torch.tensor(w), **kw), x)


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@SETTINGS
@given(shapes, reductions)
def test_mse_and_l1_loss(shape, reduction):
    rng = np.random.default_rng(16)
    y, t = rng.standard_normal(shape), rng.standard_normal(shape)
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction),
            lambda a, b: TF.mse_loss(a, b, reduction=reduction), y, t)
    compare(lambda a, b: F.l1_loss(a, b, reduction=reduction),
            lambda a, b: TF.l1_loss(a, b, reduction=reduction), y, t)


@SETTINGS
@given(shapes, reductions, st.booleans())
def test_binary_cross_entropy(shape, reduction, weighted):
    rng = np.random.default_rng(17)
    y, t = rng.uniform(0.02, 0.98, shape), rng.uniform(0, 1, shape)
    w = rng.uniform(0.5, 2, shape[-1:]) if weighted else None
    compare(lambda a, b: F.binary_cross_entropy(a, b, None if w is None else Tensor(w), reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, None if w is None else torch.tensor(w),
                                                 reduction=reduction), y, t)


@SETTINGS
@given(shapes, reductions, st.booleans(), st.booleans())
def test_binary_cross_entropy_with_logits(shape, reduction, weighted, positive_weighted):
    rng = np.random.default_rng(18)
    x, t = rng.standard_normal(shape) * 4, rng.uniform(0, 1, shape)
    w = rng.uniform(0.5, 2, shape) if weighted else None
    pw = rng.uniform(0.5, 3, shape[-1:]) if positive_weighted else None

    def wrap(v, as_tensor):
        return None if v is None else as_tensor(v)

    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, wrap(w, Tensor), reduction=reduction,
                                                            pos_weight=wrap(pw, Tensor)),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, wrap(w, torch.tensor), reduction=reduction,
                                                             pos_weight=wrap(pw, torch.tensor)), x, t)


@SETTINGS
@given(st.integers(2, 4), st.integers(1, 3), st.lists(st.integers(1, 3), max_size=2).map(tuple),
       st.booleans(), st.booleans(), st.sampled_from([0.1, 0.5]))
def test_batch_norm(n, c, extra, training, affine, momentum):
    rng = np.random.default_rng(19)
    x = rng.standard_normal((n, c) + extra) * 2 + 1
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    ours_stats, torch_stats = [mean.copy(), var.copy()], [torch.tensor(mean), torch.tensor(var)]
    params = [rng.standard_normal(c), rng.standard_normal(c)] if affine else []

    def ours(x, *p):
        return F.batch_norm(x, *ours_stats, *(p or (None, None)), training=training, momentum=momentum)

    def theirs(x, *p):
        return TF.batch_norm(x, *torch_stats, *(p or (None, None)), training=training, momentum=momentum)

    compare(ours, theirs, x, *params)
    np.testing.assert_allclose(ours_stats[0], torch_stats[0].numpy(), **TOL)
    np.testing.assert_allclose(ours_stats[1], torch_stats[1].numpy(), **TOL)


@SETTINGS
@given(st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
       st.sampled_from([0, 1, 2, "same", "valid"]), st.integers(1, 3), st.sampled_from([1, 2]))
def test_conv2d_module_padding_modes(padding_mode, padding, k, groups):
    from tinygrad_cnn import nn
    ours = nn.Conv2d(2, 4, k, padding=padding, padding_mode=padding_mode, groups=groups)
    theirs = torch.nn.Conv2d(2, 4, k, padding=padding, padding_mode=padding_mode, groups=groups,
                             dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = np.random.default_rng(20).standard_normal((2, 2, 5, 6)).astype(np.float32)
    expected = theirs(torch.tensor(x, dtype=torch.float64)).detach().numpy()
    np.testing.assert_allclose(ours(Tensor(x)).data, expected, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(st.sampled_from([0.1, 0.5, None]), st.booleans(), st.booleans(), st.integers(2, 3))
def test_batch_norm_module_over_steps(momentum, affine, track, steps):
    """Train steps then eval: outputs, running statistics and their state-dict names match."""
    from tinygrad_cnn import nn
    ours = nn.BatchNorm2d(3, momentum=momentum, affine=affine, track_running_stats=track)
    theirs = torch.nn.BatchNorm2d(3, momentum=momentum, affine=affine, track_running_stats=track,
                                  dtype=torch.float64)
    rng = np.random.default_rng(21)
    for mode in ["train"] * steps + ["eval"]:
        ours.train(mode == "train")
        theirs.train(mode == "train")
        x = rng.standard_normal((4, 3, 2, 3)) * 3 + 1
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-5, atol=1e-6)


@SETTINGS
@given(st.sampled_from(["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]))
def test_unbatched_inputs(op):
    x = np.random.default_rng(22).standard_normal((3, 6, 5))
    w = np.random.default_rng(23).standard_normal((2, 3, 3, 3))
    calls = {"conv2d": (lambda f, t, w: f.conv2d(t, w, padding=1)),
             "max_pool2d": (lambda f, t, w: f.max_pool2d(t, 2)),
             "avg_pool2d": (lambda f, t, w: f.avg_pool2d(t, 2, ceil_mode=True)),
             "adaptive_avg_pool2d": (lambda f, t, w: f.adaptive_avg_pool2d(t, (2, 4)))}
    compare(lambda t: calls[op](F, t, Tensor(w)), lambda t: calls[op](TF, t, torch.tensor(w)), x)


@SETTINGS
@given(st.integers(1, 4), st.one_of(st.none(), st.integers(1, 3)), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.booleans())
def test_pool1d(k, s, p, d, ceil_mode, count_include_pad):
    assume(p <= k // 2)
    x = np.random.default_rng(24).permutation(2 * 3 * 11).reshape(2, 3, 11) * 1.0
    compare(lambda t: F.max_pool1d(t, k, s, p, d, ceil_mode, return_indices=True),
            lambda t: TF.max_pool1d(t, k, s, p, d, ceil_mode, return_indices=True), x)
    compare(lambda t: F.avg_pool1d(t, k, s, p, ceil_mode, count_include_pad),
            lambda t: TF.avg_pool1d(t, k, s, p, ceil_mode, count_include_pad), x)


def test_one_hot():
    t = np.array([[0, 3], [2, 1]])
    for n in (-1, 5):
        np.testing.assert_array_equal(F.one_hot(Tensor(t), n).data, TF.one_hot(torch.tensor(t), n).numpy())


@SETTINGS
@given(st.sampled_from(["relu6", "hardtanh", "elu", "softplus", "logsigmoid", "silu", "leaky_relu"]),
       shapes, st.floats(0.1, 3.0))
def test_composite_activations(name, shape, param):
    x = np.random.default_rng(25).standard_normal(shape) * 8           # reaches every branch
    x[np.abs(x) < 1e-3] = 0.5                                          # away from the kinks
    kwargs = {"elu": dict(alpha=param), "softplus": dict(beta=param, threshold=5.0),
              "leaky_relu": dict(negative_slope=param / 10),
              "hardtanh": dict(min_val=-param, max_val=param)}.get(name, {})
    compare(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(TF, name)(t, **kwargs), x)


@pytest.mark.parametrize("name, args", [("ReLU6", ()), ("Hardtanh", (-2.0, 0.5)), ("ELU", (0.7,)),
                                        ("Softplus", (2.0, 3.0)), ("LogSigmoid", ()), ("SiLU", ()),
                                        ("LeakyReLU", (0.2,)), ("Softmax", (1,)), ("LogSoftmax", (0,))])
def test_activation_modules(name, args):
    from tinygrad_cnn import nn
    x = np.random.default_rng(26).standard_normal((4, 5)) * 4
    compare(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), x)
