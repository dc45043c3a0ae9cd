"""Hostile input gets one clean line and exit 2, or is typeset correctly: names beyond Latin-1,
control characters, odd part names, deep or huge counting specs, terminal escapes in values."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from click.testing import CliRunner

from derive.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _one_line(result, limit: int = 300) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert len(errors[0]) < limit and "\x1b" not in errors[0] and "\x9b" not in errors[0]
    return errors[0]


@pytest.mark.parametrize("part", ["²", "1" * 5000, "\x1b[31m1\x1b[0m", "1" + "a" * 5000, "٣"])
def test_odd_part_names_are_one_line_and_exit_2(part, tmp_path):
    line = _one_line(run("build", part, "--out", str(tmp_path), "-q"))
    assert "cannot read part" in line


def test_a_title_beyond_latin_1_reaches_the_tex_intact(tmp_path):
    result = run("build", "1b", "--out", str(tmp_path), "--tex-only", "-q",
                 "--title", "Łukasz Dvořák", "--author", "Erdős Pál, Şahin")
    assert result.exit_code == 0, result.output
    tex = (tmp_path / "hw7-p1b.tex").read_text(encoding="utf-8")
    assert r"{\Large\bfseries Łukasz Dvořák}" in tex and "Erdős Pál, Şahin" in tex


def test_control_characters_are_stripped_from_titles(tmp_path):
    result = run("build", "1b", "--out", str(tmp_path), "--tex-only", "-q", "--title", "Home\x85work\x1b[2J 7\u202e")
    assert result.exit_code == 0, result.output
    assert r"{\Large\bfseries Homework[2J 7}" in (tmp_path / "hw7-p1b.tex").read_text(encoding="utf-8")


@pytest.mark.parametrize("option", ["--title", "--author"])
def test_a_title_the_fonts_cannot_show_is_one_line_and_exit_2(option, tmp_path):
    line = _one_line(run("build", "1b", "--out", str(tmp_path), "-q", option, "王小明 😀"))
    assert f"{option}: the PDF's fonts" in line and "U+738B" in line
    assert not any(tmp_path.iterdir())


@pytest.mark.tex
@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="TeX Live or poppler-utils is not installed")
def test_the_pdf_shows_latin_extended_names_and_survives_c1_controls(tmp_path):
    result = run("build", "1b", "--out", str(tmp_path), "-q",
                 "--title", "Homework\x85 7 for Łukasz Dvořák", "--author", "Erdős Pál")
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(tmp_path / "hw7-p1b.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Homework 7 for Łukasz Dvořák" in text and "Erdős Pál" in text


SPECS = {
    "deep": "input = " + "[" * 5000 + "]" * 5000 + "\n",
    "5000 digits": "input = [3, " + "9" * 5000 + ", 32]\n[[layers]]\ntype = 'relu'\n",
    "4000 digits": "input = [3, 32, 32]\n[[layers]]\ntype = 'conv2d'\nout_channels = 1\nkernel_size = 3\n"
                   "padding = " + "9" * 4000 + "\n",
    "escape in a value": 'input = [3, 32, 32]\n[[layers]]\ntype = "conv\\u001b[2J\\u009b31m"\n',
}


@pytest.mark.parametrize("name", SPECS)
def test_hostile_counting_specs_are_one_line_and_exit_2(name, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPECS[name])
    _one_line(run("count", str(spec)))


@pytest.mark.parametrize("text, macs", [
    ("input = [1, 100000000, 1]\n[[layers]]\ntype = 'conv2d'\nout_channels = 1\nkernel_size = [100000000, 1]\n",
     "100,000,000"),
    ("input = [1, 8, 8]\n[[layers]]\ntype = 'conv2d'\nout_channels = 1\nkernel_size = 3\npadding = 1000000000000\n",
     "576"),
    ("input = [1, 3, 3]\n[[layers]]\ntype = 'conv2d'\nout_channels = 1\nkernel_size = 100000000\n"
     "padding = 100000000\n", "90,000,000,000,000,000"),
])
def test_exclude_padding_with_huge_kernels_or_padding_answers_at_once(text, macs, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    started = time.monotonic()
    result = run("count", str(spec), "--exclude-padding")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5
    assert f"MACs {macs} " in result.output


def test_a_5000_digit_result_id_in_an_answer_file_is_no_traceback(tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('"p' + "1" * 5000 + '.a" = "1"\n')
    result = run("grade", str(answers))
    assert result.exit_code == 1, result.output  # an unknown id: a wrong answer, not a crash
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # before: ValueError (int digits)
