"""Checkpoints: round trip, atomic writes, no pickles, rejection of bad entries, resuming."""
import json
import os

import numpy as np
import pytest

from tinygrad_cnn import Tensor, checkpoint
from tinygrad_cnn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygrad_cnn.models import LeNet5, build_model
from tinygrad_cnn.optim import SGD, Adam
from tinygrad_cnn.training import TrainConfig, fit


def trained_a_little(model, optimizer, steps=2):
    x = Tensor(np.random.default_rng(0).standard_normal((8, 1, 28, 28)).astype(np.float32))
    for _ in range(steps):
        optimizer.zero_grad()
        model.loss(model(x), np.arange(8)).backward()
        optimizer.step()
    return x


@pytest.mark.parametrize("name, config", [
    ("lenet5", {}), ("lenet5", {"c3_table": True, "activation": "tanh", "pool": "avg"}),
    ("toolbox", {}), ("five-layer-relu", {})])
def test_round_trip_gives_identical_outputs(tmp_path, name, config):
    model = build_model(name, seed=3, **config)
    opt = Adam(model.parameters(), lr=1e-2)
    x = trained_a_little(model, opt)
    path = save_checkpoint(tmp_path / "ck.npz", model, name, opt, epoch=5, meta={"note": "hi"})
    ck = load_checkpoint(path)
    assert (ck.model_name, ck.model_config, ck.epoch, ck.meta["note"]) == (name, model.config, 5, "hi")
    restored = ck.build_model()
    np.testing.assert_array_equal(restored(x).data, model(x).data)
    opt2 = Adam(restored.parameters(), lr=0.5)
    opt2.load_state_dict(ck.optimizer_state)
    assert opt2.lr == 1e-2
    for p, q in zip(opt.params, opt2.params):
        a, b = opt.state[p], opt2.state[q]
        assert a.keys() == b.keys() and len(a) > 0
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_file_holds_plain_arrays_and_json_meta(tmp_path):
    model = LeNet5(seed=0)
    save_checkpoint(tmp_path / "ck.npz", model, "lenet5", SGD(model.parameters(), lr=0.1, momentum=0.9))
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as npz:
        assert "model/c1.weight" in npz.files
        np.testing.assert_array_equal(npz["model/c1.weight"], model.c1.weight.data)
        assert npz["model/c1.weight"].dtype == np.float32
        assert float(npz["optimizer/param_groups.0.lr"]) == 0.1
        assert float(npz["optimizer/param_groups.0.momentum"]) == 0.9
        assert npz["meta"].dtype.kind == "U" and npz["meta"].shape == ()
        meta = json.loads(str(npz["meta"]))
    assert meta["model"] == "lenet5" and meta["optimizer"] == "SGD"


def test_write_is_atomic(tmp_path, monkeypatch):
    model = LeNet5(seed=0)
    path = save_checkpoint(tmp_path / "ck.npz", model, "lenet5", epoch=1)
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]             # no temp file left behind

    def crash(f, **arrays):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, LeNet5(seed=1), "lenet5", epoch=2)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]
    ck = load_checkpoint(path)                                      # the old one, intact
    assert ck.epoch == 1
    np.testing.assert_array_equal(ck.model_state["c1.weight"], model.c1.weight.data)


def test_loading_never_unpickles(tmp_path):
    np.savez(tmp_path / "evil.npz", meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="evil.npz holds a pickled object array.*allow_pickle=False"):
        load_checkpoint(tmp_path / "evil.npz")


def test_a_non_finite_model_is_never_written(tmp_path):
    model = LeNet5(seed=0)
    good = save_checkpoint(tmp_path / "ck.npz", model, "lenet5", epoch=1)
    before = good.read_bytes()
    model.f5.weight.data[0, 0] = np.nan
    with pytest.raises(ValueError, match="parameter f5.weight holds NaN or inf"):
        save_checkpoint(good, model, "lenet5", epoch=2)
    assert good.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["ck.npz"]


