"""Figures measured by running code (precision of BN folding, timings, torch cross-checks).

A measurement is slow (torch, big tensors) and deterministic for a given key, so it is kept in a
JSON file beside the build's other cache and reused until its key changes. Put everything the
result depends on (a version tag of the code, sizes, seeds, the torch version) into the key.
Measurements that need an optional package raise ``Unavailable``; content then says in the PDF
what is missing instead of failing the build.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

_cache_path: Path | None = None
_entries: dict[str, Any] | None = None
_skipping = False  # set by not_measuring(): grading and listing results need no figures
_only_cached: "Missed | None" = None  # set by cached_only(): a miss is noted, not measured
_seconds_measuring = 0.0  # time spent in compute() on cache misses, for the build's phase timings


def seconds_measuring() -> float:
    """Seconds this process has spent computing measurements (cache hits cost nothing here)."""
    return _seconds_measuring


def require(holds: bool, message: str) -> None:
    """A measured check that fails fails the build, like a failed step: never a quiet "no"."""
    if not holds:
        from derive.errors import CheckFailed

        raise CheckFailed(message)


class Unavailable(Exception):
    """A measurement needs something not installed here (say, torch); the message says what."""


def use_cache(path: Path | None) -> None:
    """Where measurements are kept for this build (None: keep nothing)."""
    global _cache_path, _entries
    _cache_path, _entries = path, None


@contextlib.contextmanager
def not_measuring() -> Iterator[None]:
    """Within this block every measurement is Unavailable, so building the document's content
    (for its results, say) runs no torch and writes no cache; content already says "not
    measured here" for an Unavailable figure."""
    global _skipping
    previous, _skipping = _skipping, True
    try:
        yield
    finally:
        _skipping = previous


class Missed:
    """What ``cached_only`` saw: whether some measurement was not in the cache."""

    def __init__(self) -> None:
        self.any = False


@contextlib.contextmanager
def cached_only() -> Iterator[Missed]:
    """Within this block a measurement found in the cache is returned as usual and one that is
    not is Unavailable (and noted in the yielded ``Missed``) instead of being computed here.

    Why: a build can then make its steps at once and check them while another process measures
    (derive.pipeline), instead of waiting for torch first; it builds the content again with the
    figures afterwards."""
    global _only_cached
    previous, _only_cached = _only_cached, Missed()
    try:
        yield _only_cached
    finally:
        _only_cached = previous


def _load() -> dict[str, Any]:
    global _entries
    if _entries is None:
        _entries = {}
        if _cache_path is not None and _cache_path.is_file():
            try:
                loaded = json.loads(_cache_path.read_text())
            except (OSError, ValueError, RecursionError):
                loaded = {}
            # Valid JSON of the wrong shape (a list, null) is as damaged as invalid JSON.
            _entries = loaded if isinstance(loaded, dict) else {}
    return _entries


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the code that measurements run (derive.nn and the built-in documents).

    Part of every key, so editing that code measures again instead of showing stale figures;
    a hand-bumped version tag is easy to forget.
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("nn", "documents"):
        for source in sorted((root / folder).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


#: The entry a build stores when it needed no figure: a document that measures nothing then
#: starts no measurer before its problems are built on the next build (nothing_measured_yet).
NOTHING_TO_MEASURE = "nothing to measure"


def nothing_measured_yet(path: Path) -> bool:
    """Whether the cache at ``path`` holds no figure of the current code: a cold build, which
    will measure (read without parsing the figures; a damaged file counts as empty)."""
    try:
        text = path.read_text()
    except OSError:
        return True
    return f"@{code_digest()}" not in text


def measured(key: str, compute: Callable[[], Any]) -> Any:
    """The JSON-able result of ``compute()``, computed once per key, code version and cache file."""
    global _seconds_measuring
    if _skipping:
        raise Unavailable("measurements are not run when only the results are wanted")
    entries = _load()
    key = f"{key}@{code_digest()}"
    if key not in entries and _only_cached is not None:
        _only_cached.any = True
        raise Unavailable("not measured yet")
    if key not in entries:
        # Entries measured by other versions of the code can never be used again.
        for stale in [k for k in entries if not k.endswith(f"@{code_digest()}")]:
            del entries[stale]
        started = time.perf_counter()
        try:
            entries[key] = json.loads(json.dumps(compute()))  # what is returned is what is stored
        finally:
            _seconds_measuring += time.perf_counter() - started
        if _cache_path is not None:
            try:
                _cache_path.parent.mkdir(parents=True, exist_ok=True)
                temporary = _cache_path.with_suffix(".tmp")
                temporary.write_text(json.dumps(entries, indent=1, sort_keys=True))
                os.replace(temporary, _cache_path)
            except OSError:
                pass  # an unwritable cache costs time on the next run, never this run's result
    return entries[key]


def single_threaded(compute: Callable[[], Any]) -> Callable[[], Any]:
    """``compute`` run with one torch intra-op thread, restoring the setting after.

    Why: build-time measurements are small enough that waking torch's thread pool costs more
    than it saves; on a loaded 2-core machine Problem 5's checks took 2.5 s with two threads and
    0.3 s with one, Problem 3's precision table 17 s and 10 s. One thread also makes the last
    bits of a measured figure independent of the machine's core count. torch is imported only
    when ``compute`` runs (a cache miss); without torch, ``compute`` itself says what is missing.
    """

    def run() -> Any:
        try:
            import torch
        except ImportError:
            return compute()
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return compute()
        finally:
            torch.set_num_threads(before)

    return run


def torch_version() -> str:
    """The installed torch version, for measurement keys; Unavailable when torch is absent."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("torch")
    except PackageNotFoundError:
        raise Unavailable("PyTorch is not installed (pip install 'derive[torch]')") from None
