"""Outputs change together: a build's files appear as a set, or not at all.

Everything is written to a staging folder inside the output folder (same file system, so a rename
is atomic), then renamed into place one after another within microseconds, and a manifest of
their hashes is written last. A build killed before that leaves the old set untouched (its staging
folder is removed by the next build); the manifest tells whether the PDF on disk is the one made
from the current .tex, so a truncated, foreign or corrupt PDF is rebuilt, never "unchanged".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from derive.build import looks_complete, write_atomically

STAGING_PREFIX = ".derive-staging-"
MANIFEST = Path(".cache") / "published.json"


def remove_stale_staging(folder: Path) -> None:
    """Staging folders of builds that were killed (call with the folder's lock held)."""
    for stale in folder.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def scratch_folder(folder: Path) -> Iterator[Path]:
    """A temporary folder inside ``folder`` named like a staging folder, removed afterwards — or,
    if this process is killed, by the next build."""
    path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(folder: Path, files: dict[str, bytes], tex_source: str | None = None) -> None:
    """Replace ``folder/<name>`` for every name in ``files`` as one set; then the manifest.

    ``tex_source``: the .tex a published PDF was made from (recorded so an unchanged source can
    skip TeX next time); None when no PDF is part of this set.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        for name, data in files.items():
            write_atomically(staging / name, data)
        manifest_path = folder / MANIFEST
        old = read_manifest(folder)
        manifest_path.unlink(missing_ok=True)  # until the set is complete it vouches for nothing
        for name in files:
            os.replace(staging / name, folder / name)
        entries = {k: v for k, v in old.items() if k not in files}
        entries.update({name: {"sha256": _sha(data)} for name, data in files.items()})
        if tex_source is not None:
            for name in files:
                if name.endswith(".pdf"):
                    entries[name]["source"] = _sha(tex_source.encode())
        write_atomically(manifest_path, json.dumps(entries, indent=1, sort_keys=True) + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, dict]:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}


def pdf_is_current(folder: Path, pdf_name: str, tex: str) -> bool:
    """The PDF on disk is complete, is the one this folder's manifest recorded, and was made from
    exactly ``tex``."""
    entry = read_manifest(folder).get(pdf_name)
    try:
        pdf = (folder / pdf_name).read_bytes()
    except OSError:
        return False
    return (entry is not None and looks_complete(pdf) and entry.get("sha256") == _sha(pdf)
            and entry.get("source") == _sha(tex.encode()))
