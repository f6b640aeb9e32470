"""The README's Python examples run as written, and what they compute is right.

The blocks are found by what they define (`loss` and `fc`; `explain`'s `text`; the `Square` op),
not by their position, so that sections can move. Each result is checked against a computation
that does not use the package: NumPy for the forward pass, finite differences for the gradients.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import need

import tinygrad_cnn
from tinygrad_cnn import Tensor

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
_RUNS: dict[int, tuple[dict, str]] = {}


def run_block(index: int, capsys) -> tuple[dict, str]:
    """Run README block `index` once per session, in a temporary folder (files it writes stay out
    of the repository); its namespace and what it printed."""
    if index not in _RUNS:
        if "import onnxruntime" in BLOCKS[index]:
            need("onnxruntime")
        capsys.readouterr()
        namespace: dict = {"__name__": f"readme_block_{index}"}
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            try:
                exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), namespace)
            finally:
                os.chdir(cwd)
        _RUNS[index] = (namespace, capsys.readouterr().out)
    return _RUNS[index]


def block_defining(*names: str, capsys) -> tuple[dict, str]:
    for index in range(len(BLOCKS)):
        if all(re.search(rf"^\s*(class |def )?{n}\b", BLOCKS[index], re.M) for n in names):
            return run_block(index, capsys)
    pytest.fail(f"no README python block defines {names}; update tests/test_readme.py with the README")


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_and_leaves_consistent_gradients(index, capsys):
    namespace, _ = run_block(index, capsys)
    leaves = [v for v in namespace.values()
              if isinstance(v, Tensor) and v.requires_grad and v.grad_fn is None]
    for t in leaves:
        if t.grad is not None:
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
            assert np.isfinite(t.grad).all()


# -- "Ten lines": conv → relu → max pool → linear → cross-entropy ---------------------------------
def conv2d_valid(x, w):
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))  # N C H' W' kh kw
    return np.einsum("nchwij,fcij->nfhw", windows, w)


def max_pool(x, k):
    n, c, h, w = x.shape
    return x[:, :, : h // k * k, : w // k * k].reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))


def numpy_loss(x, w, fc, labels):
    h = max_pool(np.maximum(conv2d_valid(x, w), 0.0), 2)
    z = h.reshape(len(x), -1) @ fc.T
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return h, -log_p[np.arange(len(x)), labels].mean()


def ten_lines_labels(source: str) -> np.ndarray:
    call = re.search(r"F\.cross_entropy\(.*, (?P<labels>[^,()]*(\([^()]*\))?[^,()]*)\)\s*$", source, re.M)
    assert call, "the 'Ten lines' block no longer ends with F.cross_entropy(logits, labels)"
    return np.asarray(eval(call.group("labels"), {"np": np}))


def test_ten_lines_loss_and_gradients_are_right(capsys):
    namespace, printed = block_defining("loss", "fc", capsys=capsys)
    x, w, fc, h, loss = (namespace[k] for k in ("x", "w", "fc", "h", "loss"))
    source = next(b for b in BLOCKS if re.search(r"^fc = ", b, re.M))
    labels = ten_lines_labels(source)
    xd, wd, fcd = (t.data.astype(np.float64) for t in (x, w, fc))
    h_ref, loss_ref = numpy_loss(xd, wd, fcd, labels)
    assert h.shape == h_ref.shape == (8, 4, 5, 5)
    np.testing.assert_allclose(h.data, h_ref, rtol=1e-5, atol=1e-5)
    assert loss.shape == () and loss.data.dtype == np.float32
    assert float(loss.data) == pytest.approx(loss_ref, rel=1e-5)
    # gradients: directional finite differences of the NumPy loss, in float64
    rng, eps = np.random.default_rng(0), 1e-5
    arrays = {"w": wd, "fc": fcd}
    for name, t in (("w", w), ("fc", fc)):
        assert t.grad is not None and t.grad.shape == t.shape, name
        d = rng.standard_normal(t.shape)

        plus, minus = ({**arrays, name: arrays[name] + step * d} for step in (eps, -eps))
        numeric = (numpy_loss(xd, plus["w"], plus["fc"], labels)[1]
                   - numpy_loss(xd, minus["w"], minus["fc"], labels)[1]) / (2 * eps)
        assert float(np.vdot(t.grad, d)) == pytest.approx(numeric, rel=1e-3, abs=1e-6), name
    # what it prints: filter 0's gradient, then the graph with one line per tensor
    first = np.array(re.findall(r"-?\d+\.\d*(?:e[-+]\d+)?", printed.split("%0")[0]), dtype=float)
    np.testing.assert_allclose(first, w.grad[0, 0].ravel(), rtol=1e-3, atol=1e-6)
    graph_lines = [line for line in printed.splitlines() if re.match(r"%\d+ = ", line)]
    assert len(graph_lines) == len(tinygrad_cnn.Graph(loss).tensors)
    assert any("= conv2d(" in line for line in graph_lines)
    assert "= cross_entropy(" in graph_lines[-1]


# -- "Seeing backprop": explain runs the real backward, draw_graph gives DOT ------------------------
def test_seeing_backprop_explain_is_the_backward_and_graph_is_dot(capsys):
    namespace, printed = block_defining("text", "graph", capsys=capsys)
    model, x, loss, text, graph = (namespace[k] for k in ("model", "x", "loss", "text", "graph"))
    params = list(model.parameters())
    grads = [p.grad.copy() for p in params]
    assert all(g is not None and np.abs(g).sum() > 0 for g in grads)
    for p in params:
        p.grad = None
    fresh = model.loss(model(x), np.arange(8))
    fresh.backward()
    for p, g in zip(params, grads):
        np.testing.assert_allclose(g, p.grad, rtol=1e-6, atol=1e-7)
    assert float(fresh.data) == pytest.approx(float(loss.data), rel=1e-6)
    assert f"{float(loss.data):.6g}" in text
    for node in tinygrad_cnn.Graph(loss).nodes:
        assert node.op in text
    assert text.count("δ") >= len(tinygrad_cnn.Graph(loss).nodes)
    assert graph.source.lstrip().startswith("digraph")
    assert printed.strip().splitlines()[-1].startswith("digraph")


# -- "Your own op" ------------------------------------------------------------------------------
def test_your_own_op_computes_the_square_and_its_gradient(capsys):
    namespace, _ = block_defining("Square", capsys=capsys)
    square, x = namespace["Square"], namespace["x"]
    data = x.data.copy()
    y = square.apply(Tensor(data, requires_grad=True))
    np.testing.assert_array_equal(y.data, data * data)
    t = Tensor(data, requires_grad=True)
    square.apply(t).backward(np.ones_like(data))
    np.testing.assert_array_equal(t.grad, 2 * data)
    assert square.apply(t).grad_fn.formula.startswith("δx = 2x")


# -- the commands in the README exist with the options it shows -----------------------------------
def readme_commands() -> list[tuple[str, str]]:
    """(subcommand, rest of the line) for every `tinygrad-cnn SUB ...` line of the bash blocks,
    continuation lines (indented, starting with `[`) joined on."""
    commands: list[tuple[str, str]] = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            line = line.split("#")[0].rstrip()
            start = re.match(r"(?:tinygrad-cnn|python -m tinygrad_cnn) (\w+)(.*)", line)
            if start:
                commands.append((start.group(1), start.group(2)))
            elif commands and re.match(r"\s+\[", line):
                commands[-1] = (commands[-1][0], commands[-1][1] + line)
    return commands


def test_readme_commands_and_options_exist():
    import subprocess
    import sys

    commands = readme_commands()
    assert {sub for sub, _ in commands} >= {"train", "evaluate"}
    for sub in sorted({sub for sub, _ in commands}):
        done = subprocess.run([sys.executable, "-m", "tinygrad_cnn", sub, "--help"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"`tinygrad-cnn {sub} --help` failed: {done.stderr}"
        shown = " ".join(rest for s, rest in commands if s == sub)
        for flag in sorted(set(re.findall(r"--[\w-]+", shown))):
            assert re.search(rf"{flag}\b", done.stdout), \
                f"README shows `tinygrad-cnn {sub} {flag}`; --help lacks it"
        for flag, listed in re.findall(r"(--[\w-]+) ([\w.-]+(?:\|[\w.-]+)+)", shown):
            choices = re.search(rf"{flag} \{{([^}}]*)\}}", done.stdout)
            assert choices, f"README lists choices for {flag}; `tinygrad-cnn {sub} --help` shows none"
            assert set(listed.split("|")) == set(choices.group(1).split(",")), \
                f"README: {flag} {listed}; `tinygrad-cnn {sub} --help`: {{{choices.group(1)}}}"
