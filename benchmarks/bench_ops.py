"""Median forward+backward time of LeNet-5-sized layers, tinygrad_cnn vs PyTorch CPU, each library
in its own process.

    python benchmarks/bench_ops.py [--repeats 50] [--pairs 3] [--batch 64] [--threads N]

Float32. Inputs require grad as they do inside a network (the first conv's input, the images,
does not). Each library runs in a fresh process that imports only it (so neither one's malloc
settings or spinning thread pools touch the other; see benchmarks/bench_train.py), --pairs
times, alternating; a process reports each op's median over --repeats runs, and the table shows
the median over the processes. --threads N sets both libraries' thread count
(tinygrad_cnn.set_num_threads, torch.set_num_threads); by default each uses its own default.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--worker", choices=["ours", "torch"], help=argparse.SUPPRESS)
    return p.parse_args()


def median_ms(fn: Callable[[], None], repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


CASES = [  # (name, input shape after the batch, input requires grad, parameter shapes, op)
    ("conv 1→6 5×5 pad 2, 28×28", (1, 28, 28), False, [(6, 1, 5, 5), (6,)], "conv_pad2"),
    ("conv 6→16 5×5, 14×14", (6, 14, 14), True, [(16, 6, 5, 5), (16,)], "conv"),
    ("max pool 2, 6×28×28", (6, 28, 28), True, [], "max_pool"),
    ("relu, 6×28×28", (6, 28, 28), True, [], "relu"),
    ("linear 400→120", (400,), True, [(120, 400), (120,)], "linear"),
]


def worker(args: argparse.Namespace) -> None:
    import numpy as np

    if args.worker == "ours":
        import tinygrad_cnn
        import tinygrad_cnn.functional as F
        from tinygrad_cnn import Tensor

        if args.threads is not None:
            tinygrad_cnn.set_num_threads(args.threads)
        ops: dict[str, Callable[..., Any]] = {
            "conv_pad2": lambda x, w, b: F.conv2d(x, w, b, padding=2), "conv": F.conv2d,
            "max_pool": lambda x: F.max_pool2d(x, 2), "relu": F.relu, "linear": F.linear}

        def tensor(a: np.ndarray, grad: bool) -> object:
            return Tensor(a, requires_grad=grad)

        def delta_of(d: np.ndarray) -> object:
            return d
    else:
        import torch

        if args.threads is not None:
            torch.set_num_threads(args.threads)
        TF = torch.nn.functional
        ops = {"conv_pad2": lambda x, w, b: TF.conv2d(x, w, b, padding=2),
               "conv": TF.conv2d, "max_pool": lambda x: TF.max_pool2d(x, 2), "relu": TF.relu,
               "linear": TF.linear}

        def tensor(a: np.ndarray, grad: bool) -> object:
            return torch.tensor(a, requires_grad=grad)

        def delta_of(d: np.ndarray) -> object:
            return torch.tensor(d)

    rng = np.random.default_rng(0)
    result = {}
    for name, shape, input_grad, param_shapes, op in CASES:
        arrays = [rng.standard_normal((args.batch, *shape)).astype(np.float32)]
        arrays += [rng.standard_normal(s).astype(np.float32) * 0.1 for s in param_shapes]
        grads = [input_grad] + [True] * len(param_shapes)
        inputs = [tensor(a, g) for a, g in zip(arrays, grads)]
        fn = ops[op]
        delta = delta_of(rng.standard_normal(tuple(fn(*inputs).shape)).astype(np.float32))

        def run(fn=fn, inputs=inputs, delta=delta) -> None:
            for t in inputs:
                t.grad = None
            fn(*inputs).backward(delta)

        result[name] = median_ms(run, args.repeats)
    print(json.dumps(result))


def main() -> None:
    args = parse()
    if args.worker:
        return worker(args)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times: dict[str, dict[str, list[float]]] = {"ours": {}, "torch": {}}
    for rep in range(args.pairs):
        for lib in (("ours", "torch") if rep % 2 == 0 else ("torch", "ours")):
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--batch",
                   str(args.batch), "--repeats", str(args.repeats)]
            if args.threads is not None:
                cmd += ["--threads", str(args.threads)]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            if done.returncode != 0:
                sys.exit(f"bench_ops: the {lib} worker failed:\n{done.stderr}")
            for name, ms in json.loads(done.stdout.strip().splitlines()[-1]).items():
                times[lib].setdefault(name, []).append(ms)
    print(f"batch {args.batch}, float32, forward + backward, median of {args.pairs} processes × "
          f"{args.repeats} runs each; ratio = our time ÷ PyTorch's (= PyTorch speed ÷ ours, as "
          "in bench_train; < 1: we are faster)")
    print(f"{'op':32s} {'tinygrad_cnn':>13s} {'pytorch':>10s} {'ratio':>7s}")
    for name, *_ in CASES:
        ours, theirs = (statistics.median(times[lib][name]) for lib in ("ours", "torch"))
        print(f"{name:32s} {ours:10.3f} ms {theirs:7.3f} ms {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
