"""`derive grade` takes an answer written as a derivative or with a floor: compared as its
value, so a right one is correct and a wrong one is wrong, never correct."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("in_tmp")

GRAD = r"\frac{\partial}{\partial x_k} \log\left(\sum_{i=1}^{n} e^{x_i}\right)"


def status(tmp_path, run, result_id: str, answer: str) -> str:
    answers = tmp_path / "a.toml"
    answers.write_text(f"\"{result_id}\" = '{answer}'\n", encoding="utf-8")  # TOML literal string
    result = run("grade", answers, "--json")
    (claim,) = json.loads(result.stdout)[0]["claims"]
    return claim["status"]


def test_the_gradient_written_as_a_derivative_is_correct(tmp_path, run):
    assert status(tmp_path, run, "p1.b.grad", GRAD) == "correct"


@pytest.mark.parametrize("answer", [
    r"\frac{\partial}{\partial x_k} \sum_{i=1}^{n} e^{x_i}",           # forgot the log
    r"\frac{\partial}{\partial x_k} \log\left(\sum_{i=1}^{n} x_i\right)",
    r"\frac{\partial^2}{\partial x_k^2} \log\left(\sum_{i=1}^{n} e^{x_i}\right)",
])
def test_a_wrong_derivative_is_wrong(tmp_path, run, answer):
    assert status(tmp_path, run, "p1.b.grad", answer) == "wrong"


def test_a_count_with_a_floor(tmp_path, run):
    # the number of 32 × 32 windows: a floor that changes nothing is right, one that halves is not
    assert status(tmp_path, run, "p5.out_size", r"(\lfloor \frac{h - 32}{1} \rfloor + 1)(w - 31)") == "correct"
    assert status(tmp_path, run, "p5.out_size", r"(\lfloor \frac{h - 32}{2} \rfloor + 1)(w - 31)") == "wrong"


def test_the_maximum_of_the_listed_vector_is_correct_and_of_a_part_is_not(tmp_path, run):
    assert status(tmp_path, run, "p1.a.limit", r"\max\{x_1, \dots, x_n\}") == "correct"
    assert status(tmp_path, run, "p1.a.limit", r"\max\{x_1, \dots, x_m\}") != "correct"
    assert status(tmp_path, run, "p1.a.limit", r"\max\{x_1, \dots, x_2\}") != "correct"
