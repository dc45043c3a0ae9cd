"""The built wheel carries the templates: install it into a clean venv and build from elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    pytest.importorskip("hatchling")
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
                   cwd=ROOT, check=True, capture_output=True)
    (wheel,) = dist.glob("derive-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(wheel)], check=True, capture_output=True)
    return wheel, venv


def test_wheel_contains_the_templates(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for template in ROOT.joinpath("templates").rglob("*.j2"):
        assert f"derive/templates/{template.relative_to(ROOT / 'templates')}" in names


def test_installed_wheel_builds_from_another_directory(installed, tmp_path):
    _, installed = installed
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    derive = str(installed / "bin" / "derive")
    help_run = subprocess.run([derive, "--help"], cwd=workdir, capture_output=True, text=True, env=env)
    assert help_run.returncode == 0 and "Exit codes:" in help_run.stdout
    args = [derive, "build", "1b", "--out", "out", "-q"]
    if shutil.which("pdflatex") is None:
        args.append("--tex-only")
    run = subprocess.run(args, cwd=workdir, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    tex = (workdir / "out" / "hw7-p1b.tex").read_text()
    assert r"\section*{Problem 1: The true softmax}" in tex
    located = subprocess.run([str(installed / "bin" / "python"), "-c",
                              "import derive.render.environment as e; print(e.PACKAGE_TEMPLATES.is_dir())"],
                             cwd=workdir, capture_output=True, text=True, env=env)
    assert located.stdout.strip() == "True"  # the templates came from the wheel, not this checkout
    if "--tex-only" not in args:
        assert (workdir / "out" / "hw7-p1b.pdf").read_bytes().startswith(b"%PDF")
