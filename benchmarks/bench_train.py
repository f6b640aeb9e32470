"""LeNet-5 training and inference speed, tinygrad_cnn vs PyTorch CPU, each library in its own process.

    python benchmarks/bench_train.py                 # the sweep, then epoch memory
    python benchmarks/bench_train.py --quick         # fewer batches, shorter runs
    python benchmarks/bench_train.py --contention    # two trainings of each library at once
    python benchmarks/bench_train.py --profile       # ms per op of our step at batch 256

Throughput: images/s of LeNet-5 training steps (forward, cross-entropy, backward, SGD with
momentum 0.9), float32, at batch 1, 8, 32, 64, 128, 256 and 512 on a fixed random batch, and
of inference (forward under no_grad) at batch 1000. Every measurement runs in a fresh process
that imports only one of the two libraries, so neither library's process-wide settings (malloc
thresholds, spinning BLAS/OpenMP threads, warm caches) help or hurt the other (see
docs/architecture.md, "Threads and speed"). The processes alternate (ours, PyTorch, PyTorch,
ours, ...) for --pairs pairs; each process warms up, then runs three windows of --seconds/3 and
reports its median rate. The table shows the median over the processes and the spread
(min–max); ratio = PyTorch images/s ÷ ours, so a ratio below 1 means we are faster. 5 pairs by
default: on a shared virtual machine a process runs fast or about 30 % slower for its whole
life (both libraries), and the median of 5 lands on the slow side less often than that of 3.

Ours runs the way a user runs it: `import tinygrad_cnn`, nothing else (no malloc tweak, no
thread setting) unless --threads is given; that row gives the ratio. A second row times ours
the way `tinygrad_cnn train` runs, with glibc's malloc thresholds raised
(tinygrad_cnn/allocator.py; --no-malloc-row skips it). Threads: by default each library uses
its own default (both use every core here); --threads N calls
tinygrad_cnn.parallel.set_num_threads(N) and torch.set_num_threads(N).

--contention: per batch (--contention-batches), two processes of the same library train at the
same time, their timed windows synchronised; each one's rate is compared with the solo rate of
the sweep (fair share on 2 cores: 50%) and ours with PyTorch's under the same contention.

Memory: --epochs epochs of our LeNet-5 training (batch 64, --epoch-images random images) under
tracemalloc, which counts numpy's buffers: the peak of live Python + numpy memory within each
epoch (reset between epochs, so a leak shows as a growing peak). The limit is 18.75 MiB.

--profile: our training step at --profile-batch, time spent in each op's forward and backward
(ms per step), then cProfile's top functions by own time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BATCHES = (1, 8, 32, 64, 128, 256, 512)
INFER_BATCH = 1000
MEMORY_LIMIT_MIB = 18.75


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="batches 1, 64, 512 and inference, 2 pairs of 0.9 s, no malloc row, "
                        "2 memory epochs")
    p.add_argument("--batches", type=int, nargs="+", default=None, help="training batch sizes")
    p.add_argument("--no-infer", action="store_true", help="skip inference at batch 1000")
    p.add_argument("--pairs", type=int, default=None, help="processes per library and batch (5)")
    p.add_argument("--seconds", type=float, default=None, help="timed seconds per process (1.5)")
    p.add_argument("--threads", type=int, default=None,
                   help="set both libraries' thread count (default: each library's default)")
    p.add_argument("--no-malloc-row", action="store_true",
                   help="skip the row of ours with glibc's malloc tweak on (as `train` runs)")
    p.add_argument("--contention", action="store_true", help="two trainings at once per library")
    p.add_argument("--contention-batches", type=int, nargs="+", default=[64, 256])
    p.add_argument("--no-sweep", action="store_true", help="skip the throughput sweep")
    p.add_argument("--no-memory", action="store_true", help="skip the epoch memory measurement")
    p.add_argument("--epochs", type=int, default=None, help="epochs of the memory check (3)")
    p.add_argument("--epoch-images", type=int, default=8000)
    p.add_argument("--profile", action="store_true", help="ms per op of our training step")
    p.add_argument("--profile-batch", type=int, default=256)
    p.add_argument("--root", default=ROOT,
                   help="directory holding the tinygrad_cnn package to time (default: this tree)")
    p.add_argument("--json", metavar="FILE", help="also write the measurements to FILE")
    # internal: one measurement in this process
    p.add_argument("--worker", choices=["ours", "torch"], help=argparse.SUPPRESS)
    p.add_argument("--task", choices=["train", "infer", "memory", "profile"], help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--alt-malloc", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--wait-go", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.batches = args.batches or [1, 64, 512]
        args.pairs = args.pairs or 2
        args.seconds = args.seconds or 0.9
        args.epochs = args.epochs or 2
        args.epoch_images = min(args.epoch_images, 4000)
        args.no_malloc_row = True
    args.batches = args.batches or list(BATCHES)
    args.pairs = args.pairs or 5
    args.seconds = args.seconds or 1.5
    args.epochs = args.epochs or 3
    if args.pairs < 1 or args.seconds <= 0 or any(b < 1 for b in args.batches):
        p.error("--pairs, --seconds and the batch sizes must be positive")
    return args


# ---------------------------------------------------------------------------------------------
# Workers: one library per process
# ---------------------------------------------------------------------------------------------

def tinygrad_cnn_malloc_tuned() -> bool:
    """Whether importing tinygrad_cnn changed glibc's malloc thresholds (it should not)."""
    import sys as _sys

    allocator = _sys.modules.get("tinygrad_cnn.allocator")
    package = _sys.modules.get("tinygrad_cnn")
    return bool(getattr(allocator, "applied", False) or getattr(package, "MALLOC_TUNED", False))


