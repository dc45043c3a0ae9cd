"""Problem 3's content: every step survives the checker, the results are the folding formulas,
wrong variants of the key steps are rejected, and the measured part degrades to a note without
PyTorch. The torch tests build the measured tables at a small size and check that what the PDF
says matches the figures and the facts folding must show."""

from __future__ import annotations

import json
import random
import re
import sys

import numpy as np
import pytest
import sympy as sp

from derive.documents.hw7 import p3_bn_fold as p3
from derive.documents.hw7 import p3_figures
from derive.core import measurements
from derive.core.assumptions import Integer, RealArray, assume
from derive.core.checks.result import DEFINITION, FAILED, VERIFIED
from derive.core.checks.runner import check_steps
from derive.core.document import Problem, Prose, Table
from derive.core.measurements import Unavailable
from derive.nn.bn import fold_bn
from derive.pipeline import Checked, render
from derive.render.printer import to_latex
from derive.results import collect

NOT_INSTALLED = "PyTorch is not installed (pip install 'derive[torch]')"

# Independent copies of the symbols the results must be stated in (same names and assumptions).
GAMMA, BETA, MU, B = sp.symbols("gamma_c beta_c mu_c b_c", real=True)
SIGMA, EPS = sp.Symbol("sigma_c", positive=True), sp.Symbol("epsilon", positive=True)
C, CP = sp.Symbol("c", integer=True, positive=True), sp.Symbol("c'", integer=True, positive=True)
U, V = sp.symbols("u v", integer=True, nonnegative=True)
W = sp.IndexedBase("W", real=True)


def _no_torch_version() -> str:
    raise Unavailable(NOT_INSTALLED)


@pytest.fixture(scope="module")
def checked_without_torch():
    """Problem 3 built as if torch were not installed, checked once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(p3_figures, "torch_version", _no_torch_version)
        measurements.use_cache(None)
        problem = p3.problem()
    return problem, check_steps(list(problem.steps()), jobs=1)


def _blocks(problem: Problem, label: str, kind: type) -> list:
    part = next(p for p in problem.parts if p.label == label)
    return [b for b in part.blocks if isinstance(b, kind)]


def _text(prose: Prose) -> str:
    return "".join(part if isinstance(part, str) else f"${sp.sstr(part)}$" for part in prose.parts)


# ── the derivations ─────────────────────────────────────────────────────────────────────────
def test_every_step_is_proved_or_a_definition(checked_without_torch):
    problem, results = checked_without_torch
    assert results, "problem 3 has no steps"
    statuses = {step.id: results[step.id].status for step in problem.steps()}
    assert set(statuses.values()) <= {VERIFIED, DEFINITION}, statuses
    for label in ("a", "b", "d"):
        assert any(s.startswith(f"p3.{label}.") and v == VERIFIED for s, v in statuses.items()), label


def test_results_are_the_folding_formulas(checked_without_torch):
    problem, results = checked_without_torch
    entries = {entry.id: entry for entry in collect([problem])}
    assert set(entries) == {"p3.weight", "p3.bias"}
    expected = {
        "p3.weight": GAMMA / sp.sqrt(SIGMA**2 + EPS) * W[C, CP, U, V],
        "p3.bias": GAMMA * (B - MU) / sp.sqrt(SIGMA**2 + EPS) + BETA,
    }
    for result_id, value in expected.items():
        entry = entries[result_id]
        assert sp.simplify(entry.value - value) == 0, result_id
        assert entry.value.free_symbols == value.free_symbols, result_id
        assert results[entry.step_id].status == VERIFIED, result_id


def _conv_derivation():
    """A fresh derivation with problem (a)'s assumptions and definitions, for wrong steps."""
    part = Problem(3, "wrong").part("a", "wrong")
    d = part.derivation(p3.CONV)
    d.define(p3.Y, p3.conv_sum(p3.entry(W)) + B)
    d.define(p3.BN_Y, GAMMA * (p3.Y - MU) / sp.sqrt(SIGMA**2 + EPS) + BETA)
    return part, d


