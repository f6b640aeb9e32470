"""Tests written to kill the mutants `make mutate` found alive (docs/testing.md lists them).

Each test names the behaviour it pins; most check a whole error message, because a message that
names the file, the fault and the remedy is part of the product and a mutant that garbles it was
surviving. Kept in one file so that the mutation run's fast selection picks them all up.
"""
from __future__ import annotations

import gzip
import json
import re
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tinygrad_cnn.data.idx import IDXError, read_idx_images, read_idx_labels

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None

# -- data/idx.py ---------------------------------------------------------------------------------


def test_idx_corrupt_gzip_names_the_error_type_and_the_remedy(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 30)        # gzip magic, then no valid gzip header
    with pytest.raises(IDXError) as caught:
        read_idx_labels(path)
    assert re.fullmatch(rf"{re.escape(str(path))}: corrupt gzip data \(BadGzipFile: .+\); "
                        r"delete the file and fetch it again", str(caught.value)), str(caught.value)


@pytest.mark.parametrize("reader, magic, kind", [(read_idx_labels, 2049, "labels"),
                                                 (read_idx_images, 2051, "images")])
def test_idx_too_short_for_a_magic_number_names_the_expected_kind(tmp_path, reader, magic, kind):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(IDXError) as caught:
        reader(path)
    assert str(caught.value) == (f"{path}: 3 bytes, too short for an IDX magic number "
                                 f"(expected {magic} for {kind})")


def test_idx_wrong_magic_names_the_expected_kind(tmp_path):
    path = tmp_path / "labels-as-images"
    path.write_bytes((2049).to_bytes(4, "big") + (0).to_bytes(4, "big"))
    with pytest.raises(IDXError) as caught:
        read_idx_images(path)
    assert str(caught.value).endswith("expected 2051 (type code 0x08, 3 dimension(s): images)")


def test_idx_four_bytes_is_a_truncated_header_not_a_missing_magic(tmp_path):
    path = tmp_path / "magic-only"
    path.write_bytes((2049).to_bytes(4, "big"))
    with pytest.raises(IDXError) as caught:
        read_idx_labels(path)
    assert str(caught.value) == f"{path}: truncated header: 4 bytes, expected at least 8 for 1 dimension(s)"


def test_idx_empty_file_of_zero_items_reads_as_an_empty_array(tmp_path):
    """A header and nothing else is a valid file of 0 labels (len == header is not truncated)."""
    path = tmp_path / "empty-labels.gz"
    path.write_bytes(gzip.compress((2049).to_bytes(4, "big") + (0).to_bytes(4, "big")))
    labels = read_idx_labels(path)
    assert labels.shape == (0,) and labels.dtype == np.int64


# -- checkpoint.py -------------------------------------------------------------------------------
@pytest.fixture
def ckpt():
    from tinygrad_cnn import checkpoint

    return checkpoint


def write_npz(path: Path, meta=None, **arrays) -> Path:
    if meta is not None:
        arrays["meta"] = meta if isinstance(meta, np.ndarray) else np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def good_meta(ckpt, **changes):
    return dict({"format": ckpt.FORMAT, "model": "lenet5", "model_config": {}, "epoch": 3}, **changes)


def load_error(ckpt, path) -> str:
    with pytest.raises(ckpt.CheckpointError) as caught:
        ckpt.load_checkpoint(path)
    return str(caught.value)


def test_checkpoint_defaults_epoch_0_no_optimizer_and_config_of_a_plain_module(ckpt, tmp_path):
    from tinygrad_cnn import nn

    path = ckpt.save_checkpoint(tmp_path / "c.npz", nn.Linear(2, 3), "lenet5")
    loaded = ckpt.load_checkpoint(path)
    assert loaded.epoch == 0 and loaded.meta["optimizer"] is None
    assert loaded.model_config == {} and loaded.optimizer_state == {}
    assert loaded.path == path and sorted(loaded.model_state) == ["bias", "weight"]


