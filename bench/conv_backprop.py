"""Problem 4 in figures: how fast the checks run, and what forming A_w would cost.

Run:  .venv/bin/python bench/conv_backprop.py [--runs 5] [--sizes 8 16 32 64 128 256]
                                               [--jacobian-limit 60] [--skip-table] [--general-only]

(a) The numeric check (matrix-free backprop against autograd, float64, tanh, L = 4, n0 = 4096):
    each run is a fresh process; the time excludes importing torch and building the random
    network. Reported: the median over processes of the first (cold) call, and the median of
    the warm calls. Target: ≤ 0.05 s.
(b) The symbolic check of the four identities at L = 3, filters (3, 3, n0 − 4), for each n0:
    median over fresh processes (SymPy's cache would flatter a second run in one process) of
    building the network plus ``check_identities``, against plain ``Matrix.jacobian`` of the same
    Jacobians alone (layer inputs, filters, biases) — a lower bound for a checker built on it.
    ``Matrix.jacobian`` is skipped for larger n0 once one size took longer than --jacobian-limit.
(c) The cost table: multiplications counted and median times of A_w y, A_wᵀ u (dense, matrix
    prebuilt), conv1d and conv_transpose1d, single-threaded.
(d) The general-n derivation (the PDF's P4 steps, sums over symbolic sizes): every step checked
    as a cold build checks it (one worker process, no cache); wall and CPU seconds, median over
    fresh processes. Target: ≤ 1 s.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NUMERIC_LENGTHS = (31, 34, 49, 3985)  # n0 = 4096 → 4066 → 4033 → 3985 → 1
WARM_CALLS = 10


def _worker_numeric(n0: int) -> dict[str, object]:
    from derive.documents.hw7.conv_torch import check_backprop

    assert n0 == 1 + sum(f - 1 for f in NUMERIC_LENGTHS)
    times = []
    worst = 0.0
    for seed in range(1 + WARM_CALLS):
        report = check_backprop(n0, NUMERIC_LENGTHS, seed=seed)
        if not report.passed:
            raise SystemExit(f"numeric check failed: {report}")
        times.append(report.seconds)
        worst = max(worst, report.max_abs_diff)
    return {"cold": times[0], "warm": statistics.median(times[1:]), "max_abs_diff": worst}


def _filters(n0: int) -> tuple[int, int, int]:
    return (3, 3, n0 - 4)


def _worker_symbolic(n0: int) -> dict[str, object]:
    from derive.documents.hw7.conv_identities import check_identities, deep_conv_net

    start = time.perf_counter()
    net = deep_conv_net(3, _filters(n0))
    results = check_identities(net)
    seconds = time.perf_counter() - start
    if not all(r.passed for r in results):
        raise SystemExit(f"symbolic check failed at n0 = {n0}: {[r.detail for r in results]}")
    return {"seconds": seconds, "parts": [r.seconds for r in results]}


def _worker_general(_n0: int) -> dict[str, object]:
    """Check every step of Problem 4's derivations (general sizes: sums over symbolic n, f, m)
    as a cold build does: in one worker process, no cache. Building the problem is not timed."""
    import resource

    from derive.core import measurements
    from derive.core.checks.runner import CheckCache, check_steps
    from derive.loading import load

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    measurements.use_cache(None)
    steps = [s for problem in load().document.select(("p4",)) for s in problem.steps()]
    wall, used = time.perf_counter(), cpu()
    results = check_steps(steps, CheckCache(None), jobs=1)
    wall, used = time.perf_counter() - wall, cpu() - used
    bad = [r for r in results.values() if r.status not in ("verified", "definition", "numeric-only")]
    if bad:
        raise SystemExit(f"P4 checks failed: {bad[0]}")
    proved = sum(r.status == "verified" for r in results.values())
    return {"seconds": wall, "cpu": used, "steps": len(steps), "verified": proved}


def _worker_jacobian(n0: int) -> dict[str, object]:
    import sympy

    from derive.documents.hw7.conv_identities import deep_conv_net

    start = time.perf_counter()
    net = deep_conv_net(3, _filters(n0))
    for layer in net.layers:
        out = sympy.Matrix(layer.out)
        out.jacobian(layer.inputs)
        out.jacobian(layer.weights)
        out.jacobian([layer.bias])
    return {"seconds": time.perf_counter() - start}


WORKERS = {
    "numeric": ("torch", _worker_numeric),
    "symbolic": ("sympy", _worker_symbolic),
    "jacobian": ("sympy", _worker_jacobian),
    "general": ("sympy", _worker_general),
}


def _in_fresh_process(kind: str, n0: int) -> dict[str, object]:
    """Run one worker in a new interpreter; imports happen there before its clock starts."""
    command = [sys.executable, __file__, "--worker", kind, "--n0", str(n0)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {kind} n0={n0} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def _median_of(kind: str, n0: int, runs: int, key: str) -> float:
    return statistics.median(float(_in_fresh_process(kind, n0)[key]) for _ in range(runs))


def part_a(runs: int) -> None:
    print(
        "(a) numeric check: matrix-free backprop vs autograd, float64, tanh, n = "
        f"{(4096, 4066, 4033, 3985, 1)}"
    )
    samples = [_in_fresh_process("numeric", 4096) for _ in range(runs)]
    cold = statistics.median(float(s["cold"]) for s in samples)
    warm = statistics.median(float(s["warm"]) for s in samples)
    worst = max(float(s["max_abs_diff"]) for s in samples)
    verdict = "meets" if cold <= 0.05 else "MISSES"
    print(
        f"    first call per process, median of {runs}: {cold * 1e3:7.2f} ms  ({verdict} ≤ 50 ms)"
    )
    print(f"    warm calls, median of {runs} × {WARM_CALLS}:      {warm * 1e3:7.2f} ms")
    print(f"    largest |manual − autograd| seen:     {worst:.2e}")


def part_b(sizes: list[int], runs: int, jacobian_limit: float) -> None:
    print(
        "\n(b) symbolic check of the four identities, L = 3, filters (3, 3, n0 − 4); "
        f"median of {runs} processes"
    )
    print(
        f"    {'n0':>5} {'band check [s]':>15} {'×prev':>6} "
        f"{'Matrix.jacobian [s]':>20} {'×prev':>6}"
    )
    prev_band = prev_jac = None
    jacobian_on = True
    for n0 in sizes:
        band = _median_of("symbolic", n0, runs, "seconds")
        jac = None
        if jacobian_on:
            jac = _median_of("jacobian", n0, runs, "seconds")
            jacobian_on = jac <= jacobian_limit
        growth_band = f"{band / prev_band:6.1f}" if prev_band else " " * 6
        growth_jac = f"{jac / prev_jac:6.1f}" if jac and prev_jac else " " * 6
        jac_text = f"{jac:20.3f}" if jac is not None else f"{'skipped':>20}"
        print(f"    {n0:5d} {band:15.3f} {growth_band} {jac_text} {growth_jac}", flush=True)
        prev_band, prev_jac = band, jac


def part_d(runs: int) -> None:
    print(f"\n(d) the general-n derivation: every P4 step checked cold, one worker; median of {runs} processes")
    samples = [_in_fresh_process("general", 0) for _ in range(runs)]
    wall = statistics.median(float(s["seconds"]) for s in samples)
    cpu = statistics.median(float(s["cpu"]) for s in samples)
    verdict = "meets" if cpu <= 1.0 else "MISSES"
    print(f"    {samples[0]['steps']} steps, {samples[0]['verified']} verified: "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU ({verdict} ≤ 1 s)")


def part_c() -> None:
    from derive.documents.hw7.conv_torch import cost_table

    print(
        "\n(c) one product with A_w (or A_wᵀ): multiplications and median time, float64, 1 thread"
    )
    print(
        f"    {'n':>5} {'f':>4} {'dense mults':>12} {'conv mults':>11} {'ratio':>7} "
        f"{'A y [µs]':>9} {'Aᵀu [µs]':>9} {'conv1d [µs]':>11} {'convT [µs]':>11}"
    )
    for row in cost_table(ns=(256, 1024, 4096), fs=(3, 33, 129)):
        print(
            f"    {row.n:5d} {row.f:4d} {row.dense_mults:12,d} {row.conv_mults:11,d} "
            f"{row.mult_ratio:7.1f} "
            f"{row.dense_seconds * 1e6:9.1f} {row.dense_transpose_seconds * 1e6:9.1f} "
            f"{row.conv1d_seconds * 1e6:11.1f} {row.conv_transpose1d_seconds * 1e6:11.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256])
    parser.add_argument(
        "--jacobian-limit",
        type=float,
        default=60.0,
        help="stop timing Matrix.jacobian after a size slower than this (s)",
    )
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--general-only", action="store_true",
                        help="only (d): the general-n derivation's checks")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--n0", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        module, work = WORKERS[args.worker]
        importlib.import_module(module)  # before the worker's clock: imports are not timed
        print(json.dumps(work(args.n0)))
        return

    if args.general_only:
        part_d(args.runs)
        return
    part_a(args.runs)
    part_b(args.sizes, min(args.runs, 3), args.jacobian_limit)
    part_d(args.runs)
    if not args.skip_table:
        part_c()


if __name__ == "__main__":
    main()
