"""Problem 3 in numbers: how exactly does folding batch norm reproduce the sheet's network?

Run:  .venv/bin/python bench/bn_precision.py [--batches 32] [--batch-size 64] [--timing 5]

Prints the precision table of :func:`derive.documents.hw7.smallnet.measure_precision` (one row per fold
mode) on more batches than its default, the justified tolerance, and how closely
``derive.nn.fold_bn`` agrees with torch's own fusion functions. With ``--timing N`` it also runs
``measure_precision()`` with its defaults in N fresh processes and prints the median wall time
of the whole process (imports included): the speed target for the PDF build is < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from derive.documents.hw7.smallnet import (  # noqa: E402
    DOT_LENGTHS,
    PrecisionRow,
    folding_tolerance_eps,
    fusion_crosscheck,
    measure_precision,
    synthetic_trained,
)


def print_table(rows: list[PrecisionRow]) -> None:
    header = (
        f"{'mode':<16} {'max |diff|':>11} {'max rel':>10} {'max batch MSE':>14} "
        f"{'<1e-8':>6} {'out scale':>10} {'diff/eps32':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.mode:<16} {r.max_abs_diff:>11.3e} {r.max_rel_diff:>10.2e} "
            f"{r.max_batch_mse:>14.3e} {str(r.passes_1e8):>6} {r.output_scale:>10.4f} "
            f"{r.diff_in_eps:>11.3g}"
        )


def time_default_run(runs: int) -> list[float]:
    """Whole-process wall times of ``measure_precision()`` with its defaults."""
    code = "from derive.documents.hw7.smallnet import measure_precision; measure_precision()"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing", type=int, default=0, metavar="N")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{args.batches} batches x {args.batch_size} synthetic CIFAR-like images, seed {args.seed}")
    start = time.perf_counter()
    rows = measure_precision(batches=args.batches, batch_size=args.batch_size, seed=args.seed)
    elapsed = time.perf_counter() - start
    print_table(rows)
    print(f"(measured in {elapsed:.1f} s)")
    print(
        f"tolerance: {folding_tolerance_eps():.0f} eps typical (4 * sum sqrt K), "
        f"{folding_tolerance_eps(worst_case=True):.0f} eps worst case (sum K), K = {DOT_LENGTHS}"
    )

    print("\nfold_bn vs torch.nn.utils.fusion, max |gap| / max |entry|:")
    net = synthetic_trained(args.seed)
    for dtype in (torch.float32, torch.float64):
        eps = torch.finfo(dtype).eps
        gaps = fusion_crosscheck(net, dtype)
        cells = ", ".join(f"{name} {gap / eps:.2f}" for name, gap in gaps.items())
        print(f"  {str(dtype).removeprefix('torch.')} (in eps): {cells}")

    if args.timing:
        times = time_default_run(args.timing)
        print(
            f"\nmeasure_precision() defaults, whole process, {args.timing} runs: "
            f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"
        )


if __name__ == "__main__":
    main()
