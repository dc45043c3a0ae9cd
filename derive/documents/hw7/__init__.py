"""Homework 7 of a deep-learning theory course, as a derive document: one module per problem.

Written with the public API only (``import derive as dv``); ``derive build`` with no document
file builds this one. The torch helpers that measure its figures (``smallnet``,
``conv_torch``, ``net_in_net_torch``) live here too: they belong to this document, not to the engine.
"""

from __future__ import annotations

import importlib

import derive as dv

TITLE = "Homework 7: Mathematical Foundations of Deep Neural Networks"
AUTHOR = "Derived and checked by derive"
NAME = "hw7"

#: The problem modules in order; each defines ``problem()`` returning Problem n.
PROBLEM_MODULES: tuple[str, ...] = (
    "p1_softmax",
    "p2_counting",
    "p3_bn_fold",
    "p4_conv_backprop",
    "p5_net_in_net",
)


def _builder(module: str):
    def build() -> dv.Problem:
        # Imported only when the problem is selected, so `derive check 1` stays quick.
        return importlib.import_module(f"{__name__}.{module}").problem()

    return build


def document() -> dv.Document:
    """Homework 7, its problems built on demand."""
    doc = dv.Document(TITLE, author=AUTHOR, name=NAME)
    for module in PROBLEM_MODULES:
        doc.include(_builder(module))
    return doc
