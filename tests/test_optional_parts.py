"""The optional-part helpers in conftest.py: skip with a reason, list the part, fail under CI."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OPTIONAL_PARTS, REQUIRE_ALL_VAR, available, requires

CONFTEST = Path(__file__).with_name("conftest.py")
SAMPLE = '''
import pytest
from conftest import need, requires

@requires("shared-data")
def test_marked():
    pass

def test_called():
    need("shared-data")

def test_plain():
    pytest.importorskip("tinygrad_cnn_no_such_module")

def test_present():
    assert need("torch") is None or need("torch").__name__ == "torch"
'''


def run_sample(tmp_path: Path, require_all: bool) -> tuple[int, str]:
    """Run SAMPLE with a copy of conftest.py two levels below tmp_path, where ../shared/data is absent."""
    folder = tmp_path / "repo" / "tests"
    folder.mkdir(parents=True)
    shutil.copy(CONFTEST, folder / "conftest.py")
    (folder / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ALL_VAR}
    if require_all:
        env[REQUIRE_ALL_VAR] = "1"
    if not available("torch"):   # keep test_present independent of this machine
        (folder / "test_sample.py").write_text(SAMPLE.replace('need("torch")', 'need("shared-data")'))
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(folder)]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_missing_part_skips_with_reason_and_is_listed_in_summary(tmp_path):
    code, out = run_sample(tmp_path, require_all=False)
    assert code == 0, out
    assert "3 skipped" in out and ("1 passed" in out or "4 skipped" in out), out
    assert "optional parts" in out and "MISSING shared-data" in out, out
    assert "full-dataset tests skipped — 2 test(s) skipped" in out, out
    assert "test_sample.py:5: optional part 'shared-data' missing" in out, out   # the test's own line
    assert "1 other skipped test(s)" in out and f"{REQUIRE_ALL_VAR}=1" in out, out


def test_missing_part_fails_under_require_all(tmp_path):
    code, out = run_sample(tmp_path, require_all=True)
    assert code == 1, out
    assert "skipped" not in out.strip().splitlines()[-1], out
    assert "ERROR at setup of test_marked" in out, out
    assert "_ test_called _" in out and "_ test_plain _" in out, out
    assert out.count("optional part 'shared-data' missing") >= 2 and "2 test(s) failed" in out, out
    assert "nothing may skip: Skipped: could not import 'tinygrad_cnn_no_such_module'" in out, out


def test_requires_rejects_unknown_part_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown optional part 'cuda'.*'chromium'.*'torch'"):
        requires("cuda")
    with pytest.raises(ValueError, match="at least one"):
        requires()


def test_every_part_has_a_reason_and_a_remedy():
    assert set(OPTIONAL_PARTS) == {"torch", "chromium", "dot", "onnxruntime", "shared-data"}
    for part, (present, what, how) in OPTIONAL_PARTS.items():
        assert isinstance(present(), bool) and "skipped" in what and how, part
