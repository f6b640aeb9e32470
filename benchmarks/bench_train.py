"""LeNet-5 training throughput, tinygrad_cnn vs PyTorch CPU in the same run, and peak memory.

    python benchmarks/bench_train.py [--threads N] [--repeats 5] [--seconds 2] [--epochs 3]
                                     [--profile]

Throughput: images/s of full training steps (forward, cross-entropy, backward, SGD step with
momentum 0.9), float32, batch 64 and 256, on random images. Each repeat times as many steps as
fit in about --seconds; the table shows the median over --repeats and PyTorch's speed divided by
ours (how many times faster PyTorch is). Both start from the same weights.

Threads: both libraries use the same count. By default it is the number of threads numpy's
BLAS (OpenBLAS) uses, read from the library itself (openblas_get_num_threads); --threads N sets
OMP/OPENBLAS/MKL_NUM_THREADS before numpy is imported and torch.set_num_threads(N).

Memory: --epochs epochs of LeNet-5 training (batch 64, --epoch-images random images) under
tracemalloc, which counts numpy's buffers: the peak of live Python + numpy memory within each
epoch (tracemalloc.reset_peak between epochs; a leak shows as a growing peak), and the process's
peak resident set size (ru_maxrss) after each epoch. Tracing slows the steps, so it runs after
the timings.

--profile: cProfile of 30 of our training steps at the largest batch, the functions taking the
most time themselves (where the gap to PyTorch comes from).
"""
from __future__ import annotations

import argparse
import cProfile
import ctypes
import os
import pstats
import resource
import statistics
import sys
import time
import tracemalloc


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None,
                   help="threads for numpy's BLAS and torch (default: what numpy's BLAS uses)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seconds", type=float, default=2.0, help="time per repeat")
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    p.add_argument("--epochs", type=int, default=3, help="epochs of the memory measurement")
    p.add_argument("--epoch-images", type=int, default=8000)
    p.add_argument("--profile", action="store_true", help="cProfile our training step")
    return p.parse_args()


ARGS = parse()
if ARGS.threads is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread settings)

from tinygrad_cnn import Tensor  # noqa: E402
from tinygrad_cnn.models import LeNet5  # noqa: E402
from tinygrad_cnn.optim import SGD  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    sys.exit("bench_train needs PyTorch as the reference: pip install torch==2.13.0")


def numpy_blas_threads() -> int:
    """The thread count of the OpenBLAS that numpy loaded (asked through its C API)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    for lib in sorted(libs):
        dll = ctypes.CDLL(lib)
        for symbol in ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                       "openblas_get_num_threads64_"):
            if hasattr(dll, symbol):
                return int(getattr(dll, symbol)())
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def torch_lenet5(ours: LeNet5) -> torch.nn.Module:
    """The same network in PyTorch, with our initial weights."""
    tnn = torch.nn
    net = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                         tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
                         tnn.Linear(84, 10))
    params = [p.data for p in ours.parameters()]
    with torch.no_grad():
        for tp, arr in zip(net.parameters(), params):
            tp.copy_(torch.from_numpy(arr))
    return net


def throughput(step, batch: int) -> float:
    """Median images/s over the repeats; each repeat runs ~ARGS.seconds of steps."""
    for _ in range(3):
        step()
    start = time.perf_counter()
    step()
    n_steps = max(3, int(ARGS.seconds / max(time.perf_counter() - start, 1e-4)))
    rates = []
    for _ in range(ARGS.repeats):
        start = time.perf_counter()
        for _ in range(n_steps):
            step()
        rates.append(n_steps * batch / (time.perf_counter() - start))
    return statistics.median(rates)


def lenet5_step(batch: int, seed: int = 0):
    """Our training step on a fixed random batch, and the model (SGD, momentum 0.9)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = model.loss(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step, model, x, y


def bench_speed(threads: int) -> None:
    print(f"\nthroughput: LeNet-5 training step (forward + backward + SGD momentum step), "
          f"float32, median of {ARGS.repeats} × ~{ARGS.seconds:g} s")
    print(f"{'batch':>5s} {'tinygrad_cnn img/s':>19s} {'pytorch img/s':>14s} {'pytorch/ours':>13s}")
    for batch in ARGS.batches:
        ours_step, model, x, y = lenet5_step(batch)
        net = torch_lenet5(model)
        topt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            loss = torch.nn.functional.cross_entropy(net(tx), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()

        ours, theirs = throughput(ours_step, batch), throughput(torch_step, batch)
        print(f"{batch:5d} {ours:19.0f} {theirs:14.0f} {theirs / ours:12.2f}×")


def bench_memory() -> None:
    n, batch = ARGS.epoch_images, 64
    rng = np.random.default_rng(1)
    images = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    print(f"\nmemory: LeNet-5, batch {batch}, {n} images an epoch, tracemalloc on "
          f"(data set itself: {images.nbytes / 2**20:.1f} MiB, allocated before tracing)")
    print(f"{'epoch':>5s} {'peak traced MiB':>16s} {'traced at end MiB':>18s} "
          f"{'ru_maxrss MiB':>14s} {'s':>6s}")
    tracemalloc.start()
    for epoch in range(1, ARGS.epochs + 1):
        tracemalloc.reset_peak()
        start = time.perf_counter()
        order = np.random.default_rng([1, epoch]).permutation(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss = model.loss(model(Tensor(images[idx])), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        current, peak = tracemalloc.get_traced_memory()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # KiB on Linux
        print(f"{epoch:5d} {peak / 2**20:16.2f} {current / 2**20:18.2f} {rss:14.1f} "
              f"{time.perf_counter() - start:6.1f}")
    tracemalloc.stop()


def profile() -> None:
    batch = max(ARGS.batches)
    step, *_ = lenet5_step(batch)
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(30):
        step()
    prof.disable()
    print(f"\nprofile: 30 training steps of our LeNet-5, batch {batch}, by own time")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(12)


def main() -> None:
    threads = ARGS.threads if ARGS.threads is not None else numpy_blas_threads()
    torch.set_num_threads(threads)
    print(f"tinygrad_cnn vs PyTorch {torch.__version__} (CPU), numpy {np.__version__}; "
          f"{threads} thread(s) each (numpy's OpenBLAS: {numpy_blas_threads()}, "
          f"torch.get_num_threads(): {torch.get_num_threads()}); {os.cpu_count()} CPUs")
    bench_speed(threads)
    bench_memory()
    if ARGS.profile:
        profile()


if __name__ == "__main__":
    main()
