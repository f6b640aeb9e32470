"""How many threads a run uses: `--threads N`, or by default the cores other processes leave
free, re-checked every few seconds while training.

Why: BLAS libraries (OpenBLAS) run one thread per core and spin while they wait for each other;
two trainings with two threads each on two cores fall from ~14,000 to a few hundred images/s.
One thread costs a LeNet-5 step only ~8%, so a run that shares the machine takes fewer threads.
Free cores = the cores this process may use minus the CPU time other processes used during the
last interval (Linux: /proc/stat and this process's own CPU time); elsewhere the load average.
The count is applied with `tinygrad_cnn.parallel.set_num_threads` (threadpoolctl for BLAS).
"""
from __future__ import annotations

import os
import time

from .. import parallel


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _busy_seconds() -> float | None:
    """CPU seconds all processes spent busy since boot (/proc/stat), None where unavailable."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)        # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system


class FreeCores:
    """Samples how much CPU the other processes use; `free()` = cores − their use, at least 1."""

    def __init__(self) -> None:
        self.n = cores()
        self._last = (time.monotonic(), _busy_seconds(), _own_seconds())

    def free(self) -> int:
        now, busy, own = time.monotonic(), _busy_seconds(), _own_seconds()
        then, busy0, own0 = self._last
        self._last = (now, busy, own)
        if busy is None or busy0 is None or now - then < 0.05:
            try:
                others = os.getloadavg()[0]
            except OSError:
                return self.n
        else:
            others = max(0.0, (busy - busy0) - (own - own0)) / (now - then)
        return max(1, min(self.n, round(self.n - others)))


class ThreadGovernor:
    """Applies `--threads N` once, or (N None) the free cores, re-checked every `interval` s."""

    def __init__(self, threads: int | None, interval: float = 2.0, sample: float = 0.2):
        self.fixed, self.interval = threads, interval
        self.sampler = FreeCores()
        if threads is None:
            time.sleep(sample)                   # one short look at the machine before starting
            self.current = self.sampler.free()
        else:
            self.current = threads
        parallel.set_num_threads(self.current)
        self._next = time.monotonic() + interval
        self.changes = 0

    def tick(self) -> None:
        """Call between steps: with automatic threads, follow the free cores."""
        if self.fixed is not None or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.interval
        free = self.sampler.free()
        if free != self.current:
            self.current = free
            self.changes += 1
            parallel.set_num_threads(free)

    def describe(self) -> str:
        if self.fixed is not None:
            return f"{self.current} thread(s) (--threads)"
        return f"{self.current} thread(s) (the free cores of {self.sampler.n}, re-checked every " \
               f"{self.interval:g} s)"
