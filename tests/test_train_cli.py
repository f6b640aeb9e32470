"""The trainer and the command line: end-to-end runs, files written, evaluate, reproducibility."""
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_cnn.cli import main
from tinygrad_cnn.train import TrainConfig, confusion_matrix, format_confusion

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = ["--epochs", "1", "--limit", "512"]


def parse_matrix(text):
    """The 10 rows of the printed confusion matrix as a (10, 10) int array."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("true\\pred")) + 1
    return np.array([[int(v) for v in line.split()[1:]] for line in lines[start:start + 10]])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", *QUICK, "--out", str(out)]) == 0
    return out


def test_train_writes_checkpoint_metrics_curve_and_step_pictures(run_dir):
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["checkpoint.npz", "graph.dot", "graph.svg", "metrics.json",
                     "sensitivity_maps.png", "training_curve.png"] or (
        shutil.which("dot") is None and "graph.svg" not in names and len(names) == 5)
    assert (run_dir / "training_curve.png").read_bytes()[:8] == PNG
    assert (run_dir / "sensitivity_maps.png").read_bytes()[:8] == PNG
    dot = (run_dir / "graph.dot").read_text()
    for label in ("c1.weight", "conv2d", "max_pool2d", "cross_entropy", "grad ‖·‖"):
        assert label in dot
    m = json.loads((run_dir / "metrics.json").read_text())
    cfg = m["config"]
    assert (cfg["model"], cfg["epochs"], cfg["limit"], cfg["seed"]) == ("lenet5", 1, 512, 0)
    assert (cfg["optimizer"], cfg["momentum"], cfg["batch_size"], cfg["lr"]) == ("sgd", 0.9, 64, 0.02)
    assert (m["train_images"], m["heldout_images"], m["parameters"]) == (512, 2000, 61_706)
    (epoch,) = m["epochs"]
    assert epoch["epoch"] == 1
    assert 1.5 < epoch["train_loss"] < math.log(10) + 0.1       # 8 SGD steps from ≈ ln 10
    assert 0 < epoch["train_accuracy"] < 1
    assert epoch["heldout_loss"] < math.log(10)                  # already better than chance
    assert 0.12 < epoch["heldout_accuracy"] < 1
    assert epoch["seconds"] > 0
    assert epoch["images_per_second"] == pytest.approx(512 / epoch["seconds"])


def test_progress_bar_shows_loss_accuracy_and_speed(tmp_path, capsys):
    assert main(["train", "--model", "seed004", *QUICK, "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.err and "img_s=" in captured.err and "acc=" in captured.err
    assert "held-out accuracy" in captured.out


def test_evaluate_prints_accuracy_and_confusion_matrix(run_dir, capsys):
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(run_dir / "checkpoint.npz")]) == 0
    out = capsys.readouterr().out
    matrix = parse_matrix(out)
    assert matrix.shape == (10, 10) and matrix.sum() == 2000          # every held-out image once
    accuracy = float(out.split("accuracy ")[1].split()[0])
    assert accuracy == pytest.approx(np.trace(matrix) / 2000, abs=1e-4)
    saved = json.loads((run_dir / "metrics.json").read_text())["epochs"][-1]
    assert accuracy == pytest.approx(saved["heldout_accuracy"], abs=1e-4)
    # the held-out labels' class counts are the row sums
    from tinygrad_cnn.train import load_data
    counts = np.bincount(load_data().test_labels, minlength=10)
    np.testing.assert_array_equal(matrix.sum(axis=1), counts)


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    def numbers(seed, name):
        out = tmp_path / name
        assert main(["train", "--model", "seed004", *QUICK, "--seed", str(seed), "--out", str(out),
                     "--no-progress"]) == 0
        epochs = json.loads((out / "metrics.json").read_text())["epochs"]
        return [{k: v for k, v in e.items() if k not in ("seconds", "images_per_second")}
                for e in epochs]

    first, again, other = numbers(5, "a"), numbers(5, "b"), numbers(6, "c")
    assert first == again
    assert first[0]["train_loss"] != other[0]["train_loss"]


def test_model_defaults_and_errors(tmp_path, capsys):
    toolbox = TrainConfig(model="toolbox").resolved()
    assert (toolbox.optimizer, toolbox.lr, toolbox.momentum, toolbox.batch_size, toolbox.epochs) == (
        "sgd", 1.0, 0.0, 50, 1)
    assert TrainConfig(optimizer="adam").resolved().lr == 1e-3
    assert TrainConfig().resolved().out.endswith("runs/lenet5")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", "vgg"])
    assert exit_.value.code == 2
    assert main(["evaluate", "--checkpoint", str(tmp_path / "none.npz")]) == 1
    assert "none.npz" in capsys.readouterr().err
    assert main(["train", "--epochs", "0", "--out", str(tmp_path)]) == 1
    assert "epochs must be >= 1, got 0" in capsys.readouterr().err


def test_confusion_matrix_counts():
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), num_classes=3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert format_confusion(m).splitlines()[3].split() == ["2", "1", "0", "2"]


def test_python_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "tinygrad_cnn", "train", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--resume CHECKPOINT" in done.stdout
