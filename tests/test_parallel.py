"""The engine's thread pool (tinygrad_cnn/parallel.py): deterministic, and off with one switch.

Tolerance: LeNet-5 losses and parameters after training steps with 1 and with 2 threads must be
equal to float32 rounding, |a − b| ≤ 1e-6 + 1e-5·|b| elementwise. (The chunk boundaries do not
depend on the thread count and chunk results are summed in chunk order, so in practice the
numbers are bit-identical; the tolerance only allows a BLAS build that splits a product
differently by thread count.)
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import tinygrad_cnn
from tinygrad_cnn import Tensor, parallel
from tinygrad_cnn.models import LeNet5
from tinygrad_cnn.optim import SGD

RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture
def threads(monkeypatch):
    """Set the thread count inside a test; restores the previous count afterwards. The pool
    stays on whatever the machine's load (the back-off has tests of its own, below)."""
    monkeypatch.setattr(parallel, "ADAPTIVE", False)
    before = parallel.get_num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


def train(steps: int = 3, batch: int = 96) -> tuple[list[float], dict[str, np.ndarray]]:
    """Losses and final parameters of a few LeNet-5 SGD steps from a fixed seed."""
    rng = np.random.default_rng(7)
    model = LeNet5(seed=3)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, batch)
        loss = model.loss(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, {name: p.data.copy() for name, p in model.named_parameters()}


def test_same_numbers_with_one_or_two_threads(threads):
    threads(1)
    losses_1, params_1 = train()
    threads(2)
    losses_2, params_2 = train()
    np.testing.assert_allclose(losses_2, losses_1, rtol=RTOL, atol=ATOL)
    assert params_1.keys() == params_2.keys()
    for name in params_1:
        np.testing.assert_allclose(params_2[name], params_1[name], rtol=RTOL, atol=ATOL,
                                   err_msg=f"parameter {name} differs between 1 and 2 threads")
    assert np.isfinite(losses_1).all() and losses_1[0] != losses_1[-1]   # it did train


def test_chunk_bounds_are_balanced_even_in_number_and_cover_the_batch():
    assert parallel.chunk_bounds(10, 4) == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert parallel.chunk_bounds(8, 4) == [(0, 4), (4, 8)]
    assert parallel.chunk_bounds(9, 4) == [(0, 3), (3, 5), (5, 7), (7, 9)]
    assert parallel.chunk_bounds(3, 8) == [(0, 3)]
    assert parallel.chunk_bounds(0, 8) == [(0, 0)]
    for n in range(1, 70):
        bounds = parallel.chunk_bounds(n, 5)
        sizes = [b - a for a, b in bounds]
        assert bounds[0][0] == 0 and bounds[-1][1] == n and max(sizes) <= 5
        assert all(a == b for (_, a), (b, _) in zip(bounds, bounds[1:]))
        assert max(sizes) - min(sizes) <= 1 and (len(bounds) == 1 or len(bounds) % 2 == 0)


@pytest.mark.parametrize("bytes_per_sample, n, many_calls, expected", [
    (1 << 10, 8, False, 4096),        # small: the batch stays whole (4096 fit in a 4 MiB chunk)
    (1 << 16, 63, False, 64),         # 63 × 64 KiB < 4 MiB in all: whole
    (1 << 16, 64, False, 32),         # 64 × 64 KiB = 4 MiB = 2 × 2 MiB: split in two
    (1 << 16, 65, False, 33),
    (1 << 16, 1000, False, 64),       # large: chunks of at most 4 MiB
    (1 << 16, 1000, True, 192),       # many calls a chunk: within 12 MiB
    (1 << 16, 400, True, 100),        # many calls a chunk: 4 chunks
    (1 << 16, 64, True, 32),          # ... but split in two all the same
    (1 << 16, 40, True, 64),          # ... and whole while small
    (3 << 20, 5, False, 1),           # a sample over 4 MiB: one per chunk
    (0, 7, False, 1 << 22),           # no bytes: never split
])
def test_samples_per_chunk_splits_in_two_at_2_mib_a_half_and_caps_chunks_at_4_mib(
        bytes_per_sample, n, many_calls, expected):
    assert (parallel.SPLIT_BYTES, parallel.CHUNK_BYTES) == (1 << 21, 1 << 22)
    assert (parallel.MAX_CHUNKS, parallel.LARGEST_BYTES) == (4, 12 << 20)
    assert parallel.samples_per_chunk(bytes_per_sample, n, many_calls) == expected


def test_chunks_do_not_depend_on_the_thread_count(threads):
    sizes = [(b, n) for b in (100, 5000, 1 << 16, 1 << 20) for n in (1, 7, 32, 64, 200)]
    threads(1)
    one = [parallel.chunk_bounds(n, parallel.samples_per_chunk(b, n, many)) for b, n in sizes
           for many in (False, True)]
    threads(2)
    assert [parallel.chunk_bounds(n, parallel.samples_per_chunk(b, n, many)) for b, n in sizes
            for many in (False, True)] == one


def test_map_chunks_returns_results_in_chunk_order(threads):
    threads(2)
    assert parallel.map_chunks(lambda a, b: (a, b), 10, 3) == [(0, 3), (3, 6), (6, 8), (8, 10)]


def test_pool_runs_two_chunks_at_the_same_time_when_on(threads):
    threads(2)
    both = threading.Barrier(2, timeout=30)     # broken (an error) unless two chunks meet here

    def chunk(a, b):
        both.wait()
        return threading.current_thread().name

    names = parallel.map_chunks(chunk, 2, 1)
    assert len(set(names)) == 2 and any(name.startswith("tinygrad_cnn") for name in names)


def test_a_new_thread_count_replaces_the_workers(threads):
    """3 threads start 2 workers; after set_num_threads(2) the next parallel op ends them and
    starts 1."""
    def workers():
        return [t for t in threading.enumerate() if t.name.startswith("tinygrad_cnn_")]

    threads(3)
    parallel.map_chunks(lambda a, b: a, 6, 1)
    old = workers()
    assert len(old) == 2
    threads(2)
    assert parallel.map_chunks(lambda a, b: a, 6, 1) == [0, 1, 2, 3, 4, 5]
    for t in old:
        t.join(timeout=10)                 # each takes its None from the queue and exits
    assert not any(t.is_alive() for t in old)
    assert len(workers()) == 1 and workers()[0] not in old


def test_set_num_threads_1_switches_the_pool_off(threads):
    threads(1)
    assert parallel.get_num_threads() == 1
    names = parallel.map_chunks(lambda a, b: threading.current_thread().name, 64, 8)
    assert names == [threading.current_thread().name] * 8


def test_an_error_in_a_chunk_reaches_the_caller(threads):
    threads(2)

    def chunk(a, b):
        if a == 4:
            raise ValueError("chunk 4:8 failed")
        return a

    with pytest.raises(ValueError, match="chunk 4:8 failed"):
        parallel.map_chunks(chunk, 16, 4)
    assert parallel.map_chunks(lambda a, b: a, 16, 4) == [0, 4, 8, 12]    # still usable


def test_blas_runs_one_thread_per_worker_once_the_pool_is_used():
    code = ("import threadpoolctl; from tinygrad_cnn import parallel; "
            "blas = lambda: {i['num_threads'] for i in threadpoolctl.threadpool_info() "
            "if i['user_api'] == 'blas'}; "
            "before = blas(); inside = parallel.map_chunks(lambda a, b: blas(), 4, 2); "
            "print(before, inside, blas())")
    pytest.importorskip("threadpoolctl", reason="threadpoolctl not installed")
    env = dict(os.environ, TINYGRAD_CNN_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "{2} [{1}, {1}] {1}"


def test_nested_map_chunks_runs_serially_instead_of_deadlocking(threads):
    threads(2)
    inner = parallel.map_chunks(lambda a, b: sum(parallel.map_chunks(lambda c, d: d - c, 10, 3)),
                                4, 1)
    assert inner == [10, 10, 10, 10]


def test_exported_at_top_level():
    assert tinygrad_cnn.parallel.get_num_threads is parallel.get_num_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
        parallel.set_num_threads(bad)


def test_environment_variable_switches_the_pool_off():
    code = ("from tinygrad_cnn import parallel; import threading; "
            "print(parallel.get_num_threads(), "
            "set(parallel.map_chunks(lambda a, b: threading.current_thread().name, 32, 4)))")
    env = dict(os.environ, TINYGRAD_CNN_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "1 {'MainThread'}"


def test_bad_environment_variable_is_a_clear_error():
    env = dict(os.environ, TINYGRAD_CNN_NUM_THREADS="two")
    done = subprocess.run([sys.executable, "-c", "import tinygrad_cnn.parallel"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "TINYGRAD_CNN_NUM_THREADS='two': expected a positive integer" in done.stderr


# -- backing off while the machine is busy -------------------------------------------------------


@pytest.mark.parametrize("text, running", [("0.52 0.58 0.59 3/467 12345\n", 3), ("1.0 1.0 1.0 12/80 9", 12),
                                           ("0.52 0.58 0.59", None), ("a b c x/1 2", None), ("", None)])
def test_running_threads_reads_the_fourth_field_of_loadavg(text, running):
    assert parallel.running_threads(text) == running


@pytest.mark.parametrize("wanted, cores, others, expected", [
    (2, 2, 0.0, 2), (2, 2, 0.5, 2), (2, 2, 0.6, 1), (2, 2, 1.0, 1), (2, 2, 3.0, 1),
    (4, 8, 4.0, 4), (4, 8, 4.6, 1), (1, 2, 5.0, 1), (8, 8, 0.0, 8)])
def test_threads_to_use_keeps_the_pool_only_while_each_thread_has_a_core(wanted, cores, others, expected):
    assert parallel.threads_to_use(wanted, cores, others) == expected


def _names_on_a_machine_running(tmp_path, monkeypatch, running: int) -> list[str]:
    """Thread names of 8 chunks, with /proc/loadavg saying `running` threads are ready to run
    (one of them the caller) and a 2-core machine."""
    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"1.00 1.00 1.00 {running}/300 4242\n")
    monkeypatch.setattr(parallel, "LOADAVG", str(loadavg))
    monkeypatch.setattr(parallel, "_cores", 2)
    monkeypatch.setattr(parallel, "_load", {"checked": -1.0, "others": 0.0, "threads": 0})
    monkeypatch.setattr(parallel, "CHECK_SECONDS", 0.0)
    both = threading.Barrier(2, timeout=0.5)

    def chunk(a, b):
        try:
            both.wait()          # two chunks meet when two threads run them
        except threading.BrokenBarrierError:
            pass
        return threading.current_thread().name

    for _ in range(3):           # the load is smoothed over looks: let it settle
        names = parallel.map_chunks(chunk, 8, 1)
    return names


def test_a_busy_machine_runs_the_chunks_in_the_caller(tmp_path, monkeypatch):
    parallel.set_num_threads(2)
    try:
        names = _names_on_a_machine_running(tmp_path, monkeypatch, running=4)   # 3 others
    finally:
        parallel.set_num_threads(parallel._default_threads())
    assert names == [threading.current_thread().name] * 8


def test_an_idle_machine_runs_the_chunks_on_the_pool(tmp_path, monkeypatch):
    parallel.set_num_threads(2)
    try:
        names = _names_on_a_machine_running(tmp_path, monkeypatch, running=1)   # the caller only
    finally:
        parallel.set_num_threads(parallel._default_threads())
    assert any(name.startswith("tinygrad_cnn") for name in names)
    assert threading.current_thread().name in names


def test_an_unreadable_loadavg_keeps_the_threads_asked_for(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "LOADAVG", str(tmp_path / "missing"))
    monkeypatch.setattr(parallel, "_load", {"checked": -1.0, "others": 5.0, "threads": 0})
    parallel.set_num_threads(2)
    try:
        assert parallel._threads_now() == 2
    finally:
        parallel.set_num_threads(parallel._default_threads())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_runs_chunks_on_a_pool_of_its_own(threads):
    """fork copies only the calling thread: a child must not queue chunks for its parent's workers
    (the parent's pool was used first, so it exists when the child is made)."""
    threads(2)
    parallel.map_chunks(lambda a, b: a, 8, 1)
    pid = os.fork()
    if pid == 0:                                      # the child: exit 0 only if it works
        code = 1
        try:
            signal.alarm(20)                           # a hang ends the child instead of the test
            both = threading.Barrier(2, timeout=5)     # broken unless two threads run chunks

            def chunk(a, b):
                both.wait()
                return threading.current_thread().name

            names = parallel.map_chunks(chunk, 2, 1)
            code = 0 if any(name.startswith("tinygrad_cnn") for name in names) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
