"""The engine's threads: PyTorch's `set_num_threads` / `get_num_threads`, and the small pool that
runs the batch chunks of an op on several cores.

The heavy ops (convolution, pooling, ReLU) cut the batch into a few large chunks and hand them
to `map_chunks`:
the calling thread and `get_num_threads() − 1` pool workers each take the next chunk until none
is left. NumPy releases the GIL inside its loops, copies and BLAS calls, so the chunks really
run at the same time.

BLAS: once the engine runs an op with more than one thread allowed, the BLAS library (OpenBLAS)
is kept at one thread: each worker calls BLAS on its own chunk, and a second level of threads
would fight over the same cores (OpenBLAS's idle threads also spin for a while after each call,
taking a core from whoever runs next — another process, or our own workers). `threadpoolctl`
is imported for that only when more than one thread is used, or by `set_num_threads`.

Deterministic: the chunk boundaries depend on the batch size only, never on the thread count,
and results come back in chunk order, so a sum over chunks adds the same numbers in the same
order with 1 thread or 8.

One switch turns it off: `set_num_threads(1)` (or TINYGRAD_CNN_NUM_THREADS=1 in the
environment) runs every chunk in the calling thread, one after the other.

Busy machine: a second thread only pays while it has a core of its own. When other work keeps
the cores busy (another training, a build), the workers would wait for the CPU and the caller
for them at the end of every op. So, where the system tells (Linux: /proc/loadavg's count of
threads running or ready to run, read at most every CHECK_SECONDS), the pool is used only while
the threads of other processes leave a core for each of ours (`threads_to_use`); otherwise the
chunks run in the caller. Same chunks, same order: the numbers do not change. ADAPTIVE = False
keeps the pool on whatever the load.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")
ENV_VARIABLE = "TINYGRAD_CNN_NUM_THREADS"
SPLIT_BYTES = 1 << 21     # split the batch in two once each half has 2 MiB of working set,
CHUNK_BYTES = 1 << 22     # in more chunks where a half would exceed 4 MiB;
MAX_CHUNKS = 4            # an op of many NumPy calls per chunk: in as few as 4,
LARGEST_BYTES = 3 << 22   # while each stays within 12 MiB
CHECK_SECONDS = 0.25      # how often the machine's load is looked at
ADAPTIVE = True           # back off to one thread while other processes keep the cores busy
LOADAVG = "/proc/loadavg"


def _default_threads() -> int:
    """TINYGRAD_CNN_NUM_THREADS if set (a positive integer), else the cores we may run on."""
    value = os.environ.get(ENV_VARIABLE, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{ENV_VARIABLE}={value!r}: expected a positive integer")
        return int(value)
    return _usable_cores()


def _usable_cores() -> int:
    """The cores this process may run on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


_num_threads = _default_threads()
_jobs: SimpleQueue | None = None          # the workers' queue, made on first parallel use
_pool_size = 0                             # how many workers take from it
_pool_pid = 0                              # the process that started them
_blas_limit: Any = None                    # threadpoolctl's limit on BLAS, kept while in force
_in_worker = threading.local()             # .active is True while a thread runs chunks
_cores = _usable_cores()
_load: dict[str, float] = {"checked": -1.0, "others": 0.0, "threads": 0}   # the last look at the machine