def test_rejects_files_that_are_not_checkpoints(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a tinygrad_cnn checkpoint"):
        load_checkpoint(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_checkpoint(tmp_path / "missing.npz")


def test_rejects_missing_unexpected_and_misshapen_entries(tmp_path):
    save_checkpoint(tmp_path / "ck.npz", LeNet5(seed=0), "lenet5")
    with np.load(tmp_path / "ck.npz") as npz:
        arrays = dict(npz)
    del arrays["model/f5.bias"]
    arrays["model/f7.weight"] = np.zeros((3, 3), np.float32)
    arrays["model/c1.weight"] = np.zeros((6, 1, 3, 3), np.float32)
    np.savez(tmp_path / "bad.npz", **arrays)
    ck = load_checkpoint(tmp_path / "bad.npz")
    with pytest.raises(ValueError) as err:
        ck.build_model()
    msg = str(err.value)
    assert "missing keys ['f5.bias']" in msg and "unexpected keys ['f7.weight']" in msg
    assert "c1.weight has shape (6, 1, 3, 3) in the state dict but (6, 1, 5, 5) in the model" in msg


def final_params(out):
    return load_checkpoint(out / "last.npz").model_state


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_equals_straight_training(tmp_path, optimizer, monkeypatch):
    from tinygrad_cnn.training import run as run_module
    monkeypatch.setattr(run_module, "draw_step", lambda *args, **kwargs: [])   # 2 s a run
    quiet = dict(log=lambda s: None)
    # one thread: BLAS may round differently with another thread count
    common = dict(model="lenet5", optimizer=optimizer, limit=512, batch_size=64, seed=11,
                  progress=False, threads=1)
    fit(TrainConfig(epochs=2, out=str(tmp_path / "straight"), **common), **quiet)
    fit(TrainConfig(epochs=1, out=str(tmp_path / "half"), **common), **quiet)
    half = str(tmp_path / "half" / "checkpoint.npz")
    # the run's planned total was 1 epoch: --epochs 2 is the new total (one more epoch)
    resumed = fit(TrainConfig(epochs=2, out=str(tmp_path / "resumed"), resume=half,
                              progress=False, threads=1), **quiet)
    straight, again = final_params(tmp_path / "straight"), final_params(tmp_path / "resumed")
    for k in straight:
        np.testing.assert_array_equal(straight[k], again[k], err_msg=k)
    assert [e["epoch"] for e in resumed["epochs"]] == [1, 2]
    assert resumed["config"]["optimizer"] == optimizer and resumed["config"]["seed"] == 11
    assert load_checkpoint(tmp_path / "resumed" / "last.npz").epoch == 2
    assert load_checkpoint(tmp_path / "resumed" / "checkpoint.npz").epoch == 2
    assert resumed["config"]["epochs"] == 2

    # an explicit lr wins over the saved one (e.g. to decay it for the last epochs)
    lower = fit(TrainConfig(epochs=2, out=str(tmp_path / "lower"), resume=half, lr=1e-4,
                            schedule="none", progress=False), **quiet)
    assert lower["config"]["lr"] == 1e-4 and lower["epochs"][-1]["lr"] == 1e-4
    assert float(load_checkpoint(tmp_path / "lower" / "last.npz")
                 .optimizer_state["param_groups.0.lr"]) == 1e-4

    # the optimizer state matters: resuming without it lands elsewhere
    ck = load_checkpoint(tmp_path / "half" / "checkpoint.npz")
    save_checkpoint(tmp_path / "no_opt.npz", ck.build_model(), "lenet5", None, ck.epoch, ck.meta)
    fit(TrainConfig(epochs=2, out=str(tmp_path / "no_opt"), resume=str(tmp_path / "no_opt.npz"),
                    progress=False),
        **quiet)
    assert not np.array_equal(final_params(tmp_path / "no_opt")["f5.weight"], straight["f5.weight"])
