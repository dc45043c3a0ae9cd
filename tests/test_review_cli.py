"""`derive review -q` prints nothing but errors; the exit code still says whether a link is wrong."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from derive.cli import main

PLANTED = Path(__file__).parent / "data" / "review" / "planted.md"


def test_quiet_review_prints_nothing_and_exits_1_on_a_wrong_link():
    result = CliRunner().invoke(main, ["review", "-q", str(PLANTED)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""


def test_quiet_review_still_reports_an_unreadable_file(tmp_path):
    result = CliRunner().invoke(main, ["review", "-q", str(tmp_path / "missing.md")])
    assert result.exit_code == 2
    assert "error:" in result.output
