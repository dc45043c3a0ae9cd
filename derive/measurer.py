"""A document's figures measured in a background process while the build checks its steps.

Measuring (torch, networks) and checking (SymPy, in worker processes) do not depend on each
other, but the problems are built with their figures, so a cold build used to measure first and
check after. Now the build first makes its problems from the figures already cached (a missing
one is "not measured yet"), starts this process to build again the problems that missed a figure,
with every figure measured into the cache, checks the steps meanwhile, and then builds those
problems once more from the full cache (derive.pipeline). Torch is then never imported into the
build's own process, so the check workers forked from it stay small too.

The process is a fork: it inherits the loaded document, and dies with the build (a build killed
by any signal leaves no measurer behind). Whatever goes wrong in it only costs time: a figure it
did not store is measured by the build itself, and an error is raised there, as before.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from derive.core.document import Document


class Measurer:
    """The background process; ``wait`` for it, and always ``stop`` it (a no-op once it ended)."""

    def __init__(self, pid: int, reads: Path) -> None:
        self.pid = pid
        self.status: int | None = None
        self.reads = reads  # where it lists the files it read (inputs of the build, derive.uptodate)

    def wait(self) -> bool:
        """Block until it ends; True if it stored every figure it was asked for."""
        if self.status is None:
            _, status = os.waitpid(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
            self._collect_reads()
        return self.status == 0

    def _collect_reads(self) -> None:
        from derive import uptodate

        try:
            uptodate.note_read(json.loads(self.reads.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass
        finally:
            self.reads.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.status is not None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.wait()


def start(document: Document, parts: Sequence[str], cache: Path) -> Measurer | None:
    """Fork a process that builds ``document``'s problems selected by ``parts`` (those that
    missed a figure) with their figures measured into ``cache``; None where processes cannot be
    forked (the build then measures itself)."""
    if not hasattr(os, "fork") or not fork_is_safe():
        return None
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the child's copy of a pending buffer could be written twice
        except (OSError, ValueError):
            pass
    # A signal handled while fork runs its handlers (logging's lock) would be lost and leave that
    # lock held: hold SIGINT and SIGTERM until the fork is done (the build then handles them).
    held = {signal.SIGINT, signal.SIGTERM}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return Measurer(pid, _reads_path(cache, pid))
    code = 1
    try:  # the child: never returns into the build's code
        _die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle; it kills us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        _keep_memory_small()
        from derive.core import measurements

        measurements.use_cache(cache)
        document.select(parts)
        _report_reads(_reads_path(cache, os.getpid()))
        code = 0
    except BaseException:  # noqa: BLE001 - reported by the build, which measures again itself
        code = 1
    finally:
        os._exit(code)


#: Modules whose thread pool (torch's GNU OpenMP) a forked child cannot use: the pool's
#: threads are not copied, so the child's first parallel call waits for them forever. A notebook or
#: a test that ran torch before building would hang the build.
THREAD_POOL_MODULES = ("torch",)


def fork_is_safe() -> bool:
    """Whether this process may fork a measurer: none of the thread-pool libraries is loaded (the
    command line never loads them before the fork; an interactive session may have)."""
    return not any(name in sys.modules for name in THREAD_POOL_MODULES)


def _reads_path(cache: Path, pid: int) -> Path:
    return cache.with_name(f".measurer-{pid}.reads.json")


def _report_reads(path: Path) -> None:
    """In the measurer: the files it read while measuring (a figure's data is an input of the
    build like any file the document reads), for the build to record."""
    from derive import uptodate

    read = uptodate.watched()
    if read is not None:
        path.write_text(json.dumps(read), encoding="utf-8")


#: Blocks of at least this many bytes are mapped for themselves and returned when freed (glibc's
#: M_MMAP_THRESHOLD; its default grows up to 32 MB as blocks are freed). Why: with big blocks in
#: the heap, Problem 3's float64 networks (an 11.8 MB im2col buffer per chunk of images) fragmented
#: it so that, depending on the address layout, about one run in three peaked 100 MB higher.
#: 8 MB sends those buffers (and float64 copies of fc1) to their own mappings.
MMAP_THRESHOLD = 8 << 20


def _keep_memory_small() -> None:
    """In the measurer: its memory counts towards the build's, beside the check workers'. (The
    objects it inherits are kept out of its garbage collections by the build: see
    derive.pipeline.)"""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
        except (OSError, AttributeError):
            pass  # another C library: its own allocator's habits


def _die_with_parent(parent: int) -> None:
    """End when the build ends, however it ends (PR_SET_PDEATHSIG on Linux, a watcher elsewhere)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the build ended before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="derive-measurer-watch").start()
