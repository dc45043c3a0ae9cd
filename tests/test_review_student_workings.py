"""`derive review` on the real student's workings: the Problem 2 conv total drops a digit and
is named at its line; the linear total is verified; nothing else is called wrong."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from derive.cli import main


@pytest.fixture(scope="module")
def review(student_workings):
    result = CliRunner().invoke(main, ["review", str(student_workings)])
    as_json = CliRunner().invoke(main, ["review", str(student_workings), "--json"])
    return result, json.loads(as_json.stdout)


@pytest.fixture(scope="module")
def line_of(student_workings):
    lines = student_workings.read_text(encoding="utf-8").splitlines()
    return lambda pattern: next(i for i, line in enumerate(lines, 1) if re.search(pattern, line))


def test_the_conv_total_is_wrong_at_its_line_with_a_dropped_digit(review, line_of):
    result, links = review
    assert result.exit_code == 1
    conv_line = line_of(r"^\$\$= 131133056\$\$")
    assert result.stdout.splitlines()[0].startswith(f"first wrong link: line {conv_line}:")
    wrong = [link for link in links if link["verdict"] == "wrong"]
    assert [link["line"] for link in wrong] == [conv_line]
    assert "one digit dropped" in wrong[0]["note"]
    assert "1311133056" in wrong[0]["note"]  # the value of the student's own table and formula


def test_the_linear_total_is_verified(review, line_of):
    _, links = review
    linear_line = line_of(r"^\$\$= 117243904\$\$")
    (link,) = [link for link in links if link["line"] == linear_line]
    assert link["verdict"] == "verified"


def test_every_link_has_a_verdict_and_every_unchecked_one_a_reason(review):
    _, links = review
    assert len(links) > 50
    for link in links:
        assert link["verdict"] in ("verified", "numeric-only", "wrong", "definition", "not checked")
        if link["verdict"] == "not checked":
            assert link["reason"] and link["note"].startswith(link["reason"])


def test_the_table_is_read_and_right_and_problem_1_waits_for_the_length_of_x(review, line_of):
    # h_out = ⌊(h_in − k_h + 2P)/S + 1⌋ on each row of the table. Problem 1's x is summed to n,
    # Problem 2's x to C_in: one letter, two lengths, so max{x_1, …, x_n} may be only part of x
    # and no line about x is checked (lines 9, 13, 15, 26, 28, 30 and 34 moved from ✓/≈ to
    # "not checked"; a first length found used to win, which let x_i - x_j ≤ 0 get ≈ falsely).
    _, links = review
    verdict = {link["line"]: link for link in links}
    for pattern in (r"= e\^\{x_j\} \\cdot \\frac\{1\}", r"^\$\$1\.\(a\) \\lim", r"^\$\$= \\lim_\{\\beta"):
        link = verdict[line_of(pattern)]
        assert link["verdict"] == "not checked" and "x is summed to C_in and to n" in link["note"]
    for pattern in (r"^\$\$= x_j \+ 0\$\$", r"^\$\$= \\max\\\{x_1"):
        assert verdict[line_of(pattern)]["verdict"] == "not checked"
    rows = [link for link in links if link["relation"].startswith("row ")]
    assert len(rows) == 5 and all(link["verdict"] == "verified" for link in rows)
    checked = [link for link in links if link["verdict"] in ("verified", "numeric-only", "wrong")]
    assert len(checked) == 8  # 15 before x's two lengths made Problem 1 unread


def test_declaring_the_length_of_x_checks_problem_1_again(student_workings, tmp_path):
    # ∂/∂x_j log Σ e^{x_i} = e^{x_j}/Σ e^{x_i} (the softmax) and x_j + 0 = max{x_1, …, x_n} with
    # x_j defined as that maximum: read once the student says which length x has
    front = '+++\n[assume]\nx = "real vector of length n"\n+++\n'
    declared = tmp_path / "workings.txt"
    declared.write_text(front + student_workings.read_text(encoding="utf-8"), encoding="utf-8")
    links = json.loads(CliRunner().invoke(main, ["review", str(declared), "--json"]).stdout)
    lines = declared.read_text(encoding="utf-8").splitlines()
    line_of = lambda pattern: next(i for i, line in enumerate(lines, 1) if re.search(pattern, line))  # noqa: E731
    verdict = {link["line"]: link["verdict"] for link in links}
    assert verdict[line_of(r"= e\^\{x_j\} \\cdot \\frac\{1\}")] == "verified"
    assert verdict[line_of(r"^\$\$= \\max\\\{x_1")] == "verified"
    assert len([link for link in links if link["verdict"] in ("verified", "numeric-only", "wrong")]) >= 14
