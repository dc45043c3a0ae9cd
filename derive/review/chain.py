"""Cut one piece of maths into statements, and each statement into sides and relations.

A row ``A = B \\le C`` is one statement with the links A = B and B ≤ C. Statements on one row
are separated by ``\\quad``, ``;``, a comma that does not group digits, or prose in ``\\text{…}``
between formulas (``\\text{since } …``, ``\\text{ where } x_j := …``); display rows by ``\\\\``.
A statement that starts with a relation continues the previous chain. A ``\\text{…}`` that
stands alone as a side (``\\text{Linear layers total} = 2 \\times …``) is a quantity named in
words. Only brackets at the top level are split: ``\\sum_{i=1}`` holds no relation.

Decorations removed before parsing, each documented here and never guessed at: ``&``,
``\\blacksquare``/``\\square``/``\\qed``/``\\Box``, ``\\label``/``\\tag``/``\\nonumber``,
``\\underbrace{X}_{note}`` and ``\\overbrace{X}^{note}`` (kept: X), a leading item label such as
``1.(a)`` or ``(b)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# relation as written → the engine's relation, or None for one that is read but not checked
RELATIONS: dict[str, str | None] = {
    "=": "=", ":=": "def", r"\coloneqq": "def", r"\eqqcolon": None, r"\triangleq": "def",
    r"\leq": "<=", r"\le": "<=", r"\leqslant": "<=", "≤": "<=", "<": "<", r"\lt": "<",
    r"\geq": ">=", r"\ge": ">=", r"\geqslant": ">=", "≥": ">=", ">": ">", r"\gt": ">",
    r"\neq": None, r"\ne": None, "≠": None, r"\approx": None, "≈": None, r"\sim": None,
    r"\simeq": None, r"\cong": None, r"\equiv": None, r"\propto": None, r"\to": None,
    r"\rightarrow": None, r"\longrightarrow": None, "→": None, r"\Rightarrow": None,
    r"\implies": None, r"\Longrightarrow": None, "⇒": None, r"\Leftarrow": None,
    r"\impliedby": None, r"\iff": None, r"\Leftrightarrow": None, r"\Longleftrightarrow": None,
    r"\leftarrow": None, r"\longleftarrow": None, "←": None, r"\mapsto": None, r"\in": None,
    r"\notin": None, r"\subset": None, r"\supset": None, r"\subseteq": None,
    r"\supseteq": None, r"\ll": None, r"\gg": None, r"\xrightarrow": None, r"\xleftarrow": None,
}  # fmt: skip
_DROP = re.compile(
    r"\\(?:blacksquare|square|qed|Box|blacktriangleleft|nonumber|notag)(?![A-Za-z])"
    r"|\\(?:label|tag)\*?\{[^{}]*\}|&"
)
# "1.(a)", "2.", "(b)" before the maths; never the "0." of a number such as 0.1
_ITEM_LABEL = re.compile(r"\A\s*(?:\d+\s*\.(?!\d)\s*(?:\(\s*[a-z]\s*\))?|\(\s*[a-z]\s*\)(?=\s))\s*")
_PROSE_MACROS = ("text", "mbox", "textrm", "textit", "textbf", "textnormal", "hbox")
_SEPARATOR_MACROS = ("quad", "qquad")
# One-word \text{…} that is prose, not a quantity's name.
_WORDS = frozenset(
    "since where let for if and so then with as of is each all true false clearly hence thus"
    " else when by since because therefore or iff given define note".split()
)
_DOTS = re.compile(r"\\[lc]?dots|\\ldots|…")
_OPEN = "({["
_CLOSE = ")}]"


@dataclass
class Side:
    """One side of a relation: maths as written, or a quantity named in words."""

    text: str
    prose: bool = False


@dataclass
class Statement:
    """sides[0] rels[0] sides[1] rels[1] …; ``continues``: it began with a relation, so
    rels[0] links the previous chain's last side to sides[0]."""

    sides: list[Side] = field(default_factory=list)
    rels: list[str] = field(default_factory=list)
    continues: bool = False
    lead: str = ""  # prose just before it (a "let" or "where" makes a definition)
    index_range: bool = False  # "i = 1, …, n": a range of an index, not a claim


def clean(text: str) -> str:
    """Remove the documented decorations; keep the maths they decorate."""
    text = _DROP.sub(" ", text)
    for macro, script in (("underbrace", "_"), ("overbrace", "^")):
        text = _strip_brace_note(text, macro, script)
    return text


def strip_item_label(text: str) -> tuple[str, str]:
    """``1.(a) \\lim …`` → (``\\lim …``, ``1.(a)``): an exercise label is not maths."""
    match = _ITEM_LABEL.match(text)
    if not match or not match.group(0).strip():
        return text, ""
    return text[match.end():], match.group(0).strip()


def _strip_brace_note(text: str, macro: str, script: str) -> str:
    needle = "\\" + macro
    out, position = [], 0
    while (start := text.find(needle, position)) >= 0:
        out.append(text[position:start])
        group = _brace_group(text, start + len(needle))
        if group is None:
            out.append(needle)
            position = start + len(needle)
            continue
        inner, after = group
        out.append("{" + inner + "}")
        rest = after
        while rest < len(text) and text[rest] == " ":
            rest += 1
        if text.startswith(script, rest):
            note = _brace_group(text, rest + 1)
            after = note[1] if note else after
        position = after
    out.append(text[position:])
    return "".join(out)


