"""Training as a hostile user tries it: bad options, divergence, corrupt checkpoints, unwritable
or taken folders, two runs at once, Ctrl-C, leftover temp files. Every fault is a message (exit
2 for options, 1 for failures, 130 for Ctrl-C), never a traceback, and nothing good is lost."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from tinygrad_cnn.atomic import is_temp_file
from tinygrad_cnn.checkpoint import load_checkpoint, save_checkpoint
from tinygrad_cnn.cli import main
from tinygrad_cnn.models import LeNet5, ToolboxCNN
from tinygrad_cnn.training import OptionError, TrainConfig, TrainingError, fit
from tinygrad_cnn.training import runs as runs_module

QUICK = ["--epochs", "1", "--limit", "256", "--batch-size", "64"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_step_pictures(monkeypatch):
    """In-process runs skip drawing the step (2 s each; test_train_cli checks the pictures)."""
    from tinygrad_cnn.training import run as run_module
    monkeypatch.setattr(run_module, "draw_step", lambda *args, **kwargs: [])


def temp_files(folder):
    return [p.name for p in Path(folder).rglob("*") if is_temp_file(p)]



@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """A finished 1-epoch LeNet-5 run (planned total 1)."""
    out = tmp_path_factory.mktemp("good") / "run"
    assert main(["train", *QUICK, "--out", str(out)]) == 0
    return out


# -- options ------------------------------------------------------------------------------------
@pytest.mark.parametrize("option, value, expected", [
    ("--lr", "nan", "finite number > 0"), ("--lr", "inf", "finite number > 0"),
    ("--lr", "0", "finite number > 0"), ("--lr", "-0.1", "finite number > 0"),
    ("--lr", "fast", "expected a number"),
    ("--momentum", "nan", "0 <= momentum < 1"), ("--momentum", "1.5", "0 <= momentum < 1"),
    ("--momentum", "1", "0 <= momentum < 1"), ("--momentum", "-0.1", "0 <= momentum < 1"),
    ("--seed", "-1", "non-negative integer"), ("--epochs", "0", "positive integer"),
    ("--batch-size", "0", "positive integer"), ("--limit", "0", "positive integer"),
    ("--limit", "-5", "positive integer"), ("--threads", "0", "positive integer"),
    ("--epochs", "2.5", "expected an integer"),
    ("--weight-decay", "-1", "finite number >= 0"), ("--weight-decay", "nan", "finite number >= 0"),
    ("--schedule", "linear", "invalid choice"), ("--model", "vgg", "invalid choice"),
])
def test_bad_train_options_exit_2_naming_the_option(tmp_path, capsys, option, value, expected):
    code, out, err = run_cli(capsys, "train", option, value, "--out", str(tmp_path / "x"))
    assert code == 2
    assert f"argument {option}" in err and expected in err
    assert not (tmp_path / "x").exists()                     # nothing started


def test_evaluate_batch_size_zero_and_programmatic_checks(good_run, capsys):
    code, _, err = run_cli(capsys, "evaluate", "--checkpoint", str(good_run / "last.npz"),
                           "--batch-size", "0")
    assert code == 2 and "argument --batch-size" in err
    for bad in (dict(lr=float("nan")), dict(momentum=1.0), dict(seed=-1), dict(epochs=0)):
        with pytest.raises(OptionError, match="argument --"):
            fit(TrainConfig(**bad, out="never"))
    assert not Path("never").exists()


# -- divergence ---------------------------------------------------------------------------------
def test_divergence_stops_at_once_and_writes_nothing_non_finite(tmp_path, capsys):
    out = tmp_path / "nan"
    code, stdout, err = run_cli(capsys, "train", "--lr", "50", "--epochs", "3", "--limit", "512",
                                "--out", str(out))
    assert code == 1
    assert "at epoch 1, step" in err and "diverged" in err and "lower --lr" in err
    assert "epoch 1/3:" not in stdout                         # stopped inside epoch 1
    assert not (out / "last.npz").exists() and not (out / "best.npz").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == [] and metrics["diverged"]["epoch"] == 1
    assert (out / "training_curve.png").exists() and temp_files(out) == []


def test_diverging_resume_keeps_the_good_checkpoint(good_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    before = (run / "last.npz").read_bytes()
    code, _, err = run_cli(capsys, "train", "--resume", str(run / "last.npz"), "--epochs", "3",
                           "--lr", "10000")
    assert code == 1 and "epoch 2, step" in err and str(run / "last.npz") in err
    assert (run / "last.npz").read_bytes() == before          # the good one, untouched
    assert load_checkpoint(run / "best.npz").epoch == 1


# -- corrupt checkpoints -------------------------------------------------------------------------
def corrupt_files(good: Path, folder: Path) -> dict:
    raw = (good / "last.npz").read_bytes()
    files = {"empty.npz": b"", "random.npz": np.random.default_rng(0).bytes(4096),
             "truncated.npz": raw[:len(raw) // 2], "text.npz": b"not a checkpoint at all\n"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    np.savez(folder / "foreign.npz", weights=np.zeros(3))
    np.savez(folder / "pickled.npz", meta=np.array([{"a": 1}], dtype=object))
    with np.load(good / "last.npz") as npz:
        arrays = dict(npz)
    meta = json.loads(str(arrays["meta"]))
    del meta["epoch"]
    np.savez(folder / "no_epoch.npz", **{**arrays, "meta": np.array(json.dumps(meta))})
    meta = json.loads(str(arrays["meta"]))
    del meta["normalization"]
    np.savez(folder / "no_normalization.npz", **{**arrays, "meta": np.array(json.dumps(meta))})
    np.savez(folder / "bad_json.npz", **{**arrays, "meta": np.array("{not json")})
    nan = dict(arrays)
    nan["model/c1.weight"] = np.full_like(arrays["model/c1.weight"], np.nan)
    np.savez(folder / "nan.npz", **nan)
    return {"empty.npz": "is empty", "random.npz": "not a .npz (zip) archive",
            "text.npz": "not a .npz (zip) archive", "truncated.npz": "truncated or corrupt",
            "foreign.npz": "not a tinygrad_cnn checkpoint", "pickled.npz": "allow_pickle=False",
            "no_epoch.npz": "lacks the key 'epoch'", "bad_json.npz": "not valid JSON",
            "no_normalization.npz": "'normalization'", "nan.npz": "holds NaN or inf"}


def test_every_corrupt_checkpoint_is_a_message_naming_file_and_fault(good_run, tmp_path, capsys):
    expected = corrupt_files(good_run, tmp_path)
    for name, fault in expected.items():
        path = tmp_path / name
        code, _, err = run_cli(capsys, "evaluate", "--checkpoint", str(path))
        assert code == 1 and str(path) in err and fault in err, (name, err)
        if name != "no_normalization.npz":
            code, _, err = run_cli(capsys, "train", "--resume", str(path))
            assert code == 1 and str(path) in err and fault in err, (name, err)
        code, _, err = run_cli(capsys, "export", "--checkpoint", str(path),
                               "--out", str(tmp_path / "m.onnx"))
        assert code == 1 and str(path) in err, (name, err)
    code, _, err = run_cli(capsys, "evaluate", "--checkpoint", str(tmp_path))
    assert code == 1 and "is a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".npz") == []


# -- where a run writes ---------------------------------------------------------------------------
def test_unwritable_out_is_refused_before_training(tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("x")
    code, out, err = run_cli(capsys, "train", *QUICK, "--out", str(tmp_path / "file" / "run"))
    assert code == 1 and "not writable" in err and "epoch 1" not in out
    code, out, err = run_cli(capsys, "train", *QUICK, "--out", str(tmp_path / "file"))
    assert code == 1 and "is a file" in err and "epoch 1" not in out
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    if os.access(readonly, os.W_OK):          # root ignores permissions: make writing fail as it would
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(readonly))
        monkeypatch.setattr(runs_module.tempfile, "mkstemp", refuse)
    code, out, err = run_cli(capsys, "train", *QUICK, "--out", str(readonly))
    assert code == 1 and "not writable" in err and "Permission denied" in err
    assert "epoch 1" not in out and list(readonly.iterdir()) == []
    readonly.chmod(0o755)


def test_new_runs_are_numbered_and_never_replace_another_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert run_cli(capsys, "train", *QUICK)[0] == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["lenet5", "lenet5-2"]
    first = (tmp_path / "runs" / "lenet5" / "last.npz").read_bytes()
    code, _, err = run_cli(capsys, "train", *QUICK, "--seed", "3", "--out", "runs/lenet5")
    assert code == 1 and "already holds a run" in err and "runs/lenet5" in err
    assert (tmp_path / "runs" / "lenet5" / "last.npz").read_bytes() == first


def test_disk_error_while_saving_is_a_message_and_leaves_no_temp_file(tmp_path, capsys,
                                                                        monkeypatch):
    from tinygrad_cnn import checkpoint

    def full(f, **arrays):
        f.write(b"part")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(checkpoint.np, "savez", full)
    code, _, err = run_cli(capsys, "train", *QUICK, "--out", str(tmp_path / "r"))
    assert code == 1 and "No space left on device" in err
    assert temp_files(tmp_path) == [] and not (tmp_path / "r" / "last.npz").exists()


def test_data_that_is_a_file_and_offline_download(tmp_path, capsys, monkeypatch):
    (tmp_path / "mnist").write_text("x")
    code, _, err = run_cli(capsys, "train", *QUICK, "--data", str(tmp_path / "mnist"),
                           "--out", str(tmp_path / "r"))
    assert code == 1 and "is a file, not a folder" in err
    from functools import partial

    from tinygrad_cnn.data import datasets, download
    monkeypatch.setattr(datasets, "download_mnist",
                        partial(download.download_mnist, mirrors=["http://127.0.0.1:9/"],
                                timeout=2))
    code, _, err = run_cli(capsys, "train", *QUICK, "--download", "--data",
                           str(tmp_path / "dl"), "--out", str(tmp_path / "r2"))
    assert code == 1 and "could not download" in err and "127.0.0.1:9" in err
    assert temp_files(tmp_path) == [] and not list((tmp_path / "dl").glob(".*"))


# -- resuming -------------------------------------------------------------------------------------
def test_resuming_a_copy_writes_beside_the_copy_never_to_the_original(good_run, tmp_path, capsys):
    original = {p.name: p.read_bytes() for p in good_run.iterdir() if p.is_file()}
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(good_run / "last.npz", copy / "mine.npz")
    code, out, _ = run_cli(capsys, "train", "--resume", str(copy / "mine.npz"), "--epochs", "2")
    assert code == 0 and "epoch 2/2" in out
    assert load_checkpoint(copy / "last.npz").epoch == 2
    assert {p.name: p.read_bytes() for p in good_run.iterdir() if p.is_file()} == original
    # resuming it again beside it would replace the last.npz just written: refused
    before = (copy / "last.npz").read_bytes()
    code, _, err = run_cli(capsys, "train", "--resume", str(copy / "mine.npz"), "--epochs", "2")
    assert code == 1 and "would replace" in err and (copy / "last.npz").read_bytes() == before
    # --out wins over "beside the checkpoint"
    code, _, _ = run_cli(capsys, "train", "--resume", str(copy / "mine.npz"), "--epochs", "2",
                         "--out", str(tmp_path / "elsewhere"))
    assert code == 0 and load_checkpoint(tmp_path / "elsewhere" / "last.npz").epoch == 2


def test_resume_continues_to_the_planned_total_and_reports_overrides(good_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    code, _, err = run_cli(capsys, "train", "--resume", str(run / "last.npz"))
    assert code == 2 and "argument --epochs" in err and "at epoch 1" in err   # planned total 1
    code, out, _ = run_cli(capsys, "train", "--resume", str(run / "last.npz"), "--epochs", "2",
                           "--lr", "0.01")
    assert code == 0
    assert "overriding the saved settings: --epochs 1 → 2, --lr 0.02 → 0.01" in out
    assert [line[:9] for line in out.splitlines() if line.startswith("epoch ")] == ["epoch 2/2"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2] and metrics["config"]["lr"] == 0.01


def test_model_and_optimizer_mismatch_are_errors(good_run, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--resume", str(good_run / "last.npz"),
                           "--optimizer", "adam", "--epochs", "2")
    assert code == 2 and "argument --optimizer" in err and "'sgd'" in err
    toolbox = ToolboxCNN(seed=0)
    save_checkpoint(tmp_path / "toolbox.npz", toolbox, "toolbox", None, 1,
                    meta=dict(config=dict(model="toolbox", epochs=1), normalization=[0.0, 1.0]))
    code, _, err = run_cli(capsys, "train", "--resume", str(tmp_path / "toolbox.npz"),
                           "--model", "lenet5", "--epochs", "2")
    assert code == 2 and "argument --model" in err and "'toolbox'" in err
    assert not (tmp_path / "last.npz").exists()


# -- locks, two runs at once, stale files ----------------------------------------------------------
def python(code, **kwargs):
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_a_folder_in_use_is_refused_naming_the_other_process_and_a_dead_lock_is_taken_over(
        tmp_path, capsys):
    folder = tmp_path / "busy"
    holder = python(f"import time; from tinygrad_cnn.training.runs import RunLock\n"
                    f"RunLock({str(folder)!r}).acquire(); print('locked', flush=True); "
                    "time.sleep(60)") if folder.mkdir() is None else None
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, out, err = run_cli(capsys, "train", *QUICK, "--out", str(folder))
        assert code == 1 and "in use" in err and str(folder) in err and f"pid {holder.pid}" in err
        assert "epoch 1" not in out
    finally:
        holder.send_signal(signal.SIGKILL)                   # dies holding the lock file
        holder.wait(timeout=10)
    assert f"pid={holder.pid}" in (folder / "train.lock").read_text()
    assert run_cli(capsys, "train", *QUICK, "--out", str(folder))[0] == 0
    assert not (folder / "train.lock").exists()
    # a lock file naming a live process (not ours) that does not hold the flock is respected too
    (tmp_path / "other").mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "other" / "train.lock").write_text(f"pid={sleeper.pid}\n")
        code, _, err = run_cli(capsys, "train", *QUICK, "--out", str(tmp_path / "other"))
        assert code == 1 and f"pid {sleeper.pid}" in err
    finally:
        sleeper.kill()
        sleeper.wait()


def test_two_trainings_into_one_folder_one_is_refused_and_files_stay_consistent(tmp_path):
    folder = tmp_path / "shared"
    argv = [sys.executable, "-m", "tinygrad_cnn", "train", "--epochs", "2", "--limit", "1024",
            "--out", str(folder), "--threads", "1"]
    runs = [subprocess.Popen(argv + ["--seed", str(seed)], cwd=REPO, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (1, 2)]
    results = [(p.wait(timeout=240), *p.communicate()) for p in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "in use" in refused or "already holds a run" in refused
    assert "Traceback" not in refused
    winner = next(i for i, (code, _, _) in enumerate(results) if code == 0) + 1
    assert json.loads((folder / "metrics.json").read_text())["config"]["seed"] == winner
    assert load_checkpoint(folder / "last.npz").meta["config"]["seed"] == winner


def test_stale_temp_files_of_killed_saves_are_removed_on_start(good_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    (run / ".last.npz.a1b2c3d4.tmp").write_bytes(b"half")
    (run / ".metrics.json.zz99yy88.tmp").write_bytes(b"{")
    (run / "notes.tmp").write_text("mine")                   # not ours: kept
    assert run_cli(capsys, "train", "--resume", str(run / "last.npz"), "--epochs", "2")[0] == 0
    assert temp_files(run) == [] and (run / "notes.tmp").exists()


# -- Ctrl-C -----------------------------------------------------------------------------------------
def test_sigint_stops_cleanly_with_a_checkpoint_and_the_run_resumes(tmp_path):
    folder = tmp_path / "run"
    argv = [sys.executable, "-m", "tinygrad_cnn", "train", "--epochs", "3", "--limit", "4096",
            "--batch-size", "16", "--out", str(folder), "--threads", "1"]
    proc = subprocess.Popen(argv, cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (folder / "train.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)                                          # some steps into the run
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted " in err
    assert f"tinygrad-cnn train --resume {folder / 'last.npz'}" in err
    ckpt = load_checkpoint(folder / "last.npz")
    metrics = json.loads((folder / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == list(range(1, ckpt.epoch + 1))
    partial = ckpt.meta["partial"]
    if partial is not None:                                  # stopped inside epoch ckpt.epoch + 1
        step = partial["step"]
        assert 0 < step < 256 and f"interrupted at epoch {ckpt.epoch + 1}, step {step}/256" in err
        assert metrics["interrupted"] == {"epoch": ckpt.epoch + 1, "step": step}
    else:                                                    # Ctrl-C came during an evaluation
        assert f"interrupted after epoch {ckpt.epoch}" in err and ckpt.epoch < 3
    assert (folder / "training_curve.png").exists() and (folder / "graph.dot").exists()
    assert temp_files(folder) == [] and not (folder / "train.lock").exists()
    done = subprocess.run([sys.executable, "-m", "tinygrad_cnn", "train", "--resume",
                           str(folder / "last.npz")], cwd=REPO, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    where = f"(epoch {ckpt.epoch}" + (f", step {partial['step']})" if partial else ")")
    assert where in done.stdout
    assert [e["epoch"] for e in json.loads((folder / "metrics.json").read_text())["epochs"]] == [1, 2, 3]


def test_interrupted_and_resumed_run_equals_the_straight_run(tmp_path, monkeypatch):
    from tinygrad_cnn.training import run as run_module
    quiet = dict(log=lambda s: None)
    common = dict(limit=512, batch_size=64, seed=4, epochs=2, augment=True, progress=False,
                  threads=1)
    fit(TrainConfig(out=str(tmp_path / "straight"), **common), **quiet)

    class StopAfter(run_module.StopOnInterrupt):
        calls = 0

        def __call__(self):
            StopAfter.calls += 1
            return StopAfter.calls == 12     # 8 steps + the end of epoch 1, then step 3 of 8
    monkeypatch.setattr(run_module, "StopOnInterrupt", StopAfter)
    with pytest.raises(KeyboardInterrupt, match="interrupted at epoch 2, step 3/8"):
        fit(TrainConfig(out=str(tmp_path / "cut"), **common), **quiet)
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "cut" / "last.npz").meta["partial"]["step"] == 3
    fit(TrainConfig(resume=str(tmp_path / "cut" / "last.npz"), threads=1), **quiet)
    a = load_checkpoint(tmp_path / "straight" / "last.npz")
    b = load_checkpoint(tmp_path / "cut" / "last.npz")
    for k in a.model_state:
        np.testing.assert_array_equal(a.model_state[k], b.model_state[k], err_msg=k)
    ha, hb = a.meta["history"], b.meta["history"]
    for key in ("train_loss", "train_accuracy", "heldout_accuracy", "lr"):
        assert [e[key] for e in ha] == pytest.approx([e[key] for e in hb], rel=1e-9), key


def test_training_error_names_the_last_good_checkpoint(tmp_path):
    fit(TrainConfig(epochs=1, limit=256, out=str(tmp_path / "r"), progress=False),
        log=lambda s: None)
    with pytest.raises(TrainingError, match=r"the last good checkpoint is .*last.npz \(epoch 1\)"):
        fit(TrainConfig(resume=str(tmp_path / "r" / "last.npz"), epochs=2, lr=1e4),
            log=lambda s: None)
    assert isinstance(LeNet5, type)
