"""Mutation operators on the SymPy trees of a derivation's steps (issue 10, section 5).

Each operator turns one checked claim into a slightly wrong one, the kind of slip a person makes
when deriving by hand: a sign, a constant off by one, a factor 2, an exponent, an index shifted
by one, a relation turned round or made strict, a bound halved. Where the operator has several
places to act, a seeded random generator picks one, so ``--seed`` picks other mutants.

A mutant keeps the step's id: the checker seeds its numeric samples by the id, so the mutant is
tried at the very points that the real step is, as a slip in that step would be.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.logic.boolalg import Boolean

from derive.core.step import Step

OPERATORS = ("sign-flip", "constant-plus-minus-1", "factor-2", "exponent-change", "index-shift",
             "relation-flipped", "relation-strict", "bound-halved")

FLIPPED = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}
# An equality "made strict" claims lhs < rhs: false wherever the equality holds.
STRICT = {"<=": "<", ">=": ">", "=": "<"}

Path = tuple[int, ...]


@dataclass(frozen=True)
class Mutant:
    original: Step
    step: Step  # the mutated claim, with the original's id
    operator: str
    where: str  # which side and which subexpression changed, for the report

    def claim(self) -> str:
        return claim_text(self.step)


def claim_text(step: Step) -> str:
    return f"{_text(step.lhs)} {step.rel} {_text(step.rhs)}"


def _text(expr: Any) -> str:
    text = sp.sstr(expr) if isinstance(expr, (sp.Basic, sp.MatrixBase)) else str(expr)
    return " ".join(text.split())


# --- where an operator may act ------------------------------------------------------------------

def _builtin_function(node: sp.Basic) -> bool:
    # SymPy's own functions (exp, log, Max, Abs, …) take values; a document's own functions
    # (P5Tau(c, r, s), array entries) take indices, which the index shift handles.
    return isinstance(node, sp.Function) and not isinstance(node, AppliedUndef) \
        and type(node).__module__.startswith("sympy.")


def _value_children(node: sp.Basic) -> list[int]:
    """The positions of ``node``'s arguments that hold values (not indices, bounds or variables)."""
    if isinstance(node, (sp.Indexed, sp.IndexedBase, sp.Idx, sp.KroneckerDelta, Relational, Boolean)):
        return []
    if isinstance(node, (sp.Sum, sp.Product, sp.Integral, sp.Limit, sp.Derivative, sp.Subs, ExprCondPair)):
        return [0]
    if isinstance(node, sp.Piecewise):
        return list(range(len(node.args)))
    if isinstance(node, sp.Function):
        return list(range(len(node.args))) if _builtin_function(node) else []
    if isinstance(node, (sp.Add, sp.Mul, sp.Pow)):
        return list(range(len(node.args)))
    return []


def _is_matrix(expr: Any) -> bool:
    return isinstance(expr, sp.MatrixBase)


def value_sites(expr: Any) -> Iterator[tuple[Path, sp.Basic]]:
    """Every subexpression in a value position, with its path of argument positions. A matrix's
    entries are reached through the entry's flat position."""
    if _is_matrix(expr):
        for k, entry in enumerate(expr):
            for path, node in value_sites(entry):
                yield (k, *path), node
        return
    if not isinstance(expr, sp.Basic) or isinstance(expr, (Relational, Boolean)):
        return
    yield (), expr
    for position in _value_children(expr):
        for path, node in value_sites(expr.args[position]):
            yield (position, *path), node


def replace_at(expr: Any, path: Path, new: Callable[[sp.Basic], sp.Basic]) -> Any:
    """``expr`` with the node at ``path`` replaced by ``new(node)``; the rest rebuilt unchanged."""
    if _is_matrix(expr):
        if not path:
            raise ValueError("a matrix is mutated through one of its entries")
        entries = list(expr)
        entries[path[0]] = replace_at(entries[path[0]], path[1:], new)
        return type(expr)(expr.rows, expr.cols, entries)
    if not path:
        return new(expr)
    args = list(expr.args)
    args[path[0]] = replace_at(args[path[0]], path[1:], new)
    return expr.func(*args)


# --- the operators --------------------------------------------------------------------------------

def _sides(step: Step) -> list[tuple[str, Any]]:
    return [("lhs", step.lhs), ("rhs", step.rhs)]


def _pick(rng: random.Random, sites: list[tuple[str, Path, sp.Basic]]):
    return rng.choice(sites) if sites else None


def _mutate_side(step: Step, side: str, path: Path, new: Callable[[sp.Basic], sp.Basic]) -> Step:
    mutated = replace_at(getattr(step, side), path, new)
    return dataclasses.replace(step, **{side: mutated})


def _site_mutant(step: Step, rng: random.Random, operator: str, wanted: Callable[[sp.Basic], bool],
                 change: Callable[[sp.Basic, random.Random], sp.Basic]) -> Mutant | None:
    sites = [(side, path, node) for side, expr in _sides(step) for path, node in value_sites(expr) if wanted(node)]
    picked = _pick(rng, sites)
    if picked is None:
        return None
    side, path, node = picked
    replacement = change(node, rng)
    mutated = _mutate_side(step, side, path, lambda _: replacement)
    return Mutant(step, mutated, operator, f"{side}: {_text(node)} → {_text(replacement)}")


def _not_number_one(node: sp.Basic) -> bool:
    return not (node.is_Number and abs(node) == 1)