def test_checkpoint_saves_an_optimizer_that_has_only_a_flat_state_dict(ckpt, tmp_path):
    from tinygrad_cnn import nn

    class OldStyleOptimizer:
        def state_dict(self):
            return {"lr": 0.5, "state.0.momentum": np.ones(2)}

    path = ckpt.save_checkpoint(tmp_path / "c.npz", nn.Linear(2, 3), "lenet5", OldStyleOptimizer(), epoch=2)
    loaded = ckpt.load_checkpoint(path)
    assert loaded.meta["optimizer"] == "OldStyleOptimizer" and loaded.epoch == 2
    assert float(loaded.optimizer_state["lr"]) == 0.5
    np.testing.assert_array_equal(loaded.optimizer_state["state.0.momentum"], np.ones(2))


def test_checkpoint_all_finite_skips_non_float_arrays(ckpt):
    assert ckpt.all_finite({"names": np.array(["a", "b"]), "n": np.arange(3), "w": np.ones(2)}) is None
    assert ckpt.all_finite({"n": np.arange(3), "w": np.array([1.0, np.inf])}) == "w"


def test_checkpoint_build_model_with_a_bad_config_names_model_and_config(ckpt):
    bad = ckpt.Checkpoint(model_name="lenet5", model_config={"bogus": 1}, model_state={})
    with pytest.raises(ckpt.CheckpointError) as caught:
        bad.build_model()
    assert str(caught.value).startswith("checkpoint None: cannot build model 'lenet5' with config "
                                        "{'bogus': 1}: ")


def test_checkpoint_folder_empty_and_foreign_files(ckpt, tmp_path):
    assert load_error(ckpt, tmp_path) == (f"checkpoint {tmp_path} is a folder; expected a .npz file "
                                          f"(e.g. {tmp_path / 'last.npz'})")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    assert load_error(ckpt, empty) == f"checkpoint {empty} is empty (0 bytes): an interrupted copy or write?"
    text = tmp_path / "text.npz"
    text.write_bytes(b"hello world")
    assert load_error(ckpt, text) == (f"checkpoint {text} is not a checkpoint: not a .npz (zip) archive "
                                      f"(it starts with bytes b'hell', expected b'PK\\x03\\x04')")


def test_checkpoint_unreadable_file_gives_the_os_reason(ckpt, tmp_path):
    path = tmp_path / "sock.npz"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))                  # opening a socket file fails with ENXIO
        assert load_error(ckpt, path) == f"checkpoint {path}: cannot read it: No such device or address"
    finally:
        server.close()


def test_checkpoint_pickled_truncated_and_corrupt_archives(ckpt, tmp_path):
    evil = tmp_path / "evil.npz"
    with open(evil, "wb") as f:
        np.savez(f, model=np.array([{"a": 1}], dtype=object))
    assert load_error(ckpt, evil) == (f"checkpoint {evil} holds a pickled object array; refused: "
                                      "checkpoints are read with allow_pickle=False (data only, no code)")
    good = write_npz(tmp_path / "good.npz", good_meta(ckpt), **{"model/w": np.ones(100)})
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:300])
    message = load_error(ckpt, cut)
    assert re.fullmatch(rf"checkpoint {re.escape(str(cut))} is truncated or corrupt \(BadZipFile: .+\); "
                        r"use another checkpoint of the run \(last\.npz / best\.npz\)", message), message
    garbled = tmp_path / "garbled.npz"
    with zipfile.ZipFile(garbled, "w") as z:
        z.writestr("w.npy", b"\x93NUMPY\x01\x00" + (16).to_bytes(2, "little") + b'{"descr": 1}   \n')
    assert load_error(ckpt, garbled) == (f"checkpoint {garbled} is corrupt: Header does not contain the "
                                         "correct keys: ['descr']")


def test_checkpoint_without_meta_lists_the_first_five_keys(ckpt, tmp_path):
    path = write_npz(tmp_path / "foreign.npz", **{f"k{i}": np.zeros(1) for i in range(7)})
    assert load_error(ckpt, path) == (f"checkpoint {path}: not a tinygrad_cnn checkpoint (no 'meta' entry; "
                                      "keys: ['k0', 'k1', 'k2', 'k3', 'k4'])")


