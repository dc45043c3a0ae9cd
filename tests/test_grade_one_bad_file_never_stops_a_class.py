"""One bad file never stops a class: every hostile file becomes its own error row, quickly,
and the other files are graded and the CSV is written (issue 12)."""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grade_hostile", ROOT / "bench" / "grade_hostile.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["grade_hostile"] = bench
_spec.loader.exec_module(bench)

ORDINARY = '"p2.conv.macs" = "655566528"\n"p5.out_size" = "(h - 31)*(w - 31)"\n'


pytestmark = pytest.mark.usefixtures("in_tmp")  # conftest: each test runs in its own folder


def rows(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "grades.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _class_with(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ordinary.toml").write_text(ORDINARY)
    file_name, make = bench.HOSTILE_FILES[name]
    make(folder / file_name)
    return folder


def _run_with_watchdog(run, *args, seconds: float = 60):
    """The command, or a failure after ``seconds`` instead of a test run that hangs for ever."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", run(*args)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert "result" in outcome, f"derive {' '.join(args)} did not finish within {seconds} s"
    return outcome["result"]


@pytest.mark.parametrize("name, message", [
    ("deep_array", "nested too deeply"),
    ("dotted_key_5000", "nested more than"),
    ("integer_5000_digits", "not readable TOML"),
    ("fifo", "not a regular file"),
    ("link_to_dev_zero", "not a regular file"),
    ("duplicate_id", "p2.conv.macs is answered twice"),
    ("file_20MB", "more than an answer file may have"),
    ("not_utf8", "not UTF-8"),
    ("invalid_toml", "not valid TOML"),
    ("folder_named_toml", "a folder, not an answer file"),
])
def test_a_hostile_file_is_its_own_error_row_and_the_class_is_graded(tmp_path, name, message, run):
    folder = _class_with(tmp_path, name)
    result = _run_with_watchdog(run, "grade", str(folder), "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    table = rows(folder)
    assert len(table) == 2
    assert table["ordinary.toml"]["error"] == ""
    assert table["ordinary.toml"]["p2.conv.macs"] == "correct"
    hostile = table[bench.HOSTILE_FILES[name][0]]
    assert message in hostile["error"], hostile["error"]


@pytest.mark.parametrize("name", ["fifo", "link_to_dev_zero"])
def test_one_special_file_is_refused_with_exit_2_not_read(tmp_path, name, run):
    file_name, make = bench.HOSTILE_FILES[name]
    make(tmp_path / file_name)
    result = _run_with_watchdog(run, "grade", str(tmp_path / file_name))
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_derive_grade_dev_zero_is_refused_at_once(run):
    result = _run_with_watchdog(run, "grade", "/dev/zero", seconds=30)
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_a_planted_link_at_the_temporary_name_is_never_followed(tmp_path, run):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.toml").write_text(ORDINARY)
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    os.symlink(victim, folder / "grades.csv.tmp")
    result = run("grade", str(folder), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "not yours\n"
    assert rows(folder)["a.toml"]["p2.conv.macs"] == "correct"
    assert not [p for p in folder.iterdir() if p.name.startswith(".grades.csv.")]


def test_a_file_name_that_is_a_formula_is_neutralised_in_the_csv(tmp_path, run):
    folder = tmp_path / "class"
    folder.mkdir()
    for start in "=+-@":
        (folder / f"{start}HYPERLINK(1).toml").write_text(ORDINARY)
    run("grade", str(folder), "--jobs", "1")
    names = sorted(rows(folder))
    assert names == sorted(f"'{start}HYPERLINK(1).toml" for start in "=+-@")


def test_a_byte_order_mark_is_accepted(tmp_path, run):
    answers = tmp_path / "bom.toml"
    answers.write_bytes("\ufeff".encode() + ORDINARY.encode())
    result = run("grade", str(answers))
    assert result.exit_code == 0, result.output


def test_an_id_written_two_ways_is_an_input_error_not_a_merge(tmp_path, run):
    answers = tmp_path / "a.toml"
    answers.write_text('"p2.conv.macs" = "655566528"\n[p2.conv]\nmacs = "1"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 2
    assert "p2.conv.macs is answered twice" in result.stderr


def test_an_unknown_function_is_unparseable_not_a_crash(tmp_path, run):
    answers = tmp_path / "a.toml"
    answers.write_text('"p1.b.grad" = \'\\operatorname{eval}(x)\'\n')
    result = run("grade", str(answers))
    assert result.exit_code == 1, result.output
    assert "unparseable" in result.stdout and "unknown function 'eval'" in result.stdout


def test_echoed_values_are_cut_and_stripped_of_terminal_escapes(tmp_path, run):
    answers = tmp_path / "a.toml"
    answers.write_text('"p9.\\u001b[2J' + "x" * 500 + '" = "1"\n'
                       '"p1.b.grad" = "\\u001b[31m' + "y" * 500 + '("\n')
    result = run("grade", str(answers))
    assert "\x1b" not in result.output
    assert max(len(line) for line in result.output.splitlines()) < 400


def test_a_hung_file_is_stopped_by_its_wall_clock_limit_and_the_rest_is_graded(tmp_path):
    from derive.grade.workers import run_limited

    def slow(item: int) -> str:
        if item == 1:
            time.sleep(60)
        return f"done {item}"

    started = time.monotonic()
    results = run_limited(slow, [0, 1, 2, 3], jobs=2, seconds=2,
                          on_failure=lambda item, reason: f"failed {item}: {reason}")
    assert time.monotonic() - started < 20
    assert results[0] == "done 0" and results[2] == "done 2" and results[3] == "done 3"
    assert results[1].startswith("failed 1: took longer than 2 s")


def test_a_worker_that_dies_is_one_failure_not_a_broken_pool():
    from derive.grade.workers import run_limited

    def dies(item: int) -> str:
        if item == 0:
            os._exit(3)
        return f"done {item}"

    results = run_limited(dies, [0, 1, 2], jobs=1, seconds=30,
                          on_failure=lambda item, reason: f"failed {item}")
    assert results == ["failed 0", "done 1", "done 2"]


def test_a_small_hostile_class_grades_in_time(tmp_path, run):
    """The benchmark's class at 30 files (10 of them hostile), through the CLI in-process."""
    folder = tmp_path / "class"
    folder.mkdir()
    victim = bench.write_class(folder, 30)
    started = time.perf_counter()
    result = _run_with_watchdog(run, "grade", str(folder), "--jobs", "2", seconds=120)
    seconds = time.perf_counter() - started
    table = rows(folder)
    errors = [r for r in table.values() if r["error"]]
    assert len(table) == 30 and len(errors) == 10, [r["error"] for r in errors]
    assert victim.read_text() == "not yours\n"
    assert result.exit_code == 1
    assert seconds < 60  # generous: the machine is shared; the benchmark holds the 10 s bound


