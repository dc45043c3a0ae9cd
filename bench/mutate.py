"""Mutation testing of the checker (issue 10, section 5): every checked claim of the document is
mutated in turn (bench/mutants.py: sign flip, ±1 on a constant, factor 2, exponent change, index
shift, relation flipped or made strict, a bound halved), re-checked with the public checker
(``check_step``; ``check_steps`` with its premises for a rule step), and each mutant is

  killed      the checker rejects it (status "failed");
  equivalent  it states something true, so accepting it is right: its mutated side simplifies
              to the original side, or the checker proved it and a brute numeric evaluation of
              its own (other points, more of them) agrees;
  survivor    the checker accepts it and it is not shown equivalent: either the brute evaluation
              found a counterexample (a false mark: the worst bug) or the acceptance rests on
              numeric samples alone (possibly equivalent, unproven).

The kill rate of a problem is killed / (mutants − equivalent); the target is 100 % for every seed.

    .venv/bin/python bench/mutate.py [--document FILE.py] [--seed S] [--problem N ...] [--sample N]
                                     [--operator OP ...] [--jobs J] [--json] [-q]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ContextManager, Sequence

import multiprocessing

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import OPERATORS, Mutant, claim_text, mutants  # noqa: E402

from derive.core.assumptions import Assumptions, Integer, Real, RealVector, SamplingError  # noqa: E402
from derive.core.checks.result import FAILED, VERIFIED  # noqa: E402
from derive.core.checks.runner import check_step, check_steps  # noqa: E402
from derive.core.checks.timelimit import wall_time_limit  # noqa: E402
from derive.core.step import Step  # noqa: E402

KILLED, EQUIVALENT, SURVIVOR, ERROR = "killed", "equivalent", "survivor", "error"
BRUTE_POINTS = 40
BRUTE_SECONDS = 30.0
SIMPLIFY_SECONDS = 8.0
DIGITS = 50
LIMIT_AT = 10**15  # a limit variable's value for the brute evaluation (or 10**-15 from its point)
TOLERANCE = sp.Float("1e-8", DIGITS)  # relative, for limits; exact sides get 1e-30


class Timeout(Exception):
    pass


def time_limit(seconds: float) -> ContextManager[bool]:
    """Wall-clock (SIGALRM): the harness runs its own work in the main thread of its process."""
    return wall_time_limit(seconds, lambda: Timeout(f"over {seconds:g} s"))


@dataclass
class Outcome:
    problem: int
    step_id: str
    operator: str
    where: str
    claim: str
    original: str
    status: str  # what the checker said
    verdict: str  # killed, equivalent, survivor or error
    why: str
    seconds: float
    kind: str = ""  # of a survivor: "false" (a counterexample: a false mark) or "unproven"


@dataclass
class Tally:
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[Outcome] = field(default_factory=list)
    errors: list[Outcome] = field(default_factory=list)  # the checker raised instead of answering

    @property
    def false_marks(self) -> int:
        return sum(1 for s in self.survivors if s.kind == "false")

    @property
    def kill_rate(self) -> float:
        relevant = self.mutants - self.equivalent
        return 1.0 if relevant == 0 else self.killed / relevant

    def add(self, outcome: Outcome) -> None:
        self.mutants += 1
        if outcome.verdict == KILLED:
            self.killed += 1
        elif outcome.verdict == EQUIVALENT:
            self.equivalent += 1
        elif outcome.verdict == ERROR:
            self.errors.append(outcome)
        else:
            self.survivors.append(outcome)

    def to_json(self) -> dict:
        return {"mutants": self.mutants, "killed": self.killed, "equivalent": self.equivalent,
                "false_marks": self.false_marks,
                "survivors": [asdict(s) for s in self.survivors], "errors": [asdict(e) for e in self.errors],
                "kill_rate": round(self.kill_rate, 4)}


# --- the independent judgement: is the mutated claim true? ---------------------------------------

def _expand(expr: Any, definitions) -> Any:
    for _ in range(len(definitions) + 1):
        before = expr
        for name, meaning in definitions:
            expr = expr.subs(name, meaning)
        if expr == before:
            break
    return expr


def _entries(expr: Any) -> list:
    return list(expr) if isinstance(expr, sp.MatrixBase) else [expr]


def same_as_original(mutant: Mutant) -> str:
    """Why the mutated claim is the original claim in other words, or "" where that is not shown.
    Only for a changed side under the same relation: then the claims are the same statement."""
    original, step = mutant.original, mutant.step
    if step.rel != original.rel:
        return ""
    for side in ("lhs", "rhs"):
        new, old = getattr(step, side), getattr(original, side)
        if sp.srepr(new) == sp.srepr(old):
            continue
        try:
            with time_limit(SIMPLIFY_SECONDS):
                new_e, old_e = _entries(_expand(new, step.definitions)), _entries(_expand(old, step.definitions))
                if len(new_e) != len(old_e):
                    return ""
                for a, b in zip(new_e, old_e):
                    difference = sp.simplify((sp.sympify(a) - sp.sympify(b)).doit())
                    if difference != 0:
                        return ""
        except (Timeout, Exception):  # noqa: BLE001 - undecided is simply "not shown equivalent"
            return ""
        return f"the mutated {side} simplifies to the original {side}"
    return ""


def _limits(expr: sp.Basic) -> list[sp.Limit]:
    return list(expr.atoms(sp.Limit)) if isinstance(expr, sp.Basic) else []


def _unwrap(expr: sp.Basic) -> tuple[sp.Basic, dict]:
    """Limit(f, v, p) → f, with v's value near p; evaluated there, f stands for the limit."""
    at: dict = {}

    def unwrap(f, variable, point, direction):
        if point is sp.oo:
            at[variable] = sp.Integer(LIMIT_AT)
        elif point is -sp.oo:
            at[variable] = -sp.Integer(LIMIT_AT)
        else:
            at[variable] = point + (-1 if str(direction) == "-" else 1) * sp.Rational(1, LIMIT_AT)
        return f

    return expr.replace(lambda e: isinstance(e, sp.Limit), lambda e: unwrap(*e.args)), at


