"""`derive grade` leftovers: -q/-v like the other commands, echoed user text short and free of
terminal escapes, and Kronecker's delta written with a comma."""

from __future__ import annotations

import pytest

from derive.grade.parser import parse_answer

import sympy as sp


pytestmark = pytest.mark.usefixtures("in_tmp")  # conftest: each test runs in its own folder


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_quiet_grade_prints_nothing_and_keeps_the_exit_code(tmp_path, run):
    answers = write(tmp_path / "a.toml", '"p1.a.limit" = "x_j"\n"p1.b.grad" = "x_k"\n')
    result = run("grade", "-q", str(answers))
    assert result.exit_code == 1
    assert result.output == ""


def test_quiet_and_verbose_contradict(tmp_path, run):
    answers = write(tmp_path / "a.toml", '"p1.a.limit" = "x_j"\n')
    result = run("grade", "-q", "-v", str(answers))
    assert result.exit_code == 2


def test_verbose_folder_lists_every_answer_of_every_file(tmp_path, run):
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder / "ann.toml", '"p1.a.limit" = "x_j"\n')
    write(folder / "bob.toml", '"p1.a.limit" = "x_k"\n')
    quiet = run("grade", "-q", str(folder), "--jobs", "1")
    assert quiet.output == "" and quiet.exit_code == 1
    assert (folder / "grades.csv").exists()  # -q silences the terminal, not the CSV
    verbose = run("grade", "-v", str(folder), "--jobs", "1")
    lines = verbose.stdout.splitlines()
    assert "ann.toml:" in lines and "bob.toml:" in lines
    assert sum(1 for line in lines if line.split()[:2] == ["p1.a.limit", "wrong"]) == 1


def test_a_huge_id_and_answer_are_cut_and_escapes_never_reach_the_terminal(tmp_path, run):
    huge = "p" * 5000
    answers = write(tmp_path / "a.toml", f'"{huge}" = "1"\n"p2.conv.macs" = "\\u001b[2J{"9" * 3000}"\n'
                                          f'"p1.a.limit" = "\\u001b]0;owned\\u0007x_j"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 1
    for line in result.output.splitlines():
        assert len(line) < 400, line[:100]
        assert "\x1b" not in line and "\x07" not in line
    first = result.stdout.splitlines()[0]
    assert first.index("unparseable") <= 50  # the id column is cut, not stretched to 5000


def test_a_huge_id_in_a_folder_csv_is_cut(tmp_path, run):
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder / "a.toml", '"p1.a.limit" = "\\u001b[2Jx_j"\n')
    result = run("grade", "-v", str(folder), "--jobs", "1")
    assert "\x1b" not in result.output
    assert "\x1b" not in (folder / "grades.csv").read_text()


@pytest.mark.parametrize("text", ["delta_{k,m}", "\\delta_{k,m}", "delta_{k, m}", "delta_{km}"])
def test_kronecker_delta_with_or_without_a_comma(text):
    k, m = sp.Symbol("k"), sp.Symbol("m")
    assert parse_answer(text, {"k": k, "m": m}) == sp.KroneckerDelta(k, m)


def test_kronecker_delta_with_a_comma_grades_correct(tmp_path, run):
    answers = write(tmp_path / "a.toml", '"p1.c.limit" = "\\\\delta_{k,m}"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text", ["delta_{k,}", "delta_{,m}", "delta_{k,m,n}"])
def test_a_malformed_delta_is_still_refused(text):
    from derive.grade.parser import AnswerParseError

    with pytest.raises(AnswerParseError):
        parse_answer(text, {})