def make_ours(task: str, batch: int, args: argparse.Namespace):
    """Our LeNet-5 step (or no-grad forward) on a fixed random batch, and facts about the run."""
    import numpy as np

    import tinygrad_cnn
    from tinygrad_cnn import Tensor, parallel
    from tinygrad_cnn.models import LeNet5
    from tinygrad_cnn.optim import SGD

    tuned = tinygrad_cnn_malloc_tuned()
    if args.alt_malloc:                      # as `tinygrad_cnn train` runs: the glibc tweak on
        from tinygrad_cnn.allocator import keep_freed_memory
        tuned = keep_freed_memory()
    if args.threads is not None:
        parallel.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step() -> None:
        loss = model.loss(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def infer_step() -> None:
        with tinygrad_cnn.no_grad():
            model(Tensor(x))

    info = {"threads": parallel.get_num_threads(), "malloc_tuned": tuned}
    return (train_step if task == "train" else infer_step), info


def make_torch(task: str, batch: int, args: argparse.Namespace):
    """The same network and step in PyTorch (its default initialisation; speed does not care)."""
    import numpy as np
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tnn = torch.nn
    net = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                         tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
                         tnn.Linear(84, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, batch))

    def train_step() -> None:
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def infer_step() -> None:
        with torch.no_grad():
            net(x)

    info = {"threads": torch.get_num_threads(), "version": torch.__version__}
    return (train_step if task == "train" else infer_step), info


def time_windows(step, batch: int, seconds: float,
                 start_at: float | None) -> tuple[list[float], list[float]]:
    """Images/s in three consecutive windows of seconds/3 (starting at wall time `start_at`),
    and every step's duration."""
    for _ in range(3 if batch >= 64 else 20):              # warm-up: caches, threads, allocator
        step()
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    rates: list[float] = []
    durations: list[float] = []
    for _ in range(3):
        start = last = time.perf_counter()
        done = 0
        while True:
            step()
            done += 1
            now = time.perf_counter()
            durations.append(now - last)
            last = now
            if now - start >= seconds / 3:
                break
        rates.append(done * batch / (now - start))
    return rates, durations


