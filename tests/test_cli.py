"""The command line as a newcomer meets it: help, version, wrong arguments, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from derive import __version__
from derive.cli import main
import derive.documents.hw7 as hw7
from derive.core.assumptions import Real, assume
from derive.core.document import Document, Problem
import sympy as sp


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_help_lists_commands_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    for word in ("build", "check", "list", "count", "Exit codes:", "3  TeX missing or failed"):
        assert word in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"derive, version {__version__}"


@pytest.mark.parametrize("args", [["nosuch"], ["build", "--nosuch"], ["check", "--json", "--bogus"]])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("part, message", [
    ("9", "error: no problem 9 in the document (part '9'); known problems: "),
    ("1z", "error: problem 1 has no part 'z'; its parts are a, b, c"),
    ("x1", "error: cannot read part 'x1': write a problem number and an optional part, like 1, 1a or p1.a"),
])
def test_unknown_parts_get_one_line_and_exit_2(part, message, tmp_path):
    result = run("build", part, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")][0].startswith(message)
    assert not any(tmp_path.iterdir())


def test_list_shows_problems_and_parts():
    result = run("list")
    assert result.exit_code == 0
    assert "1  The true softmax" in result.output
    assert "   1b  The gradient at inverse temperature 1 is the softmax" in result.output


def test_check_prints_a_table_and_exits_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check", "1b")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["step", "status", "methods", "seconds"]
    assert "p1.b.3" in result.stdout and "verified" in result.stdout


def test_check_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = json.loads(run("check", "1b", "--json").stdout)
    assert data["summary"]["failed"] == 0
    assert {s["id"] for s in data["steps"]} >= {"p1.b.3", "p1.b.4", "p1.b.5"}


def _broken_problem() -> Problem:
    a = sp.Symbol("a", real=True)
    problem = Problem(1, "Broken")
    part = problem.part("a", "A wrong step")
    part.derivation(assume(Real(a))).step((a + 1) ** 2, "=", a**2 + 1, "a forgotten cross term")
    return problem


def _broken_document() -> Document:
    document = Document("Broken", name="hw7")
    document.include(_broken_problem)
    return document


def test_a_failed_step_fails_check_and_build_with_exit_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hw7, "document", _broken_document)
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "hw7.pdf").write_bytes(b"%PDF-old")
    for command in (["check"], ["build", "-q"]):
        result = run(*command)
        assert result.exit_code == 1
        error = [line for line in result.stderr.splitlines() if line.startswith("error:")][0]
        assert error.startswith("error: step p1.a.1 failed: (a + 1)**2 = a**2 + 1 — ")
        assert "lhs = " in error and "rhs = " in error
    assert (tmp_path / "output" / "hw7.pdf").read_bytes() == b"%PDF-old"


def test_an_unwritable_output_folder_is_one_line_and_exit_2():
    result = run("build", "1b", "--out", "/proc/derive-cannot-write-here", "-q")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("error: cannot write to /proc/derive-cannot-write-here: ")


def test_check_works_where_the_cache_cannot_be_written(monkeypatch):
    monkeypatch.chdir("/proc")  # no output/ can be made here
    result = run("check", "1b")
    assert result.exit_code == 0, result.output
    assert "p1.b.3" in result.stdout


def test_csv_with_one_file_is_a_usage_error(tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('"p1.a.limit" = "x_j"\n')
    result = run("grade", str(answers), "--csv", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "--csv applies to a folder of answer files, not to one file" in result.output
