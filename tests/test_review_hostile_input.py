"""`derive review` reads untrusted files: bad files get one line and exit 2; hostile maths in a
readable file gets "not checked" per link; nothing reaches TeX unescaped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.review import report
from derive.review.extract import MAX_BYTES, parse_workings
from derive.review.review import review_workings


def run(*args):
    return CliRunner().invoke(main, ["review", *map(str, args)])


def one_line_exit_2(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("content, words", [
    ("$$x = 1$$\n" + "a" * (MAX_BYTES + 10), "the limit for workings"),
    ("$$x = 1$$\x07\n", "control character"),
    ("+++\n[assume]\nn = \"integer >= banana\"\n+++\n$$n = n$$\n", "unknown domain"),
    ("+++\n[assume\n+++\n", "not valid TOML"),
    ('+++\n[assume]\nn = "real"\nx = "real vector of length n"\n+++\n', "are integers"),
])
def test_a_bad_file_gets_one_line_and_exit_2(tmp_path, content, words):
    path = tmp_path / "w.md"
    path.write_text(content, encoding="utf-8")
    assert words in one_line_exit_2(run(path))


def test_unreadable_paths_get_one_line(tmp_path):
    bad = tmp_path / "w.md"
    bad.write_bytes(b"$$x = 1$$ \xff\xfe")
    assert "not UTF-8" in one_line_exit_2(run(bad))
    assert "no such file" in one_line_exit_2(run(tmp_path / "missing.md"))
    other = tmp_path / "w.docx"
    other.write_text("x", encoding="utf-8")
    assert "Markdown" in one_line_exit_2(run(other))


def review(text: str, kind: str = "markdown", seconds: float = 300.0):
    return review_workings(parse_workings(text, "w.md", kind), seconds)


def test_deep_nesting_and_long_runs_are_not_checked_quickly():
    deep = "(" * 3000 + "x" + ")" * 3000
    text = f"$${deep} = x$$\n$${'a' * 15000}(b) = 1$$\n$${'{' * 5000}x = 1$$\n"
    started = time.monotonic()
    result = review(text)
    assert time.monotonic() - started < 10
    assert [link.verdict for link in result.links] == ["not checked"] * len(result.links)
    assert result.links and all(link.reason for link in result.links)


def test_input_and_other_commands_are_text_never_files_or_tex():
    text = ("\\input{/etc/passwd}\n\n$$\\input{/etc/passwd} = 1$$\n\n"
            "$$\\write18{rm -rf /} = \\text{\\catcode`\\^^M} $$\n")
    result = review(text)
    assert all(link.verdict == "not checked" for link in result.links)
    tex = report.render_tex(result)
    body = tex.split("\\begin{document}", 1)[1]
    for raw in ("\\input{", "\\write18", "\\catcode", "/etc/passwd}"):
        assert raw not in body
    assert "/etc/passwd" in body.replace("\\textbackslash{}", "\\")  # shown, as escaped text


def test_the_time_budget_turns_remaining_links_into_not_checked():
    result = review("$$(a+b)^2 = a^2 + 2 a b + b^2$$\n", seconds=0)
    (link,) = result.links
    assert link.verdict == "not checked" and link.reason == "time limit"


def test_too_many_relations_is_refused(tmp_path):
    path = tmp_path / "w.md"
    path.write_text("$$" + " = ".join(["1"] * 2100) + "$$\n", encoding="utf-8")
    assert "relations" in one_line_exit_2(run(path))


def test_a_device_behind_a_workings_name_is_read_only_up_to_the_limit(tmp_path):
    zero = tmp_path / "zero.md"
    try:
        zero.symlink_to("/dev/zero")
    except OSError:
        pytest.skip("no symlinks here")
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    assert "limit for workings" in one_line_exit_2(run(zero))


def test_a_check_that_runs_out_of_time_is_not_checked_not_wrong(monkeypatch):
    from derive.core.checks.result import UNDECIDED, CheckResult, MethodResult
    from derive.review import review as review_module

    def out_of_time(step):
        return CheckResult(step.id, UNDECIDED, (MethodResult("numeric", "timeout", 20.0, "numeric check ran out"),),
                           "timed out after 20.0 s")

    monkeypatch.setattr(review_module, "check_step", out_of_time)
    (link,) = review("$$(a+b)^2 = a^2 + b^2$$\n").links
    assert (link.verdict, link.reason) == ("not checked", "time limit")
