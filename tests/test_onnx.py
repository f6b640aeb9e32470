"""ONNX export: the file passes onnx's full check, and ONNX Runtime computes what model(x) does,
at a batch size other than the example's. Needs onnx + onnxruntime (skipped with a reason when
missing, failed under TINYGRAD_CNN_REQUIRE_ALL=1), except the tests of the missing-onnx error."""
from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from conftest import examples, requires
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tc
import tinygrad_cnn.functional as F
from tinygrad_cnn import Function, Tensor, models, nn
from tinygrad_cnn.onnx import DEFAULT_OPSET, ONNX_OPS, UnsupportedOpError, export

ONNX = requires("onnxruntime")
TOLERANCE = 1e-4
MEASURED: dict[str, float] = {}   # largest |onnxruntime − model(x)| per case, printed at the end


def images(batch, shape=(1, 28, 28), seed=0):
    return np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32)


def run_onnx(model_bytes_or_path, **feeds):
    import onnxruntime as ort
    source = model_bytes_or_path
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def export_and_compare(model, example, batch, case, tmp_path=None, opset=DEFAULT_OPSET, **options):
    """Export with `example`, check the file fully, run it at `batch`; returns the ModelProto."""
    import onnx
    target = io.BytesIO() if tmp_path is None else tmp_path / f"{case}.onnx"
    proto = export(model, example, target, opset=opset, **options)
    data = target.getvalue() if isinstance(target, io.BytesIO) else target.read_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    x = images(batch, example.shape[1:], seed=7)
    (got,) = run_onnx(data, input=x)
    want = model(Tensor(x)).data
    assert got.shape == want.shape and got.dtype == want.dtype
    diff = float(np.abs(got - want).max())
    MEASURED[case] = max(diff, MEASURED.get(case, 0.0))
    assert diff < TOLERANCE, f"{case}: onnxruntime differs from model(x) by {diff:.3g}"
    return proto


def op_types(proto):
    return [n.op_type for n in proto.graph.node]


def initializers(proto):
    from onnx import numpy_helper
    return {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}


@pytest.fixture(scope="module", autouse=True)
def report_largest_difference():
    yield
    if MEASURED:
        worst = max(MEASURED, key=MEASURED.__getitem__)
        print(f"\nlargest |onnxruntime - model(x)| over {len(MEASURED)} exports: "
              f"{MEASURED[worst]:.3g} ({worst})")


# -- the models ------------------------------------------------------------------------------------
MODEL_CASES = {
    "lenet5-relu-max": (lambda: models.LeNet5(activation="relu", pool="max", seed=1),
                        {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}),
    "lenet5-tanh-avg": (lambda: models.LeNet5(activation="tanh", pool="avg", seed=2),
                        {"Conv", "Tanh", "AveragePool", "Flatten", "Gemm"}),
    "lenet5-c3-table": (lambda: models.LeNet5(activation="tanh", pool="avg", c3_table=True, seed=3),
                        {"Conv", "Tanh", "AveragePool", "Flatten", "Gemm"}),
    "lenet5-relu-max-c3-table": (lambda: models.LeNet5(c3_table=True, seed=4),
                                 {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}),
    "toolbox": (lambda: models.ToolboxCNN(seed=5),
                {"Conv", "Sigmoid", "AveragePool", "Flatten", "Gemm"}),
    "five-layer-relu": (lambda: models.FiveLayerReLUCNN(seed=6),
                        {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}),
}


@ONNX
@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_runs_the_same_in_onnxruntime(case, tmp_path):
    build, expected_ops = MODEL_CASES[case]
    model = build()
    proto = export_and_compare(model, images(2), 5, case, tmp_path)
    export_and_compare(model, images(2), 1, case, tmp_path)
    assert set(op_types(proto)) == expected_ops          # one standard op per layer, nothing else
    (inp,) = proto.graph.input
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [1, 28, 28]
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert out_dims[0].dim_param == "batch" and out_dims[1].dim_value == 10
    assert proto.opset_import[0].version == DEFAULT_OPSET


