"""Killing `derive build` (SIGKILL or SIGTERM) leaves no worker behind; a TeX timeout kills the
whole TeX process group; temporary folders go with them. Linux (/proc) only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from derive import build as tex_build
from derive.errors import TexFailed

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else int(fields[1])


def _children(pid: int) -> set[int]:
    return {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent_of(int(p.name)) == pid}


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if _parent_of(pid) is not None}


def _build_until_workers_run(out: Path) -> tuple[subprocess.Popen, set[int]]:
    command = [sys.executable, "-c", "from derive.cli import main; main()", "build", "4", "--out", str(out),
               "--tex-only", "-q"]
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while not workers and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.2)
        workers = _children(build.pid)
    if not workers:
        build.kill()
        pytest.skip("the build finished before any worker was seen")
    return build, workers


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_a_build_during_checks_leaves_no_worker(tmp_path, how):
    build, workers = _build_until_workers_run(tmp_path / "out")
    os.kill(build.pid, how)
    build.wait(30)
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _alive(workers)
    for pid in left:  # do not leave them to the next test run either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {sorted(left)} outlived the killed build"


def test_a_tex_timeout_kills_pdflatex_too_and_removes_the_temporary_folder(tmp_path, monkeypatch):
    if shutil.which("pdflatex") is None:
        pytest.skip("TeX Live is not installed")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(tex_build, "TEX_SECONDS", 3)
    spinning = r"\documentclass{article}\begin{document}\def\x{\x}\x\end{document}"
    with pytest.raises(TexFailed, match="did not finish within 3 s"):
        tex_build.compile_pdf(spinning, tmp_path / "x.pdf")
    time.sleep(0.5)
    survivors = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(scratch) in os.readlink(entry / "cwd") and _parent_of(int(entry.name)) is not None:
                    survivors.append((entry.name, (entry / "comm").read_text().strip()))
            except OSError:
                continue
    for pid, _ in survivors:
        os.kill(int(pid), signal.SIGKILL)
    assert not survivors, f"TeX processes still running after the timeout: {survivors}"
    assert not any(scratch.iterdir())
    assert not (tmp_path / "x.pdf").exists()


_BUILD_1B = [sys.executable, "-c", "from derive.cli import main; main()", "build", "1b", "--out"]


def _build_until_tex_runs(command: list[str], out: Path, seen: str) -> subprocess.Popen:
    """Start ``command`` and return once a file matching ``seen`` shows TeX running (or skip)."""
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(seen)) and time.monotonic() < deadline:
        if build.poll() is not None:
            pytest.skip("the build finished before TeX was seen running")
        time.sleep(0.05)
    return build


def test_a_build_killed_during_tex_publishes_nothing_and_the_next_build_cleans_up(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("TeX Live is not installed")
    out = tmp_path / "out"
    out.mkdir()
    old = {"hw7-p1b.tex": b"old tex", "hw7-p1b.verification.json": b"{}", "hw7-p1b.pdf": b"%PDF-old\n%%EOF\n"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    command = _BUILD_1B + [str(out), "-q"]
    build = _build_until_tex_runs(command, out, ".derive-staging-*/derive-tex-*")
    os.kill(build.pid, signal.SIGKILL)
    build.wait(30)
    assert {name: (out / name).read_bytes() for name in old} == old  # no new .tex beside the old PDF
    assert list(out.glob(".derive-staging-*"))  # what the killed build left …
    again = subprocess.run(command[:-1] + ["-q", "--tex-only"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".derive-staging-*"))  # … the next build removed


def test_sigterm_during_tex_kills_tex_and_removes_its_folders(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("TeX Live is not installed")
    out = tmp_path / "out"
    command = _BUILD_1B + [str(out), "-q"]
    build = _build_until_tex_runs(command, out, ".derive-staging-*/derive-tex-*/*.tex")
    os.kill(build.pid, signal.SIGTERM)
    assert build.wait(30) == 128 + signal.SIGTERM
    survivors = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(out) in os.readlink(entry / "cwd") and _parent_of(int(entry.name)) is not None:
                    survivors.append(int(entry.name))
            except OSError:
                continue
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors
    assert not list(out.glob(".derive-staging-*")) and not (out / "hw7-p1b.tex").exists()
