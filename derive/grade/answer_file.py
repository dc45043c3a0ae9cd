"""Read one answer file, whatever is at its path, into ``id → answer text`` or one InputError.

Why so careful: the files come from students. A FIFO named ``f.toml`` would block ``open`` for
ever, a link to ``/dev/zero`` would be read until memory runs out, a 5000-deep TOML array or a
5000-level dotted key would exhaust Python's stack, and a 5000-digit integer trips Python's
integer-string limit. Here only a regular file is read (opened non-blocking, checked with fstat),
at most ``MAX_BYTES`` of it, and every failure of the TOML reader is a readable error.

Ids contain dots, so both forms work: ``"p2.conv.macs" = "655,566,528"`` and the nested
``[p2.conv] macs = 655566528``; writing the same id both ways is an error, not a silent merge.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

from derive.errors import InputError
from derive.grade.safe_text import shown

__all__ = ["MAX_ANSWERS", "MAX_BYTES", "read_answers", "read_regular_file"]

MAX_BYTES = 1 << 20  # an answer file is a few hundred bytes; a megabyte is generous
MAX_ANSWERS = 1000
MAX_KEY_PARTS = 8  # p2.conv.macs has 3


def _where(path: Path) -> str:
    return shown(path, 300)


def read_regular_file(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file (links are followed) of at most ``limit``
    bytes; otherwise InputError. Never blocks on a FIFO or a device."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{_where(path)}: no such answer file") from None
    except IsADirectoryError:
        raise InputError(f"{_where(path)}: a folder, not an answer file") from None
    except OSError as error:
        raise InputError(f"{_where(path)}: cannot read it ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{_where(path)}: a folder, not an answer file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{_where(path)}: not a regular file (a pipe, device or socket); skipped")
        if info.st_size > limit:
            raise InputError(f"{_where(path)}: {info.st_size} bytes, more than an answer file "
                             f"may have ({limit}); skipped")
        chunks, total = [], 0
        while total <= limit:  # the size may change while reading: never trust it alone
            chunk = os.read(fd, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(f"{_where(path)}: more than {limit} bytes; skipped")
        return b"".join(chunks)
    except OSError as error:
        raise InputError(f"{_where(path)}: cannot read it ({error.strerror})") from None
    finally:
        os.close(fd)


def read_answers(path: Path) -> dict[str, str]:
    """id → answer text, or InputError naming the file and what is wrong with it."""
    raw = read_regular_file(path)
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Notepad writes one) is fine
    except UnicodeDecodeError:
        raise InputError(f"{_where(path)}: not UTF-8 text; save the answers as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{_where(path)}: not valid TOML ({shown(error, 120)}); quote answers, "
                         'e.g. "p2.conv.macs" = "655566528"') from None
    except RecursionError:
        raise InputError(f"{_where(path)}: TOML nested too deeply") from None
    except (ValueError, MemoryError) as error:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{_where(path)}: not readable TOML ({shown(error, 120)})") from None
    answers = _flatten(data, path)
    if not answers:
        raise InputError(f'{_where(path)}: no answers in this file; write lines like "p2.conv.macs" = "655566528"')
    return answers


def _flatten(data: dict, path: Path) -> dict[str, str]:
    """Nested tables to dotted ids in file order, with an explicit stack: a 5000-level key
    cannot exhaust Python's."""
    answers: dict[str, str] = {}
    stack: list[tuple[tuple[str, ...], Iterator[tuple[str, object]]]] = [((), iter(data.items()))]
    while stack:
        prefix, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        key, value = item
        parts = (*prefix, key)
        name = ".".join(parts)
        if isinstance(value, dict):
            if len(parts) >= MAX_KEY_PARTS:
                raise InputError(f"{_where(path)}: an id nested more than {MAX_KEY_PARTS} levels "
                                 f"deep ({shown(name)}); ids look like p2.conv.macs")
            stack.append((parts, iter(value.items())))
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"{_where(path)}: the answer to {shown(name)} is a {type(value).__name__}; "
                             "give a number or a quoted expression")
        if name in answers:
            raise InputError(f"{_where(path)}: {shown(name)} is answered twice (once as a quoted "
                             "id, once in a table); keep one")
        if len(answers) >= MAX_ANSWERS:
            raise InputError(f"{_where(path)}: more than {MAX_ANSWERS} answers")
        answers[name] = value if isinstance(value, str) else repr(value)
    return answers