@pytest.mark.parametrize("meta, message", [
    (np.array("{not json"), "its 'meta' entry is not valid JSON (Expecting property name enclosed in "
                            "double quotes: line 1 column 2 (char 1))"),
    (np.array("[1, 2]"), "its 'meta' entry is not a JSON object of metadata"),
    (np.array(b"{}"), "its 'meta' entry is not a JSON object of metadata"),     # bytes, not text
    ({"format": "other"}, "checkpoint format 'other', expected 'tinygrad_cnn-checkpoint-1'"),
])
def test_checkpoint_bad_meta_entries(ckpt, tmp_path, meta, message):
    path = write_npz(tmp_path / "c.npz", meta, **{"model/w": np.ones(2)})
    assert load_error(ckpt, path) == f"checkpoint {path}: {message}"


@pytest.mark.parametrize("change, message", [
    ({"model": None}, "its metadata lacks the key 'model' (keys: ['epoch', 'format', 'model_config']); "
                      "the file is damaged or not from this program"),
    ({"epoch": "3"}, "metadata 'epoch' is '3', expected a int"),
    ({"epoch": True}, "metadata 'epoch' is True, expected a int"),
    ({"model": "vgg"}, "unknown model 'vgg'; expected one of {models}"),
])
def test_checkpoint_metadata_keys_types_and_model_name(ckpt, tmp_path, change, message):
    from tinygrad_cnn.models import MODELS

    meta = good_meta(ckpt, **change)
    meta = {k: v for k, v in meta.items() if v is not None}
    path = write_npz(tmp_path / "c.npz", meta, **{"model/w": np.ones(2)})
    assert load_error(ckpt, path) == f"checkpoint {path}: " + message.format(models=sorted(MODELS))


def test_checkpoint_non_finite_entry_is_refused_naming_it(ckpt, tmp_path):
    arrays = {"model/w": np.ones(2), "optimizer/m": np.array([np.nan])}
    path = write_npz(tmp_path / "c.npz", good_meta(ckpt), **arrays)
    assert load_error(ckpt, path) == (f"checkpoint {path}: entry 'optimizer/m' holds NaN or inf (a diverged "
                                      "run); use an earlier checkpoint")


# -- ops: edge cases of VJPs the op tests did not reach ---------------------------------------------
def T(values, grad=True):
    from tinygrad_cnn import Tensor

    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def test_pow_gradients_at_exponent_0_and_1_and_base_0():
    """d/da a^0 = 0 (even at a = 0), d/da a^1 = 1; d/db 0^b = 0 for b ≥ 0 (PyTorch's values)."""
    for b, expected in ((0.0, [0.0, 0.0, 0.0]), (1.0, [1.0, 1.0, 1.0])):
        a = T([0.0, 2.0, -3.0])
        (a ** b).sum().backward()
        np.testing.assert_array_equal(a.grad, expected)
    a, b = T([0.0, 0.0, 0.0, 2.0], grad=False), T([0.0, 0.5, 2.0, 3.0])
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 0.0, 0.0, 8 * np.log(2.0)], rtol=1e-12)


