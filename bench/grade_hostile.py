"""One bad file never stops a class: grade 200 answer files, 10 of them hostile, and time it.

    python bench/grade_hostile.py [--files 200] [--limit 10]      whole-process wall time
    python bench/grade_hostile.py --cases [--timeout 60]          each hostile case on its own

The class folder holds ``files - 10`` ordinary answer files (answers from every problem, some
of them hostile *answers* that must still be graded: an unknown function, 13 nested logarithms,
a tower of 49 powers, a byte-order mark, a file name that a spreadsheet would run as a formula,
terminal escapes in an id) and 10 files that cannot be graded and must each become one error row
(a 5000-deep TOML array, a 5000-level dotted key, a 5000-digit integer, a FIFO, a link to
/dev/zero, an id written twice, a 20 MB file, a file that is not UTF-8, invalid TOML, a folder
named like an answer file). ``grades.csv.tmp`` is planted as a link to a file outside the folder,
which must stay untouched. Exit status 0 when every expectation holds and the run is in time.

``--cases`` grades each hostile case alone (the case plus one ordinary file) with a timeout and
prints a table of the outcome, for before/after comparisons.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

# The derive importable by this Python (a checkout on PYTHONPATH or an installed package).
DERIVE = [sys.executable, "-c", "from derive.cli import main; main()"]

# (id, right answers, wrong answers): every problem is represented.
ANSWERS = [
    ("p1.a.limit", ["x_j", "max(x)", r"\max_i x_i"], ["0", "x_j + log(n)"]),
    ("p1.b.grad", ["exp(x_k)/sum(exp(x_i), i, 1, n)", r"\frac{e^{x_k}}{\sum_{i=1}^{n} e^{x_i}}"],
     ["exp(x_k)", "exp(x_i)/sum(exp(x_i), i, 1, n)"]),
    ("p1.c.limit", ["KroneckerDelta(k, m)", r"\delta_{km}"], ["1", "delta_{kk}"]),
    ("p2.conv.macs", ["655566528", "655,566,528"], ["1311133056", "65566528"]),
    ("p2.linear.macs", ["58621952"], ["117243904", "58621925"]),
    ("p2.conv.flops", ["1311133056"], ["131133056"]),
    ("p2.total.macs", ["714188480"], ["714188840"]),
    ("p2.conv.percent", ["91.79"], ["91.8", "8.21"]),
    ("p3.bias", ["beta_c + gamma_c*(b_c - mu_c)/sqrt(sigma_c^2 + epsilon)"],
     ["beta_c + gamma_c*(b_c - mu_c)/sqrt(sigma_c^2)", "b"]),
    ("p4.dyL_dbl", ["sum(v_i, i, 1, m)"], ["sum(v_i, i, 1, f)"]),
    ("p5.out_size", ["(h - 31)*(w - 31)"], ["(h - 32)*(w - 32)", "h*w"]),
]

# Hostile answers inside otherwise ordinary files: graded, one claim each.
HOSTILE_ANSWERS = {
    "unknown_function": ("p1.b.grad", r"\operatorname{eval}(x)"),
    "log_nest_13": ("p2.conv.macs", "log(" * 13 + "2" + ")" * 13),
    "power_tower_49": ("p1.b.grad", "^".join(["x_k"] * 49)),
    "escape_in_id": ("p9.\x1b[2J\x1b[31mred", "1"),
}


def _toml_line(result_id: str, answer: str) -> str:
    # TOML basic strings: escape backslashes, quotes and control characters.
    def quote(text: str) -> str:
        out = []
        for ch in text:
            if ch in '\\"':
                out.append("\\" + ch)
            elif ord(ch) < 32 or ord(ch) == 127:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    return f"{quote(result_id)} = {quote(answer)}"


def ordinary(rng: random.Random, extra: tuple[str, str] | None = None) -> str:
    """An answer file for every problem; ``extra`` (id, answer) replaces that id's answer."""
    answers = {}
    for result_id, right, wrong in ANSWERS:
        answers[result_id] = rng.choice(right) if rng.random() < 0.7 else rng.choice(wrong)
    if extra is not None:
        answers[extra[0]] = extra[1]
    return "\n".join(_toml_line(i, a) for i, a in answers.items()) + "\n"


def _write(text: str | bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return make


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    os.symlink("/dev/zero", path)


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.toml").write_text('"p2.conv.macs" = "1"\n')


# name → (file name, maker): files that cannot be graded, one error row each.
HOSTILE_FILES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "deep_array": ("deep_array.toml", _write('"p2.conv.macs" = ' + "[" * 5000 + "]" * 5000 + "\n")),
    "dotted_key_5000": ("dotted_key.toml", _write(".".join(["a"] * 5000) + ' = "1"\n')),
    "integer_5000_digits": ("big_int.toml", _write('"p2.conv.macs" = 1' + "0" * 5000 + "\n")),
    "fifo": ("f.toml", _fifo),
    "link_to_dev_zero": ("z.toml", _dev_zero),
    "duplicate_id": ("duplicate.toml", _write('"p2.conv.macs" = "655566528"\n[p2.conv]\nmacs = "1"\n')),
    "file_20MB": ("huge.toml", _write('"p2.conv.macs" = "655566528"\n' + ("#" * 1023 + "\n") * 20480)),
    "not_utf8": ("latin1.toml", _write('"p2.conv.macs" = "caf\xe9"\n'.encode("latin-1"))),
    "invalid_toml": ("invalid.toml", _write("p2.conv.macs = 655566528 * 2\n")),
    "folder_named_toml": ("folder.toml", _directory),
}