def _brace_group(text: str, position: int) -> tuple[str, int] | None:
    """The content of the {…} group starting at ``position`` (after spaces), and the end."""
    while position < len(text) and text[position] == " ":
        position += 1
    if position >= len(text) or text[position] != "{":
        return None
    depth = 0
    for index in range(position, len(text)):
        ch = text[index]
        if ch == "\\":
            continue
        if ch == "{" and text[index - 1] != "\\":
            depth += 1
        elif ch == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[position + 1 : index], index + 1
    return None


_MACRO = re.compile(r"\\([A-Za-z]+|.)")


def tokens(row: str) -> list[tuple[str, str]]:
    """Top-level tokens of a row: ("math", text), ("rel", relation), ("text", words), ("sep", _)."""
    out: list[tuple[str, str]] = []
    buffer: list[str] = []
    depth, i, n = 0, 0, len(row)

    def flush() -> None:
        if "".join(buffer).strip():
            out.append(("math", "".join(buffer)))
        buffer.clear()

    while i < n:
        ch = row[i]
        if ch == "\\":
            match = _MACRO.match(row, i)
            name = match.group(1) if match else ""
            raw = match.group(0) if match else "\\"
            end = match.end() if match else i + 1
            if name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"):
                delimiter = _MACRO.match(row, end) if row[end:end + 1] == "\\" else None
                stop = delimiter.end() if delimiter else min(end + 1, n)
                depth = depth + 1 if name.endswith(("left", "l")) else max(depth - 1, 0)
                buffer.append(row[i:stop])
                i = stop
                continue
            if name in ("{", "lvert", "langle", "lfloor", "lceil"):
                depth += 1
            elif name in ("}", "rvert", "rangle", "rfloor", "rceil"):
                depth = max(depth - 1, 0)
            elif depth == 0 and name in _PROSE_MACROS:
                group = _brace_group(row, end)
                if group is not None:
                    words, after = group
                    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", words) and words.lower() not in _WORDS:
                        buffer.append(row[i:after])  # \text{conv1}: a name, read as maths
                    else:
                        flush()
                        out.append(("text", words.strip()))
                    i = after
                    continue
            elif depth == 0 and name in _SEPARATOR_MACROS:
                flush()
                out.append(("sep", raw))
                i = end
                continue
            elif depth == 0 and raw in RELATIONS:
                flush()
                if name in ("xrightarrow", "xleftarrow"):  # its label is a note, not maths
                    optional = re.match(r"\s*\[[^\]]*\]", row[end:])
                    end += optional.end() if optional else 0
                    group = _brace_group(row, end)
                    end = group[1] if group else end
                out.append(("rel", raw))
                i = end
                continue
            buffer.append(raw)
            i = end
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            two = row[i:i + 2]
            if two in (":=", "<=", ">=") :
                flush()
                out.append(("rel", {":=": ":=", "<=": r"\le", ">=": r"\ge"}[two]))
                i += 2
                continue
            if ch in "=<>≤≥≠≈→⇒←":
                flush()
                out.append(("rel", ch))
                i += 1
                continue
            if ch == ";" or (ch == "," and not _digit_group(row, i)):
                flush()
                out.append(("sep", ch))
                i += 1
                continue
        buffer.append(ch)
        i += 1
    flush()
    return out


def _digit_group(row: str, i: int) -> bool:
    """A comma between digits that groups thousands (655,566,528) is part of a number."""
    return i > 0 and row[i - 1].isdigit() and re.match(r"\d{3}(?!\d)", row[i + 1:i + 5]) is not None


def statements(row: str) -> list[Statement]:
    """The statements of one display row (or one inline formula), in order."""
    toks = tokens(row)
    result: list[Statement] = []
    current = Statement()
    lead: list[str] = []

    def close() -> None:
        nonlocal current
        if current.sides or current.rels:
            result.append(current)
        current = Statement()

    def expecting_side() -> bool:
        return len(current.sides) < len(current.rels) + (0 if current.continues else 1)

    def begin() -> None:
        if not current.sides and not current.rels:
            current.lead = " ".join(lead)
            lead.clear()

    for index, (kind, value) in enumerate(toks):
        before = toks[index - 1][0] if index else "sep"
        after = toks[index + 1][0] if index + 1 < len(toks) else "sep"
        empty = not current.sides and not current.rels
        if kind == "sep":
            close()
        elif kind == "text":
            if (before == "rel" or empty) and (after == "rel" or (before == "rel" and after == "sep")):
                begin()
                current.sides.append(Side(value, prose=True))
            else:
                close()
                lead.append(value)
        elif kind == "rel":
            if empty:
                begin()
                current.continues = True
            elif expecting_side():
                current.sides.append(Side(""))  # two relations in a row: nothing between
            current.rels.append(value)
        elif expecting_side():
            begin()
            current.sides.append(Side(value))
        else:
            current.sides[-1].text += " " + value  # maths straight after a side: same side
    close()
    for first, second in zip(result, result[1:]):
        # "i = 1, \dots, n" names the range of an index; it claims nothing
        if len(first.rels) == 1 and not second.rels and _DOTS.search(second.sides[0].text if second.sides else ""):
            first.index_range = True
    return result


def relation_of(raw: str) -> str | None:
    return RELATIONS.get(raw)
