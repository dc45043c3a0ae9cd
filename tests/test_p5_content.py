"""Problem 5's content: every step survives the checker, wrong variants do not, the results are the
sheet's, the definitions mean what Conv2d and flatten do, and the figures degrade gracefully."""

from __future__ import annotations

import dataclasses
import json
import random
import sys

import pytest
import sympy as sp

from derive.documents.hw7 import p5_figures
from derive.documents.hw7 import p5_net_in_net as p5
from derive.core import measurements
from derive.core.checks.prepare import expand_definitions
from derive.core.checks.result import FAILED, NUMERIC_ONLY, VERIFIED
from derive.core.checks.runner import check_step, check_steps
from derive.core.document import Prose, Table
from derive.core.measurements import Unavailable
from derive.errors import InputError
from derive.render.printer import to_latex

# The sheet's layers from input to one logit: kernel sizes of conv1..conv5, then fc1..fc3 as convs.
SHEET_KERNELS = (7, 3, 3, 3, 3, 18, 1, 1)


def _no_torch_figures():
    raise Unavailable("torch is switched off for this test")


@pytest.fixture(scope="module")
def problem():
    """Problem 5 built without running torch, and with no full-width results file."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(p5_figures, "small_width_checks", _no_torch_figures)
        mp.setenv(p5_figures.FULL_RESULTS_ENV, "/nonexistent/p5-full.json")
        return p5.problem()


@pytest.fixture(scope="module")
def results(problem):
    return check_steps(list(problem.steps()), jobs=1)


def _step(problem, step_id):
    return next(s for s in problem.steps() if s.id == step_id)


def _result(problem, result_id):
    return next(r for r in problem.results() if r.result_id == result_id)


def _tables(problem):
    return [b for part in problem.parts for b in part.blocks if isinstance(b, Table)]


def _prose_text(problem):
    return " ".join(str(x) for part in problem.parts for b in part.blocks if isinstance(b, Prose)
                    for x in b.parts)


# --- the checker accepts the derivation ---------------------------------------------------------


def test_no_step_fails(results):
    failed = {k: r.message for k, r in results.items() if r.status == FAILED}
    assert failed == {}


def test_every_claim_is_proved_the_reindexing_by_concatenating_blocks(problem, results):
    # The sum over t = τ(c, r, s) is proved by derive's sum technique (consecutive blocks of W,
    # then H·W entries, concatenated), so no claim of Problem 5 rests on sampling alone.
    numeric_only = [k for k, r in results.items() if r.status == NUMERIC_ONLY]
    assert numeric_only == []
    assert any(m.method == "sums" and m.outcome == "proved" for m in results["p5.a.6"].methods)
    assert "$τ$ is a bijection" in "".join(str(x) for x in _step(problem, "p5.a.6").why)
    claims = [s for s in problem.steps() if not s.is_definition]
    assert sum(results[s.id].status == VERIFIED for s in claims) == len(claims)


def test_every_result_restates_a_checked_step(problem, results):
    ids = [r.result_id for r in problem.results()]
    assert ids == ["p5.a.linear_is_conv", "p5.a.one_by_one", "p5.out_size", "p5.b.shift"]
    for result in problem.results():
        assert results[result.step.id].status in (VERIFIED, NUMERIC_ONLY)


# --- the results are the sheet's ----------------------------------------------------------------


def test_out_size_is_the_kernel_chain_of_the_sheet(problem):
    h, w = p5.h, p5.w
    shrink = sum(k - 1 for k in SHEET_KERNELS)
    value = _result(problem, "p5.out_size").value
    assert sp.expand(value - (h - shrink) * (w - shrink)) == 0
    assert sp.expand(value - (h - 31) * (w - 31)) == 0


def test_out_size_counts_the_windows_of_the_cost_model(problem):
    pytest.importorskip("numpy")  # derive.nn.net_in_net needs numpy
    from derive.nn.net_in_net import sliding_costs

    value = _result(problem, "p5.out_size").value
    for height, width in ((32, 32), (36, 38), (40, 33)):
        assert value.subs({p5.h: height, p5.w: width}) == sliding_costs(height, width).patches


def _random_point(sizes, vectors, seed=0):
    rng = random.Random(seed)
    point = dict(sizes)
    for base, length in vectors:
        point.update({base[i]: sp.Rational(rng.randint(-99, 99), 17) for i in range(1, length + 1)})
    return point


def _evaluate(expr, definitions, point):
    expanded = expand_definitions(expr, definitions)
    sizes = {k: v for k, v in point.items() if isinstance(k, sp.Symbol)}
    return sp.nsimplify(expanded.subs(sizes).doit().subs(point).doit())


def test_reshaped_kernel_matches_linear_to_conv_and_flatten_order(problem):
    """τ must be flatten's (C-order) position: compare the result with numpy's reshape."""
    np = pytest.importorskip("numpy")
    from derive.nn.net_in_net import linear_to_conv

    result = _result(problem, "p5.a.linear_is_conv")
    channels, height, width = 2, 3, 4
    n = channels * height * width
    point = _random_point({p5.C: channels, p5.H: height, p5.W: width}, [(p5.a, n), (p5.x, n)])
    point[p5.bias] = sp.Rational(5, 7)
    derived = _evaluate(result.value, result.step.definitions, point)
    row = np.array([[float(point[p5.a[t]]) for t in range(1, n + 1)]])
    x = np.array([float(point[p5.x[t]]) for t in range(1, n + 1)])
    kernel, _ = linear_to_conv(row, None, (channels, height, width))
    expected = float(np.sum(kernel[0] * x.reshape(channels, height, width))) + 5 / 7
    assert float(derived) == pytest.approx(expected, rel=1e-12)
    assert float(derived) == pytest.approx(float((row @ x)[0]) + 5 / 7, rel=1e-12)


@pytest.mark.torch
def test_convolution_definition_is_what_conv2d_computes(problem):
    """The derivation's (K ⋆ X) at every position equals torch's conv2d (cross-correlation)."""
    torch = pytest.importorskip("torch")
    step = _step(problem, "p5.b.shift.6")
    sizes = {p5.C: 2, p5.k: 3, p5.h: 5, p5.w: 6}
    point = _random_point(sizes, [(p5.kappa, 2 * 9), (p5.xi, 2 * 5 * 6)], seed=4)
    kernel = torch.tensor([float(point[p5.kappa[t]]) for t in range(1, 19)], dtype=torch.float64)
    image = torch.tensor([float(point[p5.xi[t]]) for t in range(1, 61)], dtype=torch.float64)
    expected = torch.nn.functional.conv2d(image.reshape(1, 2, 5, 6), kernel.reshape(1, 2, 3, 3))[0, 0]
    assert expected.shape == (3, 4)
    for row, col in ((0, 0), (0, 3), (2, 0), (2, 3), (1, 2)):  # the corners and one inside
        derived = _evaluate(p5.Kb_star_X(row + 1, col + 1), step.definitions, point)
        assert float(derived) == pytest.approx(expected[row, col].item(), rel=1e-12, abs=1e-12)


# --- wrong variants are rejected ----------------------------------------------------------------


def _wrong(problem, step_id, **changes):
    step = _step(problem, step_id)
    return check_step(dataclasses.replace(step, id=step.id + "/wrong", **changes))


C, H, W, c, r, s = p5.C, p5.H, p5.W, p5.c, p5.r, p5.s
column_major = (c - 1) * H * W + (s - 1) * H + r  # the map flattened column by column


@pytest.mark.parametrize("step_id, changes", [
    pytest.param("p5.a.6", {"rhs": p5.triple_sum(p5.a[p5.tau(c, r, s)] * p5.x[column_major], C, H, W)
                            + p5.bias}, id="kernel-and-map-in-different-orders"),
    pytest.param("p5.a.6", {"rhs": p5.triple_sum(p5.a[p5.tau(c, r, s)] * p5.x[p5.tau(c, r, s)], C, H, W)},
                 id="bias-dropped"),
    pytest.param("p5.a.flatten.5", {"rhs": p5.tau(c, r, W)}, id="row-end-not-followed"),
    pytest.param("p5.a.7", {"rhs": p5.triple_sum(p5.K(c, H + 1 - r, W + 1 - s) * p5.X(c, r, s), C, H, W)
                            + p5.bias}, id="kernel-flipped-as-in-a-true-convolution"),
    pytest.param("p5.b.sizes.2", {"rhs": p5.h - 7}, id="size-rule-off-by-one"),
    pytest.param("p5.b.sizes.14", {"rhs": (p5.h - 32) * (p5.w - 32)}, id="out-size-off-by-one"),
    pytest.param("p5.b.shift.6", {"rhs": p5.triple_sum(p5.Kb(c, s, r) * p5.Xb(c, p5.i + p5.p + r - 2,
                                                       p5.j + p5.q + s - 2), C, p5.k, p5.k)},
                 id="kernel-transposed"),
    pytest.param("p5.b.shift.6", {"rhs": p5.triple_sum(p5.Kb(c, p5.k + 1 - r, p5.k + 1 - s)
                                                       * p5.Xb(c, p5.i + p5.p + r - 2, p5.j + p5.q + s - 2),
                                                       C, p5.k, p5.k)},
                 id="true-convolution-flips-the-kernel"),
    pytest.param("p5.b.relu.4", {"rhs": sp.Max(0, p5.window(c, r + 1, s))}, id="relu-window-shifted"),
])
def test_wrong_variants_fail(problem, step_id, changes):
    result = _wrong(problem, step_id, **changes)
    assert result.status == FAILED, result
    # Rejected for disagreeing, not for an expression the checker could not evaluate.
    assert "lhs =" in result.message or "simplifies to" in result.message, result.message


# --- display --------------------------------------------------------------------------------------


@pytest.mark.parametrize("expr, latex", [
    (p5.K(p5.c, p5.r, p5.s), "K_{c,r,s}"),
    (p5.K, "K"),
    (p5.tau(1, 1, 1), r"\tau(1,1,1)"),
    (p5.K_star_X, r"\left(K \star X\right)"),
    (p5.window(p5.c, p5.r, p5.s), r"\tilde{X}_{c,r,s}"),
], ids=["entry", "bare-class", "function", "bare-convolution", "window"])
def test_arrays_print_as_written(expr, latex):
    assert to_latex(expr) == latex


# --- figures: torch, the full-width file, the cost table -----------------------------------------


def test_without_torch_the_build_says_so_instead_of_a_table(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    monkeypatch.setenv(p5_figures.FULL_RESULTS_ENV, "/nonexistent/p5-full.json")
    measurements.use_cache(None)
    try:
        built = p5.problem()
    finally:
        measurements.use_cache(None)
    captions = [t.caption for t in _tables(built)]
    assert any(caption.startswith("Multiply-adds") for caption in captions)
    text = _prose_text(built)
    assert text.count("not run in this build at reduced widths, because the torch checks cannot run here") == 2


@pytest.mark.torch
def test_with_torch_both_checks_agree_at_reduced_widths(monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv(p5_figures.FULL_RESULTS_ENV, "/nonexistent/p5-full.json")
    measurements.use_cache(None)
    try:
        figures = p5_figures.small_width_checks()
        built = p5.problem()
    finally:
        measurements.use_cache(None)
    for dtype in p5_figures.DTYPES:
        for check in ("a", "b"):
            assert p5_figures.agrees(figures["dtypes"][dtype][check], dtype)
    assert figures["dtypes"]["float32"]["b"]["windows"] == 35
    text = _prose_text(built)
    assert text.count("at reduced widths (channels") == 2
    assert text.count("in float32 and") == 2


@pytest.mark.parametrize("record, dtype, expected", [
    ({"max_abs_diff": 1e-9, "max_abs_output": 0.1, "shapes_match": True}, "float32", True),
    ({"max_abs_diff": 1e-9, "max_abs_output": 0.1, "shapes_match": False}, "float32", False),
    ({"max_abs_diff": 1e-3, "max_abs_output": 0.1, "shapes_match": True}, "float32", False),
    ({"max_abs_diff": 1e-9, "max_abs_output": 0.1, "shapes_match": True}, "float64", False),
    ({"max_abs_diff": float("inf"), "max_abs_output": 0.1, "shapes_match": True}, "float64", False),
], ids=["f32-rounding", "shapes-differ", "f32-wrong", "f64-too-far", "infinite"])
def test_agrees_rejects_large_differences_and_shape_mismatch(record, dtype, expected):
    assert p5_figures.agrees(record, dtype) is expected


def _report(diff, windows=None):
    fields = {"max_abs_diff": diff, "max_abs_output": 0.02, "shapes_match": True,
              "net2_shape": (2, 10, 5, 7), "expected_shape": (2, 10, 5, 7)}
    if windows is not None:
        fields["windows"] = windows
    return type("Report", (), fields)()


def _full_record():
    checks = {"float32": (_report(2e-8), _report(3e-8, 35)), "float64": (_report(2e-17), _report(9e-17, 35))}
    return p5_figures.full_width_record(checks, batch=2, size=(36, 38), torch="2.13.0")


def test_full_width_file_round_trips_into_the_tables(tmp_path, monkeypatch):
    path = tmp_path / "full.json"
    path.write_text(json.dumps(_full_record()))
    monkeypatch.setenv(p5_figures.FULL_RESULTS_ENV, str(path))
    monkeypatch.setattr(p5_figures, "small_width_checks", _no_torch_figures)
    assert p5_figures.full_results_path() == path
    built = p5.problem()
    text = _prose_text(built)
    # relative to the largest output, 0.02
    assert "at the sheet's widths (run separately) the largest difference relative to the largest output " \
           "is $1.0 · 10^{-6}$ in float32 and $1.0 · 10^{-15}$ in float64" in text
    assert "$1.5 · 10^{-6}$ in float32 and $4.5 · 10^{-15}$ in float64" in text
    assert str(path) not in text  # no cache paths in the solution


def test_missing_full_width_file_is_not_an_error(tmp_path):
    assert p5_figures.read_full_width(tmp_path / "absent.json") is None


def _broken(change):
    record = _full_record()
    change(record)
    return json.dumps(record)


FIX = r"; rerun python bench/net_in_net\.py --json .*full\.json, or delete the file$"


@pytest.mark.parametrize("text, problem_text", [
    ("{not json", r"not valid JSON \(line 1\)"),
    (json.dumps([1, 2]), r'not a results file of bench/net_in_net\.py \(no "format": "derive-p5-full/1"\)'),
    (_broken(lambda d: d.update(format="derive-p5-full/0")),
     r'not a results file of bench/net_in_net\.py \(no "format": "derive-p5-full/1"\)'),
    (_broken(lambda d: d.update(torch=2.13)), r'"torch" must be the torch version as a string'),
    (_broken(lambda d: d.update(batch=True)), r'"batch" must be a positive integer'),
    (_broken(lambda d: d.update(size=[36])), r'"size" must be \[height, width\], both at least 32'),
    (_broken(lambda d: d.update(size=[31, 38])), r'"size" must be \[height, width\], both at least 32'),
    (_broken(lambda d: d.update(dtypes={})), r'"dtypes" must map float32 and/or float64 to their checks'),
    (_broken(lambda d: d["dtypes"].update(float16=d["dtypes"]["float32"])),
     r"\"dtypes\" has 'float16'; only float32 and float64 are known"),
    (_broken(lambda d: d["dtypes"]["float64"].pop("b")), r'"dtypes"\."float64"\."b" is missing'),
    (_broken(lambda d: d["dtypes"]["float32"]["a"].update(max_abs_diff=-1)),
     r'"dtypes"\."float32"\."a"\.max_abs_diff must be a number at least 0'),
    (_broken(lambda d: d["dtypes"]["float32"]["a"].update(max_abs_output="0.1")),
     r'"dtypes"\."float32"\."a"\.max_abs_output must be a number at least 0'),
    (_broken(lambda d: d["dtypes"]["float32"]["b"].update(shapes_match=1)),
     r'"dtypes"\."float32"\."b"\.shapes_match must be true or false'),
    (_broken(lambda d: d["dtypes"]["float32"]["b"].pop("windows")),
     r'"dtypes"\."float32"\."b"\.windows must be a positive integer'),
], ids=["not-json", "not-an-object", "old-format", "torch", "batch", "size-length", "size-small",
        "no-dtypes", "unknown-dtype", "missing-check", "negative-diff", "string-number",
        "shapes-not-bool", "no-windows"])
def test_damaged_full_width_file_is_one_clear_input_error(tmp_path, text, problem_text):
    path = tmp_path / "full.json"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"^{tmp_path}/full\.json: {problem_text}{FIX}"):
        p5_figures.read_full_width(path)


@pytest.mark.torch
def test_full_width_record_takes_the_real_reports(tmp_path):
    """The bench writes reports of derive.documents.hw7.net_in_net_torch; the reader must accept them."""
    torch = pytest.importorskip("torch")
    from derive.nn.net_in_net import SMALL_WIDTHS
    from derive.documents.hw7.net_in_net_torch import verify_net_in_net

    report = verify_net_in_net(SMALL_WIDTHS, dtype=torch.float64, batch=1)
    record = p5_figures.full_width_record({"float64": (report.same, report.sliding)}, batch=1,
                                          size=(36, 38), torch="2.13.0")
    path = tmp_path / "full.json"
    path.write_text(json.dumps(record))
    data = p5_figures.read_full_width(path)
    assert data["dtypes"]["float64"]["b"]["windows"] == 35
    assert p5_figures.agrees(data["dtypes"]["float64"]["a"], "float64")


def test_cost_table_agrees_with_the_sliding_cost_model():
    """Two independent counts: the counting engine's specs and derive.nn's closed forms."""
    pytest.importorskip("numpy")
    from derive.nn.net_in_net import sliding_costs

    table = sliding_costs(36, 38)
    rows = p5_figures.cost_rows(36, 38, table.patches)
    per_layer = rows[: len(table.layers)]
    assert [(r[1], r[2]) for r in per_layer] == [(x.net2_macs, x.net1_macs) for x in table.layers]
    assert rows[-1][1:3] == (table.net2_total, table.net1_total)
    assert rows[-1][3] == f"{table.ratio:.2f}"


def test_cost_table_refuses_a_window_count_that_is_not_net2s_grid():
    with pytest.raises(RuntimeError, match=r"^Net2's output grid 5 x 7 does not have 36 positions$"):
        p5_figures.cost_rows(36, 38, 36)


def test_cost_table_is_in_the_pdf_with_the_proved_window_count(problem):
    costs = next(t for t in _tables(problem) if t.caption.startswith("Multiply-adds"))
    assert "each of its 35 windows" in costs.caption
    assert costs.header == ("layers", "Net2", "Net1 × 35", "ratio")
    assert [row[0] for row in costs.rows] == ["features, all layers", "classifier, all layers", "total"]


def test_a_disagreeing_check_fails_the_build():
    from derive.documents.hw7 import p5_figures
    from derive.errors import CheckFailed

    record = {"shapes_match": True, "max_abs_diff": 1.0, "max_abs_output": 1.0}
    with pytest.raises(CheckFailed, match=r"^problem 5: check \(a\) at reduced widths in float64 disagrees: "):
        p5_figures._rows("reduced", {"float64": {"a": record}}, "a")
