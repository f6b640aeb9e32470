"""Parity with PyTorch for sin, cos, cumsum, repeat, clamp_min/clamp_max over random shapes,
dims and repeat counts (values, dtype and the gradient for a random δ), and their gradchecks."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import examples, need
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import tinygrad_cnn as tc
from tinygrad_cnn import gradcheck

torch = need("torch", allow_module_level=True)
SETTINGS = settings(max_examples=examples(40), deadline=None, database=None)
shapes = array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


def both(fn_ours, fn_torch, x: np.ndarray, seed: int) -> None:
    ours, theirs = tc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = fn_ours(ours), fn_torch(theirs)
    assert out.shape == tuple(ref.shape) and str(out.dtype) == str(ref.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-7, atol=1e-9)
    delta = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


@SETTINGS
@given(shapes, st.sampled_from(["sin", "cos", "clamp_min", "clamp_max"]), st.integers(0, 2**31))
def test_elementwise(shape, name, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    args = (0.3,) if name.startswith("clamp") else ()
    both(lambda t: getattr(t, name)(*args), lambda t: getattr(t, name)(*args), x, seed)


@SETTINGS
@given(shapes, st.data(), st.integers(0, 2**31))
def test_cumsum(shape, data, seed):
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    x = np.random.default_rng(seed).standard_normal(shape)
    both(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), x, seed)
    ints = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    assert tc.tensor(ints).cumsum(dim).tolist() == torch.tensor(ints).cumsum(dim).tolist()
    assert str(tc.tensor(ints).cumsum(dim).dtype) == "int64"


@SETTINGS
@given(shapes, st.data(), st.integers(0, 2**31))
def test_repeat(shape, data, seed):
    extra = data.draw(st.integers(0, 2))
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=len(shape) + extra,
                                    max_size=len(shape) + extra)))
    if not reps:
        reps = (2,)
    x = np.random.default_rng(seed).standard_normal(shape)
    both(lambda t: t.repeat(*reps), lambda t: t.repeat(*reps), x, seed)


@pytest.mark.parametrize("fn", [tc.sin, tc.cos, lambda x: x.cumsum(1), lambda x: x.repeat(2, 1, 3)])
def test_gradcheck(fn):
    assert gradcheck(fn, tc.tensor(np.random.default_rng(3).standard_normal((2, 3)), requires_grad=True))


def test_bad_arguments_are_named():
    with pytest.raises(IndexError, match="cumsum"):
        tc.tensor([1.0, 2.0]).cumsum(2)
    with pytest.raises(RuntimeError, match=r"repeat: 1 repeat counts for a tensor with 2 dims"):
        tc.tensor([[1.0]]).repeat(2)


def test_sin_and_cos_export_to_onnx(tmp_path):
    ort = need("onnxruntime")
    from tinygrad_cnn.onnx import export

    class Waves(tc.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tc.nn.Linear(4, 3)

        def forward(self, x):
            h = self.fc(x)
            return h.sin() * 2 - h.cos()

    model = Waves()
    export(model, np.zeros((2, 4), np.float32), tmp_path / "waves.onnx")
    batch = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32) * 3
    session = ort.InferenceSession(str(tmp_path / "waves.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": batch})
    np.testing.assert_allclose(out, model(tc.tensor(batch)).data, rtol=1e-5, atol=1e-5)
