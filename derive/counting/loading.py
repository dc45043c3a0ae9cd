"""Where specs come from: the built-in TOML files shipped inside the package, or a user's file.

The built-ins live in ``derive/counting/specs/`` and are read with ``importlib.resources``, so they
work the same from a source checkout, an editable install and the wheel.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from derive.counting.layers import Network
from derive.counting.messages import suggest
from derive.counting.spec import parse_spec
from derive.errors import InputError


def _spec_files() -> dict[str, Traversable]:
    folder = resources.files("derive.counting") / "specs"
    return {
        entry.name.removesuffix(".toml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


@cache
def builtin_specs() -> dict[str, str]:
    """Built-in network names → their one-line descriptions, sorted by name."""
    out: dict[str, str] = {}
    for name, entry in sorted(_spec_files().items()):
        out[name] = str(
            tomllib.loads(entry.read_text(encoding="utf-8")).get("description", "")
        )
    return out


def builtin_spec_text(name: str) -> str:
    """The TOML text of a built-in spec (e.g. to quote it in the PDF)."""
    files = _spec_files()
    if name not in files:
        raise InputError(_unknown_name(name, tuple(sorted(files))))
    return files[name].read_text(encoding="utf-8")


def load_network(name_or_path: str | os.PathLike[str]) -> Network:
    """A resolved network from a built-in name (``"alexnet"``) or a path to a TOML spec.

    A built-in name wins over a file of the same name in the working directory (write
    ``./alexnet`` for the file). A bare word that is neither is reported with the closest
    built-in name; anything else that does not exist is reported as a missing file.
    """
    text_arg = os.fspath(name_or_path)
    files = _spec_files()
    path = Path(text_arg)
    if text_arg in files:
        return parse_spec(files[text_arg].read_text(encoding="utf-8"), text_arg)
    if not path.is_file():
        looks_like_path = (
            path.suffix == ".toml" or os.sep in text_arg or "/" in text_arg
        )
        if looks_like_path or path.exists():
            what = "is not a file" if path.exists() else "no such file"
            raise InputError(
                f"{text_arg}: {what}; give a TOML spec file or a built-in name"
            )
        raise InputError(_unknown_name(text_arg, tuple(sorted(files))))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{text_arg}: not UTF-8 text (byte {exc.start}); save the spec as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(f"{text_arg}: cannot read: {exc.strerror}") from None
    return parse_spec(text, text_arg)


def _unknown_name(name: str, names: tuple[str, ...]) -> str:
    return (
        f"{name}: no such spec file or built-in network{suggest(name, names)}; "
        f"built-ins: {', '.join(names)}"
    )
