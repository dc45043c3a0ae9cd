"""Every verdict `derive grade` can give is explained in the README and in `grade --help`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from derive.cli import main
from derive.grade import grader

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
VERDICTS = (grader.CORRECT, grader.WRONG, grader.UNPARSEABLE, grader.UNDECIDED)


def test_every_verdict_has_a_row_in_the_readme():
    for verdict in VERDICTS:
        assert f"| `{verdict}` |" in README, verdict


def test_every_verdict_is_named_in_grade_help():
    text = CliRunner().invoke(main, ["grade", "--help"]).output
    for verdict in VERDICTS:
        assert verdict in text, verdict
