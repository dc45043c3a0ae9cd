"""A time limit for a block of pure-Python work (SymPy), by an interval timer.

SymPy's simplify and limit can run for minutes; a thread cannot be stopped, but SIGALRM
interrupts the main thread of the (worker) process between bytecodes.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class CheckTimeout(BaseException):
    """The check ran out of its time limit.

    A BaseException, so that SymPy's own ``except Exception`` blocks cannot swallow it and keep
    running past the limit.
    """


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        # Signals reach only the main thread; elsewhere run without a limit rather than fail.
        yield
        return

    def _expired(signum, frame):  # noqa: ARG001
        raise CheckTimeout(f"ran out of its {seconds:g} s limit")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
