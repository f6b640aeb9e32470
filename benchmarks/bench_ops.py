"""Median forward+backward time of LeNet-5-sized layers, tinygrad_cnn vs PyTorch CPU, same run.

    python benchmarks/bench_ops.py [--repeats 50] [--threads N]

Batch 64, float32. Inputs require grad as they do inside a network (the first conv's input,
the images, does not). Both libraries use the same thread count: numpy's BLAS is limited with
threadpool-style environment variables set before numpy is imported, torch with
torch.set_num_threads. Prints one row per op: our median, PyTorch's median, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--batch", type=int, default=64)
    return p.parse_args()


ARGS = parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread settings)

import tinygrad_cnn.functional as F  # noqa: E402
from tinygrad_cnn import Tensor  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    sys.exit("bench_ops needs PyTorch as the reference: pip install torch==2.13.0")
torch.set_num_threads(ARGS.threads)
TF = torch.nn.functional


def median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def cases(n: int):
    """(name, input shape, input requires grad, our op, torch op, parameter shapes)."""
    return [
        ("conv 1→6 5×5 pad 2, 28×28", (n, 1, 28, 28), False,
         lambda x, w, b: F.conv2d(x, w, b, padding=2), lambda x, w, b: TF.conv2d(x, w, b, padding=2),
         [(6, 1, 5, 5), (6,)]),
        ("conv 6→16 5×5, 14×14", (n, 6, 14, 14), True,
         lambda x, w, b: F.conv2d(x, w, b), lambda x, w, b: TF.conv2d(x, w, b),
         [(16, 6, 5, 5), (16,)]),
        ("max pool 2, 6×28×28", (n, 6, 28, 28), True,
         lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), []),
        ("linear 400→120", (n, 400), True,
         lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b),
         [(120, 400), (120,)]),
    ]


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"batch {ARGS.batch}, float32, {ARGS.threads} thread(s), median of {ARGS.repeats}; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"{'op (forward + backward)':32s} {'tinygrad_cnn':>13s} {'pytorch':>10s} {'ratio':>7s}")
    for name, shape, input_grad, ours, theirs, param_shapes in cases(ARGS.batch):
        arrays = [rng.standard_normal(shape).astype(np.float32)]
        arrays += [rng.standard_normal(s).astype(np.float32) * 0.1 for s in param_shapes]
        grads = [input_grad] + [True] * len(param_shapes)
        ts = [Tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
        ps = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
        delta = rng.standard_normal(ours(*ts).shape).astype(np.float32)
        delta_t = torch.tensor(delta)

        def run_ours():
            for t in ts:
                t.grad = None
            ours(*ts).backward(delta)

        def run_torch():
            for p in ps:
                p.grad = None
            theirs(*ps).backward(delta_t)

        ours_ms, torch_ms = median_ms(run_ours, ARGS.repeats), median_ms(run_torch, ARGS.repeats)
        print(f"{name:32s} {ours_ms:10.3f} ms {torch_ms:7.3f} ms {ours_ms / torch_ms:6.2f}×")


if __name__ == "__main__":
    main()