def test_a_worker_that_asks_for_too_much_memory_fails_alone():
    from derive.grade.workers import MEMORY_LIMIT, run_limited

    def greedy(item: int) -> str:
        if item == 0:
            bytearray(MEMORY_LIMIT + (1 << 30))
        return f"done {item}"

    results = run_limited(greedy, [0, 1], jobs=1, seconds=60,
                          on_failure=lambda item, reason: f"failed {item}: {reason}")
    assert results == ["failed 0: internal error: MemoryError", "done 1"]


def test_a_file_of_slow_answers_is_bounded_and_its_answers_undecided(monkeypatch):
    from derive.grade import grader
    from derive.grade.expected import expected_results

    def slow_compare(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(grader, "compare", slow_compare)
    monkeypatch.setattr(grader, "ANSWER_SECONDS", 1.0)
    grader._grade_claim.cache_clear()
    expected = expected_results(["p2.conv.macs"])
    answers = {i: "1" for i in ("p2.conv.macs", "p2.linear.macs", "p2.total.macs", "p2.conv.flops",
                                "p2.linear.flops")}
    started = time.monotonic()
    grades = grader.grade_answers(answers, expected, seconds=2.5)
    assert time.monotonic() - started < 6
    assert [g.status for g in grades] == ["undecided"] * 5
    assert "took longer than 1 s" in grades[0].diagnosis
    assert "used up" in grades[-1].diagnosis
    grader._grade_claim.cache_clear()