def _value(expr: Any, point: dict, integers: set) -> tuple[sp.Expr, bool]:
    expr = sp.sympify(expr)
    limited = bool(_limits(expr))
    if limited:
        expr, at = _unwrap(expr)
    else:
        at = {}
    # A limit variable is declared like any other, but it moves towards its point: not drawn.
    ints = {k: v for k, v in point.items() if k in integers and k not in at}
    reals = {k: v for k, v in point.items() if k not in integers and k not in at}
    value = expr.subs(ints).doit().xreplace(reals).doit()
    value = value.evalf(DIGITS, subs=at) if at else value.evalf(DIGITS)
    if not value.is_number:
        raise ValueError(f"{sp.sstr(value)[:80]} has no numeric value")
    return value, limited


def _holds(rel: str, a: sp.Expr, b: sp.Expr, limited: bool) -> bool:
    if a.is_real is False or b.is_real is False:
        return rel == "=" and abs(complex(a) - complex(b)) <= 1e-25 * max(1.0, abs(complex(a)), abs(complex(b)))
    scale = max(1, abs(a), abs(b))
    slack = (TOLERANCE if limited else sp.Float("1e-30", DIGITS)) * scale
    return {
        "=": lambda: abs(a - b) <= slack,
        "<=": lambda: a <= b + slack,
        "<": lambda: a < b - slack,  # equal (to the precision) is not strictly less
        ">=": lambda: a >= b - slack,
        ">": lambda: a > b + slack,
    }[rel]()


def _bound(bound: Any, point: dict) -> sp.Expr:
    return sp.sympify(bound).subs(point)


def edge_sample(assumptions: Assumptions, rng: random.Random, attempts: int = 400) -> dict:
    """A point of the declared domain that favours its edges: each scalar variable is, half of
    the time, an end of its range, 0, ±1, or equal to an earlier scalar — where a claim that is
    false on a set of measure zero (a tie a = b, a bound reached) fails and uniform points never
    land; a vector drawn with its maximum at an index is, half of the time, moved down as a
    whole. Later variables are drawn given these values, and every constraint must hold."""
    for _ in range(attempts):
        point: dict = {}
        scalars: list[sp.Expr] = []
        for variable in assumptions.variables:
            if isinstance(variable, (Real, Integer)) and rng.random() < 0.5:
                lo, hi = _bound(variable.lo, point), _bound(variable.hi, point)
                candidates = [lo, hi, sp.Integer(0), sp.Integer(1), sp.Integer(-1), *scalars]
                fits = [v for v in candidates if v.is_number and lo <= v <= hi
                        and (v.is_integer or not isinstance(variable, Integer))]
                value = rng.choice(fits) if fits else None
                point.update({variable.symbol: value} if value is not None else variable.draw(rng, point))
            else:
                drawn = variable.draw(rng, point)
                if isinstance(variable, RealVector) and getattr(variable, "max_at", None) is not None \
                        and drawn and rng.random() < 0.5:
                    drawn = _lowered(drawn, _bound(variable.lo, point), rng)
                point.update(drawn)
            if isinstance(variable, (Real, Integer)):
                scalars.append(point[variable.symbol])
        if all(c.holds(point) for c in assumptions.constraints):
            return point
    raise SamplingError(f"no admissible edge point in {attempts} attempts")


