"""Whole-process time and peak memory of `derive build`, as ratios to `import sympy` run alongside.

The machine is shared and noisy, so every figure that matters is a ratio to `python -c 'import
sympy'` timed in the same run, and each figure is the median of several runs. Per run:

* cold:          empty output folder (no check cache, no measurements, no PDF, no up-to-date
                 record: every cache derive keeps for a build lives in OUT/.cache);
* no check cache: out/.cache/checks.json and the up-to-date records removed (measurements and
                 the PDF kept), so every step is checked again;
* no record:     only the up-to-date records removed: the whole pipeline with every cache warm
                 (what a build costs after an edit that changes no step and no .tex);
* repeat:        nothing changed since the previous build (answered by derive.uptodate).

Peak memory is the largest resident set of any process of the build's tree (the main process,
its check workers, TeX), as the kernel reports it to wait4 ("peak MB"); "tree MB" is the largest
sum over the tree at one moment, sampled every 0.2 s, of each process's proportional set size
(pages a forked worker shares with its parent counted once). Per phase (problems, measurements,
checks, render, tex) comes from pipeline.build's timings, written by a small driver that runs
the real CLI; "other" is the rest of the process (interpreter start, imports, writing files).
The ten slowest steps come from the cold build's verification.json.

    python bench/build_speed.py [--runs 3] [--json PATH] [PARTS...]

Targets (issue 16, 2 cores): cold ≤ 20 × import sympy and ≤ 500 MB (largest process and the
tree's sum); repeat ≤ 2.5 × import sympy.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

COLD_TARGET, REPEAT_TARGET, MEMORY_TARGET_MB = 20.0, 2.5, 500.0
KINDS = ("cold", "no check cache", "no record", "repeat")


@dataclass
class Run:
    """One whole-process run: wall and CPU seconds, peak RSS in MB, phase seconds."""

    wall: float
    cpu: float
    peak_mb: float
    phases: dict[str, float] = field(default_factory=dict)
    tree_mb: float = 0.0  # largest sum of the tree's proportional set sizes, sampled


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _tree_pss_mb(root: int) -> float:
    """The tree's memory now: the sum of its processes' PSS (shared pages, like those a forked
    check worker shares with its parent, counted once across the tree, not once per process)."""
    total = 0
    for pid in _descendants(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


def _sample_tree(root: int, peak: list[float], done: threading.Event) -> None:
    while not done.wait(0.2):
        peak[0] = max(peak[0], _tree_pss_mb(root))


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to completion; its tree's CPU time and largest RSS come from wait4, the
    tree's summed memory from sampling /proc every 0.2 s."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak, done = [0.0], threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(process.pid, peak, done), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {error.strip()[-500:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tree_mb=peak[0])


def build_run(parts: list[str], out: Path) -> Run:
    """`derive build` through the driver below, which also records the phase timings."""
    timings = out.parent / f"{out.name}.timings.json"
    result = run([sys.executable, __file__, "--driver", str(timings), "build", *parts, "--out", str(out), "-q"])
    phases = json.loads(timings.read_text()) if timings.exists() else {}  # up to date: no pipeline
    timings.unlink(missing_ok=True)
    phases["other"] = max(0.0, result.wall - sum(phases.values()))
    result.phases = phases
    return result


def drive(timings_path: str, argv: list[str]) -> None:
    """Run the real CLI with ``argv``, passing a timings dict to pipeline.build and saving it.

    pipeline (and so SymPy) is imported only when the CLI starts a full build, as without the
    driver: an up-to-date answer must be timed without that import.
    """
    from derive import cli

    timings: dict[str, float] = {}

    def instrument() -> None:
        from derive import pipeline

        original = pipeline.build
        # an older pipeline (to measure "before") takes no timings: whole-process figures only
        takes_timings = "timings" in inspect.signature(original).parameters

        def build(options, progress=None, on_tex=None, timings_=None):  # noqa: ANN001 - pipeline.build's own
            if takes_timings:
                return original(options, progress, on_tex, timings)
            return original(options, progress, on_tex)

        pipeline.build = build

    full_build = getattr(cli, "_full_build", None)
    if full_build is None:  # a CLI without an up-to-date answer imports pipeline anyway
        instrument()
    else:
        def instrumented(*args, **kwargs):  # noqa: ANN002, ANN003
            instrument()
            return full_build(*args, **kwargs)

        cli._full_build = instrumented
    try:
        cli.main.main(argv, prog_name="derive", standalone_mode=False)
    finally:
        Path(timings_path).write_text(json.dumps(timings))
    if hasattr(cli, "_exit_now"):  # end as the console script (derive.cli.run) does
        cli._exit_now(0)


def slowest_steps(out: Path, count: int = 10) -> list[tuple[str, float]]:
    steps = json.loads((out / "verification.json").read_text())["steps"]
    seconds = [(s["id"], sum(m["seconds"] for m in s["methods"])) for s in steps]
    return sorted(seconds, key=lambda item: -item[1])[:count]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("parts", nargs="*")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="derive-bench-"))
    out = workdir / "out"
    sympy_runs: list[Run] = []
    runs: dict[str, list[Run]] = {kind: [] for kind in KINDS}
    slowest: list[tuple[str, float]] = []
    try:
        for _ in range(args.runs):
            sympy_runs.append(run([sys.executable, "-c", "import sympy"]))
            shutil.rmtree(out, ignore_errors=True)
            runs["cold"].append(build_run(args.parts, out))
            slowest = slowest_steps(out)
            (out / ".cache" / "checks.json").unlink(missing_ok=True)
            shutil.rmtree(out / ".cache" / "uptodate", ignore_errors=True)
            runs["no check cache"].append(build_run(args.parts, out))
            shutil.rmtree(out / ".cache" / "uptodate", ignore_errors=True)
            runs["no record"].append(build_run(args.parts, out))
            runs["repeat"].append(build_run(args.parts, out))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, sympy_runs, runs, slowest)


def report(args: argparse.Namespace, sympy_runs: list[Run], runs: dict[str, list[Run]],
           slowest: list[tuple[str, float]]) -> None:
    sympy = median([r.wall for r in sympy_runs])
    sympy_cpu = median([r.cpu for r in sympy_runs])
    label = " ".join(args.parts) or "whole document"
    print(f"derive build ({label}), {args.runs} runs, medians; import sympy {sympy:.2f} s wall, "
          f"{sympy_cpu:.2f} s CPU")
    print(f"  {'':<15} {'wall s':>7} {'× sympy':>8} {'CPU s':>7} {'CPU × sympy':>12} {'peak MB':>8} "
          f"{'tree MB':>8}  target")
    summary: dict[str, dict[str, float]] = {}
    for kind, results in runs.items():
        wall, cpu = median([r.wall for r in results]), median([r.cpu for r in results])
        peak = max(r.peak_mb for r in results)
        tree = max(r.tree_mb for r in results)
        target = {"cold": f"≤ {COLD_TARGET:g} ×, ≤ {MEMORY_TARGET_MB:g} MB",
                  "repeat": f"≤ {REPEAT_TARGET:g} ×"}.get(kind, "")
        print(f"  {kind:<15} {wall:7.2f} {wall / sympy:8.1f} {cpu:7.2f} {cpu / sympy_cpu:12.1f} {peak:8.0f} "
              f"{tree:8.0f}  {target}")
        phases = {name: median([r.phases.get(name, 0.0) for r in results])
                  for name in ("problems", "measurements", "checks", "render", "tex", "other")}
        print("  " + " " * 16 + ", ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items()))
        summary[kind] = {"wall": wall, "ratio": wall / sympy, "cpu": cpu, "cpu_ratio": cpu / sympy_cpu,
                         "peak_mb": peak, "tree_mb": tree, **{f"phase.{n}": s for n, s in phases.items()}}
    print("  ten slowest steps of the last cold build (seconds in its checks):")
    for step, seconds in slowest:
        print(f"    {step:<28} {seconds:6.2f}")
    cold, repeat = summary["cold"], summary["repeat"]
    met = (cold["ratio"] <= COLD_TARGET and max(cold["peak_mb"], cold["tree_mb"]) <= MEMORY_TARGET_MB
           and repeat["ratio"] <= REPEAT_TARGET)
    print(f"  targets {'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({
            "parts": args.parts, "runs": args.runs, "import_sympy": {"wall": sympy, "cpu": sympy_cpu},
            "summary": summary, "slowest_steps": slowest, "targets_met": met,
            "all_runs": {kind: [asdict(r) for r in results] for kind, results in runs.items()},
        }, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--driver":
        drive(sys.argv[2], sys.argv[3:])
    else:
        main()
