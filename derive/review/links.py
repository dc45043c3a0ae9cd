"""Turn the pieces of a workings file into links ``A rel B``, each with its line number.

Chains: a statement that starts with a relation continues the chain of the first statement
of the last display row before it (prose in between does not break a chain, as students
write); a statement after words (``\text{since } …``, ``\text{ where } …``) is a remark, not
a chain to continue. When a
display row holds several statements side by side (``A = B \\quad C = D``) and the next row
continues as many (``= B' \\quad = D'``), each continues its own column. Inline maths never
continues a display chain; inline maths or prose that starts with a relation has words for
its left side. A relation written in words on a prose line (``additions = multiplications``)
is a link too, not checked: it is prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.review.chain import Side, Statement, clean, statements, strip_item_label
from derive.review.extract import Piece

# Words after which a formula states a condition, not a claim: "for $i = j$", "if $0 < \gamma$".
CONDITION_WORDS = frozenset("for if when whenever where unless given assuming with else".split())
# "since $A = B$" asserts A = B; "since x_j is the max, $A ≤ B$" rests A ≤ B on words
PREMISE_WORDS = frozenset("since as because".split())
_DEFINING = frozenset(("let", "define", "denote"))
_PROSE_RELATION = re.compile(r"(?<![<>=!:])(=|≤|≥|<|>)(?![=])")


@dataclass
class RawLink:
    line: int
    lhs: Side | None  # None: the left side is words the reader cannot point to
    rel: str
    rhs: Side
    lead: str = ""
    index_range: bool = False
    prose: bool = False  # the relation is written in a line of prose
    continued: bool = False
    first: bool = True  # the first link of its statement
    conditional: bool = False  # stated under a condition given in words


def split_rows(text: str) -> list[tuple[int, str]]:
    """Rows of a display at top-level ``\\\\`` (not inside \\substack{…}), with line offsets."""
    rows, depth, start, i = [], 0, 0, 0

    def first_line(begin: int, end: int) -> int:  # the line where the row's maths starts
        row = text[begin:end]
        return text.count("\n", 0, begin + len(row) - len(row.lstrip()))

    while i < len(text):
        ch = text[i]
        if ch == "\\" and text.startswith("\\\\", i) and depth == 0:
            rows.append((first_line(start, i), text[start:i]))
            i += 2
            start = i
            continue
        if text.startswith("\\begin{", i) or text.startswith("\\end{", i):
            opening = text.startswith("\\begin{", i)
            depth = max(depth + (1 if opening else -1), 0)  # a matrix's rows are not rows
            i += len("\\begin" if opening else "\\end")  # its {name} is counted like any braces
            continue
        if ch == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        depth = max(depth, 0)
        i += 1
    rows.append((first_line(start, len(text)), text[start:]))
    return rows


def build_links(pieces: tuple[Piece, ...], table_lines: set[int]) -> list[RawLink]:
    links: list[RawLink] = []
    columns: list[Side] = []  # last side of each statement of the last display row
    before = ""  # the last word of prose just before a formula ("Let $…$")
    for index, piece in enumerate(pieces):
        lead_word, before = before, ""
        if piece.kind == "prose":
            words = re.findall(r"[A-Za-z]+", piece.text)
            before = words[-1].lower() if words else ""
            if piece.line not in table_lines and _PROSE_RELATION.search(piece.text):
                side = Side(piece.text.strip(), prose=True)
                links.append(RawLink(piece.line, None, "=", side, prose=True))
                columns = [side]
            continue
        if piece.kind == "inline":
            conditional = _inline_condition(pieces, index)
            for statement in statements(clean(piece.text)):
                if not statement.lead and lead_word in _DEFINING:
                    statement.lead = lead_word
                _links_of(statement, None, piece.line, links, conditional=conditional)
            continue
        first = True
        for offset, row in split_rows(piece.text):
            if first:
                row, _label = strip_item_label(row)
                first = False
            found = [s for s in statements(clean(row)) if s.rels or len(s.sides) > 0]
            if not found:
                continue
            line = piece.line + offset
            continuing = [s for s in found if s.continues]
            paired = len(columns) == len(found) and len(continuing) == len(found) and len(found) > 1
            new_columns: list[Side] = []
            conditional = False
            for number, statement in enumerate(found):
                if number == 0 and not statement.lead and lead_word in _DEFINING:
                    statement.lead = lead_word
                # a condition ("\text{For } i=j, …") governs the rest of its row
                conditional = conditional or bool(set(statement.lead.lower().split()) & CONDITION_WORDS)
                previous = None
                if statement.continues:
                    # unpaired, a continuation carries on the main chain: the first column
                    previous = columns[number] if paired else (columns[0] if columns else None)
                last = _links_of(statement, previous, line, links, conditional)
                # a remark ("since …", "where …", "if …") is no chain to continue
                if last is not None and statement.rels and (not statement.lead.strip() or statement.lead in _DEFINING):
                    new_columns.append(last)
            if new_columns:
                columns = new_columns
    return links


def _words(pieces: tuple[Piece, ...], indices: range, line: int, backwards: bool = False) -> list[str]:
    """The words of the prose on ``line`` in the pieces at ``indices``; backwards: nearest first."""
    out: list[str] = []
    for i in indices:
        if pieces[i].line == line and pieces[i].kind == "prose":
            words = [w.lower() for w in re.findall(r"[A-Za-z]+", pieces[i].text)]
            out.extend(reversed(words) if backwards else words)
    return out


def _inline_condition(pieces: tuple[Piece, ...], index: int) -> bool:
    """Is inline maths in a sentence stated under a condition in words? "For $i = j$" (the
    formula is the condition), "…, $A < B$ for all i ≠ j", "Since x_j is the max, $A ≤ B$"
    (a premise in words) — yes; "since $A = B$" (asserted) or a bare "$A = B$" — no."""
    line = pieces[index].line
    before = _words(pieces, range(index - 1, -1, -1), line, backwards=True)  # nearest word first
    after = _words(pieces, range(index + 1, len(pieces)), line)
    if before and before[0] in CONDITION_WORDS:
        return True
    if set(after) & CONDITION_WORDS:
        return True
    if before and before[0] in PREMISE_WORDS:
        return False
    return bool(set(before) & (CONDITION_WORDS | PREMISE_WORDS))


def _links_of(statement: Statement, previous: Side | None, line: int, links: list[RawLink],
              conditional: bool = False) -> Side | None:
    """Links of one statement; returns its last side (what a continuation would continue)."""
    sides = list(statement.sides)
    rels = list(statement.rels)
    if statement.continues:
        sides = [previous] + sides  # type: ignore[list-item]
    if not rels:
        return sides[-1] if sides else None
    for k, rel in enumerate(rels):
        lhs = sides[k] if k < len(sides) else None
        rhs = sides[k + 1] if k + 1 < len(sides) else Side("")
        links.append(RawLink(line, lhs, rel, rhs, statement.lead if k == 0 else "",
                             statement.index_range, continued=statement.continues and k == 0, first=k == 0,
                             conditional=conditional))
    return sides[-1] if sides else None