def get_num_threads() -> int:
    """The number of threads the engine uses (default: the cores this process may run on)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use `n` threads from now on (n ≥ 1): the caller and n − 1 pool workers; BLAS one thread.

    `set_num_threads(1)` switches the pool off: chunks run one after the other in the caller.
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _num_threads = n
    _limit_blas()


def _limit_blas() -> None:
    """Keep BLAS at one thread (threadpoolctl imported here, the first time only)."""
    global _blas_limit
    if _blas_limit is None:
        from threadpoolctl import ThreadpoolController

        _blas_limit = ThreadpoolController().limit(limits=1, user_api="blas")


def _worker(jobs: SimpleQueue) -> None:
    """A pool thread: run each job from the queue (wakes as soon as one is put) until None."""
    _in_worker.active = True
    while True:
        job = jobs.get()
        if job is None:
            return
        job()
        del job          # not kept while waiting: it refers to the op's arrays


def _start_pool() -> SimpleQueue:
    """The workers' queue: get_num_threads() − 1 daemon threads on it, started again when the
    count changed or in a forked child (fork copies the calling thread only: the parent's
    workers do not exist there, and jobs queued for them would never run)."""
    global _jobs, _pool_size, _pool_pid
    if _jobs is None or _pool_size != _num_threads - 1 or _pool_pid != os.getpid():
        if _jobs is not None and _pool_pid == os.getpid():
            for _ in range(_pool_size):
                _jobs.put(None)                    # the old workers finish and exit
        _jobs, _pool_size, _pool_pid = SimpleQueue(), _num_threads - 1, os.getpid()
        for i in range(_pool_size):
            threading.Thread(target=_worker, args=(_jobs,), name=f"tinygrad_cnn_{i}", daemon=True).start()
    return _jobs


def running_threads(loadavg: str) -> int | None:
    """Threads running or ready to run, machine-wide: the 4th field of /proc/loadavg
    ("0.52 0.58 0.59 3/467 12345" → 3); None if the text is not in that form."""
    fields = loadavg.split()
    running = fields[3].split("/")[0] if len(fields) > 3 else ""
    return int(running) if running.isdigit() else None


def threads_to_use(wanted: int, cores: int, others: float) -> int:
    """How many threads to run chunks on: `wanted`, unless the threads of other processes
    (`others`, ready to run) leave fewer free cores than that; then 1 (the caller alone)."""
    return wanted if others + wanted <= cores + 0.5 else 1


def _threads_now() -> int:
    """get_num_threads(), or 1 while the machine is busy (looked at every CHECK_SECONDS)."""
    if not ADAPTIVE:
        return _num_threads
    now = time.monotonic()
    if now - _load["checked"] >= CHECK_SECONDS:
        try:
            with open(LOADAVG) as f:
                running = running_threads(f.read())
        except OSError:
            running = None
        if running is None:                 # not Linux: no way to tell, use what was asked for
            _load.update(checked=now, threads=_num_threads)
        else:                               # minus the caller, running right now; smoothed
            _load["others"] = 0.5 * _load["others"] + 0.5 * max(0, running - 1)
            _load.update(checked=now, threads=threads_to_use(_num_threads, _cores, _load["others"]))
    return min(int(_load["threads"]) or _num_threads, _num_threads)


def chunk_bounds(n: int, most: int) -> list[tuple[int, int]]:
    """Split range(n) into chunks of at most `most` samples: [(start, stop), …].

    Fixed by n and `most` alone (never by the thread count). The chunks are as equal as
    possible and, when there are several, even in number, so two cores get equal shares.
    """
    count = -(-n // most)
    if count > 1 and count % 2:
        count += 1
    if count <= 1:
        return [(0, n)]
    size, extra = divmod(n, count)
    stops = [(i + 1) * size + min(i + 1, extra) for i in range(count)]
    return list(zip([0, *stops[:-1]], stops))


def samples_per_chunk(bytes_per_sample: int, n: int, many_calls: bool = False) -> int:
    """How many of the `n` samples go in one chunk, each sample's working set `bytes_per_sample`.

    Few, large chunks: a second thread pays only while its NumPy calls are long. Each call
    releases the GIL and takes it back, and when the other thread holds it that costs a thread
    wake-up (tens of µs here): a chunk of many short calls runs slower on two threads than on
    one. So the batch stays whole while small, is split in two once each half has SPLIT_BYTES
    of work, and in more chunks of about CHUNK_BYTES (in the cache) beyond that. An op whose
    chunk makes many calls (`many_calls`: conv's backward, a copy per kernel column and an add
    per kernel row) takes larger chunks, as few as MAX_CHUNKS while each stays within
    LARGEST_BYTES. Fixed by the sizes alone, never by the thread count.
    """
    per_sample = max(1, bytes_per_sample)
    most = max(1, CHUNK_BYTES // per_sample)
    if many_calls:
        most = max(most, min(-(-n // MAX_CHUNKS), LARGEST_BYTES // per_sample))
    if n * per_sample >= 2 * SPLIT_BYTES:
        most = min(most, -(-n // 2))
    return most


def map_chunks(fn: Callable[[int, int], T], n: int, most: int) -> list[T]:
    """[fn(start, stop) for each chunk of range(n)], the chunks shared out between threads.

    `fn` works on the samples start:stop of the batch (writing into its slice of an output
    array, or returning a partial sum); the results come back in chunk order. With more than
    one thread, the caller and `get_num_threads() − 1` pool workers each take the next chunk
    not yet taken until none is left.
    """
    if _num_threads > 1:
        _limit_blas()          # also when this op runs serially: its BLAS calls must not spin
    bounds = chunk_bounds(n, most)
    threads = min(_threads_now(), len(bounds)) if len(bounds) > 1 else 1
    if threads <= 1 or getattr(_in_worker, "active", False):     # serial (also when nested)
        return [fn(start, stop) for start, stop in bounds]
    jobs = _start_pool()
    results: list[Any] = [None] * len(bounds)
    errors: list[BaseException] = []
    todo = iter(enumerate(bounds))
    take = threading.Lock()
    left = [len(bounds)]           # chunks not yet finished
    finished = threading.Event()

    def work() -> None:
        while True:
            with take:
                item = next(todo, None)
            if item is None:
                return
            i, (start, stop) = item
            try:
                results[i] = fn(start, stop)
            except BaseException as error:       # raised again in the caller, below
                errors.append(error)
            with take:
                left[0] -= 1
                if left[0] == 0:
                    finished.set()

    for _ in range(threads - 1):
        jobs.put(work)
    _in_worker.active = True
    try:
        work()
    finally:
        _in_worker.active = False
    # Wait for the chunks, not for the workers: a worker the OS has not run yet (the cores busy
    # with other processes) finds nothing left when it wakes, and nobody waits for it.
    finished.wait()
    if errors:
        raise errors[0]
    return results
