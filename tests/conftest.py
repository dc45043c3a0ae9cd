"""Shared fixtures: a step factory for the checker tests; the CLI run from a test's own folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from derive.core.step import Step

_ids = itertools.count()


@pytest.fixture
def make_step():
    def make(lhs, rel, rhs, assumptions, rule=None, definitions=(), step_id=None):
        return Step(step_id or f"t.{next(_ids)}", lhs, rel, rhs, (), assumptions, rule=rule,
                    definitions=tuple(definitions))

    return make


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run the test from its own empty folder: whatever a command writes lands there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(in_tmp):
    """``run("grade", path, …)``: the ``derive`` CLI in-process, from the test's own folder;
    returns click's Result (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from derive.cli import main

    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(arg) for arg in args])


def _beside(*parts: str) -> Path | None:
    """``shared/…`` beside the checkout (CI: ../shared), or beside the folder of git worktrees."""
    root = Path(__file__).resolve().parents[1]
    return next((p for p in (root.parent.joinpath(*parts), root.parent.parent.joinpath(*parts)) if p.is_file()), None)


STUDENT_WORKINGS = _beside("shared", "hw7", "student-workings.txt")


@pytest.fixture(scope="session")
def student_workings() -> Path:
    """The real student's transcribed workings; the test is skipped where shared/ is absent."""
    if STUDENT_WORKINGS is None:
        pytest.skip("shared/hw7/student-workings.txt is not beside this checkout (CI has ../shared)")
    return STUDENT_WORKINGS


#: What the fake TeX returns: a PDF that looks complete to the publisher's checks.
FAKE_PDF = b"%PDF-1.5\nfake body\n%%EOF\n"


@pytest.fixture
def fake_tex(monkeypatch):
    """TeX replaced by a function that records the names it typesets and returns ``FAKE_PDF``."""
    from derive import pipeline

    calls = []

    def typeset(tex, name="hw7", scratch=None):
        calls.append(name)
        return FAKE_PDF

    monkeypatch.setattr(pipeline, "typeset", typeset)
    return calls


@pytest.fixture
def exp_first_stand_in(monkeypatch):
    """exp as the first stand-in of an arbitrary function: a claim true for exp only (f' = f)
    must then be refuted by the other stand-ins."""
    import sympy as sp

    from derive.core import functions

    original = functions.stand_in

    def exp_first(kind, nargs, rng):
        if kind == 0:
            u = sp.Symbol("u1", real=True)
            return sp.Lambda((u,), sp.exp(u))
        return original(kind, nargs, rng)

    monkeypatch.setattr(functions, "stand_in", exp_first)