@ONNX
def test_parameters_become_named_initializers_and_constants_fold():
    plain = models.LeNet5(seed=1)
    proto = export(plain, images(2), io.BytesIO())
    inits = initializers(proto)
    for name, p in plain.named_parameters():
        np.testing.assert_array_equal(inits[name], p.data)        # same name, same values
    assert set(inits) == {name for name, _ in plain.named_parameters()}

    table = models.LeNet5(c3_table=True, seed=1)     # masked weights are zero: weight ∘ mask = weight
    proto = export(table, images(2), io.BytesIO())
    inits = initializers(proto)
    assert set(inits) == {name for name, _ in table.named_parameters()}
    np.testing.assert_array_equal(inits["c3.weight"], table.c3.weight.data)
    assert "Mul" not in op_types(proto)

    table.c3.weight.data += 0.5           # masked weights non-zero: the mask must still apply
    proto = export_and_compare(table, images(2), 5, "lenet5 c3 table, masked weights non-zero")
    inits = initializers(proto)
    assert "c1.weight" in inits and "c3.weight" not in inits
    folded = inits["c3.weight_mul"]       # weight ∘ mask, evaluated once at export
    np.testing.assert_array_equal(folded, table.c3.weight.data * table.c3.mask.data)
    assert (folded == 0).sum() == (16 * 6 - 60) * 25            # 36 unconnected map pairs
    assert "Mul" not in op_types(proto)


@ONNX
def test_export_runs_in_eval_mode_and_restores_every_mode():
    class TrainingShift(nn.Module):
        """Adds 1 in training mode only."""

        def forward(self, x):
            return x + 1.0 if self.training else x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3, rng=np.random.default_rng(0))
            self.shift = TrainingShift()

        def forward(self, x):
            return self.shift(self.fc(x))

    net = Net()
    net.train()
    net.fc.eval()                                       # a mixed state, restored as it was
    data = io.BytesIO()
    export(net, np.ones((2, 4), np.float32), data)
    assert net.training and not net.fc.training and net.shift.training
    x = images(3, (4,))
    (got,) = run_onnx(data.getvalue(), input=x)
    net.eval()
    np.testing.assert_allclose(got, net(Tensor(x)).data, atol=TOLERANCE)
    assert not np.allclose(got, net.train()(Tensor(x)).data, atol=0.5)   # the training form differs