def fastest_tenth_rate(batch: int, durations: list[float]) -> float:
    """Images/s at the 10th-percentile step time: what the steps reach when the (shared) machine
    leaves the process alone."""
    ordered = sorted(durations)
    return batch / ordered[len(ordered) // 10]


def run_worker(args: argparse.Namespace) -> None:
    if args.task == "memory":
        return memory_worker(args)
    if args.task == "profile":
        return profile_worker(args)
    make = make_ours if args.worker == "ours" else make_torch
    step, info = make(args.task, args.batch, args)
    start_at = None
    if args.wait_go:                     # contention: wait for the driver's common start time
        step()
        print("ready", flush=True)
        start_at = float(sys.stdin.readline())
    rates, durations = time_windows(step, args.batch, args.seconds, start_at)
    print(json.dumps({"rate": statistics.median(rates), "windows": rates,
                      "fast_rate": fastest_tenth_rate(args.batch, durations), **info}), flush=True)


def memory_worker(args: argparse.Namespace) -> None:
    import tracemalloc

    import numpy as np

    from tinygrad_cnn import Tensor
    from tinygrad_cnn.models import LeNet5
    from tinygrad_cnn.optim import SGD

    n, batch = args.epoch_images, 64
    rng = np.random.default_rng(1)
    images = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    peaks = []
    tracemalloc.start()
    for epoch in range(1, args.epochs + 1):
        tracemalloc.reset_peak()
        order = np.random.default_rng([1, epoch]).permutation(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss = model.loss(model(Tensor(images[idx])), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
    tracemalloc.stop()
    print(json.dumps({"peaks_mib": peaks, "images": n, "batch": batch}), flush=True)


def profile_worker(args: argparse.Namespace) -> None:
    """Time every op's forward and backward inside our training step, then cProfile it."""
    import cProfile
    import pstats

    from tinygrad_cnn.autograd import Function

    step, info = make_ours("train", args.batch, args)
    totals: dict[str, float] = {}

    def timed(cls: type, name: str, key: str) -> None:
        inner = cls.__dict__[name]

        def wrapper(self, *a, **k):
            start = time.perf_counter()
            try:
                return inner(self, *a, **k)
            finally:
                totals[key] = totals.get(key, 0.0) + time.perf_counter() - start

        setattr(cls, name, wrapper)

    def subclasses(cls: type[Function]) -> list[type[Function]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    for cls in subclasses(Function):
        for name, kind in (("forward", "fwd"), ("backward", "bwd")):
            if name in cls.__dict__:
                timed(cls, name, f"{cls.op} {kind}")
    for _ in range(5):
        step()
    totals.clear()
    steps = max(10, int(20 * 256 / max(args.batch, 1)))
    start = time.perf_counter()
    for _ in range(steps):
        step()
    wall = (time.perf_counter() - start) / steps * 1e3
    print(f"our training step, batch {args.batch}: {wall:.2f} ms a step "
          f"({args.batch / wall * 1e3:,.0f} img/s; {info}), time inside each op (ms a step):")
    for key, total in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {key:28s} {total / steps * 1e3:7.3f}")
    print(f"  {'(outside the ops)':28s} {wall - sum(totals.values()) / steps * 1e3:7.3f}")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    print(f"\ncProfile, {steps} steps, by own time:")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(14)


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

def worker_command(args: argparse.Namespace, lib: str, task: str, batch: int,
                   alt_malloc: bool = False, wait_go: bool = False) -> list[str]:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--task", task,
           "--batch", str(batch), "--seconds", str(args.seconds),
           "--epochs", str(args.epochs), "--epoch-images", str(args.epoch_images),
           "--root", args.root]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    if alt_malloc:
        cmd.append("--alt-malloc")
    if wait_go:
        cmd.append("--wait-go")
    return cmd


def worker_env(root: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_one(args: argparse.Namespace, lib: str, task: str, batch: int,
            alt_malloc: bool = False) -> dict:
    cmd = worker_command(args, lib, task, batch, alt_malloc)
    done = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(args.root), timeout=600)
    if done.returncode != 0:
        sys.exit(f"bench_train: the {lib} {task} worker at batch {batch} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_together(args: argparse.Namespace, lib: str, batch: int, copies: int = 2) -> list[dict]:
    """`copies` training processes of one library, timed over the same wall-clock windows."""
    procs = [subprocess.Popen(worker_command(args, lib, "train", batch, wait_go=True),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=worker_env(args.root)) for _ in range(copies)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                sys.exit(f"bench_train: a {lib} contention worker failed:\n"
                         f"{proc.communicate()[1]}")
        start_at = time.time() + 0.2
        outs = [proc.communicate(f"{start_at}\n", timeout=600) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    results = []
    for proc, (out, err) in zip(procs, outs):
        if proc.returncode != 0:
            sys.exit(f"bench_train: a {lib} contention worker failed:\n{err}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}–{max(values):,.0f}"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores, {platform.system()} {platform.release()}"


class Progress:
    """A one-line 'measuring …' note on stderr, so a long sweep shows it is alive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def note(self, text: str) -> None:
        with self.lock:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        self.note("")


def sweep(args: argparse.Namespace, progress: Progress) -> dict:
    """Alternating processes: {column: {row: [rates]}} and the workers' reported facts."""
    columns = [("train", b) for b in args.batches] + ([] if args.no_infer else
                                                      [("infer", INFER_BATCH)])
    rows = ["ours", "torch"] + ([] if args.no_malloc_row else ["ours-alt"])
    rates: dict = {c: {r: [] for r in rows} for c in columns}
    fast: dict = {c: {r: [] for r in rows} for c in columns}
    facts: dict = {}
    for rep in range(args.pairs):
        for task, batch in columns:
            order = rows if rep % 2 == 0 else rows[::-1]
            for row in order:
                progress.note(f"measuring {task} batch {batch}: {row}, pair {rep + 1}/{args.pairs}")
                lib = "torch" if row == "torch" else "ours"
                result = run_one(args, lib, task, batch, alt_malloc=row == "ours-alt")
                rates[(task, batch)][row].append(result["rate"])
                fast[(task, batch)][row].append(result["fast_rate"])
                facts[row] = {k: v for k, v in result.items()
                              if k not in ("rate", "windows", "fast_rate")}
    progress.done()
    return {"columns": columns, "rows": rows, "rates": rates, "fast": fast, "facts": facts}


def print_table(args: argparse.Namespace, result: dict, key: str, title: str) -> dict:
    """One markdown table (median over the processes), its spread and the ratios."""
    columns, rates = result["columns"], result[key]
    label = {"ours": "ours img/s", "torch": "PyTorch img/s",
             "ours-alt": "ours img/s, malloc tweak on"}
    heads = [f"{b}" if t == "train" else f"inference {b}" for t, b in columns]
    print(title)
    print("| batch | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")
    med = {c: {r: statistics.median(v) for r, v in rates[c].items()} for c in columns}
    for row in result["rows"]:
        print(f"| {label[row]} | " + " | ".join(f"{med[c][row]:,.0f}" for c in columns) + " |")
    for row in result["rows"]:
        if row == "torch":
            continue
        name = "PyTorch ÷ ours" if row == "ours" else "PyTorch ÷ ours (malloc tweak on)"
        print(f"| {name} | " + " | ".join(f"{med[c]['torch'] / med[c][row]:.2f}"
                                          for c in columns) + " |")
    print(f"spread (min–max over {args.pairs} processes each):")
    for row in result["rows"]:
        print(f"  {label[row]:34s} " + "; ".join(f"{h}: {spread(rates[c][row])}"
                                                 for h, c in zip(heads, columns)))
    ratios = [med[c]["torch"] / med[c]["ours"] for c in columns]
    train_ratios = [r for (t, _), r in zip(columns, ratios) if t == "train"]
    if train_ratios:
        print(f"worst training ratio {max(train_ratios):.2f} (target ≤ 1.2, aim ≤ 1.0)")
    if columns[-1][0] == "infer":
        print(f"inference ratio {ratios[-1]:.2f} (target ≤ 1.0)")
    return {f"{t} {b}": {r: {"median": med[(t, b)][r], "all": rates[(t, b)][r]}
                         for r in result["rows"]} for t, b in columns}


def print_sweep(args: argparse.Namespace, result: dict) -> dict:
    return {
        "windows": print_table(args, result, "rates", "images/s over whole timed windows:"),
        "fastest tenth": print_table(
            args, result, "fast",
            "\nimages/s of the fastest tenth of the steps (10th-percentile step time; on a machine "
            "shared with other work this filters out the time other processes took):"),
    }


def contention(args: argparse.Namespace, solo: dict, progress: Progress) -> dict:
    """Two trainings of each library at once; each process's rate against its solo rate."""
    print("\ncontention: two training processes of the same library at once, "
          f"{args.pairs} rounds each (solo = the sweep's median)")
    print("| batch | ours solo | ours ×2, each | of solo | PyTorch solo | PyTorch ×2, each | "
          "of solo | PyTorch ÷ ours under contention |")
    print("|---|---|---|---|---|---|---|---|")
    out = {}
    for batch in args.contention_batches:
        each: dict[str, list[float]] = {"ours": [], "torch": []}
        for rep in range(args.pairs):
            for lib in (("ours", "torch") if rep % 2 == 0 else ("torch", "ours")):
                progress.note(f"contention batch {batch}: two {lib}, round {rep + 1}/{args.pairs}")
                each[lib] += [r["rate"] for r in run_together(args, lib, batch)]
        progress.done()
        s = solo.get(batch)
        if s is None:
            progress.note(f"contention batch {batch}: solo rates")
            s = {lib: statistics.median(run_one(args, lib, "train", batch)["rate"]
                                        for _ in range(args.pairs)) for lib in ("ours", "torch")}
            progress.done()
        m = {lib: statistics.median(v) for lib, v in each.items()}
        print(f"| {batch} | {s['ours']:,.0f} | {m['ours']:,.0f} ({spread(each['ours'])}) | "
              f"{m['ours'] / s['ours']:.0%} | {s['torch']:,.0f} | {m['torch']:,.0f} "
              f"({spread(each['torch'])}) | {m['torch'] / s['torch']:.0%} | "
              f"{m['torch'] / m['ours']:.2f} |")
        out[batch] = {"solo": s, "each": each, "ratio": m["torch"] / m["ours"]}
    print("target: PyTorch ÷ ours under contention ≤ 1.1; fair share of a process is 50% of solo")
    return out


def memory(args: argparse.Namespace) -> dict:
    done = subprocess.run(worker_command(args, "ours", "memory", 64), capture_output=True,
                          text=True, env=worker_env(args.root), timeout=1800)
    if done.returncode != 0:
        sys.exit(f"bench_train: the memory worker failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peaks = result["peaks_mib"]
    print(f"\nmemory: our LeNet-5 training, batch 64, {result['images']} images an epoch, "
          "peak traced memory (tracemalloc) per epoch:")
    print("  " + ", ".join(f"epoch {i + 1}: {p:.2f} MiB" for i, p in enumerate(peaks)))
    flat = max(peaks) - min(peaks) <= 0.05 * max(peaks)
    ok = flat and max(peaks) <= MEMORY_LIMIT_MIB
    print(f"  {'flat' if flat else 'NOT flat'}, max {max(peaks):.2f} MiB "
          f"(limit {MEMORY_LIMIT_MIB} MiB): {'ok' if ok else 'OVER'}")
    return result


def main() -> None:
    args = parse()
    if args.worker:
        return run_worker(args)
    try:
        import torch  # noqa: F401  (only checks that the reference is installed)
    except ImportError:
        sys.exit("bench_train needs PyTorch as the reference: pip install torch==2.13.0")
    progress = Progress()
    print(f"LeNet-5, float32, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"machine: {machine()}; Python {platform.python_version()}")
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d", time.gmtime())}
    solo: dict = {}
    if not args.no_sweep:
        result = sweep(args, progress)
        facts = result["facts"]
        print(f"threads: ours {facts['ours'].get('threads')}, PyTorch "
              f"{facts['torch'].get('threads')} (torch {facts['torch'].get('version')}); ours "
              f"{'with' if facts['ours'].get('malloc_tuned') else 'without'} the malloc tweak "
              "(as imported); each figure from its own process, median of "
              f"{args.pairs} processes × 3 windows of {args.seconds / 3:.2f} s")
        print("training = forward + cross-entropy + backward + SGD momentum step; "
              "inference = forward under no_grad; ratio = PyTorch img/s ÷ ours (< 1: we are faster)\n")
        report["sweep"] = print_sweep(args, result)
        report["facts"] = facts
        solo = {b: {lib: statistics.median(result["rates"][("train", b)][lib])
                    for lib in ("ours", "torch")} for t, b in result["columns"] if t == "train"}
    if args.contention:
        report["contention"] = contention(args, solo, progress)
    if not args.no_memory:
        report["memory"] = memory(args)
    if args.profile:
        print()
        sys.stdout.flush()
        subprocess.run(worker_command(args, "ours", "profile", args.profile_batch),
                       env=worker_env(args.root), timeout=1800, check=False)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)


if __name__ == "__main__":
    main()