def _lowered(entries: dict, lo: sp.Expr, rng: random.Random) -> dict:
    """The vector moved down as a whole, as far as its smallest entry may go: the sampler puts a
    vector's maximum always at the top of its range, so a claim false for a low (say negative)
    maximum would otherwise never be tried. Gaps and ties stay as drawn."""
    room = min(entries.values()) - lo
    if not room > 0:
        return entries
    by = sp.Rational(round(rng.uniform(0, float(room)) * 10**6), 10**6)
    return {key: value - by for key, value in entries.items()}


def brute_counterexample(step: Step, seed: int, points: int = BRUTE_POINTS,
                         seconds: float = BRUTE_SECONDS) -> tuple[str, int]:
    """A point of the step's assumptions at which its claim is false ("" if none was found), and
    how many points were tried. Its own points (another seed than the checker's, more of them,
    half of them at the edges of the domain), 50 digits, a limit read off at 10^15."""
    rng = random.Random(f"brute:{seed}:{step.id}")
    integers = {v.symbol for v in step.assumptions.variables if isinstance(v, Integer)}
    lhs, rhs = _expand(step.lhs, step.definitions), _expand(step.rhs, step.definitions)
    tried = 0
    try:
        with time_limit(seconds):
            for number in range(points):
                try:
                    point = (step.assumptions.sample(rng) if number % 2 == 0
                             else edge_sample(step.assumptions, rng))
                except SamplingError:
                    continue  # edges that no constraint admits: the uniform points still count
                tried += 1
                left, right = _entries(lhs), _entries(rhs)
                if len(left) != len(right):
                    return "the two sides have different shapes", tried
                for a, b in zip(left, right):
                    (va, la), (vb, lb) = _value(a, point, integers), _value(b, point, integers)
                    if not _holds(step.rel, va, vb, la or lb):
                        shown = ", ".join(f"{k}={sp.N(v, 5)}" for k, v in sorted(point.items(), key=lambda kv: str(kv[0]))[:8])
                        return f"false at {shown}: lhs = {sp.N(va, 10)}, rhs = {sp.N(vb, 10)}", tried
    except Timeout:
        pass  # as many points as the time allowed
    except Exception as exc:  # noqa: BLE001 - reported, never hidden
        return f"could not evaluate: {type(exc).__name__}: {str(exc)[:120]}", tried
    return "", tried if tried else 0


# --- checking a mutant ---------------------------------------------------------------------------

def check_mutant(mutant: Mutant, premises: Sequence[Step]) -> str:
    """The checker's status for the mutant; a rule step is checked with its premises, which the
    public ``check_steps`` settles."""
    if mutant.step.rule is None:
        return check_step(mutant.step).status
    return check_steps([*premises, mutant.step], jobs=1)[mutant.step.id].status


def judge(problem: int, mutant: Mutant, premises: Sequence[Step], seed: int) -> Outcome:
    started = time.perf_counter()
    original = claim_text(mutant.original)

    def outcome(status: str, verdict: str, why: str, kind: str = "") -> Outcome:
        return Outcome(problem, mutant.step.id, mutant.operator, mutant.where, mutant.claim(), original, status,
                       verdict, why, round(time.perf_counter() - started, 3), kind)

    same = same_as_original(mutant)
    if same:
        return outcome("-", EQUIVALENT, same)
    try:
        status = check_mutant(mutant, premises)
    except Exception as exc:  # noqa: BLE001 - a checker that raises is a finding, not the end of the run
        said = " ".join(str(exc).split())[:160]
        return outcome("raised", ERROR, f"the checker raised {type(exc).__name__}: {said}")
    if status == FAILED:
        return outcome(status, KILLED, "rejected by the checker")
    counterexample, tried = brute_counterexample(mutant.step, seed)
    if counterexample.startswith("could not evaluate"):
        return outcome(status, SURVIVOR, f"accepted as {status}; brute evaluation {counterexample}", "unproven")
    if counterexample:
        mark = "a false ✓" if status == VERIFIED else "a false ≈"
        return outcome(status, SURVIVOR, f"accepted as {status} ({mark}); brute evaluation: {counterexample}",
                       "false")
    if status == VERIFIED:
        return outcome(status, EQUIVALENT, f"proved by the checker, and {tried} brute points agree")
    return outcome(status, SURVIVOR, f"accepted as {status} on numeric samples alone; no counterexample in "
                                     f"{tried} brute points either: possibly equivalent, unproven", "unproven")


# --- the document --------------------------------------------------------------------------------

def load_problems(numbers: Sequence[int], document: Path | None = None) -> list:
    """The problems (all, or the numbers given) of a document file, or of the built-in one,
    as the build sees them."""
    try:
        from derive.core import measurements
        measurements.use_cache(Path(__file__).resolve().parent / "results" / "measurements.json")
    except (ImportError, AttributeError):
        pass  # measuring again is slower, not wrong
    from derive import loading
    return loading.load(document).document.select([str(n) for n in numbers])


