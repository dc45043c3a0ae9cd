"""The `derive` console script (derive.cli.run) ends quickly but as an exit must: the same status
codes, every line of output delivered (also into a pipe), atexit handlers run, and a thread still
running waited for."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(*args: str, before: str = "") -> subprocess.CompletedProcess:
    code = f"import sys; {before}\nfrom derive.cli import run; sys.argv[0] = 'derive'; run()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_the_installed_command_is_run_not_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["derive"] == "derive.cli:run"


@pytest.mark.parametrize(("args", "status"), [(["--help"], 0), (["--version"], 0), (["nosuch"], 2),
                                               (["build", "--nosuch"], 2), (["list", "nosuch.py"], 2)])
def test_status_codes_are_those_of_main(args, status):
    result = _script(*args)
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr


def test_output_is_delivered_whole_into_a_pipe():
    result = _script("list")
    assert result.returncode == 0
    assert result.stdout.endswith("\n") and len(result.stdout.splitlines()) > 10


def test_atexit_handlers_still_run(tmp_path):
    mark = tmp_path / "ran"
    before = f"import atexit; atexit.register(lambda: open({str(mark)!r}, 'w').write('yes'))"
    result = _script("--version", before=before)
    assert result.returncode == 0
    assert mark.read_text() == "yes"


def test_a_running_thread_is_waited_for(tmp_path):
    mark = tmp_path / "finished"
    before = ("import threading, time\n"
              f"threading.Thread(target=lambda: (time.sleep(1), open({str(mark)!r}, 'w').write('yes'))).start()")
    result = _script("--version", before=before)
    assert result.returncode == 0
    assert mark.read_text() == "yes"


def test_a_message_given_to_exit_is_printed_with_status_1():
    before = "import derive.cli as cli; cli.main = lambda **kwargs: sys.exit('stopped: no document')"
    result = _script(before=before)
    assert result.returncode == 1
    assert result.stderr.strip() == "stopped: no document"