@pytest.mark.parametrize("a_shape, b_shape", [((1, 3, 5), (3, 1)), ((2, 2), (2, 1)), ((4, 2, 3), (2, 1))])
def test_broadcast_gradient_sums_over_every_size_1_axis(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = T(rng.standard_normal(a_shape)), T(rng.standard_normal(b_shape))
    r = rng.standard_normal(np.broadcast_shapes(a_shape, b_shape))
    (a * b).backward(r)
    lead = tuple(range(len(r.shape) - len(b_shape)))
    expected = (r * a.data).sum(axis=lead).sum(axis=tuple(i for i, n in enumerate(b_shape) if n == 1),
                                                 keepdims=True)
    np.testing.assert_allclose(b.grad, expected.reshape(b_shape), rtol=1e-12)


def test_amax_splits_delta_between_ties_per_slice_and_keeps_dims():
    x = T([[1.0, 3.0, 3.0], [5.0, 0.0, 2.0]])
    out = x.amax(dim=1)
    np.testing.assert_array_equal(out.data, [3.0, 5.0])
    out.backward(np.array([1.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [4.0, 0.0, 0.0]])
    kept = x.amax(dim=1, keepdim=True)
    assert kept.shape == (2, 1)
    np.testing.assert_array_equal(kept.data, [[3.0], [5.0]])


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_sum_and_mean_keepdim(reduce):
    x = T(np.arange(6.0).reshape(2, 3))
    out = getattr(x, reduce)(dim=1, keepdim=True)
    assert out.shape == (2, 1)
    np.testing.assert_allclose(out.data, getattr(x.data, reduce)(axis=1, keepdims=True))


@pytest.mark.parametrize("dims", [(1, 2, 0), (-1, 0, 1), (2, -3, -2)])
def test_permute_gradient_is_the_inverse_permutation(dims):
    from tinygrad_cnn import gradcheck

    x = T(np.random.default_rng(1).standard_normal((2, 3, 4)))
    assert x.permute(*dims).shape == tuple(x.shape[d] for d in dims)
    assert gradcheck(lambda t: t.permute(*dims), x)


def test_subsample_gradient_when_only_the_input_requires_grad():
    import tinygrad_cnn.functional as F

    x = T(np.random.default_rng(2).standard_normal((1, 2, 4, 4)))
    beta, bias = T([2.0, -1.0], grad=False), T([0.5, 0.0], grad=False)
    F.subsample(x, beta, bias, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.array([2.0, -1.0]).reshape(1, 2, 1, 1), x.shape))


def test_avg_pool_excluding_padding_divides_by_the_real_window_size():
    import tinygrad_cnn.functional as F

    x = T(np.arange(16.0).reshape(1, 1, 4, 4))
    out = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    padded = np.pad(x.data[0, 0], 1, constant_values=np.nan)
    expected = [[np.nanmean(padded[i:i + 3, j:j + 3]) for j in (0, 2)] for i in (0, 2)]
    np.testing.assert_allclose(out.data[0, 0], expected, rtol=1e-12)
    out.sum().backward()
    counts = [[4, 6], [6, 9]]   # real pixels in each window
    expected_grad = np.zeros((6, 6))
    for i, ci in zip((0, 2), range(2)):
        for j, cj in zip((0, 2), range(2)):
            expected_grad[i:i + 3, j:j + 3] += 1.0 / counts[ci][cj]
    np.testing.assert_allclose(x.grad[0, 0], expected_grad[1:5, 1:5], rtol=1e-12)


# -- autograd: graph text, op names, hooks, grad mode ---------------------------------------------------
def test_graph_text_names_leaves_marks_requires_grad_and_lists_attrs():
    from tinygrad_cnn import Graph

    w = T([[1.0, 2.0]])
    w.name = "fc.weight"
    c = T([3.0], grad=False)
    y = (w * c).sum(dim=1)
    graph = Graph(y)
    assert graph.root is y
    lines = str(graph).split("\n")
    assert lines[0].startswith("%0 = leaf fc.weight ") and lines[0].endswith(" requires_grad")
    assert lines[1].startswith("%1 = leaf ") and not lines[1].endswith("requires_grad")
    assert "XX" not in str(graph) and lines[1].split()[3] != "leaf"
    assert lines[2].startswith("%2 = mul(%0, %1) ")
    assert lines[3].startswith("%3 = sum(%2; ") and "dim" in lines[3]


def test_function_subclass_keeps_its_own_op_name():
    from tinygrad_cnn import Function

    class Named(Function):
        op = "my_op"

    class Unnamed(Function):
        pass

    assert Named.op == "my_op" and Unnamed.op == "unnamed"


def test_hooks_may_return_none_an_array_or_a_tensor():
    from tinygrad_cnn import Tensor

    x = T([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))                 # None: δ unchanged
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    y = T([1.0, 2.0])
    y.register_hook(lambda g: Tensor(g * 10))                        # a Tensor replaces δ
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(y.grad, [30.0, 30.0])


def test_set_grad_enabled_as_a_decorator():
    from tinygrad_cnn import set_grad_enabled

    x = T([1.0])

    @set_grad_enabled(False)
    def off():
        return x * 2

    @set_grad_enabled(True)
    def on():
        return x * 2

    assert not off().requires_grad and on().requires_grad


# -- optim ---------------------------------------------------------------------------------------
def test_adam_accepts_torch_boundary_hyperparameters_and_refuses_beta_1():
    from tinygrad_cnn.optim import Adam

    p = T([1.0])
    Adam([p], lr=0.0, eps=0.0, betas=(0.0, 0.0))          # PyTorch accepts these
    for bad in (dict(betas=(1.0, 0.9)), dict(betas=(0.9, 1.0)), dict(weight_decay=-1.0), dict(eps=-1e-8),
                dict(lr=-1.0)):
        with pytest.raises(ValueError):
            Adam([p], **bad)


def test_adam_first_step_uses_plus_eps():
    """Step 1: m̂ = g, v̂ = g², so Δ = −lr · g / (|g| + eps): a large eps shows its sign."""
    from tinygrad_cnn.optim import Adam, AdamW

    for cls in (Adam, AdamW):
        p = T([1.0, -2.0])
        p.grad = np.array([0.5, -0.5])
        cls([p], lr=0.1, eps=0.5, weight_decay=0.0).step()
        np.testing.assert_allclose(p.data, [1.0 - 0.1 * 0.5 / 1.0, -2.0 + 0.1 * 0.5 / 1.0], rtol=1e-6)


def test_adamw_maximize_ascends():
    from tinygrad_cnn.optim import AdamW

    p = T([1.0])
    p.grad = np.array([2.0])
    AdamW([p], lr=0.1, weight_decay=0.0, maximize=True).step()
    assert p.data[0] == pytest.approx(1.1, rel=1e-6)


@pytest.mark.parametrize("which", ["x", "w"])
def test_linear_and_matmul_gradients_when_only_one_operand_requires_grad(which):
    import tinygrad_cnn.functional as F

    rng = np.random.default_rng(3)
    xd, wd, r = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal((4, 2))
    for product in (lambda x, w: F.linear(x, w), lambda x, w: x @ w.permute(1, 0)):
        x, w = T(xd, grad=which == "x"), T(wd, grad=which == "w")
        product(x, w).backward(r)
        if which == "x":
            np.testing.assert_allclose(x.grad, r @ wd, rtol=1e-12)
            assert w.grad is None
        else:
            np.testing.assert_allclose(w.grad, r.T @ xd, rtol=1e-12)
            assert x.grad is None


def test_log_softmax_shifts_each_row_by_its_own_maximum():
    """Rows 2000 apart: shifting by the global maximum would underflow the second row to −inf."""
    import tinygrad_cnn.functional as F

    z = np.array([[1000.0, 0.0], [-1000.0, -1001.0]])
    out = F.log_softmax(T(z, grad=False), dim=1)
    expected = z - z.max(axis=1, keepdims=True)
    expected = expected - np.log(np.exp(expected).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_cross_entropy_reductions(reduction):
    import tinygrad_cnn.functional as F

    z = np.random.default_rng(4).standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    logits = T(z)
    out = F.cross_entropy(logits, labels, reduction=reduction)
    shifted = z - z.max(axis=1, keepdims=True)
    per = -(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[np.arange(5), labels]
    expected = {"none": per, "sum": per.sum(), "mean": per.mean()}[reduction]
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    out.backward(np.ones(out.shape))
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(3)[labels]) / (5 if reduction == "mean" else 1),
                               rtol=1e-10)


def test_conv2d_keeps_float32_in_forward_and_backward():
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import Tensor

    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 2, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    out = F.conv2d(x, w, b, padding=1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_grouped_conv2d_is_one_conv_per_group():
    import tinygrad_cnn.functional as F

    rng = np.random.default_rng(6)
    xd, wd, bd = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal(6)
    r = rng.standard_normal((2, 6, 3, 3))
    x, w, b = T(xd), T(wd), T(bd)
    out = F.conv2d(x, w, b, groups=2)
    out.backward(r)
    for g in range(2):
        xs, ws, bs = T(xd[:, 2 * g:2 * g + 2]), T(wd[3 * g:3 * g + 3]), T(bd[3 * g:3 * g + 3])
        part = F.conv2d(xs, ws, bs)
        part.backward(r[:, 3 * g:3 * g + 3])
        np.testing.assert_allclose(out.data[:, 3 * g:3 * g + 3], part.data, rtol=1e-10)
        np.testing.assert_allclose(x.grad[:, 2 * g:2 * g + 2], xs.grad, rtol=1e-10)
        np.testing.assert_allclose(w.grad[3 * g:3 * g + 3], ws.grad, rtol=1e-10)
        np.testing.assert_allclose(b.grad[3 * g:3 * g + 3], bs.grad, rtol=1e-10)


# -- losses: weights, ignore_index, label smoothing, reductions, float32 -----------------------------
CE_CASES = [dict(), dict(weight=[0.2, 1.0, 3.0]), dict(ignore_index=1), dict(label_smoothing=0.1),
            dict(weight=[0.2, 1.0, 3.0], ignore_index=2, label_smoothing=0.3)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", CE_CASES)
def test_cross_entropy_options_match_pytorch(options, reduction):
    from conftest import need

    import tinygrad_cnn.functional as F

    torch = need("torch")
    rng = np.random.default_rng(7)
    z, labels = rng.standard_normal((6, 3)), np.array([0, 1, 2, 1, 0, 2])
    r = rng.standard_normal(6) if reduction == "none" else np.array(1.0)
    ours = T(z)
    theirs = torch.tensor(z, requires_grad=True)
    weight = options.get("weight")
    kw = dict(options, weight=None if weight is None else np.array(weight))
    out = F.cross_entropy(ours, labels, reduction=reduction, **kw)
    ref = torch.nn.functional.cross_entropy(
        theirs, torch.tensor(labels), reduction=reduction,
        **dict(options, weight=None if weight is None else torch.tensor(weight, dtype=torch.float64)))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.backward(r)
    ref.backward(torch.tensor(r))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_reductions_and_target_gradient(reduction):
    import tinygrad_cnn.functional as F

    rng = np.random.default_rng(8)
    y, t = T(rng.standard_normal((3, 4))), T(rng.standard_normal((3, 4)))
    out = F.mse_loss(y, t, reduction=reduction)
    diff = y.data - t.data
    expected = {"mean": (diff ** 2).mean(), "sum": (diff ** 2).sum(), "none": diff ** 2}[reduction]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    out.backward(np.ones(out.shape))
    dy = 2 * diff / (diff.size if reduction == "mean" else 1)
    np.testing.assert_allclose(y.grad, dy, rtol=1e-12)
    np.testing.assert_allclose(t.grad, -dy, rtol=1e-12)


def test_losses_keep_float32():
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import Tensor

    y = Tensor(np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    t = np.zeros((4, 3), dtype=np.float32)
    for loss in (F.mse_loss(y, t), F.squared_error(y, t), F.cross_entropy(y, np.array([0, 1, 2, 0]))):
        assert loss.dtype == np.float32, loss
        y.grad = None
        loss.backward()
        assert y.grad.dtype == np.float32


def test_squared_error_is_half_the_sum_over_the_batch_size():
    import tinygrad_cnn.functional as F

    y, t = T([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]]), np.zeros((3, 2))
    out = F.squared_error(y, t)
    assert float(out.data) == pytest.approx(0.5 * (1 + 4 + 9 + 25 + 0 + 1) / 3)
    out.backward()
    np.testing.assert_allclose(y.grad, y.data / 3)


def test_backward_walk_visits_each_tensor_once_and_reports_each_step():
    from tinygrad_cnn import Graph, autograd

    x = T([1.0, 2.0])
    a = x * 2.0
    y = (a + a * a).sum()                       # a is used twice: a diamond
    graph = Graph(y)
    assert len(graph.tensors) == len({id(t) for t in graph.tensors}) == 6
    twice = Graph(a + a)                        # one tensor as both inputs of one op
    assert len(twice.tensors) == len({id(t) for t in twice.tensors}) == 4
    steps = []
    autograd.backward(y, on_step=lambda node, delta, grads: steps.append((node.op, delta.shape, len(grads))))
    assert [s[0] for s in steps] == [n.op for n in reversed(graph.nodes)]
    assert steps[0] == ("sum", (), 1) and all(isinstance(s[2], int) for s in steps)
    np.testing.assert_allclose(x.grad, 2 * (1 + 2 * a.data))
    with pytest.raises(RuntimeError, match="already released"):
        autograd.backward(y)                     # retain_graph defaults to False


def test_no_grad_records_nothing_and_a_fresh_node_has_no_norm():
    from tinygrad_cnn import no_grad

    x = T([1.0])
    with no_grad():
        assert not (x * 2).requires_grad
    y = x * 2
    assert y.grad_fn.grad_norm is None and y.grad_fn.output_shape == (1,)
