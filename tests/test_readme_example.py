"""The README's first 'Write your own derivation' example is short and runs exactly as shown."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from derive.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def first_example() -> str:
    text = README.read_text()
    section = text[text.index("## Write your own derivation"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_first_example_is_under_30_lines():
    assert len(first_example().strip().splitlines()) < 30


def test_the_first_example_checks_and_builds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lse.py").write_text(first_example())
    checked = CliRunner().invoke(main, ["check", "lse.py"])
    assert checked.exit_code == 0, checked.output + checked.stderr
    assert "failed" not in checked.output.split("seconds", 1)[1]
    built = CliRunner().invoke(main, ["build", "lse.py", "--tex-only", "-q"])
    assert built.exit_code == 0, built.stderr
    assert (tmp_path / "output" / "lse.tex").is_file()
    results = CliRunner().invoke(main, ["results", "lse.py"])
    assert results.output.startswith("lse.grad")
