"""The malloc tuning: never applied by `import tinygrad_cnn`, applied by an explicit call
unless TINYGRAD_CNN_MALLOC_TUNING=0."""
import os
import subprocess
import sys

import pytest

SCRIPT = ("import tinygrad_cnn, tinygrad_cnn.allocator as a; before = a.applied; "
          "print(before, a.keep_freed_memory(), a.applied)")


def run(env_value):
    env = dict(os.environ)
    env.pop("TINYGRAD_CNN_MALLOC_TUNING", None)
    if env_value is not None:
        env["TINYGRAD_CNN_MALLOC_TUNING"] = env_value
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning is Linux-only")
@pytest.mark.parametrize("env_value, expected", [(None, ["False", "True", "True"]),
                                                 ("1", ["False", "True", "True"]),
                                                 ("0", ["False", "False", "False"])])
def test_malloc_tuning_only_on_explicit_call_unless_disabled(env_value, expected):
    assert run(env_value) == expected


def test_import_does_not_touch_malloc():
    """`import tinygrad_cnn` alone leaves the allocator module untouched (not even imported)."""
    out = subprocess.run([sys.executable, "-c", "import sys, tinygrad_cnn; "
                          "print('tinygrad_cnn.allocator' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
