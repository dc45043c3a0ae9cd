"""Load a document: a Python file defining ``document()``, or the built-in default.

A document file is ordinary Python, run like any script the user chose to run (it is the
author's own code, as trusted as a Makefile). What can go wrong there is reported as one line
naming the file and line, with exit code 2: a syntax error, an exception while it runs, no
``document()``, or a ``document()`` that returns something other than a Document.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from derive.errors import AuthoringError, DeriveError, InputError

if TYPE_CHECKING:  # imported where used: is_document_file must not cost a SymPy import
    from derive.core.document import Document

#: The document ``derive`` builds when given no file: named, not imported, by the engine.
BUILTIN = "derive.documents.hw7"


@dataclass(frozen=True)
class Loaded:
    document: Document
    name: str  # what the outputs are called: NAME.tex, NAME.pdf
    source: str  # the file (or module) it came from, for messages


def is_document_file(argument: str) -> bool:
    """True when a command-line argument names a document file rather than a part ('1a')."""
    return argument.endswith(".py") or ("/" in argument and Path(argument).is_file())


def load(path: Path | None = None, name: str | None = None) -> Loaded:
    """The document in ``path`` (or the built-in one), and the name of its outputs."""
    if path is None:
        module = importlib.import_module(BUILTIN)
        document = _call_document(module, BUILTIN)
        return Loaded(document, name or document.name or BUILTIN.rsplit(".", 1)[-1], BUILTIN)
    document = _load_file(Path(path))
    return Loaded(document, name or document.name or _slug(Path(path).stem), str(path))


def _slug(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "document"


def _load_file(path: Path) -> Document:
    if not path.is_file():
        raise InputError(f"{path}: no such document file")
    if path.suffix != ".py":
        raise InputError(f"{path}: a document is a Python file (.py) defining document()")
    module_name = "derive_document_" + _slug(path.stem).replace("-", "_")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"{path}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # helper modules beside the document can be imported
    sys.modules[module_name] = module
    try:
        try:
            spec.loader.exec_module(module)
        except SyntaxError as error:
            raise InputError(f"{path}:{error.lineno}: syntax error: {error.msg}") from None
        except DeriveError:
            raise
        except Exception as error:  # noqa: BLE001 - the author's code: one line, never a traceback
            raise InputError(f"{_where(error, path)}: {type(error).__name__}: {error}") from None
        return _call_document(module, str(path), path)
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)


def _call_document(module, source: str, path: Path | None = None) -> Document:
    from derive.core.document import Document

    function = getattr(module, "document", None)
    if not callable(function):
        raise InputError(f"{source}: defines no document() function returning a derive.Document")
    try:
        document = function()
    except DeriveError:
        raise
    except Exception as error:  # noqa: BLE001 - the author's code: one line, never a traceback
        raise InputError(f"{_where(error, path) if path else source}: {type(error).__name__}: {error}") from None
    if not isinstance(document, Document):
        line = getattr(getattr(function, "__code__", None), "co_firstlineno", 0)
        raise AuthoringError(f"{source}:{line}: document() returned {type(document).__name__}, not a derive.Document")
    return document


def _where(error: BaseException, path: Path | None) -> str:
    """'file:line' of the innermost frame in the document file (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    if path is not None:
        mine = [f for f in frames if Path(f.filename).resolve() == path.resolve()]
        if mine:
            return f"{path}:{mine[-1].lineno}"
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return str(path)