# -- layer and op variants ---------------------------------------------------------------------------
class Variants(nn.Module):
    """Conv2d with groups, dilation, stride, padding; every pooling flavour; subsampling."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(3)
        self.conv = nn.Conv2d(2, 4, 3, stride=1, padding=2, rng=rng)
        self.grouped = nn.Parameter(rng.standard_normal((6, 2, 3, 3)) * 0.3)
        self.sub = nn.Subsample(6, 2)
        self.sub.beta.data[:] = rng.uniform(0.1, 0.5, 6)
        self.sub.bias.data[:] = rng.standard_normal(6)
        self.pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1)

    def forward(self, x):
        x = F.relu(self.conv(x))                                            # (N, 4, 14, 14)
        x = F.conv2d(x, self.grouped, None, stride=(1, 2), padding=(2, 1), dilation=(2, 1),
                     groups=2)                                              # (N, 6, 14, 7)
        x = self.pool(x)
        a = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)        # (N, 6, 8, 4)
        b = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        c = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
        d = self.avg(x)                                                     # (N, 6, 7, 4)
        e = self.sub(x[:, :, :14, :6])                                      # (N, 6, 7, 3)
        return a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1), F.log_softmax(e.flatten(1), 1)


@ONNX
def test_conv_and_pooling_variants_match(tmp_path):
    model = Variants()
    x = images(2, (2, 12, 12))
    proto = export(model, x, tmp_path / "variants.onnx")
    import onnx
    onnx.checker.check_model(onnx.load(str(tmp_path / "variants.onnx")), full_check=True)
    ops = op_types(proto)
    assert {"Conv", "MaxPool", "AveragePool", "Mul", "Add", "LogSoftmax", "Slice"} <= set(ops)
    grouped = [n for n in proto.graph.node if n.op_type == "Conv"][1]
    attrs = {a.name: list(a.ints) or a.i for a in grouped.attribute}
    assert attrs["group"] == 2 and attrs["dilations"] == [2, 1] and attrs["strides"] == [1, 2]
    assert attrs["pads"] == [2, 1, 2, 1]
    x5 = images(5, (2, 12, 12), seed=4)
    got = run_onnx(str(tmp_path / "variants.onnx"), input=x5)
    want = model(Tensor(x5))
    assert [o.name for o in proto.graph.output] == [f"output_{i}" for i in range(5)]
    for g, w in zip(got, want):
        diff = float(np.abs(g - w.data).max())
        MEASURED["conv/pool variants"] = max(diff, MEASURED.get("conv/pool variants", 0.0))
        assert diff < TOLERANCE


def P(*shape, seed=0):
    return nn.Parameter(np.random.default_rng(seed).standard_normal(shape) * 0.5)


class Lambda(nn.Module):
    def __init__(self, fn, **params):
        super().__init__()
        for name, value in params.items():
            setattr(self, name, value)
        self.fn = fn

    def forward(self, x):
        return self.fn(self, x)


# name: (forward, parameters, example shape without the batch, ONNX ops that must appear)
OP_CASES = {
    "conv_transpose2d": (lambda m, x: F.conv_transpose2d(x, m.w, m.b, stride=2, padding=1,
                                                          output_padding=1, groups=2),
                         dict(w=P(4, 3, 3, 3), b=P(6)), (4, 5, 6), {"ConvTranspose"}),
    "conv2d padding='same'": (lambda m, x: F.conv2d(x, m.w, None, padding="same"),
                              dict(w=P(3, 4, 4, 3)), (4, 9, 10), {"Pad", "Conv"}),
    "max_pool2d dilation": (lambda m, x: F.max_pool2d(x * m.w, 2, stride=1, dilation=2),
                            dict(w=P(1)), (3, 8, 9), {"MaxPool"}),
    "avg_pool2d divisor_override": (lambda m, x: F.avg_pool2d(x * m.w, 2, divisor_override=3),
                                    dict(w=P(1)), (3, 8, 9), {"AveragePool"}),
    "adaptive_avg_pool2d 1": (lambda m, x: F.adaptive_avg_pool2d(x * m.w, 1), dict(w=P(1)),
                              (3, 8, 9), {"GlobalAveragePool"}),
    "adaptive_avg_pool2d (4, 3)": (lambda m, x: F.adaptive_avg_pool2d(x * m.w, (4, 3)),
                                   dict(w=P(1)), (3, 8, 9), {"AveragePool"}),
    "adaptive_max_pool2d": (lambda m, x: F.adaptive_max_pool2d(x * m.w, 1) + F.adaptive_max_pool2d(x, (4, 3))
                            .amax((2, 3), keepdim=True), dict(w=P(1)), (3, 8, 9),
                            {"GlobalMaxPool", "MaxPool"}),
    "conv1d, unflatten": (lambda m, x: m.unflatten(m.conv1d(x).flatten(1)), dict(
        conv1d=nn.Conv1d(3, 4, 3, padding=1, stride=2, rng=np.random.default_rng(0)),
        unflatten=nn.Unflatten(1, (2, 2, 3))), (3, 5), {"Conv", "Reshape"}),
    "pad constant and crop": (lambda m, x: F.pad(F.pad(x * m.w, (1, 2, 0, 1), value=0.5), (-1, 2)),
                              dict(w=P(1)), (3, 4, 5), {"Pad"}),
    "pad reflect, replicate": (lambda m, x: F.pad(F.pad(x * m.w, (1, 2, 2, 1), mode="reflect"),
                                                  (2, 0, 1, 1), mode="replicate"),
                               dict(w=P(1)), (3, 4, 5), {"Pad"}),
    "activations": (lambda m, x: F.leaky_relu(x * m.w, 0.2) + F.softmax(x, 1) + F.log_softmax(x, -1)
                    + x.sigmoid() + x.tanh() + x.relu(), dict(w=P(1)), (3, 4),
                    {"LeakyRelu", "Softmax", "LogSoftmax", "Sigmoid", "Tanh", "Relu"}),
    "arithmetic": (lambda m, x: ((x * m.w - 1) / 3 + 2) ** 2 + (-x).exp() + (x.abs() + 1).log()
                   + x.abs().sqrt() + x.clamp(-0.5, 0.3) + x.maximum(m.w) + x.minimum(m.w)
                   + x % 0.7, dict(w=P(4)), (3, 4),
                   {"Mul", "Sub", "Div", "Add", "Pow", "Neg", "Exp", "Log", "Abs", "Sqrt", "Clip",
                    "Max", "Min", "Floor"}),
    "reductions": (lambda m, x: (x * m.w).sum(1, keepdim=True).mean(-1) + x.amax((1, 2)).reshape(-1, 1)
                   + x.amin(2) + x.max() + x.max(2).values, dict(w=P(1)), (3, 4),
                   {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"}),
    "shapes": (lambda m, x: (x * m.w).permute(0, 2, 1).reshape(x.shape[0], 2, -1).transpose(1, 2)
               [:, 1:, ::2].flip(1).unsqueeze(1).squeeze(1), dict(w=P(1)), (3, 4),
               {"Transpose", "Reshape", "Slice"}),
    "indexing": (lambda m, x: (x * m.w)[:, 0] + x[..., None, -1, :].squeeze(1)[:, :4:1]
                 + x[:, [2, 0, 1]].sum(1), dict(w=P(1)), (3, 4),
                 {"Slice", "Squeeze", "Unsqueeze", "Gather"}),
    "cat, expand, where": (lambda m, x: tc.cat([x * m.w, x.expand(x.shape[0], 3, 4)], 1)
                           + m.w.expand(6, 4) + x[:, :1].expand(-1, 6, 4)
                           + tc.where(Tensor(np.arange(4) % 2 == 0), m.v, x[:, :1]),
                           dict(w=P(1), v=P(4)), (3, 4), {"Concat", "Expand", "Where"}),
    "matmul, linear on 3-d": (lambda m, x: x @ m.w + F.linear(x, m.v, m.b),
                              dict(w=P(4, 5), v=P(5, 4), b=P(5)), (3, 4), {"MatMul", "Transpose", "Add"}),
    "reshape with the batch inside": (lambda m, x: (x * m.w).reshape(3, x.shape[0], 4).sum(0),
                                      dict(w=P(1)), (3, 4), {"Reshape", "ReduceSum"}),
}


@ONNX
@pytest.mark.parametrize("case", OP_CASES)
def test_op_matches_onnxruntime(case):
    fn, params, shape, expected = OP_CASES[case]
    model = Lambda(fn, **params)
    proto = export_and_compare(model, images(2, shape), 5, case)
    assert expected <= set(op_types(proto))


@ONNX
@pytest.mark.parametrize("opset", [13, 18, 19, 21])
def test_other_opsets(opset):
    """Opset 18 moved the Reduce* axes to inputs, 19 added Pad's wrap mode."""
    for case in ("reductions", "indexing", "pad reflect, replicate", "activations"):
        fn, params, shape, _ = OP_CASES[case]
        proto = export_and_compare(Lambda(fn, **params), images(2, shape), 5, f"{case} opset {opset}",
                                   opset=opset)
        assert proto.opset_import[0].version == opset
    proto = export(models.ToolboxCNN(seed=0), images(2), io.BytesIO(), opset_version=opset)  # torch's name
    assert proto.opset_import[0].version == opset
    circular = Lambda(lambda m, x: F.pad(x * m.w, (1, 2, 2, 1), mode="circular"), w=P(1))
    if opset >= 19:
        export_and_compare(circular, images(2, (3, 4, 5)), 5, f"circular opset {opset}", opset=opset)
    else:
        with pytest.raises(UnsupportedOpError, match=r"index_pad.*'wrap'.*opset 19"):
            export(circular, images(2, (3, 4, 5)), io.BytesIO(), opset=opset)
    export_and_compare(models.LeNet5(seed=0), images(2), 3, f"lenet5 opset {opset}", opset=opset)


