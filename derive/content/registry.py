"""The problems of the document, in order, and selection of problems and parts by name."""

from __future__ import annotations

from typing import Callable, Sequence

from derive.core.document import Problem
from derive.errors import InputError, shown

# Each entry builds a Problem; imported lazily so ``derive list`` stays quick.
PROBLEMS: dict[int, str] = {
    1: "derive.content.p1_softmax",
    2: "derive.content.p2_counting",
    3: "derive.content.p3_bn_fold",
    4: "derive.content.p4_conv_backprop",
    5: "derive.content.p5_net_in_net",
}


def load_problem(number: int) -> Problem:
    import importlib

    module = importlib.import_module(PROBLEMS[number])
    builder: Callable[[], Problem] = module.problem
    return builder()


def select(names: Sequence[str]) -> list[Problem]:
    """Problems (with only the named parts) for names such as '1', '1a', 'p1.a' or '2'.

    No names means the whole document.
    """
    wanted: dict[int, set[str] | None] = {}
    for name in names:
        number, label = _parse(name)
        if number not in PROBLEMS:
            known = ", ".join(str(n) for n in PROBLEMS)
            raise InputError(f"no problem {number} in the document (part {shown(name)}); known problems: {known}")
        if label is None:
            wanted[number] = None
        elif wanted.get(number, set()) is not None:
            wanted.setdefault(number, set()).add(label)
    numbers = sorted(wanted) if names else sorted(PROBLEMS)
    problems = []
    for number in numbers:
        problem = load_problem(number)
        labels = wanted.get(number)
        if labels is not None:
            missing = labels - {p.label for p in problem.parts}
            if missing:
                have = ", ".join(p.label for p in problem.parts)
                raise InputError(f"problem {number} has no part {sorted(missing)[0]!r}; its parts are {have}")
            problem.parts = [p for p in problem.parts if p.label in labels]
        problems.append(problem)
    return problems


def parse_part(name: str) -> tuple[int, str | None]:
    """'1', '1a', 'p1.a' → (1, 'a'); InputError for anything else."""
    return _parse(name)


def _parse(name: str) -> tuple[int, str | None]:
    text = name.strip().lower().removeprefix("p").replace(".", "")
    # ASCII only: str.isdigit() accepts '²' and other digits int() cannot read.
    digits = "".join(c for c in text if c in "0123456789")
    label = text[len(digits):] or None
    if (not digits or len(digits) > 6 or text[: len(digits)] != digits
            or (label is not None and not (label.isascii() and label.isalpha() and len(label) <= 6))):
        raise InputError(f"cannot read part {shown(name)}: write a problem number and an optional part, like 1, 1a or p1.a")
    return int(digits), label