STD = sp.sqrt(SIGMA**2 + EPS)
WRONG_STEPS = {
    # the classic bug: the conv bias added without the BN's factor
    "unscaled bias": lambda: (
        p3.BN_Y, p3.conv_sum(lambda *i: GAMMA / STD * W[i]) + B + BETA - GAMMA * MU / STD),
    # ε forgotten in the folded weight and bias
    "epsilon dropped": lambda: (
        p3.BN_Y, p3.conv_sum(lambda *i: GAMMA / SIGMA * W[i]) + GAMMA * (B - MU) / SIGMA + BETA),
    # the square root forgotten
    "variance not rooted": lambda: (
        p3.BN_Y, p3.conv_sum(lambda *i: GAMMA / (SIGMA**2 + EPS) * W[i]) + GAMMA * (B - MU) / (SIGMA**2 + EPS) + BETA),
    # the factor pulled into the sum but the bias left as b − μ + β
    "bias not scaled at all": lambda: (
        p3.BN_Y, p3.conv_sum(lambda *i: GAMMA / STD * W[i]) + B - MU + BETA),
    # the window shifted by one row: reads entries that the right step never touches
    "shifted window": lambda: (
        p3.BN_Y, sp.Sum(GAMMA / STD * W[C, CP, U, V] * p3.X[CP, p3.i + U + 1, p3.j + V], *p3.KERNEL)
        + GAMMA * (B - MU) / STD + BETA),
}


@pytest.mark.parametrize("name", list(WRONG_STEPS), ids=list(WRONG_STEPS))
def test_wrong_fold_steps_are_rejected(name):
    part, d = _conv_derivation()
    lhs, rhs = WRONG_STEPS[name]()
    wrong = d.step(lhs, "=", rhs)
    results = check_steps(list(part.steps()), jobs=1)
    assert results[wrong.id].status == FAILED, results[wrong.id]


def test_the_right_fold_passes_the_same_harness():
    """The harness of the wrong steps accepts the right one, so a rejection means the maths."""
    part, d = _conv_derivation()
    right = d.step(p3.BN_Y, "=", p3.conv_sum(lambda *i: GAMMA / STD * W[i]) + GAMMA * (B - MU) / STD + BETA)
    assert check_steps(list(part.steps()), jobs=1)[right.id].status == VERIFIED


def test_classic_bug_is_not_the_folded_bias():
    """The failing variant of the checked difference b̃ − b′ = b(1 − γ/√(σ²+ε)): claiming 0."""
    part = Problem(3, "wrong").part("d", "wrong")
    d = part.derivation(assume(*p3.BN_PARAMETERS))
    d.define(p3.b_folded, GAMMA * (B - MU) / STD + BETA)
    d.define(p3.b_bug, B + BETA - GAMMA * MU / STD)
    wrong = d.step(p3.b_bug, "=", p3.b_folded)
    assert check_steps(list(part.steps()), jobs=1)[wrong.id].status == FAILED


def test_weight_result_with_a_wrong_index_is_rejected():
    part, d = _conv_derivation()
    d.define(p3.W_conv, sp.Lambda((C, CP, U, V), GAMMA / STD * W[C, CP, U, V]))
    wrong = d.step(p3.W_conv(C, CP, U, V), "=", GAMMA / STD * W[C, CP, V, U], assumptions=p3.CONV_INDICES)
    assert check_steps(list(part.steps()), jobs=1)[wrong.id].status == FAILED


# ── helpers: array sampling and figures ─────────────────────────────────────────────────────
def test_real_array_draws_every_entry_of_its_window_and_nothing_else():
    n, i = sp.symbols("n i", integer=True)
    A = sp.IndexedBase("A")
    array = RealArray(A, n, lo=-1, hi=1, axes=((1, n), (i, i + 1)))
    assumptions = assume(Integer(n, 2, 2), Integer(i, 3, 3), array)
    point = assumptions.sample(random.Random(0))
    entries = {k: v for k, v in point.items() if isinstance(k, sp.Indexed)}
    assert set(entries) == {A[r, s] for r in (1, 2) for s in (3, 4)}
    assert all(-1 <= value <= 1 for value in entries.values())


@pytest.mark.parametrize(("value", "latex"), [
    (2.6226e-06, r"2.62 \cdot 10^{-6}"),
    (1e-8, r"10^{-8}"),
    (1.4339e-29, r"1.43 \cdot 10^{-29}"),
    (7.0483, "7.05"),
    (708.78, "709"),
    (17579.0, r"17\,600"),
    (0.0747, "0.0747"),
    (0.000188, r"1.88 \cdot 10^{-4}"),
    (1.42e11, r"1.42 \cdot 10^{11}"),
    (0.0, "0"),
    (-2.5e-7, r"- 2.5 \cdot 10^{-7}"),
], ids=lambda v: str(v))
def test_figures_print_with_three_significant_digits(value, latex):
    assert to_latex(p3.figure(value)) == latex


@pytest.mark.parametrize("value", [float("inf"), float("nan")], ids=["inf", "nan"])
def test_figure_refuses_non_finite_numbers(value):
    with pytest.raises(ValueError, match=rf"^figure: cannot show {value!r} as a measured number$"):
        p3.figure(value)