@ONNX
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.integers(1, 3), in_per_group=st.integers(1, 2), out_per_group=st.integers(1, 2),
       kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       size=st.tuples(st.integers(6, 11), st.integers(6, 11)), bias=st.booleans())
def test_conv2d_geometry_property(groups, in_per_group, out_per_group, kernel, stride, padding,
                                  dilation, size, bias):
    assume(all(d * (k - 1) + 1 <= n + 2 * p for d, k, n, p in zip(dilation, kernel, size, padding)))
    rng = np.random.default_rng(0)
    w = nn.Parameter(rng.standard_normal((groups * out_per_group, in_per_group, *kernel)))
    b = nn.Parameter(rng.standard_normal(groups * out_per_group)) if bias else None
    model = Lambda(lambda m, x: F.conv2d(x, m.w, m.b, stride=stride, padding=padding,
                                         dilation=dilation, groups=groups), w=w, b=b)
    export_and_compare(model, images(2, (groups * in_per_group, *size)), 3, "conv2d property")


@ONNX
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["max", "avg", "avg-exclude-pad"]),
       kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)), data=st.data(),
       ceil_mode=st.booleans(), size=st.tuples(st.integers(5, 10), st.integers(5, 10)))
def test_pooling_geometry_property(kind, kernel, stride, data, ceil_mode, size):
    padding = (data.draw(st.integers(0, kernel[0] // 2)), data.draw(st.integers(0, kernel[1] // 2)))
    scale = nn.Parameter(np.ones(1))

    def pool(m, x):
        if kind == "max":
            return F.max_pool2d(x * m.s, kernel, stride, padding, ceil_mode=ceil_mode)
        return F.avg_pool2d(x * m.s, kernel, stride, padding, ceil_mode=ceil_mode,
                            count_include_pad=kind == "avg")

    export_and_compare(Lambda(pool, s=scale), images(2, (2, *size)), 3, "pooling property")


# -- names, modes, targets ---------------------------------------------------------------------------
@ONNX
def test_names_several_inputs_and_outputs_and_file_objects():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3, rng=np.random.default_rng(0))

        def forward(self, a, b):
            logits = self.fc(a * b)
            return logits, F.softmax(logits, 1)

    net = TwoHeads()
    buffer = io.BytesIO()
    proto = export(net, (images(2, (4,)), images(2, (4,), seed=1)), buffer,
                   input_names=["a", "b"], output_names=["logits", "probs"])
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["logits", "probs"]
    a, b = images(4, (4,), seed=2), images(4, (4,), seed=3)
    logits, probs = run_onnx(buffer.getvalue(), a=a, b=b)
    want_logits, want_probs = net(Tensor(a), Tensor(b))
    np.testing.assert_allclose(logits, want_logits.data, atol=TOLERANCE)
    np.testing.assert_allclose(probs, want_probs.data, atol=TOLERANCE)
    node_names = [n.name for n in proto.graph.node]
    assert "/fc/Gemm" in node_names and len(set(node_names)) == len(node_names)


@ONNX
def test_fixed_batch_when_asked(tmp_path):
    import onnxruntime as ort
    path = tmp_path / "fixed.onnx"
    proto = export(models.LeNet5(seed=0), images(2), path, dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 1, 28, 28] and not dims[0].dim_param
    (out,) = run_onnx(str(path), input=images(2))
    assert out.shape == (2, 10)
    with pytest.raises(ort.capi.onnxruntime_pybind11_state.InvalidArgument):
        run_onnx(str(path), input=images(3))


@ONNX
def test_a_failed_export_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.onnx"
    export(models.LeNet5(seed=0), images(2), path)
    before = path.read_bytes()
    model = models.LeNet5(seed=0)
    with pytest.raises(UnsupportedOpError):
        export(lambda x: model.loss(model(x), np.zeros(len(x.data), np.int64)), images(2), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]    # no temporary left


# -- errors ------------------------------------------------------------------------------------------
class Square(Function):
    op = "square"

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        """δx = 2x ∘ δ"""
        (x,) = self.saved_tensors
        return 2 * x * grad


class WithSquare(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3, rng=np.random.default_rng(0))
        self.head = Lambda(lambda m, x: Square.apply(x))

    def forward(self, x):
        return self.head(self.fc(x))


@ONNX
def test_an_op_without_onnx_form_is_named_with_its_place():
    with pytest.raises(UnsupportedOpError) as info:
        export(WithSquare(), images(2, (4,)), io.BytesIO())
    message = str(info.value)
    assert "square" in message and "module 'head'" in message
    assert "%4 = square(%3 (2, 3)) -> (2, 3)" in message     # its place in the graph listing
    assert "conv2d" in message                               # and what can be exported


@ONNX
def test_a_loss_is_refused_with_advice():
    model = models.LeNet5(seed=0)
    labels = np.array([3, 1])
    with pytest.raises(UnsupportedOpError, match=r"cross_entropy.*loss.*model\(x\), not the loss"):
        export(lambda x: model.loss(model(x), labels), images(2), io.BytesIO())


@ONNX
def test_values_computed_outside_the_graph_are_refused():
    """A comparison is not recorded: its result would be baked in as a constant."""
    w = P(1)
    with pytest.raises(UnsupportedOpError, match=r"where.*'condition'.*outside the recorded graph"):
        export(Lambda(lambda m, x: tc.where(x > 0, x * m.w, x), w=w), images(2, (3,)), io.BytesIO())
    with pytest.raises(UnsupportedOpError, match=r"constant %\d+.*outside the recorded graph"):
        export(Lambda(lambda m, x: x * m.w - Tensor(x.data.mean()), w=w), images(2, (3,)), io.BytesIO())


@ONNX
def test_bad_arguments_are_explained():
    model = models.LeNet5(seed=0)
    with pytest.raises(ValueError, match=r"opset 12 is not supported; expected an int from 13"):
        export(model, images(2), io.BytesIO(), opset=12)
    with pytest.raises(TypeError, match=r"dtype int64.*floating-point"):
        export(model, np.zeros((2, 1, 28, 28), np.int64), io.BytesIO())
    with pytest.raises(ValueError, match=r"input_names \['a', 'b'\] must name each of the model's 1"):
        export(model, images(2), io.BytesIO(), input_names=["a", "b"])
    with pytest.raises(ValueError, match=r"share a name"):
        export(model, images(2), io.BytesIO(), input_names=["x"], output_names=["x"])
    with pytest.raises(TypeError, match=r"returned a ndarray"):
        export(lambda x: x.data, images(2), io.BytesIO())


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)        # `import onnx` now fails
    with pytest.raises(ImportError, match=r"pip install tinygrad_cnn\[onnx\]"):
        export(models.LeNet5(seed=0), images(2), io.BytesIO())


def test_importing_the_module_needs_no_onnx():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import tinygrad_cnn, tinygrad_cnn.onnx\n"
            "assert tinygrad_cnn.onnx.DEFAULT_OPSET == 17\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['onnx']"               # only the blocked entry itself


def test_every_mapped_op_has_an_emitter():
    from tinygrad_cnn.onnx import _Builder
    assert all(callable(getattr(_Builder, f"op_{op}", None)) for op in ONNX_OPS)
    exported = {op.op for op in tc.ops.ALL_OPS} & set(ONNX_OPS)
    assert {"conv2d", "max_pool2d", "avg_pool2d", "subsample", "linear", "relu", "reshape"} <= exported


# -- the command line (written by the training helper; these test the whole path) --------------------
def _checkpoint(tmp_path, name="lenet5", **config):
    from tinygrad_cnn.checkpoint import save_checkpoint
    model = models.build_model(name, seed=0, **config)
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, model, name, epoch=1, meta={"normalization": [0.1307, 0.3081]})
    return path, model


