"""Grade a generated class of answer files: whole-process time with one worker and with all cores.

    .venv/bin/python bench/grade_class.py [--files 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DERIVE = str(Path(sys.executable).with_name("derive"))

# (id, a right answer, wrong answers students write)
ANSWERS = [
    ("p1.b.grad", ["exp(x_k)/sum(exp(x_i), i, 1, n)", r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}}"],
     ["exp(x_k)", "exp(x_i)/sum(exp(x_i), i, 1, n)"]),
    ("p1.a.limit", ["x_j"], ["0", "x_j + log(n)"]),
    ("p2.conv.macs", ["655566528", "655,566,528"], ["1311133056", "65566528"]),
    ("p2.linear.macs", ["58621952"], ["117243904", "58621925"]),
    ("p2.conv.flops", ["1311133056"], ["131133056"]),
    ("p2.total.macs", ["714188480"], ["714188840"]),
    ("p2.conv.percent", ["91.79"], ["91.8", "8.21"]),
]


def write_class(folder: Path, files: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    for number in range(files):
        lines = []
        for result_id, right, wrong in ANSWERS:
            answer = rng.choice(right) if rng.random() < 0.7 else rng.choice(wrong)
            lines.append(f'"{result_id}" = {answer!r}'.replace("'", '"') if "\\" not in answer
                         else f"\"{result_id}\" = '{answer}'")
        (folder / f"student{number:03}.toml").write_text("\n".join(lines) + "\n")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="derive-grade-bench-"))
    folder = work / "class"
    folder.mkdir()
    write_class(folder, args.files)
    subprocess.run([DERIVE, "results"], cwd=work, stdout=subprocess.DEVNULL)  # warm the measurement cache
    figures = {"--jobs 1": [], "all cores": []}
    for _ in range(args.runs):
        figures["--jobs 1"].append(timed([DERIVE, "grade", str(folder), "--jobs", "1"], work))
        figures["all cores"].append(timed([DERIVE, "grade", str(folder)], work))
    rows = (folder / "grades.csv").read_text().count("\n") - 1
    print(f"derive grade on {args.files} files ({len(ANSWERS)} answers each), {args.runs} runs, medians:")
    for name, values in figures.items():
        print(f"  {name:<10} {statistics.median(values):6.2f} s  [{min(values):.2f}–{max(values):.2f}]")
    print(f"  CSV rows written: {rows}")


if __name__ == "__main__":
    main()
