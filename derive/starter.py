"""The small working document ``derive new FILE.py`` writes, for an author to start from."""

from __future__ import annotations

from pathlib import Path

from derive.errors import InputError

STARTER = '''\
"""My first derive document: build it with `derive build {name}`."""

import sympy as sp

import derive as dv

x = sp.Symbol("x", real=True)
n = sp.Symbol("n", integer=True, positive=True)


def document() -> dv.Document:
    doc = dv.Document("My derivations", author="Me")
    p = doc.problem("A square and a derivative", "Expand a square, then differentiate x^n.")
    a = p.part("a", "Expanding a square")
    d = a.derivation(dv.assume(dv.Real(x)))
    step = d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "multiply out")
    a.result("square", "the square of x + 1", step)
    b = p.part("b", "The power rule")
    e = b.derivation(dv.assume(dv.Integer(n, 1, 6), dv.Real(x, 1, 3)))
    e.step(sp.Derivative(x**n, x), "=", n * x ** (n - 1), "the power rule")
    return doc
'''


def write_starter(path: Path, overwrite: bool = False) -> None:
    """Write the starter document to ``path`` (a .py file); never overwrite unless asked."""
    if path.suffix != ".py":
        raise InputError(f"{path}: a document is a Python file; use a name ending in .py")
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; choose another name (derive new never overwrites a file)")
    path.write_text(STARTER.format(name=path.name))
