"""Shared fixtures, and the optional parts some tests need.

Optional parts — PyTorch, Chromium + ChromeDriver + selenium, Graphviz `dot`, onnx + onnxruntime,
the full datasets in ../shared/data — are not needed to use the package. A test that needs one says
so with `requires("torch")` (a mark: decorator, `pytestmark = requires(...)` or
`pytest.param(..., marks=requires(...))`) or calls `need("torch")` in its body (returns the module
for "torch"/"onnxruntime"). When the part is missing the test is skipped with a reason naming the
part and how to get it, and the summary of the run lists every missing part; with
TINYGRAD_CNN_REQUIRE_ALL=1 (CI sets it) the test FAILS instead, and so does any other skip, so
that CI runs the whole suite or says why not.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import Phase, settings

from tinygrad_cnn import Tensor

REQUIRE_ALL_VAR = "TINYGRAD_CNN_REQUIRE_ALL"

# Under `make mutate` mutmut sets MUTANT_UNDER_TEST and runs the covering tests once per mutant: the
# property tests then draw at most 15 examples each and report the first failure without shrinking it
# (a mutant only needs one failing example; shrinking can take minutes).
MUTATING = "MUTANT_UNDER_TEST" in os.environ
if MUTATING:
    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None)
    settings.load_profile("mutation")
    # PyTorch's OpenMP threads do not survive a fork: a forked worker would hang in its first
    # parallel region, so PyTorch runs on one thread under mutation testing
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)


def examples(n: int) -> int:
    """`max_examples` for a property test: n, or at most 15 under mutation testing."""
    return min(n, 15) if MUTATING else n

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _has_modules(*names: str) -> bool:
    return all(importlib.util.find_spec(n) is not None for n in names)


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


# part -> (is it present?, what is skipped without it, how to get it)
OPTIONAL_PARTS = {
    "torch": (lambda: _has_modules("torch"),
              "PyTorch not installed: parity against PyTorch skipped",
              "pip install torch==2.13.0"),
    "chromium": (lambda: _executable("/usr/bin/chromium") and _executable("/usr/bin/chromedriver")
                 and _has_modules("selenium"),
                 "Chromium/ChromeDriver/selenium missing: the explorer's browser tests skipped",
                 "apt-get install chromium chromium-driver; pip install selenium"),
    "dot": (lambda: shutil.which("dot") is not None,
            "Graphviz `dot` not installed: rendering graphs to SVG/PNG skipped",
            "apt-get install graphviz"),
    "onnxruntime": (lambda: _has_modules("onnx", "onnxruntime"),
                    "onnx/onnxruntime not installed: running exported models in ONNX Runtime skipped",
                    "pip install onnx onnxruntime"),
    "shared-data": (lambda: all((SHARED_DATA / d / f).is_file() for d in ("mnist", "fashion-mnist")
                                for f in IDX_FILES),
                    f"full MNIST/Fashion-MNIST not found in {SHARED_DATA}: full-dataset tests skipped",
                    "check out shared/ beside the repository"),
}
_missing_seen: Counter[str] = Counter()   # part -> number of tests skipped for it in this run


def require_all() -> bool:
    """True when a missing optional part must fail the run (CI: TINYGRAD_CNN_REQUIRE_ALL=1)."""
    return os.environ.get(REQUIRE_ALL_VAR, "") not in ("", "0")


def available(part: str) -> bool:
    """Whether the optional part is present on this machine."""
    if part not in OPTIONAL_PARTS:
        raise ValueError(f"requires: unknown optional part {part!r}; "
                         f"expected one of {sorted(OPTIONAL_PARTS)}")
    return OPTIONAL_PARTS[part][0]()


def requires(*parts: str) -> pytest.MarkDecorator:
    """A mark: skip the test (fail it under TINYGRAD_CNN_REQUIRE_ALL=1) unless every part is present."""
    if not parts:
        raise ValueError("requires: name at least one optional part")
    for part in parts:
        available(part)   # validates the name now, at import time of the test module
    return pytest.mark.requires(*parts)


def need(part: str, *, allow_module_level: bool = False) -> ModuleType | None:
    """Skip now (fail under TINYGRAD_CNN_REQUIRE_ALL=1) unless `part` is present.

    Returns the imported module for "torch" and "onnxruntime", else None.
    """
    if not available(part):
        _missing_seen[part] += 1
        reason = _reason(part)
        if require_all():
            pytest.fail(f"{reason}; {REQUIRE_ALL_VAR}=1 requires every optional part", pytrace=False)
        pytest.skip(reason, allow_module_level=allow_module_level)
    if part in ("torch", "onnxruntime"):
        return importlib.import_module(part)
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "requires(*parts): the test needs optional parts "
                            f"({', '.join(OPTIONAL_PARTS)}); see tests/conftest.py")


def _reason(part: str) -> str:
    _, what, how = OPTIONAL_PARTS[part]
    return f"optional part {part!r} missing: {what} ({how})"


def pytest_collection_modifyitems(config, items):
    if require_all():
        return   # pytest_runtest_setup fails them instead
    for item in items:
        missing = [p for mark in item.iter_markers("requires") for p in mark.args if not available(p)]
        if missing:
            _missing_seen.update(missing)
            item.add_marker(pytest.mark.skip(reason="; ".join(_reason(p) for p in missing)))


def pytest_runtest_setup(item):
    for mark in item.iter_markers("requires"):
        for part in mark.args:
            need(part)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if require_all() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under {REQUIRE_ALL_VAR}=1, where nothing may skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if require_all() and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"module skipped under {REQUIRE_ALL_VAR}=1, where nothing may skip: {reason}"


def pytest_terminal_summary(terminalreporter):
    missing = [p for p in OPTIONAL_PARTS if _missing_seen[p] and not available(p)]
    other_skips = len(terminalreporter.stats.get("skipped", [])) - sum(_missing_seen.values())
    if not missing and other_skips <= 0:
        return
    terminalreporter.section("optional parts")
    for part in missing:
        _, what, how = OPTIONAL_PARTS[part]
        verdict = "failed" if require_all() else "skipped"
        terminalreporter.write_line(
            f"MISSING {part}: {what} — {_missing_seen[part]} test(s) {verdict}; {how}")
    if other_skips > 0:
        terminalreporter.write_line(f"{other_skips} other skipped test(s) or module(s): listed under "
                                    "'short test summary info' (pytest -rs)")
    if missing and not require_all():
        terminalreporter.write_line(f"CI runs with {REQUIRE_ALL_VAR}=1, where these skips fail")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def leaf(rng, *shape, scale=1.0):
    """A float64 leaf tensor of standard normal values that requires grad."""
    return Tensor(rng.standard_normal(shape) * scale, requires_grad=True)


def run_cli(capsys, *argv):
    """(exit code, stdout, stderr) of `tinygrad-cnn argv`, SystemExit (argparse) included; a
    traceback in either stream fails the test."""
    from tinygrad_cnn.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
