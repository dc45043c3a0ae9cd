"""How fast does `derive count alexnet` answer, next to counting with torch's FlopCounterMode?

Whole-process wall time (interpreter start-up included, which is what a user waits for), median
of several fresh runs after one warm-up run, with the median CPU time beside it (a fairer figure
when other work shares the machine). Target for ours: <= 0.15 s wall. Exit status 1 on a miss.

    .venv/bin/python bench/count_speed.py [--runs 9] [--net alexnet]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.15
ROOT = Path(__file__).resolve().parent.parent

TORCH_CODE = """
import torch
from torch.utils.flop_counter import FlopCounterMode
from derive.counting import load_network
from derive.counting.torch_build import build_module
net = load_network({net!r})
model = build_module(net).eval()
counter = FlopCounterMode(display=False)
with counter, torch.no_grad():
    model(torch.empty(1, *net.input_shape, device="meta"))
print(counter.get_total_flops(), sum(p.numel() for p in model.parameters()))
"""


def measure(cmd: list[str], runs: int) -> tuple[float, float, float, float]:
    """Median, min and max wall time and median CPU time (user + sys) of ``runs`` fresh
    processes, after one warm-up run. CPU time is less disturbed by other load on the machine."""
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), min(walls), max(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (>= 7)")
    parser.add_argument("--net", default="alexnet")
    args = parser.parse_args()
    runs = max(args.runs, 7)

    cases = {
        "python -m derive.counting": [
            sys.executable,
            "-m",
            "derive.counting",
            args.net,
        ],
        "python -m derive.counting --json": [
            sys.executable,
            "-m",
            "derive.counting",
            args.net,
            "--json",
        ],
    }
    console = shutil.which("derive", path=str(Path(sys.executable).parent))
    if (
        console
        and subprocess.run(
            [console, "count", "--list"], check=False, capture_output=True
        ).returncode
        == 0
    ):
        cases["derive count (console script)"] = [console, "count", args.net]
    if importlib.util.find_spec("torch") is None:
        print("torch not installed: FlopCounterMode comparison skipped")
    else:
        cases["FlopCounterMode (torch, meta device)"] = [
            sys.executable,
            "-c",
            TORCH_CODE.format(net=args.net),
        ]

    print(f"{args.net}: whole process, median of {runs} fresh runs")
    print(f"  {'command':<38} {'wall':>7}   {'(min .. max)':<16} {'cpu':>7}")
    ours = None
    for label, cmd in cases.items():
        med, lo, hi, cpu = measure(cmd, runs)
        if label == "python -m derive.counting":
            ours = med
        print(f"  {label:<38} {med:6.3f}s   ({lo:.3f} .. {hi:.3f})  {cpu:6.3f}s")
    print(f"  load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    assert ours is not None
    verdict = "meets" if ours <= TARGET_S else "MISSES"
    print(f"ours {ours:.3f} s wall {verdict} the {TARGET_S:.2f} s target")
    return 0 if ours <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
