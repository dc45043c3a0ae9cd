"""The CLI behaves like its peers: quiet on a closed pipe, exit codes in every --help, --json on
every command that reports, a progress bar by default, -v for every step, -q for errors only."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from derive.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_closed_output_pipe_ends_quietly():
    # The reader goes away before derive writes (like `derive list | true`): reading a line first
    # would race, since the whole listing can fit in the pipe's buffer before the close.
    command = [sys.executable, "-c", "from derive.cli import main; main()", "list"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(120) == 141  # as a tool ended by SIGPIPE (cat, grep) reports it
    assert stderr == ""


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_subcommands_help_lists_its_exit_codes(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Exit codes:" in result.output and "2  usage or input error" in result.output


def test_list_json():
    data = json.loads(run("list", "--json").stdout)
    assert data[0]["number"] == 1 and data[0]["title"] == "The true softmax"
    assert {"id": "1b", "title": "The gradient at inverse temperature 1 is the softmax"} .items() <= data[0]["parts"][1].items()
    assert all(isinstance(part["steps"], int) for problem in data for part in problem["parts"])


def test_build_json(tmp_path):
    result = run("build", "1b", "--out", str(tmp_path), "--tex-only", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["failed"] == 0 and data["tex"].endswith("hw7-p1b.tex") and data["pdf"] is None


def test_progress_is_a_bar_per_problem_not_a_line_per_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build", "1", "--out", "o", "--tex-only")
    assert result.exit_code == 0, result.output
    assert "Problem 1" in result.stderr
    assert "p1.b.3" not in result.stderr


def test_verbose_lists_every_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check", "1b", "-v")
    assert result.exit_code == 0, result.output
    assert any(line.split()[1:2] == ["p1.b.3"] for line in result.stderr.splitlines() if line.strip())


@pytest.mark.parametrize("args", [["check", "1b", "-q"], ["build", "1b", "--tex-only", "-q", "--out", "o"],
                                  ["list", "-q"], ["count", "alexnet", "-q"]])
def test_quiet_prints_nothing_but_errors(args, tmp_path, monkeypatch):
    if args[0] != "list":  # list reuses the checkout's measurement cache, as test_list_json does
        monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.output == ""
