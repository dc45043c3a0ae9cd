"""A build in a process that already ran torch (a notebook, a test session) measures in its own
process: a forked measurer would inherit torch's OpenMP pool without its threads and wait for them
forever (this hung the test suite once)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from derive import measurer

SCRIPT = textwrap.dedent("""
    import sympy as sp, torch
    import derive as dv
    from derive import pipeline

    torch.set_num_threads(2)
    torch.nn.functional.conv2d(torch.ones(4, 3, 64, 64, dtype=torch.float64), torch.ones(8, 3, 5, 5, dtype=torch.float64))  # starts the pool

    x = sp.Symbol("x", real=True)

    def compute():
        out = torch.nn.functional.conv2d(torch.ones(4, 3, 64, 64, dtype=torch.float64), torch.ones(8, 3, 5, 5, dtype=torch.float64))
        return float(out.sum())

    def build():
        problem = dv.Problem(1, "One", ("A statement.",))
        part = problem.part("a", "Sum")
        try:  # a first build of the problems sees only cached figures
            part.say("measured: ", str(dv.measured("figure", compute)))
        except dv.Unavailable:
            part.say("not measured yet")
        part.derivation(dv.assume(dv.Real(x, -1, 1))).step(2 * x - x, "=", x, "collect")
        return problem

    doc = dv.Document("Measured", author="T")
    doc.include(build)
    options = pipeline.BuildOptions((), __import__("pathlib").Path({out!r}), tex_only=True, name="m", document=doc)
    pipeline.build(options)
    print("built")
""")


def test_a_build_after_torch_ran_finishes(tmp_path):
    if importlib.util.find_spec("torch") is None:  # not importorskip: this process stays torch-free
        pytest.skip("torch is not installed")
    script = SCRIPT.format(out=str(tmp_path / "out"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "built" in done.stdout


def test_no_measurer_is_forked_where_a_thread_pool_library_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", object())
    assert not measurer.fork_is_safe()