@pytest.mark.parametrize(("value", "text"), [(1e-8, "1e-8"), (1e-10, "1e-10"), (5e-3, "5e-3")])
def test_criterion_is_written_as_on_the_sheet(value, text):
    assert p3.criterion_text(value) == text


# ── the wrong folds the PDF measures (numpy: no torch needed) ───────────────────────────────
@pytest.fixture
def layer():
    rng = np.random.default_rng(3)
    return {
        "weight": rng.normal(size=(4, 3, 3, 3)), "bias": rng.uniform(-0.5, 0.5, 4),
        "gamma": rng.uniform(0.5, 1.5, 4), "beta": rng.uniform(-0.3, 0.3, 4),
        "mean": rng.normal(size=4), "var": rng.uniform(0.2, 3.0, 4),
    }


def test_unscaled_bias_fold_is_the_classic_bug(layer):
    weight, bias = p3_figures.fold_with_unscaled_bias(*layer.values(), 1e-5)
    scale = layer["gamma"] / np.sqrt(layer["var"] + 1e-5)
    np.testing.assert_allclose(weight, layer["weight"] * scale[:, None, None, None], rtol=1e-14)
    np.testing.assert_allclose(bias, layer["bias"] + layer["beta"] - scale * layer["mean"], rtol=1e-14)
    assert not np.allclose(bias, fold_bn(*layer.values(), 1e-5)[1])


def test_fold_without_eps_divides_by_the_standard_deviation(layer):
    weight, bias = p3_figures.fold_without_eps(*layer.values(), 1e-5)
    scale = layer["gamma"] / np.sqrt(layer["var"])
    np.testing.assert_allclose(weight, layer["weight"] * scale[:, None, None, None], rtol=1e-14)
    np.testing.assert_allclose(bias, (layer["bias"] - layer["mean"]) * scale + layer["beta"], rtol=1e-14)
    assert not np.allclose(weight, fold_bn(*layer.values(), 1e-5)[0], rtol=1e-7, atol=0)


# ── without torch ───────────────────────────────────────────────────────────────────────────
def test_without_torch_the_pdf_has_a_note_instead_of_tables(checked_without_torch):
    problem, _ = checked_without_torch
    assert not _blocks(problem, "c", Table) and not _blocks(problem, "d", Table)
    note = (f"The measurements of this part need PyTorch, which is not available here: "
            f"{NOT_INSTALLED}. The derivations above do not depend on it.")
    assert [_text(p) for p in _blocks(problem, "c", Prose)] == [note]
    assert _text(_blocks(problem, "d", Prose)[-1]) == (
        "What these folds do to the sheet's network is measured with PyTorch, which is not available here.")


def test_without_torch_the_document_renders(checked_without_torch):
    problem, results = checked_without_torch
    tex = render(Checked([problem], results), "t", "a")
    assert "need PyTorch, which is not available here" in tex
    assert tex.count(r"\fbox") >= 2  # the folded weight and bias, boxed without result-id captions
    assert "p3.weight" not in tex
    assert "Wrong folds against the BN network" not in tex


def test_a_failing_torch_import_gives_the_note_too(monkeypatch):
    """torch installed but broken: importing it fails, and the build still goes through."""
    import derive.documents.hw7

    measurements.use_cache(None)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "derive.documents.hw7.smallnet", None)
    monkeypatch.delattr(derive.documents.hw7, "smallnet", raising=False)
    problem = p3.problem()
    texts = [_text(p) for p in _blocks(problem, "c", Prose)]
    assert len(texts) == 1
    assert re.fullmatch(r"The measurements of this part need PyTorch, which is not available here: "
                        r"PyTorch cannot be imported \(.*\); pip install 'derive\[torch\]'\. "
                        r"The derivations above do not depend on it\.", texts[0]), texts[0]
    assert not _blocks(problem, "c", Table)


# ── with torch: the measured tables, at a small size ────────────────────────────────────────
SMALL = p3_figures.PrecisionSettings(batches=1, batch_size=4, seed=0)


@pytest.fixture(scope="module")
def measured_problem(tmp_path_factory):
    pytest.importorskip("torch")
    cache = tmp_path_factory.mktemp("measurements") / "measurements.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(p3, "SETTINGS", SMALL)
        measurements.use_cache(cache)
        problem = p3.problem()
        figures = p3_figures.collect(SMALL)  # from the cache just filled
    measurements.use_cache(None)
    return problem, figures, cache