@ONNX
@pytest.mark.parametrize("name", ["lenet5", "toolbox", "five-layer-relu"])
def test_cli_export_writes_a_model_that_runs(name, tmp_path, capsys):
    from tinygrad_cnn.cli import main
    ckpt, model = _checkpoint(tmp_path, name)
    out = tmp_path / "model.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(out), "--opset", "18"]) == 0
    assert "wrote" in capsys.readouterr().out
    import onnx
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 18
    x = images(4, seed=5)
    (got,) = run_onnx(str(out), input=x)
    diff = float(np.abs(got - model(Tensor(x)).data).max())
    MEASURED[f"cli {name}"] = diff
    assert diff < TOLERANCE


def _cli_error(args, capsys):
    from tinygrad_cnn.cli import main
    code = main(args)
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    return err


@ONNX
def test_cli_export_errors_are_one_line(tmp_path, capsys):
    out = tmp_path / "model.onnx"
    err = _cli_error(["export", "--checkpoint", str(tmp_path / "missing.npz"), "--out", str(out)], capsys)
    assert "missing.npz" in err
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a checkpoint at all")
    err = _cli_error(["export", "--checkpoint", str(corrupt), "--out", str(out)], capsys)
    assert "corrupt.npz" in err
    ckpt, _ = _checkpoint(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = _cli_error(["export", "--checkpoint", str(ckpt), "--out", str(blocker / "model.onnx")], capsys)
    assert "a-file" in err
    assert not out.exists()
    with pytest.raises(SystemExit):                 # argparse: a bad --opset is a usage error
        _cli_error(["export", "--checkpoint", str(ckpt), "--out", str(out), "--opset", "x"], capsys)
    err = _cli_error(["export", "--checkpoint", str(ckpt), "--out", str(out), "--opset", "5"], capsys)
    assert "opset 5" in err and not out.exists()



@ONNX
def test_mixed_dtypes_are_cast_as_numpy_promotes():
    """float32 input, float64 weights: numpy computes in float64, so does the file (one Cast)."""
    w = nn.Parameter(np.random.default_rng(0).standard_normal((3, 4)), dtype=np.float64)
    model = Lambda(lambda m, x: F.linear(x, m.w) * 0.5, w=w)
    data = io.BytesIO()
    proto = export(model, images(2, (4,)), data)
    assert op_types(proto).count("Cast") == 1
    x = images(5, (4,), seed=1)
    (got,) = run_onnx(data.getvalue(), input=x)
    want = model(Tensor(x)).data
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got, want, atol=1e-12)


