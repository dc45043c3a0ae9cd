"""One wall-clock limit (SIGALRM) serves grading's per-answer limit, the comparison's limits
and the mutation harness: waiting counts, a caller's alarm survives, and off the main thread
it is a no-op that says so."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from derive.core.checks.timelimit import wall_time_limit
from derive.grade import diagnose, grader


class Expired(BaseException):
    pass


def test_waiting_counts_against_the_limit():
    started = time.monotonic()
    with pytest.raises(Expired):
        with wall_time_limit(0.2, Expired) as limited:
            assert limited
            time.sleep(5)  # no CPU used: a CPU-time limit would never fire
    assert time.monotonic() - started < 2


def test_the_error_is_made_by_the_caller():
    with pytest.raises(TimeoutError, match="over 0.1 s"):
        with wall_time_limit(0.1, lambda: TimeoutError("over 0.1 s")):
            time.sleep(5)


def test_a_callers_pending_alarm_and_handler_survive():
    fired = []

    def handler(*_):
        fired.append(True)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with wall_time_limit(5, Expired):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30.1
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def test_nothing_fires_after_the_block():
    with wall_time_limit(0.05, Expired):
        pass
    time.sleep(0.2)  # the alarm was disarmed: nothing is raised here
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_off_the_main_thread_it_is_a_no_op_and_says_so():
    seen = []

    def work():
        with wall_time_limit(0.05, Expired) as limited:
            time.sleep(0.2)
            seen.append(limited)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert seen == [False]


def test_grading_the_comparison_and_the_harness_use_it():
    # the three copies are gone: each of them is this helper with its own error
    assert not hasattr(grader, "_answer_time_limit")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        import mutate
    finally:
        sys.path.pop(0)
    for limit, error in ((diagnose._time_limit, diagnose._OutOfTime), (mutate.time_limit, mutate.Timeout)):
        with pytest.raises(error):
            with limit(0.1):
                time.sleep(5)