def sign_flip(step: Step, rng: random.Random) -> Mutant | None:
    return _site_mutant(step, rng, "sign-flip", lambda n: n != 0, lambda n, _: -n)


def constant_plus_minus_1(step: Step, rng: random.Random) -> Mutant | None:
    return _site_mutant(step, rng, "constant-plus-minus-1", lambda n: n.is_Number and n.is_finite,
                        lambda n, r: n + r.choice((1, -1)))


def factor_2(step: Step, rng: random.Random) -> Mutant | None:
    return _site_mutant(step, rng, "factor-2", lambda n: n != 0, lambda n, _: 2 * n)


def _new_exponent(node: sp.Basic, rng: random.Random) -> sp.Basic:
    base, exponent = node.args
    options = [exponent + 1, exponent - 1, 2 * exponent] if exponent.is_Number else [exponent + 1, 2 * exponent]
    options = [e for e in options if e != exponent and e != 0]
    return sp.Pow(base, rng.choice(options))


def exponent_change(step: Step, rng: random.Random) -> Mutant | None:
    return _site_mutant(step, rng, "exponent-change", lambda n: isinstance(n, sp.Pow), _new_exponent)


def _index_nodes(expr: Any) -> Iterator[tuple[Path, sp.Basic]]:
    # Indexed entries, a document's own functions of indices, sums and products: anywhere in the
    # value positions (their own arguments are the indices to shift).
    for path, node in value_sites(expr):
        if isinstance(node, (sp.Indexed, sp.Sum, sp.Product)) or isinstance(node, AppliedUndef) \
                or (isinstance(node, sp.Function) and not _builtin_function(node) and node.args):
            yield path, node


def _shift(node: sp.Basic, rng: random.Random) -> sp.Basic:
    by = rng.choice((1, -1))
    if isinstance(node, sp.Indexed):
        indices = list(node.indices)
        k = rng.randrange(len(indices))
        indices[k] = indices[k] + by
        return node.base[tuple(indices)]
    if isinstance(node, (sp.Sum, sp.Product)):
        limits = list(node.limits)
        k = rng.randrange(len(limits))
        variable, lo, hi = limits[k]
        limits[k] = (variable, lo + by, hi + by)  # the range moved by one: every term re-indexed
        return node.func(node.function, *limits)
    args = list(node.args)
    k = rng.randrange(len(args))
    args[k] = args[k] + by
    return node.func(*args)


def index_shift(step: Step, rng: random.Random) -> Mutant | None:
    sites = [(side, path, node) for side, expr in _sides(step) for path, node in _index_nodes(expr)]
    picked = _pick(rng, sites)
    if picked is None:
        return None
    side, path, node = picked
    replacement = _shift(node, rng)
    mutated = _mutate_side(step, side, path, lambda _: replacement)
    return Mutant(step, mutated, "index-shift", f"{side}: {_text(node)} → {_text(replacement)}")


def relation_flipped(step: Step, rng: random.Random) -> Mutant | None:
    if step.rel not in FLIPPED:
        return None
    return Mutant(step, dataclasses.replace(step, rel=FLIPPED[step.rel]), "relation-flipped",
                  f"{step.rel} → {FLIPPED[step.rel]}")


def relation_strict(step: Step, rng: random.Random) -> Mutant | None:
    if step.rel not in STRICT or step.rule is not None:
        return None
    return Mutant(step, dataclasses.replace(step, rel=STRICT[step.rel]), "relation-strict",
                  f"{step.rel} → {STRICT[step.rel]}")


def bound_halved(step: Step, rng: random.Random) -> Mutant | None:
    side = {"<=": "rhs", "<": "rhs", ">=": "lhs", ">": "lhs"}.get(step.rel)
    if side is None:
        return None
    bound = getattr(step, side)
    if not isinstance(bound, sp.Basic) and not _is_matrix(bound):
        return None
    halved = bound / 2
    return Mutant(step, dataclasses.replace(step, **{side: halved}), "bound-halved",
                  f"{side}: {_text(bound)} → {_text(halved)}")


MAKERS: dict[str, Callable[[Step, random.Random], Mutant | None]] = {
    "sign-flip": sign_flip,
    "constant-plus-minus-1": constant_plus_minus_1,
    "factor-2": factor_2,
    "exponent-change": exponent_change,
    "index-shift": index_shift,
    "relation-flipped": relation_flipped,
    "relation-strict": relation_strict,
    "bound-halved": bound_halved,
}


def _same(a: Any, b: Any) -> bool:
    try:
        return sp.srepr(a) == sp.srepr(b)
    except Exception:  # noqa: BLE001 - an object SymPy cannot print is compared by identity
        return a is b


def mutants(step: Step, seed: int, operators: tuple[str, ...] = OPERATORS) -> list[Mutant]:
    """At most one mutant per operator for a checked claim; none for a definition. A mutant that
    is the very same tree as the step (a sign flip of 0, say) is no mutant and is left out."""
    if step.is_definition:
        return []
    found = []
    for operator in operators:
        rng = random.Random(f"{seed}:{step.id}:{operator}")
        try:
            mutant = MAKERS[operator](step, rng)
        except (TypeError, ValueError, AttributeError, IndexError):
            mutant = None  # this operator does not apply to this kind of expression
        if mutant is None:
            continue
        if _same(mutant.step.lhs, step.lhs) and _same(mutant.step.rhs, step.rhs) and mutant.step.rel == step.rel:
            continue
        found.append(mutant)
    return found
