"""Time limits for checks: a hard one by process, a soft one by interval timer.

Hard limit (``run_with_limit``, ``Child``): the work runs in a child process and is killed at the
deadline. That works from any thread, in notebooks and on every platform, and a runaway SymPy
call cannot outlive it. The child dies with its parent (``PR_SET_PDEATHSIG`` on Linux, and a
watcher thread that polls the parent everywhere), so killing ``derive`` leaves no orphan.

Soft limit (``time_limit``): a CPU-time timer (SIGPROF) interrupts SymPy between bytecodes inside
the (child) process, so one method can time out and another still run. Where it is unavailable
(Windows, a non-main thread) it is a no-op and the hard limit still holds. A caller's pending
timer and handler are restored afterwards; SIGALRM is left alone. Its wall-clock sibling
(``wall_time_limit``, SIGALRM) serves grading and the mutation harness, where waiting counts.

Both limits count CPU time where the system reports it, so a loaded machine does not turn a
check that needs 3 s into a timeout.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterator

# Multiplies every check limit; retries and slow machines raise it (DERIVE_TIME_SCALE=4 derive …).
_scale = float(os.environ.get("DERIVE_TIME_SCALE", "1") or 1)


class CheckTimeout(BaseException):
    """The check ran out of its time limit.

    A BaseException, so that SymPy's own ``except Exception`` blocks cannot swallow it and keep
    running past the limit.
    """


def scale() -> float:
    """The factor applied to every check's time limit in this process."""
    return _scale


def set_scale(factor: float) -> None:
    global _scale
    _scale = max(float(factor), 0.001)


# The soft limit counts the CPU time of this process (user + system), not the wall clock: a check
# on a loaded machine gets the same work done before its limit as on an idle one.
_TIMER = getattr(signal, "ITIMER_PROF", None)
_SIGNAL = getattr(signal, "SIGPROF", None)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise CheckTimeout in this block after ``seconds`` of CPU time (soft: main thread, POSIX).

    A timer of the same kind that a caller had pending, and its handler, are restored afterwards;
    the wall-clock SIGALRM is never touched.
    """
    if _TIMER is None or threading.current_thread() is not threading.main_thread():
        yield  # no timer here; the process-based limit around the check still applies
        return
    started = time.process_time()
    caller_delay, caller_interval = signal.getitimer(_TIMER)
    caller_due = started + caller_delay if caller_delay > 0 else None
    caller_fired = False

    def _expired(signum, frame):  # noqa: ARG001
        nonlocal caller_fired
        remaining = started + seconds - time.process_time()
        if remaining <= 0.001:
            raise CheckTimeout(f"ran out of its {seconds:g} s limit")
        caller_fired = True  # the caller's timer came first: deliver it when the block ends
        signal.setitimer(_TIMER, remaining)

    previous = signal.signal(_SIGNAL, _expired)
    first = seconds if caller_due is None else min(seconds, caller_delay)
    signal.setitimer(_TIMER, max(first, 1e-6))
    try:
        yield
    finally:
        signal.setitimer(_TIMER, 0)
        signal.signal(_SIGNAL, previous)
        if caller_due is not None:
            left = 1e-6 if caller_fired else max(caller_due - time.process_time(), 1e-6)
            signal.setitimer(_TIMER, left, caller_interval)


@contextmanager
def wall_time_limit(seconds: float, expired: Callable[[], BaseException]) -> Iterator[bool]:
    """Raise ``expired()`` in this block after ``seconds`` of wall-clock time; yields whether a
    limit is in force (SIGALRM: the main thread on POSIX; elsewhere a no-op, and a process
    limit around the work must stop it).

    Wall-clock, unlike :func:`time_limit`: for work whose waiting counts too (grading one
    answer, the mutation harness). A caller's pending alarm and its handler are restored
    afterwards, less the time this block took."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield False
        return
    armed = True

    def on_alarm(signum, frame):  # noqa: ARG001
        if armed:  # an alarm already due as the block ends is dropped, not raised outside it
            raise expired()

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    # setitimer(0) would mean "no timer": the shortest limit is a microsecond.
    caller_delay, caller_interval = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))
    try:
        yield True
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if caller_delay > 0:  # someone else's alarm was pending: give it back what is left
            left = max(caller_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, caller_interval)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by process ``pid``; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# A task that uses no CPU (blocked, sleeping) still ends: after this many times its limit in
# wall-clock time.
WALL_FACTOR = 10.0


