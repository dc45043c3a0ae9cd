"""One build at a time per output folder: an advisory lock that says who holds it.

Two builds into one folder used to interleave (the PDF of one beside the .tex of the other). The
lock is released by the operating system when its holder ends, however it ends, so a killed build
never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from derive.errors import InputError

LOCK_NAME = ".derive.lock"


class FolderBusy(InputError):
    """Another derive build is writing to the same folder. Exit 2."""


def _try_lock(handle) -> bool:
    if os.name == "posix":
        import fcntl

        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return True
    except OSError:  # pragma: no cover
        return False


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; FolderBusy (one line naming the holder) if taken.

    The lock file is removed on release, so a finished build leaves nothing behind; a lock taken
    on a file that was removed meanwhile is taken again on the new file.
    """
    path = folder / LOCK_NAME
    while True:
        handle = open(path, "a+")
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip()[:200] or "another process"
            handle.close()
            raise FolderBusy(f"{folder} is in use by another derive build ({holder}); "
                             "wait for it to finish or choose another folder with --out")
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()  # its holder removed the file as we opened it: lock the new one
    try:
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        command = " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:120]
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}: {command}\n")
        handle.flush()
        yield
    finally:
        try:
            path.unlink()
        except OSError:
            pass
        handle.close()  # closing releases the lock
