"""How many threads the engine may use (PyTorch's `set_num_threads` / `get_num_threads`).

The count caps the BLAS library's threads (through `threadpoolctl`, imported only when a count is
set). One switch: `set_num_threads(1)` runs everything on one core.
"""
from __future__ import annotations

import os

_num_threads = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                   (os.cpu_count() or 1))
_blas_limiter = None  # threadpoolctl's limiter, kept alive while a count is in force


def get_num_threads() -> int:
    """The number of threads the engine uses (default: the cores this process may run on)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use `n` threads from now on, BLAS included (n ≥ 1)."""
    global _num_threads, _blas_limiter
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    from threadpoolctl import threadpool_limits

    _num_threads = n
    _blas_limiter = threadpool_limits(limits=n, user_api="blas")
