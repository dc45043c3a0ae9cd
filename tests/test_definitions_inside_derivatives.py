"""A defined name means its definition also inside what a derivative differentiates.

SymPy's ``subs`` holds a name fixed under a derivative whose variable its meaning brings in, so
with s := t² the false claim d(s·t)/dt = t² was once verified. And a cached verdict belongs to
the checker that gave it: the cache key follows the engine's source.
"""

from __future__ import annotations

import sympy as sp

from derive.core.assumptions import Real, assume
from derive.core.checks import runner
from derive.core.checks.prepare import expand_definitions
from derive.core.checks.result import FAILED, VERIFIED
from derive.core.checks.runner import check_step

t = sp.Symbol("t", real=True)
u = sp.Symbol("u", real=True)
s = sp.Symbol("s", real=True)
reals = assume(Real(t, -3, 3))


def test_a_derivative_that_holds_a_defined_name_fixed_is_rejected(make_step):
    step = make_step(sp.Derivative(s * t, t), "=", t**2, reals, definitions=[(s, t**2)])
    assert check_step(step).status == FAILED


def test_the_derivative_through_the_definition_is_verified(make_step):
    step = make_step(sp.Derivative(s * t, t), "=", 3 * t**2, reals, definitions=[(s, t**2)])
    assert check_step(step).status == VERIFIED


def test_a_chain_of_definitions_reaches_inside_a_second_derivative(make_step):
    # u := s + t and s := t²: d²(u·t)/dt² = d²(t³ + t²)/dt² = 6t + 2, not 2 (u, s held fixed).
    definitions = [(s, t**2), (u, s + t)]
    assert check_step(make_step(sp.Derivative(u * t, (t, 2)), "=", sp.Integer(2), reals,
                                definitions=definitions)).status == FAILED
    assert check_step(make_step(sp.Derivative(u * t, (t, 2)), "=", 6 * t + 2, reals,
                                definitions=definitions)).status == VERIFIED


def test_a_derivative_by_the_defined_name_itself_keeps_that_name_as_its_variable():
    # ∂(s·t)/∂s is t whatever s stands for; the definition is put in after differentiating.
    expanded = expand_definitions(sp.Derivative(s * t, s), [(s, t**2)])
    assert sp.simplify(expanded.doit() - t) == 0


def test_the_cache_key_changes_with_the_checker_source(tmp_path, monkeypatch):
    version = runner._checker_version()
    assert version == runner.CHECKER_VERSION
    fake_core = tmp_path / "derive" / "core"
    (fake_core / "checks").mkdir(parents=True)
    for name in ("a.py", "checks/b.py"):
        (fake_core / name).write_text("x = 1\n")
    monkeypatch.setattr(runner, "__file__", str(fake_core / "checks" / "runner.py"))
    before = runner._checker_version()
    (fake_core / "checks" / "b.py").write_text("x = 2\n")
    assert runner._checker_version() != before
