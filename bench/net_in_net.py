"""Problem 5 at full width: is Net2 really Net1 slid over every window, and at what cost?

Run:  .venv/bin/python bench/net_in_net.py [--batch 2] [--size 36 38] [--dtypes float32 float64]
                                            [--json output/.cache/net_in_net_full.json]

For each dtype it seeds the sheet's Net1 (first linear layer: 256·18·18 × 4096 = 340 M weights,
1.3 GB in float32, 2.7 GB in float64), converts it to Net2, runs check (a) on a batch of 32 × 32
inputs and check (b) on a batch of h × w inputs (every window by an explicit loop), and prints the
largest differences with wall-clock times of each stage, and the time of one Net2 forward
against Net1 run window by window (the sharing, measured). Then it prints the MAC table of
:func:`derive.nn.net_in_net.sliding_costs`. One run of each stage: these are figures to report,
not a speed target, so no medians are taken.

With ``--json PATH`` the differences of checks (a) and (b) are also written to PATH, in the format
of :func:`derive.documents.hw7.p5_figures.full_width_record`; ``derive build`` shows them in Problem 5
when PATH is ``output/.cache/net_in_net_full.json`` or the path in ``$DERIVE_P5_FULL_RESULTS``.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from derive.documents.hw7.p5_figures import full_width_record  # noqa: E402
from derive.nn.net_in_net import INPUT_SIZE, SHEET_WIDTHS, CostTable, sliding_costs  # noqa: E402
from derive.documents.hw7.net_in_net_torch import (  # noqa: E402
    Net1,
    SameOutputReport,
    SlidingReport,
    check_same_output,
    check_sliding_windows,
    net2_from_net1,
    random_inputs,
)

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"  {label:<34} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _every_window(net1: Net1, x: torch.Tensor) -> None:
    for i in range(x.shape[-2] - INPUT_SIZE + 1):
        for j in range(x.shape[-1] - INPUT_SIZE + 1):
            net1(x[:, :, i : i + INPUT_SIZE, j : j + INPUT_SIZE])


def run_checks(
    dtype_name: str, batch: int, size: tuple[int, int]
) -> tuple[SameOutputReport, SlidingReport]:
    """Build, convert and check one dtype; everything but the reports is released on return."""
    dtype = DTYPES[dtype_name]
    print(f"\n{dtype_name}  (batch {batch}; windows of {size[0]} × {size[1]})", flush=True)
    net1 = _timed("build Net1 (seeded)", lambda: Net1(SHEET_WIDTHS, seed=0, dtype=dtype))
    net2 = _timed("net2_from_net1", lambda: net2_from_net1(net1))
    windows = random_inputs(batch, INPUT_SIZE, INPUT_SIZE, seed=1, dtype=dtype)
    big = random_inputs(batch, *size, seed=2, dtype=dtype)
    same = _timed("(a) Net1 vs Net2 on 32 × 32", lambda: check_same_output(net1, net2, windows))
    slide = _timed(
        f"(b) Net2 vs Net1 on {(size[0] - 31) * (size[1] - 31)} windows",
        lambda: check_sliding_windows(net1, net2, big),
    )
    for name, report in (("(a)", same), ("(b)", slide)):
        print(
            f"  {name} Net2 shape {report.net2_shape}, expected {report.expected_shape}: "
            f"max |diff| {report.max_abs_diff:.3e}, max |Net1 out| {report.max_abs_output:.3e}, "
            f"relative {report.max_rel_diff:.3e}"
        )
    print(f"  (b) worst window {slide.worst_window}; peak RSS so far {_peak_gb():.2f} GB")
    with torch.no_grad():
        _timed("forward: Net2 once on the big batch", lambda: net2(big))
        _timed("forward: Net1 window by window", lambda: _every_window(net1, big))
    del net1, net2
    gc.collect()
    return same, slide


def print_costs(table: CostTable) -> None:
    """The per-layer MAC table, exact integers plus a ratio per row."""
    print(
        f"\nMACs: Net2 once on {table.height} × {table.width} vs Net1 on each of "
        f"{table.patches} windows of 32 × 32"
    )
    header = f"{'layer':<30} {'Net2':>16} {'Net1 × windows':>18} {'saved':>16} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for layer in table.layers:
        ratio = layer.net1_macs / layer.net2_macs
        print(
            f"{layer.name:<30} {layer.net2_macs:>16,} {layer.net1_macs:>18,} "
            f"{layer.saved:>16,} {ratio:>7.2f}"
        )
    print("-" * len(header))
    saved = table.net1_total - table.net2_total
    print(
        f"{'total':<30} {table.net2_total:>16,} {table.net1_total:>18,} "
        f"{saved:>16,} {table.ratio:>7.2f}"
    )
    features = table.layers[:5]
    print(
        f"features only: Net2 {sum(x.net2_macs for x in features):,}, "
        f"Net1 {sum(x.net1_macs for x in features):,}, ratio "
        f"{sum(x.net1_macs for x in features) / sum(x.net2_macs for x in features):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, nargs=2, default=(36, 38), metavar=("H", "W"))
    parser.add_argument("--dtypes", nargs="+", choices=sorted(DTYPES), default=list(DTYPES))
    parser.add_argument("--costs-only", action="store_true")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write the checks' differences to PATH for derive build")
    args = parser.parse_args()
    if args.json is not None and args.costs_only:
        parser.error("--json needs the checks; drop --costs-only")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.costs_only:
        size = (args.size[0], args.size[1])
        checks = {name: run_checks(name, args.batch, size) for name in args.dtypes}
        if args.json is not None:
            record = full_width_record(checks, batch=args.batch, size=size,
                                       torch=torch.__version__.split("+")[0])
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
            print(f"\nwrote {args.json}")
    print_costs(sliding_costs(*args.size))


if __name__ == "__main__":
    main()