# Files that must be graded although they look odd.
ODD_FILES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "byte_order_mark": ("bom.toml", _write("\ufeff" + '"p2.conv.macs" = "655566528"\n')),
    "formula_file_name": ("=HYPERLINK(1).toml", _write('"p2.conv.macs" = "655566528"\n')),
}


def write_class(folder: Path, files: int, seed: int = 0) -> Path:
    """The class folder; returns the victim file that the planted link points at."""
    rng = random.Random(seed)
    hostile_answers = list(HOSTILE_ANSWERS.values())
    ordinary_count = files - len(HOSTILE_FILES)
    for number in range(ordinary_count - len(ODD_FILES)):
        text = ordinary(rng, hostile_answers[number] if number < len(hostile_answers) else None)
        (folder / f"student{number:03}.toml").write_text(text, encoding="utf-8")
    for name, make in list(ODD_FILES.values()) + list(HOSTILE_FILES.values()):
        make(folder / name)
    victim = folder.parent / "victim.txt"
    victim.write_text("not yours\n")
    os.symlink(victim, folder / "grades.csv.tmp")
    return victim


def grade(folder: Path, timeout: float) -> tuple[float, int | None, str]:
    """Wall seconds, exit status (None: killed at ``timeout``) and stderr of ``derive grade``."""
    started = time.perf_counter()
    try:
        done = subprocess.run([*DERIVE, "grade", str(folder)], capture_output=True, text=True,
                              timeout=timeout, errors="replace")
        return time.perf_counter() - started, done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, None, "timed out"


def rows(folder: Path) -> list[dict[str, str]]:
    path = folder / "grades.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def class_run(files: int, limit: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        victim = write_class(folder, files)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, code, stderr = grade(folder, timeout=max(limit * 6, 60))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        table = rows(folder)
        errors = [r for r in table if r["error"]]
        graded = [r for r in table if not r["error"]]
        victim_ok = victim.read_text() == "not yours\n"
        print(f"{files} files: {seconds:.1f} s wall ({cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores), exit {code}; {len(graded)} graded, "
              f"{len(errors)} error rows; planted link followed: {not victim_ok}")
        for row in errors:
            print(f"   {row['file']:<24} {row['error'][:90]}")
        ok = (code is not None and seconds < limit and len(graded) == files - len(HOSTILE_FILES)
              and len(errors) == len(HOSTILE_FILES) and victim_ok)
        if not ok and stderr:
            print(stderr[-2000:])
        return 0 if ok else 1


def _one_case(name: str, make: Callable[[Path], None], file_name: str, folder: Path,
              timeout: float) -> str:
    folder.mkdir()
    (folder / "ordinary.toml").write_text(ordinary(random.Random(1)), encoding="utf-8")
    make(folder / file_name)
    seconds, code, stderr = grade(folder, timeout)
    if code is None:
        return f"hangs (killed after {timeout:.0f} s)"
    table = rows(folder)
    last = stderr.strip().splitlines()[-1][:100] if stderr.strip() else ""
    if not table:
        return f"{seconds:.1f} s, exit {code}, no CSV: {last}"
    mine = [r for r in table if r["file"] != "ordinary.toml"]

    def describe(row: dict[str, str]) -> str:
        if row["error"]:
            return "error row: " + row["error"].rsplit(": ", 1)[-1][:60] if ": " in row["error"] \
                else "error row: " + row["error"][:60]
        answered = {k: v for k, v in row.items() if k not in ("file", "correct", "answered", "error") and v}
        return f"graded as {row['file']!r}: {answered or row['answered'] + ' answers'}"

    detail = "; ".join(describe(r) for r in mine) or "not listed"
    return f"{seconds:.1f} s, exit {code}, {len(table)} rows: {detail}"


def cases(timeout: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results: list[tuple[str, str]] = []
        for name, (file_name, make) in {**HOSTILE_FILES, **ODD_FILES}.items():
            results.append((name, _one_case(name, make, file_name, root / name, timeout)))
        for name, (result_id, answer) in HOSTILE_ANSWERS.items():
            make = _write(_toml_line(result_id, answer) + "\n")
            results.append((name, _one_case(name, make, "answer.toml", root / name, timeout)))
        folder = root / "planted_link"
        folder.mkdir()
        (folder / "ordinary.toml").write_text(ordinary(random.Random(1)), encoding="utf-8")
        victim = root / "victim.txt"
        victim.write_text("not yours\n")
        os.symlink(victim, folder / "grades.csv.tmp")
        seconds, code, _ = grade(folder, timeout)
        followed = victim.read_text() != "not yours\n"
        results.append(("grades.csv.tmp planted link",
                         f"{seconds:.1f} s, exit {code}, " + ("victim file OVERWRITTEN" if followed
                                                              else "victim untouched")))
        for name, outcome in results:
            print(f"| {name} | {outcome} |")
        shutil.rmtree(root, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds the class may take")
    parser.add_argument("--cases", action="store_true", help="each hostile case alone, as a table")
    parser.add_argument("--timeout", type=float, default=60.0, help="per case, with --cases")
    args = parser.parse_args()
    if args.cases:
        return cases(args.timeout)
    return class_run(args.files, args.limit)


if __name__ == "__main__":
    sys.exit(main())
