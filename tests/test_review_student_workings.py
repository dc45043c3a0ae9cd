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


def test_the_derivative_the_maximum_and_the_table_are_read_and_right(review, line_of):
    # ∂/∂x_j log Σ e^{x_i} = e^{x_j}/Σ e^{x_i} (the softmax), x_j + 0 = max{x_1, …, x_n} with x_j
    # defined as that maximum, and h_out = ⌊(h_in − k_h + 2P)/S + 1⌋ on each row of the table
    _, links = review
    verdict = {link["line"]: link["verdict"] for link in links}
    assert verdict[line_of(r"= e\^\{x_j\} \\cdot \\frac\{1\}")] == "verified"
    assert verdict[line_of(r"^\$\$= x_j \+ 0\$\$")] == "verified"
    rows = [link for link in links if link["relation"].startswith("row ")]
    assert len(rows) == 5 and all(link["verdict"] == "verified" for link in rows)
    checked = [link for link in links if link["verdict"] in ("verified", "numeric-only", "wrong")]
    assert len(checked) >= 15
