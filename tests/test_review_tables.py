"""Tables of layers and their row formula bind conv1, conv2, … to the student's own numbers."""

from __future__ import annotations

from derive.review.extract import parse_workings
from derive.review.review import review_workings

PIPE_TABLE = """| convolution num | C_{in} | C_{out} | k |
|---|---|---|---|
| 1 | 3 | 64 | 11 |
| 2 | 64 | 192 | 5 |

each $C_{in} \\times C_{out} \\times k^2$ from table

$$\\text{conv total} = \\text{conv1} + \\text{conv2}$$

$$= 330432$$

$$= 330,423$$
"""


def review(text: str):
    return review_workings(parse_workings(text, "w.md", "markdown"))


def test_row_names_take_the_students_formula_at_each_row():
    links = review(PIPE_TABLE).links
    got = {link.line: (link.verdict, link.note) for link in links}
    # 3·64·121 + 64·192·25 = 23232 + 307200 = 330432
    assert got[8][0] == "definition"
    assert got[10][0] == "verified"
    assert got[12][0] == "wrong" and "two adjacent digits swapped" in got[12][1]


def test_without_a_row_formula_row_names_stay_undefined():
    text = PIPE_TABLE.replace("each $C_{in} \\times C_{out} \\times k^2$ from table", "")
    got = {link.line: (link.verdict, link.note) for link in review(text).links}
    assert got[10] == ("not checked", "undefined name: conv1, conv2 is not defined before this line")


def test_a_row_formula_that_fits_two_tables_is_not_used_and_says_so():
    text = PIPE_TABLE + "\n| pooling num | C_{in} | C_{out} | k |\n|---|---|---|---|\n| 1 | 1 | 1 | 1 |\n"
    result = review(text)
    assert any("fits 2 tables" in note for _, note in result.notes)
    assert {link.line: link.verdict for link in result.links}[10] == "not checked"
