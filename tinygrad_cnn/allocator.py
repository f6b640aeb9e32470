"""Keep freed NumPy buffers for reuse (glibc only): a training step's big temporaries
(im2col columns, δ maps) are freed and allocated again every step. By default glibc returns
every block over 128 KiB-32 MiB to the OS on free and the next step page-faults it back in,
which on a 2-core machine costs more than the arithmetic (LeNet-5, batch 64: 14 ms → 8 ms a
step). Raising the mmap and trim thresholds keeps such blocks in the heap for the next step —
what PyTorch's caching CPU allocator achieves. Peak memory stays reserved; it does not grow.

Nothing happens at import: the training command and the benchmarks call `keep_freed_memory()`
explicitly. Set TINYGRAD_CNN_MALLOC_TUNING=0 to leave malloc alone even then. A no-op where the
C library is not glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024   # glibc's ceiling on 64-bit systems
ENV_VARIABLE = "TINYGRAD_CNN_MALLOC_TUNING"  # "0" disables the tuning

applied = False  # set by keep_freed_memory() when the tuning took effect


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed blocks up to 32 MiB instead of unmapping them; True if applied.

    Skipped (False) when TINYGRAD_CNN_MALLOC_TUNING=0, off Linux, or without glibc's mallopt.
    """
    global applied
    if os.environ.get(ENV_VARIABLE, "1").strip() == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(
        mallopt(M_TRIM_THRESHOLD, 4 * MMAP_THRESHOLD_MAX))
    return applied
