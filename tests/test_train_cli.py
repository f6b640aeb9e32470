"""The trainer and the command line: end-to-end runs, files written, evaluate, reproducibility."""
import json
import math
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import available, require_all

from tinygrad_cnn.cli import main
from tinygrad_cnn.training import TrainConfig, confusion_matrix, format_confusion

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = ["--epochs", "1", "--limit", "512"]


def parse_matrix(text):
    """The 10 rows of the printed confusion matrix as a (10, 10) int array."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("true\\pred")) + 1
    return np.array([[int(v) for v in line.split()[1:]] for line in lines[start:start + 10]])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "lenet5"
    began = time.perf_counter()
    assert main(["train", "--epochs", "1", "--limit", "2048", "--batch-size", "32",
                 "--out", str(out)]) == 0
    return out, time.perf_counter() - began


def test_train_writes_checkpoints_metrics_curve_and_step_pictures(run):
    run_dir, wall = run
    names = sorted(p.name for p in run_dir.iterdir())
    drawn = ["explorer.html", "graph.svg"]
    if require_all():
        assert shutil.which("dot"), "TINYGRAD_CNN_REQUIRE_ALL=1 but Graphviz `dot` is missing"
    if not available("dot"):
        drawn = []
    assert names == sorted(["best.npz", "checkpoint.npz", "graph.dot", "last.npz", "metrics.json",
                            "sensitivity_maps.png", "training_curve.png", *drawn])
    if drawn:
        assert (run_dir / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
        assert "<html" in (run_dir / "explorer.html").read_text()[:500].lower()
    assert (run_dir / "training_curve.png").read_bytes()[:8] == PNG
    assert (run_dir / "sensitivity_maps.png").read_bytes()[:8] == PNG
    dot = (run_dir / "graph.dot").read_text()
    for label in ("c1.weight", "conv2d", "max_pool2d", "cross_entropy", "grad ‖·‖"):
        assert label in dot
    m = json.loads((run_dir / "metrics.json").read_text())
    cfg = m["config"]
    assert (cfg["model"], cfg["epochs"], cfg["limit"], cfg["seed"]) == ("lenet5", 1, 2048, 0)
    assert (cfg["optimizer"], cfg["momentum"], cfg["batch_size"], cfg["lr"]) == ("sgd", 0.9, 32, 0.02)
    assert (cfg["schedule"], cfg["weight_decay"], cfg["augment"]) == ("cosine", 5e-4, False)
    assert (m["train_images"], m["heldout_images"], m["parameters"]) == (2048, 2000, 61_706)
    (epoch,) = m["epochs"]
    assert epoch["epoch"] == 1 and epoch["lr"] == 0.02
    assert 0.5 < epoch["train_loss"] < math.log(10)             # 64 SGD steps from ≈ ln 10
    assert 0.2 < epoch["train_accuracy"] < 1
    # 64 steps learn (0.76 held-out here); without zero_grad the loop gets 0.10 and loss 3.7
    assert epoch["heldout_loss"] < 1.5
    assert 0.5 < epoch["heldout_accuracy"] < 1
    # timing, checked against the test's own clock: the epoch took less than the whole run, and
    # the rate is images per second (2048 images), not batches or steps per second
    assert 0 < epoch["seconds"] < wall
    assert epoch["images_per_second"] > 2048 / wall
    assert m["best"] == {"epoch": 1, "heldout_accuracy": epoch["heldout_accuracy"]}


@pytest.fixture
def no_step_pictures(monkeypatch):
    """Runs that do not look at the pictures skip drawing the step (2 s each)."""
    from tinygrad_cnn.training import run as run_module
    monkeypatch.setattr(run_module, "draw_step", lambda *args, **kwargs: [])


def test_progress_bar_on_request_one_line_per_epoch_otherwise(tmp_path, capsys, no_step_pictures):
    assert main(["train", "--model", "five-layer-relu", *QUICK, "--out", str(tmp_path / "a"),
                 "--progress"]) == 0
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.err and "img_s=" in captured.err and "acc=" in captured.err
    assert "held-out accuracy" in captured.out
    # not a terminal (captured): no bar, no carriage returns, one line per epoch
    assert main(["train", "--model", "five-layer-relu", "--epochs", "2", "--limit", "256",
                 "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.out + captured.err
    lines = [line for line in captured.out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "(running means)" in lines[0]


def test_evaluate_prints_accuracy_and_confusion_matrix(run, capsys):
    run_dir = run[0]
    capsys.readouterr()
    for name in ("last.npz", "best.npz", "checkpoint.npz"):
        assert main(["evaluate", "--checkpoint", str(run_dir / name)]) == 0
        out = capsys.readouterr().out
        matrix = parse_matrix(out)
        assert matrix.shape == (10, 10) and matrix.sum() == 2000          # every held-out image once
        accuracy = float(out.split("accuracy ")[1].split()[0])
        assert accuracy == pytest.approx(np.trace(matrix) / 2000, abs=1e-4)
        saved = json.loads((run_dir / "metrics.json").read_text())["epochs"][-1]
        assert accuracy == pytest.approx(saved["heldout_accuracy"], abs=1e-4)
    # the held-out labels' class counts are the row sums
    from tinygrad_cnn.training import load_data
    counts = np.bincount(load_data().test_labels, minlength=10)
    np.testing.assert_array_equal(matrix.sum(axis=1), counts)


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path, no_step_pictures):
    def numbers(seed, name):
        out = tmp_path / name
        assert main(["train", "--model", "five-layer-relu", *QUICK, "--seed", str(seed),
                     "--out", str(out), "--augment", "--threads", "1"]) == 0
        epochs = json.loads((out / "metrics.json").read_text())["epochs"]
        return [{k: v for k, v in e.items() if k not in ("seconds", "images_per_second")}
                for e in epochs]

    first, again, other = numbers(5, "a"), numbers(5, "b"), numbers(6, "c")
    assert first == again
    assert first[0]["train_loss"] != other[0]["train_loss"]


def test_model_defaults_and_errors(tmp_path, capsys):
    toolbox = TrainConfig(model="toolbox").resolved()
    assert (toolbox.optimizer, toolbox.lr, toolbox.momentum, toolbox.batch_size, toolbox.epochs,
            toolbox.schedule, toolbox.weight_decay) == ("sgd", 1.0, 0.0, 50, 1, "none", 0.0)
    assert TrainConfig(optimizer="adam").resolved().lr == 1e-3
    lenet = TrainConfig().resolved()
    assert (lenet.model, lenet.epochs, lenet.schedule, lenet.seed, lenet.out) == (
        "lenet5", 6, "cosine", 0, None)
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", "vgg"])
    assert exit_.value.code == 2
    assert main(["evaluate", "--checkpoint", str(tmp_path / "none.npz")]) == 1
    assert "none.npz" in capsys.readouterr().err


def test_confusion_matrix_counts():
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), num_classes=3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert format_confusion(m).splitlines()[3].split() == ["2", "1", "0", "2"]


def test_python_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "tinygrad_cnn", "train", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--resume CHECKPOINT" in done.stdout
    assert "--threads N" in done.stdout and "--schedule" in done.stdout
