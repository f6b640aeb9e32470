import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning is Linux-only")
@pytest.mark.parametrize("opt_out, expected", [("", "True"), ("1", "False")])
def test_malloc_tuning_applies_on_import_unless_opted_out(opt_out, expected):
    env = dict(os.environ, TINYGRAD_CNN_KEEP_MALLOC=opt_out)
    out = subprocess.run([sys.executable, "-c", "import tinygrad_cnn; print(tinygrad_cnn.MALLOC_TUNED)"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == expected
