"""A formula for a column of a table (``h_{out} = \\lfloor … \\rfloor``) is checked on every row
of the table, each row at its own line: a right row is verified, a wrong one is wrong."""

from __future__ import annotations

from derive.review.extract import parse_workings
from derive.review.review import review_workings

FORMULA = r"$$h_{out} = \text{output width} = \left\lfloor \frac{h_{in} - k_h + 2P}{S} + 1 \right\rfloor$$"
TABLE = "conv num\tC_{in}\tk_h\th_{in}\tP\tS\th_{out}\n1\t3\t11\t227\t0\t4\tFIRST\n2\t64\t5\t27\t2\t1\t27\n"


def links(text: str):
    return review_workings(parse_workings(text, "w.md", "markdown")).links


def rows(text: str) -> dict[int, tuple[str, str]]:
    return {link.line: (link.verdict, link.note) for link in links(text) if link.relation.startswith("row ")}


def test_every_row_is_checked_at_its_line():
    got = rows(FORMULA + "\n\n" + TABLE.replace("FIRST", "55"))
    assert got == {4: got[4], 5: got[5]}
    assert got[4][0] == "verified" and got[4][1].startswith("row 1: 55 in the table, 55 by the formula on line 1")
    assert got[5][0] == "verified"


def test_a_wrong_row_is_wrong_and_named_first():
    text = FORMULA + "\n\n" + TABLE.replace("FIRST", "54")  # (227 - 11)/4 + 1 = 55
    got = rows(text)
    assert got[4][0] == "wrong" and got[5][0] == "verified"
    review = review_workings(parse_workings(text, "w.md", "markdown"))
    assert review.first_wrong is not None and review.first_wrong.line == 4


def test_the_formula_without_words_and_before_or_after_the_table():
    plain = r"$$h_{out} = \left\lfloor \frac{h_{in} - k_h + 2P}{S} + 1 \right\rfloor$$"
    assert {v for v, _ in rows(plain + "\n\n" + TABLE.replace("FIRST", "55")).values()} == {"verified"}
    after = rows(TABLE.replace("FIRST", "55") + "\n" + plain + "\n")
    assert {v for v, _ in after.values()} == {"verified"} and sorted(after) == [2, 3]


def test_the_floor_matters():
    # (27 - 4)/2 + 1 = 12.5: with the floor 12, without it not 12
    text = FORMULA + "\n\n" + "conv num\tk_h\th_{in}\tP\tS\th_{out}\n1\t4\t27\t0\t2\tH\n"
    assert rows(text.replace("H", "12"))[4][0] == "verified"
    plain = r"$$h_{out} = \frac{h_{in} - k_h + 2P}{S} + 1$$"
    assert rows(plain + "\n\n" + "conv num\tk_h\th_{in}\tP\tS\th_{out}\n1\t4\t27\t0\t2\t12\n")[4][0] == "wrong"


def test_a_formula_with_a_name_outside_the_table_checks_no_row():
    other = r"$$h_{out} = \left\lfloor \frac{h_{in} - k_h + 2Q}{S} + 1 \right\rfloor$$"
    assert rows(other + "\n\n" + TABLE.replace("FIRST", "55")) == {}


def test_a_formula_under_a_condition_checks_no_row():
    text = r"For $h_{out} = h_{in}$ the size is kept." + "\n\n" + "conv num\th_{in}\th_{out}\n1\t3\t5\n"
    assert rows(text) == {}
