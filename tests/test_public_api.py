"""The authoring API is `derive` itself; the engine never imports the documents; Homework 7 uses
only public names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import derive

ROOT = Path(derive.__file__).resolve().parent
REQUIRED = ("Document", "assume", "Integer", "Real", "Positive", "RealVector", "RealMatrix", "Constraint",
            "Squeeze", "named", "arbitrary")
# Public packages besides `derive` itself a document may import names from (their __all__).
PUBLIC_PACKAGES = ("derive.nn", "derive.nn.net_in_net", "derive.counting")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, node.module, alias.name


def test_every_name_an_author_needs_is_public_and_documented():
    for name in REQUIRED:
        assert name in derive.__all__
    for name in derive.__all__:
        value = getattr(derive, name)
        doc = (value.__doc__ or "").strip()
        # A dataclass without a docstring gets "Name(field: type, …)": that is not documentation.
        assert doc and not doc.startswith(f"{name}("), f"derive.{name} has no docstring"


def test_import_derive_stays_cheap():
    out = subprocess.run([sys.executable, "-c", "import sys, derive; print('sympy' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_engine_never_imports_a_document():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "documents":
            continue
        for line, module, _ in _imports(path):
            if module.startswith("derive.documents"):
                offenders.append(f"{relative}:{line} imports {module}")
    assert offenders == []


def test_homework_7_imports_only_public_names():
    allowed_roots = {"sympy", "numpy", "torch", "mpmath"}
    stdlib = set(sys.stdlib_module_names)
    offenders = []
    for path in (ROOT / "documents" / "hw7").glob("*.py"):
        for line, module, name in _imports(path):
            root = module.split(".")[0]
            where = f"{path.name}:{line}"
            if root in allowed_roots or root in stdlib or root == "__future__":
                continue
            if module.startswith("derive.documents.hw7") or (module == "derive" and name is None):
                continue
            if module == "derive" and name in derive.__all__:
                continue
            if module in PUBLIC_PACKAGES:
                public = getattr(__import__(module, fromlist=["__all__"]), "__all__", None)
                if public is None or name in public or module == "derive.nn.net_in_net":
                    continue
            offenders.append(f"{where}: from {module} import {name}")
    assert offenders == []


@pytest.mark.parametrize("probe", [
    "from derive.core.document import Document",  # a private module: must be caught by the scan
])
def test_the_scan_catches_a_private_import(tmp_path, probe):
    fake = tmp_path / "p9.py"
    fake.write_text(probe + "\n")
    found = list(_imports(fake))
    assert found == [(1, "derive.core.document", "Document")]
    assert not (found[0][1] == "derive" or found[0][1] in PUBLIC_PACKAGES)
