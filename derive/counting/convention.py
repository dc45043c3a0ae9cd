"""Which operations a count includes: the homework's convention and its common variants.

The default is the course's official answer: one operation per multiply–add pair, biases ignored,
products with padding zeros included. A conv layer then costs (c_out·h_out·w_out)·(c_in/g·kh·kw)
multiplications and as many additions; a linear layer in·out of each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    """How to count. Each flag departs from the homework's default in one way.

    bias: add one bias addition per output element (layers with ``bias = true`` only).
    strict: an output summing n products needs n − 1 additions, not n (before any bias).
    exclude_padding: do not count products with the zeros of padding.
    """

    bias: bool = False
    strict: bool = False
    exclude_padding: bool = False

    def describe(self) -> str:
        """One line for reports: what is and is not counted."""
        parts = [
            "n-1 additions per n-product sum"
            if self.strict
            else "one addition per multiply",
            "bias additions counted" if self.bias else "biases ignored",
            "padding products excluded"
            if self.exclude_padding
            else "padding products counted",
        ]
        return ", ".join(parts)

    def as_dict(self) -> dict[str, bool]:
        """The flags by name, for JSON output."""
        return {
            "bias": self.bias,
            "strict": self.strict,
            "exclude_padding": self.exclude_padding,
        }


#: The homework's convention, shared as the default argument of the counters.
HOMEWORK = Convention()
