"""Run one function on many items in worker processes, each item under a wall-clock limit.

Why not ``ProcessPoolExecutor``: it cannot stop one task. A worker stuck in C code (where no
signal-based limit reaches) or killed by the kernel would hang the pool or break it for every
other file. Here each worker is a forked process of our own; when an item overruns its limit the
worker is killed and replaced, and the item gets ``on_failure``'s result. The other items go on.

Workers are forked, so they inherit what the parent loaded (the expected results, SymPy) without
pickling; the function and its arguments need not be picklable, only the results.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Generic, TypeVar

__all__ = ["MEMORY_LIMIT", "run_limited"]

Item = TypeVar("Item")
Result = TypeVar("Result")

MEMORY_LIMIT = 2 << 30  # bytes of address space a worker may add: a runaway answer fails, not the machine


def _limit_memory() -> None:
    """Cap the worker's address space at what the parent had plus MEMORY_LIMIT (relative, as a
    parent that imported torch already maps gigabytes it never touches)."""
    try:
        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + MEMORY_LIMIT
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or limit < soft:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        pass  # no /proc, or a stricter limit already in force: keep it


def _serve(conn: Connection, function: Callable[[Item], Result]) -> None:
    """The worker's loop: receive an item, send its result; None ends the loop."""
    _limit_memory()
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is None:
            return
        conn.send(function(item))


class _Worker(Generic[Item, Result]):
    def __init__(self, context: multiprocessing.context.BaseContext,
                 function: Callable[[Item], Result]) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, function), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.deadline = 0.0

    def give(self, index: int, item: Item, seconds: float) -> None:
        self.index, self.deadline = index, time.monotonic() + seconds
        self.conn.send(item)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(1)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_limited(function: Callable[[Item], Result], items: Sequence[Item], *, jobs: int,
                seconds: float, on_failure: Callable[[Item, str], Result]) -> list[Result]:
    """``[function(item) for item in items]``, computed in ``jobs`` forked workers, in order.

    An item that takes longer than ``seconds`` (wall clock) or whose worker dies gets
    ``on_failure(item, reason)`` instead. ``function`` should not raise: catch what it expects
    and return it as a result; anything else also ends in ``on_failure``.
    """
    context = multiprocessing.get_context("fork")
    results: list[Result | None] = [None] * len(items)
    pending = deque(range(len(items)))
    jobs = max(1, min(jobs, len(items)))
    idle: list[_Worker] = []
    busy: list[_Worker] = []

    def safe(item: Item) -> Result:
        try:
            return function(item)
        except Exception as error:  # noqa: BLE001 - reported as this item's failure row
            return on_failure(item, f"internal error: {type(error).__name__}")

    try:
        while pending or busy:
            while pending and len(idle) + len(busy) < jobs:
                idle.append(_Worker(context, safe))
            while pending and idle:
                worker = idle.pop()
                index = pending.popleft()
                worker.give(index, items[index], seconds)
                busy.append(worker)
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in busy) - now)
            ready = set(wait([w.conn for w in busy], timeout))
            for worker in list(busy):
                index = worker.index
                assert index is not None
                if worker.conn in ready:
                    try:
                        results[index] = worker.conn.recv()
                    except (EOFError, OSError):  # the worker died (out of memory, a signal)
                        results[index] = on_failure(items[index], "the grading process died "
                                                    "(out of memory?)")
                        busy.remove(worker)
                        worker.kill()
                        continue
                    busy.remove(worker)
                    idle.append(worker)
                elif time.monotonic() >= worker.deadline:
                    results[index] = on_failure(items[index], f"took longer than {seconds:g} s; stopped")
                    busy.remove(worker)
                    worker.kill()
    finally:
        for worker in idle:
            worker.stop()
        for worker in busy:
            worker.kill()
    return results  # type: ignore[return-value]


def available_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
