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
from pathlib import Path
from typing import Any, Callable, Iterator

_cache_path: Path | None = None
_entries: dict[str, Any] | None = None
_skipping = False  # set by not_measuring(): grading and listing results need no figures


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


def measured(key: str, compute: Callable[[], Any]) -> Any:
    """The JSON-able result of ``compute()``, computed once per key, code version and cache file."""
    if _skipping:
        raise Unavailable("measurements are not run when only the results are wanted")
    entries = _load()
    key = f"{key}@{code_digest()}"
    if key not in entries:
        # Entries measured by other versions of the code can never be used again.
        for stale in [k for k in entries if not k.endswith(f"@{code_digest()}")]:
            del entries[stale]
        entries[key] = json.loads(json.dumps(compute()))  # what is returned is what is stored
        if _cache_path is not None:
            try:
                _cache_path.parent.mkdir(parents=True, exist_ok=True)
                temporary = _cache_path.with_suffix(".tmp")
                temporary.write_text(json.dumps(entries, indent=1, sort_keys=True))
                os.replace(temporary, _cache_path)
            except OSError:
                pass  # an unwritable cache costs time on the next run, never this run's result
    return entries[key]


def torch_version() -> str:
    """The installed torch version, for measurement keys; Unavailable when torch is absent."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("torch")
    except PackageNotFoundError:
        raise Unavailable("PyTorch is not installed (pip install 'derive[torch]')") from None
