"""Training throughput of nnlib's ``MLP.train_step`` against PyTorch (CPU) and scikit-learn.

    python benchmarks/bench_nnlib.py            # full run, 2 threads (about 1-2 minutes)
    python benchmarks/bench_nnlib.py --quick    # fewer, shorter repeats (about 30 s)
    python benchmarks/bench_nnlib.py --threads 1 --steps 200

All three contenders train the same architectures (ReLU hidden layers, softmax output, mean
cross-entropy on integer labels) in float32, on the same batches, with plain SGD (no momentum, no
weight decay, fixed learning rate) and the same number of BLAS/OpenMP threads:

- nnlib: ``MLP.train_step(X, y, lr)``;
- PyTorch: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``F.cross_entropy``, ``loss.backward()``
  and a manual ``p -= lr * p.grad`` (no ``torch.compile``); the loss is fetched with ``.item()``
  because nnlib returns it too;
- scikit-learn: ``MLPClassifier(solver="sgd", momentum=0, alpha=0, batch_size=B)``, one
  ``partial_fit(X, y)`` per batch (one SGD step).

Timing: each contender runs chunks of steps sized to take about the same wall time; the contenders
take turns chunk by chunk (the order rotating every round), so a noisy neighbour slows them all
alike. Before each chunk the script waits until the previous chunk's BLAS/OpenMP worker threads
have stopped spinning (``settle``): they share one process, and a contender must not share its
cores with another's idle-but-spinning threads. A throughput is the best round's examples per
second (as ``timeit`` advises: the fastest round is the one least disturbed by other processes),
and a ratio is the ratio of the best rounds.
The median round is printed too, to show the noise. The load average is printed at the start and
the end: with more runnable processes than cores, multi-threaded BLAS and OpenMP runs (all three
contenders) slow down badly, and the figures say more about the neighbours than about the code.

A fourth column, "GEMMs only", times just the matrix products of one nnlib step (the same shapes,
layouts and BLAS calls, no other work) in the same interleaved rounds: an upper bound on any NumPy
training step on this machine's BLAS. Below the table, ``GEMMs only / torch`` is the largest
nnlib/torch ratio that such a step could reach, so a MISS can be told apart from a target that
this machine's BLAS cannot reach.

The script also measures the machine's float32 matmul peak (1024x1024 ``sgemm``, same threads;
the median of three best-of-20 measurements taken at the start, middle and end),
reports nnlib's FLOP rate at batch 256 as a fraction of it (the FLOPs the step performs: the
forward products, the weight gradients, and the input gradients of every layer but the first,
``2 N (2 sum(n_in n_out) + sum_{l>1} n_in n_out)``), and checks that 1,000 training steps do not
grow the process's resident memory (``/proc/self/statm``). Every target gets a PASS or MISS line. The exit
code is 0 either way: timings on a shared machine are noisy, so this is a report, not a test.
"""

