"""Grading one answer file of every problem in a fresh folder: whole-process wall and CPU time,
medians of several runs, against `python -c "import sympy"` measured in the same run.

    .venv/bin/python bench/grade_file.py [--runs 5]

Target (issue 11): under 3 s wall on this 2-core machine, with nothing left in the folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_grade_is_instant_and_uses_printed_names import EVERY_PROBLEM  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    grade, baseline = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            (folder / "a.toml").write_text(EVERY_PROBLEM, encoding="utf-8")
            env = {**os.environ, "XDG_CACHE_HOME": str(folder / ".." / (folder.name + "-cache"))}
            baseline.append(timed([sys.executable, "-c", "import sympy"], folder, env))
            grade.append(timed([sys.executable, "-c", "from derive.cli import main; main()", "grade",
                                "a.toml", "-q"], folder, {**env, "XDG_CACHE_HOME": str(folder / "cache")}))
            left = sorted(p.name for p in folder.iterdir() if p.name != "cache")
    wall = statistics.median(w for w, _ in grade)
    cpu = statistics.median(c for _, c in grade)
    sympy_wall = statistics.median(w for w, _ in baseline)
    print(f"grade a file of every problem: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {runs}); "
          f"import sympy {sympy_wall:.2f} s; ratio {wall / sympy_wall:.1f}x; files left: {left}")
    print("target under 3 s wall:", "met" if wall < 3 else "NOT met")


if __name__ == "__main__":
    main()