@dataclass(frozen=True)
class Job:
    problem: int
    mutant: Mutant
    premises: tuple[Step, ...]


def plan(problems: list, seed: int, sample: int | None, operators: tuple[str, ...] = OPERATORS) -> list[Job]:
    jobs = []
    for problem in problems:
        steps = list(problem.steps())
        by_id = {s.id: s for s in steps}
        for step in steps:
            premises = ()
            if step.rule is not None:
                premises = tuple(by_id[i] for i in (step.rule.lower_step, step.rule.upper_step) if i in by_id)
            jobs += [Job(problem.number, m, premises) for m in mutants(step, seed, operators)]
    if sample is not None and sample < len(jobs):
        picked = sorted(random.Random(f"sample:{seed}").sample(range(len(jobs)), sample))
        jobs = [jobs[i] for i in picked]
    return jobs


_JOBS: list[Job] = []
_SEED = 0


def _run_one(index: int) -> Outcome:
    job = _JOBS[index]
    return judge(job.problem, job.mutant, job.premises, _SEED)


def run(jobs: list[Job], seed: int, workers: int = 1, progress=None) -> dict[int, Tally]:
    """Judge every mutant; tallies per problem number."""
    global _JOBS, _SEED
    tallies: dict[int, Tally] = {}
    for job in jobs:
        tallies.setdefault(job.problem, Tally())
    _JOBS, _SEED = jobs, seed
    try:
        if workers > 1 and len(jobs) > 1:
            # fork: the workers inherit the SymPy trees instead of unpickling them
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                outcomes = pool.map(_run_one, range(len(jobs)))
                for outcome in outcomes:
                    tallies[outcome.problem].add(outcome)
                    if progress:
                        progress(outcome)
        else:
            for index in range(len(jobs)):
                outcome = _run_one(index)
                tallies[outcome.problem].add(outcome)
                if progress:
                    progress(outcome)
    finally:
        _JOBS = []
    return tallies


def report(tallies: dict[int, Tally]) -> str:
    lines = [f"{'problem':>8} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'surv.':>6} {'false':>6} {'errors':>7} "
             f"{'kill rate':>10}"]
    total = Tally()
    for number in sorted(tallies):
        t = tallies[number]
        lines.append(f"{number:>8} {t.mutants:>8} {t.killed:>7} {t.equivalent:>7} {len(t.survivors):>6} "
                     f"{t.false_marks:>6} {len(t.errors):>7} {t.kill_rate:>9.1%}")
        total.mutants += t.mutants
        total.killed += t.killed
        total.equivalent += t.equivalent
        total.survivors += t.survivors
        total.errors += t.errors
    lines.append(f"{'all':>8} {total.mutants:>8} {total.killed:>7} {total.equivalent:>7} "
                 f"{len(total.survivors):>6} {total.false_marks:>6} {len(total.errors):>7} {total.kill_rate:>9.1%}")
    for title, found in (("survivors", total.survivors), ("checker errors", total.errors)):
        if found:
            lines.append(f"\n{title}:")
            for s in found:
                lines += [f"  {s.step_id} [{s.operator}]{' FALSE' if s.kind == 'false' else ''} {s.where[:200]}",
                          f"      mutated:  {s.claim[:300]}",
                          f"      original: {s.original[:300]}",
                          f"      why: {s.why}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="picks where each operator acts (and the sample)")
    parser.add_argument("--document", type=Path, default=None, help="a document file (default: the built-in one)")
    parser.add_argument("--problem", type=int, action="append", default=[], help="only this problem (repeatable)")
    parser.add_argument("--sample", type=int, default=None, help="judge only N mutants, drawn by the seed")
    parser.add_argument("--operator", action="append", choices=OPERATORS, default=[], help="only this operator")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    problems = load_problems(args.problem, args.document)
    jobs = plan(problems, args.seed, args.sample, tuple(args.operator) or OPERATORS)

    def show(o: Outcome) -> None:  # progress on stderr, so --json output stays clean
        if not args.quiet:
            print(f"{o.verdict:>10}  {o.step_id} [{o.operator}] {o.where[:90]}", file=sys.stderr, flush=True)

    tallies = run(jobs, args.seed, args.jobs, show)
    seconds = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps({"seed": args.seed, "seconds": seconds,
                          "problems": {str(n): t.to_json() for n, t in sorted(tallies.items())}}, indent=2,
                         ensure_ascii=False))
    else:
        print(report(tallies))
        print(f"\nseed {args.seed}, {len(jobs)} mutants, {seconds} s")
    return 0 if all(not t.survivors and not t.errors for t in tallies.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