@pytest.mark.torch
def test_measurements_are_cached_under_keys_naming_torch_and_the_settings(measured_problem):
    _, figures, cache = measured_problem
    keys = sorted(json.loads(cache.read_text()))
    assert len(keys) == 3
    for key in keys:
        assert f"torch={figures['torch']}" in key and SMALL.key() in key, key


@pytest.mark.torch
def test_a_cached_build_runs_no_network(measured_problem, monkeypatch):
    _, _, cache = measured_problem

    def refuse(*args):
        raise AssertionError("measured again although cached")

    for name in ("_precision", "_fusion", "_wrong_folds"):
        monkeypatch.setattr(p3_figures, name, refuse)
    monkeypatch.setattr(p3, "SETTINGS", SMALL)
    measurements.use_cache(cache)
    try:
        assert len(_blocks(p3.problem(), "c", Table)) == 1
    finally:
        measurements.use_cache(None)


@pytest.mark.torch
def test_precision_table_shows_the_sheets_batch_sum(measured_problem):
    """The sheet's test is torch.norm(model(images) - model_test(images))**2: a sum, not a mean."""
    problem, figures, _ = measured_problem
    (table,) = _blocks(problem, "c", Table)
    rows = figures["precision"]["rows"]
    entries = SMALL.batch_size * 10
    assert [r["mode"] for r in rows] == ["float32", "float64-rounded", "float64"]
    assert len(table.rows) == 3 and table.header[1] == "largest batch sum (the test)"
    for shown, row in zip(table.rows, rows, strict=True):
        assert shown == (p3.MODE_NAMES[row["mode"]], p3.figure(row["max_batch_sum"]), row["passes_1e8"],
                         p3.figure(row["max_abs_diff"]), p3.figure(row["diff_in_eps"]))
        assert row["passes_1e8"] == (row["max_batch_sum"] < 1e-8)
        assert row["max_batch_sum"] == pytest.approx(entries * row["max_batch_mse"], rel=1e-9)
    by_mode = {r["mode"]: r for r in rows}
    assert by_mode["float32"]["diff_in_eps"] <= figures["precision"]["tolerance_eps"]
    assert by_mode["float64"]["max_abs_diff"] < by_mode["float32"]["max_abs_diff"]
    said = " ".join(_text(p) for p in _blocks(problem, "c", Prose))
    assert "torch.nn.utils.fusion" in said
    assert "it is a heuristic, not a guarantee" in said and "(Higham)" in said
    assert "justified" not in said


@pytest.mark.torch
def test_wrong_fold_figures_show_which_test_catches_which_bug(measured_problem):
    problem, figures, _ = measured_problem
    tolerance = figures["precision"]["tolerance_eps"]
    runs = {(r["fold"], r["biases"], r["mode"]): r for r in figures["wrong_folds"]["rows"]}
    unscaled = runs[("unscaled bias", True, "float32")]
    hidden = runs[("unscaled bias", False, "float32")]
    no_eps32, no_eps64 = runs[("epsilon forgotten", True, "float32")], runs[("epsilon forgotten", True, "float64")]
    assert not unscaled["passes_1e8"] and unscaled["diff_in_mode_eps"] > tolerance
    assert hidden["passes_1e8"] and hidden["diff_in_mode_eps"] <= tolerance
    assert no_eps32["max_batch_sum"] == pytest.approx(SMALL.batch_size * 10 * no_eps32["max_batch_mse"], rel=1e-9)
    assert no_eps64["diff_in_mode_eps"] > 1e3 * tolerance
    (table,) = _blocks(problem, "d", Table)
    assert [row[4] for row in table.rows] == [r["passes_1e8"] for r in figures["wrong_folds"]["rows"]]
    said = " ".join(_text(p) for p in _blocks(problem, "d", Prose))
    assert "non-zero biases fails the sheet's test (batch sum" in said
    assert "set to 0 the same fold passes the sheet's test" in said
    assert "on the per-entry mean" in said


def test_a_fold_that_disagrees_with_torch_fails_the_build():
    from derive.documents.hw7 import p3_bn_fold
    from derive.core.document import Problem
    from derive.errors import CheckFailed

    gaps = {name: 0.5 for name in ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias")}
    fusion = {"float32": dict(gaps, **{"conv2.bias": 1000.0}), "float64": gaps}
    part = Problem(3, "t").part("c", "t")
    with pytest.raises(CheckFailed, match=r"^problem 3: fold_bn differs from torch's fusion by 1e\+03 eps \(float32, conv1, conv2\)"):
        p3_bn_fold.crosscheck(part, fusion)
