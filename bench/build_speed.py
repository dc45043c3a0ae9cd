"""Whole-process time of `derive build`: cold (no cache, no previous output) and repeated with
nothing changed. Medians of several runs; a baseline (`python -c pass` and `import sympy`) is
run in the same go so figures from a noisy machine can be compared.

    .venv/bin/python bench/build_speed.py [--runs 5] [PARTS...]
Targets (2 cores): cold ≤ 5 s for Problem 1, repeat ≤ 1.2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DERIVE = str(Path(sys.executable).with_name("derive"))


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("parts", nargs="*")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="derive-bench-"))
    build = [DERIVE, "build", *args.parts, "--out", str(out), "-q"]
    figures: dict[str, list[float]] = {"python -c pass": [], "import sympy": [], "cold build": [], "repeat build": []}
    for _ in range(args.runs):
        figures["python -c pass"].append(timed([sys.executable, "-c", "pass"]))
        figures["import sympy"].append(timed([sys.executable, "-c", "import sympy"]))
        shutil.rmtree(out, ignore_errors=True)
        figures["cold build"].append(timed(build))
        figures["repeat build"].append(timed(build))
    shutil.rmtree(out, ignore_errors=True)
    label = " ".join(args.parts) or "whole document"
    print(f"derive build ({label}), {args.runs} runs each, medians [min–max]:")
    for name, values in figures.items():
        print(f"  {name:<15} {statistics.median(values):6.2f} s  [{min(values):.2f}–{max(values):.2f}]")


if __name__ == "__main__":
    main()
