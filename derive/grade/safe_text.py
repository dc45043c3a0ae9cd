"""Text from answer files, made safe to echo: to a terminal, and to a spreadsheet.

Why: an answer file is written by someone else. An id or answer holding ``ESC[2J`` clears the
grader's terminal when echoed, one holding 10,000 characters buries the message that matters,
and a CSV cell starting with ``=`` is run as a formula by the spreadsheet that opens grades.csv.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SHOWN", "csv_cell", "shown"]

MAX_SHOWN = 80  # characters of a value echoed in a message

# C0 and C1 controls, DEL, and the Unicode bidi overrides that reorder what a terminal shows.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def shown(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` with control characters (terminal escapes among them) replaced by ``?`` and cut
    to ``limit`` characters, an ellipsis marking the cut."""
    clean = _CONTROLS.sub("?", str(text))
    if len(clean) > limit:
        clean = clean[: max(limit - 1, 0)] + "…"
    return clean


def csv_cell(text: object) -> str:
    """A cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-`` or ``@`` would make it a
    formula, so such a cell gets a leading apostrophe (the usual neutraliser)."""
    value = str(text)
    return "'" + value if value.startswith(_FORMULA_START) else value
