"""The built-in specs ship inside the wheel and load from it (importlib.resources, zip import)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from derive.counting import builtin_specs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("derive-*.whl")
    return path


def test_wheel_contains_every_builtin_spec(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in builtin_specs():
        assert f"derive/counting/specs/{name}.toml" in names


def test_builtins_load_from_the_wheel_itself(wheel: Path, tmp_path: Path) -> None:
    code = (
        "import derive.counting as c\n"
        "assert '.whl' in c.__file__, c.__file__\n"
        "print(c.count_network(c.load_network('alexnet')).totals.params)"
    )
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    # PYTHONPATH comes before the venv's editable install, so derive is imported from the zip
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "61100840"
