"""Tables of numbers in the workings, and the per-row quantities named after them.

Students count layer by layer: a table with one row per layer and a formula for one row. The
rules, all three needed before a name is bound (otherwise it stays "undefined name"):

1. A *table* is a run of lines of cells separated by tabs or ``|`` (Markdown pipes; a ``|---|``
   rule is skipped). Its first line is the header: the first cell is the label, ``convolution
   num``, whose first word names the table; every other cell is a column name read by the
   parser (``C_{in}``, ``k_h``). Every later line holds whole numbers, the first being the row
   number.
2. A *row formula* for a table is either ``each $FORMULA$ from table`` on a line of prose (the
   table whose columns include every name of FORMULA; it must be exactly one), or a chain
   ``\\text{Num linear layer multiplications} = FORMULA`` whose words contain the table's word
   (``linear``) and whose FORMULA uses only that table's columns.
3. A *row name* is letters followed by a row number, ``conv1``, ``lin3``: the letters (at least
   three) begin the word of exactly one table that has that row and a row formula. Its value
   is the formula at that row — the student's own formula and numbers, so a slip in a total
   that uses it is the student's, and shows.
4. A *column formula*, ``h_{out} = \\left\\lfloor \\frac{h_{in} - k_h + 2P}{S} + 1 \\right\\rfloor``
   (words may stand between: ``h_{out} = \\text{output width} = …``), names a column of exactly
   one table and uses only its other columns: every row of that table is checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from derive.grade.parser import AnswerParseError, parse_answer
from derive.review.extract import Piece

_EACH = re.compile(r"\beach\s+\$([^$]+)\$\s+from\s+(?:the\s+)?table", re.IGNORECASE)
_ROW_NAME = re.compile(r"([A-Za-z]{3,})(\d+)")
_RULE = re.compile(r"\s*\|?\s*:?-{3,}")


@dataclass
class Table:
    line: int
    word: str
    columns: list[sp.Symbol]
    rows: dict[int, dict[sp.Symbol, sp.Integer]] = field(default_factory=dict)
    row_lines: dict[int, int] = field(default_factory=dict)  # row number → its line in the file
    formulas: list[sp.Expr] = field(default_factory=list)

    def formula(self) -> sp.Expr | None:
        distinct = {sp.srepr(f): f for f in self.formulas}
        return next(iter(distinct.values())) if len(distinct) == 1 else None


def _cells(text: str) -> list[str] | None:
    if "\t" in text:
        cells = [c.strip() for c in text.strip().split("\t")]
    elif text.strip().startswith("|") or text.count("|") >= 2:
        cells = [c.strip() for c in text.strip().strip("|").split("|")]
    else:
        return None
    return cells if len(cells) >= 2 else None


def find_tables(pieces: tuple[Piece, ...]) -> list[Table]:
    """Tables written on consecutive prose lines (the pieces of a Markdown file)."""
    tables: list[Table] = []
    current: Table | None = None
    last_line = -1
    for piece in pieces:
        if piece.kind != "prose":
            continue
        cells = _cells(piece.text)
        if cells is not None and _RULE.match(piece.text):
            if current is not None and piece.line == last_line + 1:
                last_line = piece.line  # the |---| under a Markdown header
            continue
        if cells is None:
            current = None
            continue
        if current is not None and piece.line == last_line + 1 and all(re.fullmatch(r"\d+", c) for c in cells):
            current.rows[int(cells[0])] = {
                column: sp.Integer(int(value)) for column, value in zip(current.columns, cells[1:])
            }
            current.row_lines[int(cells[0])] = piece.line
            last_line = piece.line
            continue
        current = _header(piece, cells)
        if current is not None:
            tables.append(current)
            last_line = piece.line
    return [t for t in tables if t.rows]


def _header(piece: Piece, cells: list[str]) -> Table | None:
    words = cells[0].split()
    if not words or not words[0].isalpha():
        return None
    columns = []
    for cell in cells[1:]:
        try:
            value = parse_answer(cell)
        except AnswerParseError:
            return None
        if not isinstance(value, sp.Symbol):
            return None
        columns.append(value)
    return Table(piece.line, words[0].lower(), columns)


def add_each_formulas(lines: tuple[str, ...], tables: list[Table]) -> list[tuple[int, str]]:
    """Rule 2, first form, read from the file's lines (the formula is inline maths in prose).
    Returns notes (line, text) on formulas that fit no single table."""
    notes = []
    for number, text in enumerate(lines, 1):
        for match in _EACH.finditer(text):
            try:
                formula = parse_answer(f"${match.group(1)}$")
            except AnswerParseError as error:
                notes.append((number, f"row formula not read: {error.message}"))
                continue
            names = {s.name for s in formula.free_symbols}
            fitting = [t for t in tables if names <= {c.name for c in t.columns}]
            if len(fitting) == 1:
                fitting[0].formulas.append(formula)
            else:
                notes.append((number, f"row formula fits {len(fitting)} tables; not used"))
    return notes


def add_named_formula(words: str, formula: sp.Expr, tables: list[Table]) -> bool:
    """Rule 2, second form: ``\\text{Num linear layer multiplications} = C_{out} C_{in}``."""
    said = {w.lower() for w in re.findall(r"[A-Za-z]+", words)}
    names = {s.name for s in formula.free_symbols}
    if not names:
        return False
    fitting = [t for t in tables if t.word in said and names <= {c.name for c in t.columns}]
    if len(fitting) != 1:
        return False
    fitting[0].formulas.append(formula)
    return True


def column_table(column: sp.Basic, formula: sp.Expr, tables: list[Table]) -> Table | None:
    """Rule 4: the one table with ``column`` among its columns and every name of ``formula``
    among its other columns, or None."""
    if not isinstance(column, sp.Symbol) or not formula.free_symbols:
        return None
    names = {s.name for s in formula.free_symbols}
    fitting = [t for t in tables if column.name in {c.name for c in t.columns}
               and names <= {c.name for c in t.columns} - {column.name}]
    return fitting[0] if len(fitting) == 1 else None


def column_claims(table: Table, column: sp.Symbol, formula: sp.Expr) -> list[tuple[int, sp.Expr, sp.Expr]]:
    """Rule 4's claims: (row, the number in the column, the formula at that row's numbers)."""
    claims = []
    for row, cells in sorted(table.rows.items()):
        stated = next((value for name, value in cells.items() if name.name == column.name), None)
        if stated is not None:
            claims.append((row, stated, formula.xreplace({sp.Symbol(c.name): v for c, v in cells.items()})))
    return claims


def row_value(name: str, tables: list[Table]) -> sp.Expr | None:
    """Rule 3: the value of ``conv1`` and the like, or None when the rules do not bind it."""
    match = _ROW_NAME.fullmatch(name)
    if not match:
        return None
    prefix, row = match.group(1).lower(), int(match.group(2))
    owners = [t for t in tables if t.word.startswith(prefix)]
    if len(owners) != 1:
        return None
    table = owners[0]
    formula = table.formula()
    if formula is None or row not in table.rows:
        return None
    values = {sp.Symbol(c.name): v for c, v in table.rows[row].items()}
    result = formula.xreplace(values)
    return result if result.is_number else None
