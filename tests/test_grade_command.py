"""`derive grade` as users run it: one file, a class folder, malformed files, hostile answers."""

from __future__ import annotations

import csv
import json
import time

import pytest

from derive.grade import grader


pytestmark = pytest.mark.usefixtures("in_tmp")  # conftest: each test runs in its own folder


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_correct_file_exits_0(tmp_path, run):
    answers = write(tmp_path / "a.toml", '"p1.b.grad" = "exp(x_k)/sum(exp(x_i), i, 1, n)"\n'
                                          '"p1.a.limit" = "x_j"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:2] == ["p1.b.grad", "correct"]


def test_equivalent_latex_is_correct_and_a_wrong_index_is_not(tmp_path, run):
    answers = write(tmp_path / "a.toml", '[p1.b]\ngrad = "\\\\frac{e^{x_k}}{\\\\sum_{i=1}^{n} e^{x_i}}"\n'
                                          '[p1.c]\nlimit = "KroneckerDelta(k, m)"\n')
    data = json.loads(run("grade", str(answers), "--json").stdout)
    statuses = {c["id"]: c["status"] for c in data[0]["claims"]}
    assert statuses["p1.b.grad"] == "correct"
    assert statuses["p1.c.limit"] == "correct"
    wrong = write(tmp_path / "b.toml", '"p1.b.grad" = "exp(x_i)/sum(exp(x_i), i, 1, n)"\n')
    result = run("grade", str(wrong))
    assert result.exit_code == 1
    assert "wrong" in result.stdout


def test_hostile_answers_are_unparseable_quickly_and_run_nothing(tmp_path, run):
    sentinel = tmp_path / "pwned"
    answers = write(tmp_path / "evil.toml",
                    f'"p1.b.grad" = "__import__(\'os\').system(\'touch {sentinel}\')"\n'
                    '"p1.a.limit" = "9**9**9**9"\n'
                    f'"p1.c.limit" = "{"(" * 100000}"\n')
    started = time.perf_counter()
    result = run("grade", str(answers), "--json")
    assert time.perf_counter() - started < 30  # a hang would be minutes; this is a sanity bound
    claims = json.loads(result.stdout)[0]["claims"]
    assert [c["status"] for c in claims] == ["unparseable"] * 3
    assert not sentinel.exists()


@pytest.mark.parametrize("text, message", [
    ("p1.b.grad = = 3", "not valid TOML"),
    ('"p1.b.grad" = [1, 2]', "the answer to p1.b.grad is a list; give a number or a quoted expression"),
    ("# nothing yet\n", "no answers in this file"),
])
def test_a_malformed_file_exits_2_with_one_line(tmp_path, text, message, run):
    answers = write(tmp_path / "bad.toml", text)
    result = run("grade", str(answers))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {answers}: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_id_suggests_the_close_one(tmp_path, run):
    answers = write(tmp_path / "a.toml", '"p1.b.gard" = "1"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 1
    assert "no result has the id p1.b.gard; did you mean p1.b.grad?" in result.stdout


def test_a_class_folder_is_graded_in_parallel_with_a_csv(tmp_path, run):
    folder = tmp_path / "class"
    folder.mkdir()
    right = '"p1.b.grad" = "exp(x_k)/sum(exp(x_i), i, 1, n)"\n"p1.a.limit" = "x_j"\n'
    wrong = '"p1.b.grad" = "exp(x_k)"\n"p1.a.limit" = "x_j"\n'
    for number in range(200):
        write(folder / f"student{number:03}.toml", right if number % 4 else wrong)
    write(folder / "broken.toml", "= nothing")
    result = run("grade", str(folder), "--jobs", "2")
    assert result.exit_code == 1
    assert "201 files graded, 150 all correct, 1 unreadable" in result.stdout
    with (folder / "grades.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 201
    by_file = {r["file"]: r for r in rows}
    assert by_file["student001.toml"]["p1.b.grad"] == "correct"
    assert by_file["student000.toml"]["p1.b.grad"] == "wrong"
    assert by_file["broken.toml"]["error"].startswith(str(folder / "broken.toml") + ": not valid TOML")


def test_an_empty_folder_is_an_input_error(tmp_path, run):
    (tmp_path / "empty").mkdir()
    result = run("grade", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "no answer files (*.toml) in this folder" in result.stderr


def test_results_lists_ids_and_values(run):
    data = json.loads(run("results", "--json").stdout)
    by_id = {r["id"]: r for r in data}
    assert by_id["p1.b.grad"]["sympy"] == "exp(x[k])/Sum(exp(x[i]), (i, 1, n))"
    assert by_id["p1.b.grad"]["latex"].startswith(r"\frac{e^{x_{k}}}")


def test_grading_a_claim_is_cached_within_a_process():
    grader._grade_claim.cache_clear()
    expected = {e.id: e for e in __import__("derive.results", fromlist=["collect"]).collect(
        __import__("derive.documents.hw7.registry", fromlist=["select"]).select(["1b"]))}
    for _ in range(3):
        grader.grade_answers({"p1.b.grad": "exp(x_k)/sum(exp(x_i), i, 1, n)"}, expected)
    assert grader._grade_claim.cache_info().hits == 2