def _die_with_parent(parent: int) -> None:
    """In a child: end when the parent ends, however it ends (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:  # other platforms (and a belt to the braces above)
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="derive-parent-watch").start()


def _child_main(parent: int, connection: Connection, fn: Callable[..., Any], args: tuple,
                factor: float) -> None:
    _die_with_parent(parent)
    set_scale(factor)
    _run_and_send(connection, fn, args)
    connection.close()


def _run_and_send(connection: Connection, fn: Callable[..., Any], args: tuple) -> None:
    """Run ``fn(*args)`` and send ("ok", value) or ("error", exception) to the parent."""
    try:
        outcome = ("ok", fn(*args))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        outcome = ("error", _picklable(exc))
    try:
        connection.send(outcome)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result is an error, not a hang
        connection.send(("error", RuntimeError(f"could not return the result: {exc}")))


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.dumps(exc)
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")


def _context() -> multiprocessing.context.BaseContext:
    # fork: the child inherits the work (no pickling of SymPy trees) and SymPy already imported.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class Child:
    """One call ``fn(*args)`` running in a child process, with a deadline."""

    def __init__(self, fn: Callable[..., Any], *args: Any, seconds: float) -> None:
        context = _context()
        self.seconds = seconds
        self.connection, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_child_main, args=(os.getpid(), sender, fn, args, _scale),
                                       daemon=True)
        self.started = time.monotonic()
        self.process.start()
        sender.close()

    @property
    def deadline(self) -> float:
        return self.started + self.seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def ready(self) -> bool:
        return self.connection.poll(0)

    def result(self, wait: float | None = None) -> Any:
        """The result; CheckTimeout if none came within ``wait`` (default: until the deadline)."""
        wait = max(self.deadline - time.monotonic(), 0) if wait is None else wait
        try:
            if not self.connection.poll(wait):
                raise CheckTimeout(f"did not finish within its {self.seconds:g} s limit")
            status, value = self.connection.recv()
        except EOFError:
            raise RuntimeError(f"the check process ended without a result (exit code {self.process.exitcode})") from None
        finally:
            self.kill()
        if status == "error":
            raise value
        return value

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()


def _worker_main(parent: int, connection: Connection, fn: Callable[..., Any], factor: float) -> None:
    _die_with_parent(parent)
    set_scale(factor)
    while True:
        try:
            args = connection.recv()
        except EOFError:
            return
        if args is None:
            return
        _run_and_send(connection, fn, args)


class Worker:
    """A child process that runs ``fn`` on one task at a time, each with its own deadline.

    It stays warm between tasks (SymPy's caches, imports); a task past its deadline is ended by
    killing the worker (the caller starts a new one).
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        context = _context()
        self.connection, child_end = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(os.getpid(), child_end, fn, _scale), daemon=True)
        self.process.start()
        child_end.close()
        self.task: Any = None
        self.started = 0.0
        self.seconds = 0.0

    @property
    def busy(self) -> bool:
        return self.task is not None

    def submit(self, task: Any, args: tuple, seconds: float) -> None:
        self.task, self.seconds, self.started = task, seconds, time.monotonic()
        self.cpu_start = cpu_seconds(self.process.pid)
        self.connection.send(args)

    def used(self) -> float:
        """Seconds this task has used: CPU time where measurable, else wall-clock time."""
        now = cpu_seconds(self.process.pid)
        if now is None or self.cpu_start is None:
            return time.monotonic() - self.started
        return now - self.cpu_start

    def expired(self) -> bool:
        """Past its limit: in CPU time (load does not count against a check), or far past it in
        wall-clock time."""
        elapsed = time.monotonic() - self.started
        return self.used() >= self.seconds or elapsed >= self.seconds * WALL_FACTOR

    def ready(self) -> bool:
        return self.busy and self.connection.poll(0)

    def take(self) -> Any:
        """The finished task's result (or its exception, raised); the worker is idle again."""
        self.task = None
        try:
            status, value = self.connection.recv()
        except EOFError:
            self.kill()
            raise RuntimeError(f"the check process ended without a result (exit code {self.process.exitcode})") from None
        if status == "error":
            raise value
        return value

    def kill(self) -> None:
        self.task = None
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()

    def stop(self) -> None:
        """End an idle worker politely, a busy one by force."""
        if not self.busy and self.process.is_alive():
            try:
                self.connection.send(None)
                self.process.join(2)
            except (OSError, ValueError):
                pass
        self.kill()


def run_with_limit(fn: Callable[..., Any], *args: Any, seconds: float) -> Any:
    """``fn(*args)`` in a child process killed after ``seconds``: CheckTimeout then.

    Works from any thread. With the spawn start method (Windows, macOS default) ``fn`` and
    ``args`` must be picklable.
    """
    return Child(fn, *args, seconds=seconds).result()
