"""Time limits that always work, and a timeout is its own outcome: undecided, never ×."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import numeric, runner, timelimit
from derive.core.checks.result import FAILED, UNDECIDED, MethodResult, combine
from derive.core.document import Problem


def _spin() -> None:
    while True:
        pass


def _answer(x: int) -> int:
    return x + 1


def test_run_with_limit_returns_the_result():
    assert timelimit.run_with_limit(_answer, 41, seconds=30) == 42


def test_run_with_limit_stops_runaway_work_outside_the_main_thread():
    outcome = {}

    def worker():
        started = time.monotonic()
        try:
            timelimit.run_with_limit(_spin, seconds=1)
        except timelimit.CheckTimeout:
            outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(20)
    assert not thread.is_alive()
    assert outcome["seconds"] < 10


def test_time_limit_keeps_a_callers_pending_alarm():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with timelimit.time_limit(5):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30.1  # the kernel rounds up to its clock tick
        assert signal.getsignal(signal.SIGALRM) is not None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def test_time_limit_still_raises_inside_its_block():
    with pytest.raises(timelimit.CheckTimeout):
        with timelimit.time_limit(0.2):
            _spin()


def test_a_numeric_check_out_of_time_is_undecided_not_failed():
    x = sp.Symbol("x", real=True)
    heavy = sp.Sum(sp.sin(x * sp.Symbol("k")) ** 2, (sp.Symbol("k"), 1, 4000))
    method = numeric.check("t.1", heavy, "=", heavy, assume(Real(x)), seconds=0.05)
    assert method.outcome == "timeout"
    assert combine("t.1", [method]).status == UNDECIDED
    assert combine("t.1", [MethodResult("symbolic", "proved", 1.0), method]).status == UNDECIDED
    # a real counterexample still fails
    assert combine("t.1", [method, MethodResult("numeric", "failed", 0.1, "lhs = 1, rhs = 2")]).status == FAILED


def _one_step():
    a = sp.Symbol("a", real=True)
    problem = Problem(1, "P")
    problem.part("a", "A").derivation(assume(Real(a))).step((a + 1) ** 2, "=", a**2 + 2 * a + 1, "expand")
    return list(problem.steps())


def test_a_step_that_never_finishes_is_undecided_and_retried(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "check_step", lambda step: _spin())
    monkeypatch.setattr(runner, "step_seconds", lambda: calls.append(1) or 0.5)
    steps = _one_step()
    seen = []
    results = runner.check_steps(steps, progress=lambda s, r: seen.append(r.status))
    result = results[steps[0].id]
    assert result.status == UNDECIDED
    assert "timed out" in result.message
    assert len(calls) == 2  # tried, then retried with a longer limit
    assert seen == [UNDECIDED]


def test_an_undecided_step_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "check_step", lambda step: _spin())
    monkeypatch.setattr(runner, "step_seconds", lambda: 0.3)
    cache = runner.CheckCache(tmp_path / "checks.json")
    runner.check_steps(_one_step(), cache)
    assert cache.entries == {}


def test_time_limit_restores_a_callers_cpu_timer_too():
    previous = signal.signal(signal.SIGPROF, lambda *_: None)
    try:
        signal.setitimer(signal.ITIMER_PROF, 30)
        with timelimit.time_limit(5):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_PROF)
        assert 25 < remaining <= 30.1  # the kernel rounds up to its clock tick
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def test_the_limit_counts_cpu_time_so_waiting_for_a_busy_machine_is_not_a_timeout():
    started = time.monotonic()
    with timelimit.time_limit(0.5):
        time.sleep(1.0)  # a process that is not scheduled uses no CPU time, like one on a loaded machine
    assert time.monotonic() - started >= 1.0


def test_an_undecided_step_fails_check_and_build_naming_the_step_and_the_timeout(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from derive.cli import main
    import derive.documents.hw7 as hw7
    from derive.core.document import Document

    def one_problem() -> Problem:
        problem = Problem(1, "P")
        a = sp.Symbol("a", real=True)
        problem.part("a", "A").derivation(assume(Real(a))).step((a + 1) ** 2, "=", a**2 + 2 * a + 1, "expand")
        return problem

    def one_document() -> Document:
        document = Document("P", name="hw7")
        document.include(one_problem)
        return document

    monkeypatch.setattr(hw7, "document", one_document)
    monkeypatch.setattr(runner, "check_step", lambda step: _spin())
    monkeypatch.setattr(runner, "step_seconds", lambda: 0.3)
    monkeypatch.chdir(tmp_path)
    for command in (["check", "1", "-q"], ["build", "1", "-q", "--out", "o"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, result.output
        error = [line for line in result.stderr.splitlines() if line.startswith("error:")][0]
        assert error.startswith("error: step p1.a.1 is undecided: its check timed out")
        assert "CPU time" in error and "no counterexample" in error
    assert not (tmp_path / "o" / "hw7-p1.tex").exists()