@ONNX
def test_outputs_that_are_the_input_or_a_constant():
    w = P(3)
    proto = export(Lambda(lambda m, x: (x, m.w * 2, x), w=w), images(2, (3,)), io.BytesIO())
    assert op_types(proto) == ["Identity"] * 3
    assert np.array_equal(initializers(proto)["w_mul"], w.data * 2)     # folded at export


@ONNX
def test_what_only_works_at_one_batch_size():
    w = P(3)
    from_shape = Lambda(lambda m, x: x * m.w + Tensor(np.ones(x.shape, np.float32)), w=w)
    with pytest.raises(UnsupportedOpError, match=r"constant %\d+ has shape \(2, 3\).*\(3, 3\) one sample "
                                                  r"larger.*dynamic_batch=False"):
        export(from_shape, images(2, (3,)), io.BytesIO())
    proto = export(from_shape, images(2, (3,)), io.BytesIO(), dynamic_batch=False)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [2, 3]

    branching = Lambda(lambda m, x: (x * m.w).relu() if len(x) > 2 else x * m.w, w=w)
    with pytest.raises(ValueError, match=r"different graph for batch size 3.*control flow"):
        export(branching, images(2, (3,)), io.BytesIO())

    def only_two(m, x):
        if len(x) != 2:
            raise ValueError(f"only_two: batch of {len(x)}")
        return x * m.w

    with pytest.raises(ValueError, match=r"second run.*only_two: batch of 3.*dynamic_batch=False"):
        export(Lambda(only_two, w=w), images(2, (3,)), io.BytesIO())
    assert export(Lambda(only_two, w=w), images(2, (3,)), io.BytesIO(), dynamic_batch=False)


