"""Show a review: a terminal table, JSON, and the annotated LaTeX for the PDF.

In the LaTeX every piece of student text goes through :func:`derive.render.escape.escape`, and
maths is reprinted from the parsed SymPy objects by derive's printer; a side that was not
parsed is shown as escaped text in typewriter type, never as the student's raw LaTeX.
"""

from __future__ import annotations

import re
import shutil

import sympy as sp

from derive.render.environment import environment
from derive.render.escape import Tex, escape
from derive.render.printer import RELATION_TEX, to_latex
from derive.review.chain import RELATIONS
from derive.review.review import DEFINITION, NOT_CHECKED, WRONG, LinkVerdict, Review

_MARK = {
    "verified": "ok", "numeric-only": "~ ", WRONG: "XX", DEFINITION: ":=", NOT_CHECKED: "--",
}  # fmt: skip
_TEX_MARK = {
    "verified": Tex(r"\statusverified"), "numeric-only": Tex(r"\statusnumeric"),
    WRONG: Tex(r"\statusfailed"), DEFINITION: Tex(r"\statusdefinition"),
    NOT_CHECKED: Tex(r"\statusnotchecked"),
}  # fmt: skip


def summary_line(review: Review) -> str:
    counts = review.counts()
    reasons = ", ".join(f"{n} {reason}" for reason, n in review.not_checked_by_reason().items())
    text = (f"{len(review.links)} links: {counts['verified']} verified, {counts['numeric-only']} numeric-only, "
            f"{counts[WRONG]} wrong, {counts[DEFINITION]} definitions, {counts[NOT_CHECKED]} not checked")
    return text + (f" ({reasons})" if reasons else "")


def first_wrong_line(review: Review) -> str:
    link = review.first_wrong
    if link is None:
        return "no link was found wrong"
    return f"first wrong link: line {link.line}: {link.relation}  —  {link.note}"


def terminal_lines(review: Review, width: int | None = None) -> list[str]:
    width = width or shutil.get_terminal_size((120, 24)).columns
    room = max(30, width - 24)
    lines = [first_wrong_line(review), summary_line(review)]
    lines += [f"note: line {line}: {text}" for line, text in review.notes]
    lines += ["", f"{'line':>5} {'':2} {'verdict':<13} relation / note"]
    for link in review.links:
        lines.append(f"{link.line:>5} {_MARK[link.verdict]} {link.verdict:<13} {_clip(link.relation, room)}")
        if link.note:
            lines.append(f"{'':>22}{_clip(link.note, room)}")
    return lines


def to_json(review: Review) -> list[dict]:
    return [link.to_json() for link in review.links]


def _clip(text: str, room: int) -> str:
    text = _printable(text)
    return text if len(text) <= room else text[: room - 1] + "…"


def _printable(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# -- LaTeX ---------------------------------------------------------------------------------------
def _side_tex(expr: sp.Basic | None, written: str, names: dict | None = None) -> Tex:
    if expr is not None:
        return Tex(f"${to_latex(expr, names)}$")
    if not written:
        return Tex(r"\ldots{}")
    return Tex(r"\texttt{" + escape(_printable(written)[:200]) + "}")


def _relation_tex(link: LinkVerdict) -> Tex:
    engine = link.rel or RELATIONS.get(link.written_rel) or ""
    if engine in RELATION_TEX:
        return Tex(f"${RELATION_TEX[engine]}$")
    return Tex(r"\texttt{" + escape(link.written_rel or "?") + "}")


def link_view(link: LinkVerdict, names: dict | None = None) -> dict:
    return {
        "line": str(link.line),
        "mark": _TEX_MARK[link.verdict],
        "verdict": link.verdict,
        "lhs": _side_tex(link.lhs if link.rel else None, link.lhs_text, names),
        "rel": _relation_tex(link),
        "rhs": _side_tex(link.rhs if link.rel else None, link.rhs_text, names),
        "note": escape(_printable(link.note)[:400]),
    }


def render_tex(review: Review) -> str:
    template = environment().get_template("review.tex.j2")
    # a defined function's placeholder shows as the student wrote it: escaped text, in maths
    names = {symbol: r"\text{\texttt{" + escape(written) + "}}" for symbol, written in review.display_names.items()}
    counts = review.counts()
    first = review.first_wrong
    return template.render(
        file=review.path,
        summary=summary_line(review),
        counts=counts,
        first_wrong=(f"line {first.line}: {_printable(first.note)}" if first else ""),
        links=[link_view(link, names) for link in review.links],
    )
