"""`derive review` on workings written for the purpose: every planted error is reported wrong
at its line (with the fitting diagnosis), and no correct line is reported wrong — in Markdown
and in LaTeX alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main

DATA = Path(__file__).parent / "data" / "review"

# file → {line: (verdict, words the note must contain)}
EXPECTED = {
    "planted.md": {
        13: ("definition", "binds s"),
        15: ("verified", ""),  # uses the definition of s
        17: ("verified", ""),
        19: ("verified", ""),  # a display starting with '=' continues the chain
        21: ("numeric-only", ""),
        23: ("numeric-only", ""),  # x_i <= x_j only because x has its maximum at j
        25: ("verified", ""),
        27: ("verified", ""),
        29: ("verified", ""),
        31: ("wrong", "equal up to sign"),  # planted: sign
        33: ("wrong", "index off by one"),  # planted: index off by one
        35: ("wrong", "does not tend to 0"),  # planted: a wrong limit
        37: ("wrong", "factor of 1/2"),  # planted: a dropped factor
        39: ("wrong", "holds the other way"),  # planted: an inequality the wrong way
    },
    "planted.tex": {
        14: ("definition", "binds s"),
        17: ("verified", ""),
        18: ("verified", ""),
        19: ("verified", ""),  # "&= …" on the next align row continues the chain
        21: ("numeric-only", ""),
        23: ("numeric-only", ""),
        26: ("verified", ""),
        28: ("verified", ""),
        29: ("verified", ""),
        30: ("wrong", "equal up to sign"),
        32: ("wrong", "index off by one"),
        34: ("wrong", "does not tend to 0"),
        35: ("wrong", "factor of 1/2"),
        36: ("wrong", "holds the other way"),
    },
}


def review_json(name: str) -> list[dict]:
    result = CliRunner().invoke(main, ["review", str(DATA / name), "--json"])
    assert result.exit_code == 1, result.output  # a wrong link makes the exit code 1
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_planted_error_is_wrong_at_its_line_and_no_correct_line_is(name):
    links = review_json(name)
    got = {link["line"]: link for link in links}
    assert sorted(got) == sorted(EXPECTED[name]), "one link per line, at the line it is written on"
    for line, (verdict, words) in EXPECTED[name].items():
        link = got[line]
        assert link["verdict"] == verdict, (line, link)
        assert words in link["note"], (line, link)
    for link in links:
        assert set(link) >= {"line", "relation", "verdict", "note"}


def test_the_first_wrong_link_is_named_at_the_top():
    result = CliRunner().invoke(main, ["review", str(DATA / "planted.md")])
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("first wrong link: line 31:") and "equal up to sign" in first


def test_correct_workings_exit_0(tmp_path):
    workings = tmp_path / "right.md"
    workings.write_text("$$(a+b)^2 = a^2 + 2 a b + b^2$$\n\n$$= b^2 + 2 a b + a^2$$\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(workings)])
    assert result.exit_code == 0, result.output
    assert "no link was found wrong" in result.stdout