class NormDrop(nn.Module):
    """conv → batch norm (running statistics when not training) → relu → dropout → linear."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(2)
        self.conv = nn.Conv2d(1, 4, 3, rng=rng)
        self.gamma = nn.Parameter(rng.uniform(0.5, 1.5, 4))
        self.beta = nn.Parameter(rng.standard_normal(4))
        self.running_mean = np.zeros(4, np.float32)
        self.running_var = np.ones(4, np.float32)
        self.fc = nn.Linear(4 * 6 * 6, 3, rng=rng)

    def forward(self, x):
        x = F.batch_norm(self.conv(x), self.running_mean, self.running_var, self.gamma, self.beta,
                         training=self.training, momentum=0.5)
        x = F.dropout(F.relu(x), 0.5, training=self.training)
        return self.fc(x.flatten(1))


@ONNX
def test_batch_norm_and_dropout_export_their_inference_form():
    model = NormDrop()
    for seed in range(3):                       # training moves the running statistics
        model(Tensor(images(8, (1, 8, 8), seed=seed) * 2 + 1))
    stats = model.running_mean.copy(), model.running_var.copy()
    assert not np.allclose(stats[0], 0)
    data = io.BytesIO()
    proto = export(model, images(2, (1, 8, 8)), data)          # from training mode
    assert model.training                                       # restored
    np.testing.assert_array_equal(model.running_mean, stats[0])   # export did not move them
    np.testing.assert_array_equal(model.running_var, stats[1])
    assert "BatchNormalization" in op_types(proto) and "Dropout" not in op_types(proto)
    inits = initializers(proto)
    np.testing.assert_array_equal(inits["running_mean"], stats[0])
    x = images(5, (1, 8, 8), seed=9)
    (got,) = run_onnx(data.getvalue(), input=x)
    model.eval()
    diff = float(np.abs(got - model(Tensor(x)).data).max())
    MEASURED["batch norm + dropout"] = diff
    assert diff < TOLERANCE

    model.train()
    always = Lambda(lambda m, x: F.dropout(x * m.w, 0.5, training=True), w=P(1))
    with pytest.raises(UnsupportedOpError, match=r"dropout was recorded in training mode"):
        export(always, images(2, (3,)), io.BytesIO())
    frozen = Lambda(lambda m, x: F.batch_norm(x * m.w, None, None, training=True), w=P(1))
    with pytest.raises(UnsupportedOpError, match=r"batch_norm.*training mode"):
        export(frozen, images(4, (3,)), io.BytesIO())


class Layers(nn.Module):
    """The nn layers: grouped strided Conv2d, BatchNorm2d, Dropout, ConvTranspose2d, adaptive
    pooling, Linear."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(4)
        self.conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=1, groups=2, rng=rng)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.3)
        self.up = nn.ConvTranspose2d(4, 2, 2, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 3, rng=rng)

    def forward(self, x):
        x = self.drop(F.relu(self.bn(self.conv(x))))
        return F.log_softmax(self.fc(self.pool(self.up(x)).flatten(1)), 1)


@ONNX
def test_nn_layers_batch_norm_and_dropout():
    model = Layers()
    for seed in range(3):
        model(Tensor(images(6, (2, 8, 8), seed=seed) * 3 + 1))      # moves the running statistics
    stats = model.bn.running_mean.data.copy()
    export(model, images(2, (2, 8, 8)), io.BytesIO())             # from training mode
    assert model.training and model.bn.training and model.drop.training
    np.testing.assert_array_equal(model.bn.running_mean.data, stats)   # not moved by export
    model.eval()
    proto = export_and_compare(model, images(2, (2, 8, 8)), 5, "nn layers with BatchNorm2d, Dropout")
    assert {"Conv", "BatchNormalization", "ConvTranspose", "GlobalAveragePool", "Gemm",
            "LogSoftmax"} <= set(op_types(proto))
    assert "Dropout" not in op_types(proto)
    inits = initializers(proto)
    np.testing.assert_array_equal(inits["bn.running_mean"], model.bn.running_mean.data)
    np.testing.assert_array_equal(inits["bn.running_var"], model.bn.running_var.data)
    np.testing.assert_array_equal(inits["bn.weight"], model.bn.weight.data)
    assert not np.allclose(inits["bn.running_mean"], 0)