# The thread count must be in the environment before numpy (OpenBLAS) or torch (OpenMP/MKL) is
# imported: BLAS libraries size their thread pools when they load. So the script parses its
# arguments, and if the variables are not already set to the requested count it re-executes
# itself with them set; only then does it import numpy.
from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer and shorter timing rounds")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (default 2)")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps per timed chunk, for every contender "
                        "(default: calibrated so that a chunk takes ~0.06 s, ~0.03 s with --quick)")
    p.add_argument("--rounds", type=int, default=None,
                   help="timed rounds per configuration (default 15, 5 with --quick)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    p.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    if args.steps is not None and args.steps < 1:
        p.error(f"--steps must be at least 1, got {args.steps}")
    if args.rounds is not None and args.rounds < 1:
        p.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def ensure_thread_env(threads: int) -> None:
    """Re-execute this script with the thread variables set, unless they already are."""
    want = str(threads)
    if all(os.environ.get(v) == want for v in THREAD_VARS):
        return
    if "numpy" in sys.modules:  # pragma: no cover - only if someone imports us oddly
        raise RuntimeError("set the thread variables before numpy is imported")
    env = dict(os.environ)
    env.update({v: want for v in THREAD_VARS})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


if __name__ == "__main__":
    ARGS = parse_args()
    ensure_thread_env(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread variables are set, see above)
from bench_contenders import N_POOL, make_gemms, make_nnlib, make_sklearn, make_torch  # noqa: E402

# --- what is measured ----------------------------------------------------------------------------

MNIST = (784, 200, 200, 10)
DIGITS = (64, 32, 10)

# (layer sizes, batch size, target for nnlib / torch)
CONFIGS = [
    (MNIST, 256, 1.4),
    (MNIST, 32, 1.5),
    *[(DIGITS, b, 2.5) for b in (1, 8, 32, 128, 256)],
]
SKLEARN_TARGET = 1.3
PEAK_TARGET = 0.5
PEAK_BATCH = 256
MEMORY_STEPS = 1000
# the memory check trains these, on one thread (via threadpoolctl, when installed)
MEMORY_CONFIGS = [(MNIST, PEAK_BATCH), (DIGITS, 1)]
MEMORY_LIMIT = 1 << 20  # bytes of RSS growth over MEMORY_STEPS steps that still count as flat


def arch_name(sizes) -> str:
    return "-".join(str(s) for s in sizes)


def step_flops(sizes) -> int:
    """FLOPs of one example's training step: 2 per multiply-add of the forward products
    ``W a``, the weight gradients ``delta a^T`` and the input gradients ``W^T delta`` (not needed
    for the first layer, so neither nnlib nor PyTorch computes them)."""
    macs = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    return 2 * (2 * sum(macs) + sum(macs[1:]))


# --- data: the same batches for every contender ----------------------------------------------------

def make_batches(sizes, batch: int, rng: np.random.Generator):
    """``N_POOL`` float32 batches ``(X, y)``: real digits for the 64-input net, random pixels
    otherwise (nothing is downloaded)."""
    d, K = sizes[0], sizes[-1]
    if d == 64:
        from sklearn.datasets import load_digits

        X_all, y_all = load_digits(return_X_y=True)
        X_all = (X_all / 16.0).astype(np.float32)
        out = []
        for _ in range(N_POOL):
            idx = rng.choice(len(X_all), size=batch, replace=batch > len(X_all))
            out.append((np.ascontiguousarray(X_all[idx]), y_all[idx].astype(np.int64)))
        return out
    return [(rng.random((batch, d), dtype=np.float32), rng.integers(0, K, batch))
            for _ in range(N_POOL)]


# --- timing ---------------------------------------------------------------------------------------

def settle(max_wait: float = 1.0) -> None:
    """Wait (at most ``max_wait`` seconds) until this process's idle thread pools stop spinning.

    After a burst of calls, BLAS and OpenMP worker threads busy-wait for more work before they
    sleep: measured here, NumPy's OpenBLAS spins for ~0.1 s (scikit-learn's SciPy brings a second
    OpenBLAS that does the same) and PyTorch's OpenMP for ~0.01 s. A contender timed during that
    window shares its cores with the previous contender's spinning threads: without this wait,
    nnlib's 784-200-200-10 batch-32 throughput read 37k examples/s instead of 94k, and PyTorch's
    lost up to a quarter. So before each chunk we sleep in 20 ms slices until a slice costs
    (almost) no CPU time.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_wait:
        c0 = time.process_time()
        time.sleep(0.02)
        if time.process_time() - c0 < 0.002:
            return


def time_chunk(run, n: int) -> float:
    gc.collect()
    settle()
    t0 = time.perf_counter()
    run(n)
    return time.perf_counter() - t0


def calibrate(run, seconds: float) -> int:
    """Steps that take about ``seconds`` (after a warm-up)."""
    run(3)
    n = 1
    while True:
        dt = time_chunk(run, n)
        if dt > seconds / 4 or n >= 1 << 20:
            return max(1, int(n * seconds / max(dt, 1e-9)))
        n *= 4


def bench_config(sizes, batch, contenders, args, rng):
    """Interleaved timing of every contender on one (architecture, batch) pair.

    Returns ``{name: [examples/s of each round]}``.
    """
    batches = make_batches(sizes, batch, rng)
    runs = {}
    for name, factory in contenders.items():
        runs[name] = factory(sizes, batches)
    chunk_s = 0.03 if args.quick else 0.06
    n_steps = {name: args.steps or calibrate(run, chunk_s) for name, run in runs.items()}
    rounds = args.rounds or (5 if args.quick else 15)
    rates = {name: [] for name in runs}
    names = list(runs)
    budget = 5.0 if args.quick else 12.0  # timed seconds; only a very busy machine runs out of it
    spent = 0.0
    for r in range(rounds):
        if r >= 3 and spent > budget:
            print(f"  ({arch_name(sizes)} batch {batch}: stopped after {r} rounds, the time budget "
                  f"of {budget:.0f} s is spent)")
            break
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            dt = time_chunk(runs[name], n_steps[name])
            spent += dt
            rates[name].append(n_steps[name] * batch / dt)
    return rates


def matmul_peak(quick: bool) -> float:
    """Best float32 GFLOP/s of a square matmul (2 n^3 FLOPs) over many short repeats: on a shared
    machine the best of many short calls is the one least disturbed by other processes."""
    n = 1024
    rng = np.random.default_rng(1)
    A = rng.random((n, n), dtype=np.float32)
    B = rng.random((n, n), dtype=np.float32)
    C = np.empty((n, n), dtype=np.float32)
    np.dot(A, B, out=C)
    best = 0.0
    for _ in range(8 if quick else 20):
        t0 = time.perf_counter()
        np.dot(A, B, out=C)
        best = max(best, 2 * n**3 / (time.perf_counter() - t0) / 1e9)
    return best


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_check(sizes, batch, rng):
    """RSS and minor page faults over ``MEMORY_STEPS`` nnlib training steps after a warm-up."""
    batches = make_batches(sizes, batch, rng)
    run = make_nnlib(sizes, batches)
    try:  # memory use does not depend on the thread count, but a busy machine's speed does
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(1)
    with limits:
        return _memory_check(run)


def _memory_check(run):
    run(50)
    gc.collect()
    before = rss_bytes()
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    run(MEMORY_STEPS)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    gc.collect()
    after = rss_bytes()
    return before, after, faults / MEMORY_STEPS


# --- report ---------------------------------------------------------------------------------------

def median(xs) -> float:
    return float(np.median(np.asarray(xs, dtype=float)))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def available_contenders(args) -> tuple[dict, list[str]]:
    """The contenders that can run here, and the versions to print."""
    have_torch = not args.no_torch
    if have_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: its column is skipped")
            have_torch = False
    have_sklearn = not args.no_sklearn
    if have_sklearn:
        try:
            import sklearn
        except ImportError:
            print("scikit-learn is not installed: its column is skipped")
            have_sklearn = False
    contenders = {"nnlib": make_nnlib, "GEMMs only": make_gemms}
    versions = [f"numpy {np.__version__}"]
    if have_torch:
        contenders["torch"] = lambda s, b: make_torch(s, b, args.threads)
        versions.append(f"torch {torch.__version__}")
    if have_sklearn:
        contenders["sklearn"] = make_sklearn
        versions.append(f"scikit-learn {sklearn.__version__}")
    return contenders, versions


def measure(args, contenders):
    """``(results, peaks, peak, mems)``: every configuration's rates, the matmul peaks taken at the
    start, middle and end, their median, and the memory checks."""
    peaks = [matmul_peak(args.quick)]
    rng = np.random.default_rng(2026)
    results = []
    for k, (sizes, batch, target) in enumerate(CONFIGS):
        results.append((sizes, batch, target, bench_config(sizes, batch, contenders, args, rng)))
        if k == len(CONFIGS) // 2:
            peaks.append(matmul_peak(args.quick))
    peaks.append(matmul_peak(args.quick))
    # the median of three best-of-20 measurements spread over the run: a single short burst of
    # turbo clock (seen here: 103, 103 and 138 GFLOP/s in one run) is not the machine's peak
    peak = sorted(peaks)[1]
    mems = [(sizes, batch, memory_check(sizes, batch, rng)) for sizes, batch in MEMORY_CONFIGS]
    return results, peaks, peak, mems


def report_throughput(results, contenders, verdicts) -> dict:
    """The table: best round (median round in brackets) and the ratios of the best rounds;
    returns nnlib's best rate per configuration."""
    names = [n for n in ("nnlib", "torch", "sklearn") if n in contenders]
    columns = [*names, "GEMMs only"]
    header = f"{'network':<16}{'batch':>6}" + "".join(f"{n + ' ex/s (median)':>26}" for n in columns)
    header += "".join(f"{'nnlib/' + n:>15}{'target':>8}{'':>6}" for n in names[1:])
    print()
    print(header)
    print("-" * len(header))
    best_nnlib = {}
    for sizes, batch, target, rates in results:
        best = {n: max(rates[n]) for n in columns}
        best_nnlib[(sizes, batch)] = best["nnlib"]
        line = f"{arch_name(sizes):<16}{batch:>6}"
        line += "".join(f"{f'{best[n]:,.0f} ({median(rates[n]):,.0f})':>26}" for n in columns)
        for n in names[1:]:
            tgt = target if n == "torch" else SKLEARN_TARGET
            ratio = best["nnlib"] / best[n]
            ok = ratio >= tgt
            line += f"{ratio:>14.2f}x{'>=' + str(tgt):>8}{verdict(ok):>6}"
            verdicts.append((f"{arch_name(sizes)} batch {batch}: nnlib/{n} {ratio:.2f}x "
                             f"(target >= {tgt}x)", ok))
        print(line)
    print()
    print("ex/s: training examples per second, best of the interleaved rounds (median round in "
          "brackets); ratios: of the best rounds.")
    if "torch" in names:
        print("What this BLAS allows: GEMMs only / torch is the largest nnlib/torch ratio a NumPy "
              "step could reach (its matrix products alone, nothing else):")
        for sizes, batch, target, rates in results:
            bound = max(rates["GEMMs only"]) / max(rates["torch"])
            share = max(rates["nnlib"]) / max(rates["GEMMs only"])
            print(f"  {arch_name(sizes):<16}{batch:>6}: GEMMs only / torch {bound:5.2f}x "
                  f"(target {target}x{', out of reach here' if bound < target else ''}); "
                  f"the matrix products are {share:.0%} of nnlib's step")
    return best_nnlib


def report_peak_and_memory(args, best_nnlib, peaks, peak, mems, verdicts) -> None:
    """nnlib's FLOP rate as a fraction of the matmul peak, and the memory checks."""
    flops = step_flops(MNIST) * best_nnlib[(MNIST, PEAK_BATCH)] / 1e9
    frac = flops / peak
    print(f"float32 matmul peak (1024x1024 sgemm, {args.threads} thread(s), median of "
          f"{', '.join(f'{p:.0f}' for p in peaks)}): {peak:.1f} GFLOP/s; nnlib at "
          f"{arch_name(MNIST)} batch {PEAK_BATCH}: {flops:.1f} GFLOP/s = {frac:.0%} of peak "
          f"(target >= {PEAK_TARGET:.0%}) {verdict(frac >= PEAK_TARGET)}")
    verdicts.append((f"{arch_name(MNIST)} batch {PEAK_BATCH}: {frac:.0%} of the float32 matmul "
                     f"peak (target >= {PEAK_TARGET:.0%})", frac >= PEAK_TARGET))
    for sizes, batch, (before, after, faults) in mems:
        growth = after - before
        ok = growth <= MEMORY_LIMIT
        print(f"memory, {MEMORY_STEPS} nnlib steps of {arch_name(sizes)} batch {batch}: RSS "
              f"{before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB, growth {growth / 1024:+.0f} KiB "
              f"(limit {MEMORY_LIMIT >> 10} KiB), {faults:.2f} minor page faults/step {verdict(ok)}")
        verdicts.append((f"{arch_name(sizes)} batch {batch}: RSS growth {growth / 1024:+.0f} KiB "
                         f"over {MEMORY_STEPS} steps (limit {MEMORY_LIMIT >> 10} KiB)", ok))


def main(args) -> int:
    import platform

    contenders, versions = available_contenders(args)
    print(f"nnlib training throughput, float32, {args.threads} thread(s), "
          f"{'quick' if args.quick else 'full'} run; Python {platform.python_version()}, "
          + ", ".join(versions))
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    results, peaks, peak, mems = measure(args, contenders)
    load1 = os.getloadavg()[0]
    verdicts: list[tuple[str, bool]] = []
    best_nnlib = report_throughput(results, contenders, verdicts)
    report_peak_and_memory(args, best_nnlib, peaks, peak, mems, verdicts)
    print()
    n_miss = sum(not ok for _, ok in verdicts)
    for text, ok in verdicts:
        print(f"  {verdict(ok)}  {text}")
    ncpu = os.cpu_count() or 1
    print(f"{len(verdicts) - n_miss}/{len(verdicts)} targets met; wall time "
          f"{time.perf_counter() - t_start:.0f} s; load average {load0:.1f} at the start, "
          f"{load1:.1f} at the end, on {ncpu} CPUs")
    if max(load0, load1) > ncpu:
        print("WARNING: the machine was busy with other processes (load average above the CPU "
              "count): these timings are not representative; run again when it is idle.")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
