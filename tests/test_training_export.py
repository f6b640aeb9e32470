"""`tinygrad-cnn export`: a checkpoint to ONNX, with messages for every fault."""
import sys

import numpy as np
import pytest
from conftest import need, requires, run_cli

from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
from tinygrad_cnn.data import load_embedded_mnist, normalize
from tinygrad_cnn.models import LeNet5


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ck")
    model = LeNet5(seed=0)
    return save_checkpoint(folder / "last.npz", model, "lenet5", None, 1,
                           meta=dict(config=dict(model="lenet5"), normalization=[0.13, 0.31]))



@requires("onnxruntime")
def test_export_runs_in_onnxruntime_like_the_model_on_normalised_input(checkpoint, tmp_path, capsys):
    ort = need("onnxruntime")
    out = tmp_path / "lenet5.onnx"
    code, stdout, _ = run_cli(capsys, "export", "--checkpoint", str(checkpoint), "--out", str(out))
    assert code == 0 and f"wrote {out}" in stdout and "0.1300) / 0.3100" in stdout
    x = normalize(load_embedded_mnist().test_images[:5], 0.13, 0.31)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    expected = load_checkpoint(checkpoint).build_model()(x).data
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_export_faults_are_messages(checkpoint, tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(tmp_path / "none.npz"),
                           "--out", str(tmp_path / "m.onnx"))
    assert code == 1 and "none.npz" in err and "does not exist" in err
    (tmp_path / "empty.npz").write_bytes(b"")
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(tmp_path / "empty.npz"),
                           "--out", str(tmp_path / "m.onnx"))
    assert code == 1 and "is empty" in err
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(checkpoint), "--out", str(tmp_path))
    assert code == 1 and "is a folder" in err
    (tmp_path / "file").write_text("x")
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(checkpoint),
                           "--out", str(tmp_path / "file" / "m.onnx"))
    assert code == 1 and f"cannot write --out {tmp_path / 'file' / 'm.onnx'}" in err
    assert "is a file, not a folder" in err
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(checkpoint), "--out",
                           str(tmp_path / "m.onnx"), "--opset", "0")
    assert code == 2 and "argument --opset" in err
    monkeypatch.setitem(sys.modules, "onnx", None)            # as if onnx were not installed
    code, _, err = run_cli(capsys, "export", "--checkpoint", str(checkpoint),
                           "--out", str(tmp_path / "m.onnx"))
    assert code == 1 and "pip install tinygrad_cnn[onnx]" in err
    assert not (tmp_path / "m.onnx").exists()
