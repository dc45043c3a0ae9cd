"""A cold build measures its figures in another process while the steps are checked; the PDF still
shows every figure, from the measurement, and what goes wrong in that process is what went wrong
before (the build measures the figure itself and reports as it always did)."""

from __future__ import annotations

import json
import os
import time

import pytest
import sympy as sp

import derive as dv
from derive import measurer, pipeline
from derive.core import measurements
from derive.errors import CheckFailed, InputError

x = sp.Symbol("x", real=True)


def _document(compute, *, catch: bool = True, figure_in_step: bool = False) -> dv.Document:
    doc = dv.Document("Measured", author="T")

    def build() -> dv.Problem:
        problem = dv.Problem(1, "One", ("A statement.",))
        part = problem.part("a", "Sum")
        try:
            value = dv.measured("figure", compute)
        except dv.Unavailable as missing:
            if not catch:
                raise
            value = None
            part.say("not measured: ", str(missing))
        if value is not None:
            part.say("measured: ", json.dumps(value))
        d = part.derivation(dv.assume(dv.Real(x, -1, 1)))
        coefficient = 3 if figure_in_step and value is not None else 2
        d.step(coefficient * x - x, "=", (coefficient - 1) * x, "collect")
        return problem

    doc.include(build)
    return doc


def _build(tmp_path, document, progress=None):
    options = pipeline.BuildOptions((), tmp_path, tex_only=True, name="measured", document=document)
    return pipeline.build(options, progress)


@pytest.fixture(autouse=True)
def _forget_the_cache():
    yield
    measurements.use_cache(None)


@pytest.fixture(autouse=True)
def _fork_although_torch_ran(monkeypatch):
    # Other tests in this session may have run torch, which stops a build from forking its measurer
    # (tests/test_a_build_after_torch_ran_does_not_hang.py); these figures use no torch.
    monkeypatch.setattr(measurer, "fork_is_safe", lambda: True)


def test_the_steps_are_checked_while_the_figure_is_measured_elsewhere(tmp_path):
    def compute():
        started = time.time()
        time.sleep(3)
        return {"pid": os.getpid(), "started": started, "ended": time.time()}

    arrived = []
    report = _build(tmp_path, _document(compute), progress=lambda step, result: arrived.append(time.time()))
    figure = json.loads((tmp_path / ".cache" / "measurements.json").read_text())
    (value,) = figure.values()
    assert value["pid"] != os.getpid()  # measured in another process
    assert arrived and arrived[0] < value["ended"]  # a step's result came in while it measured
    tex = report.tex_path.read_text()
    assert "measured: " in tex and str(value["pid"]) in tex and "not measured" not in tex
    assert report.checked.results["p1.a.1"].status == "verified"


def test_a_cached_figure_starts_no_second_process(tmp_path, monkeypatch):
    document = _document(lambda: 42)
    _build(tmp_path, document)
    monkeypatch.setattr(pipeline, "start_measurer", lambda *a: pytest.fail("measured again"))
    report = _build(tmp_path, document)
    assert "measured: 42" in report.tex_path.read_text()


def test_a_document_that_does_not_expect_a_missing_figure_is_built_the_ordinary_way(tmp_path):
    report = _build(tmp_path, _document(lambda: 7, catch=False))
    assert "measured: 7" in report.tex_path.read_text()


def test_a_failed_measurement_fails_the_build_as_before(tmp_path):
    def compute():
        dv.require(False, "the measured check failed")

    with pytest.raises(CheckFailed, match="the measured check failed"):
        _build(tmp_path, _document(compute))
    assert not (tmp_path / "measured.tex").exists()


def test_a_step_that_depends_on_the_figure_is_checked_as_finally_built(tmp_path):
    report = _build(tmp_path, _document(lambda: 1, figure_in_step=True))
    (step,) = report.checked.steps()
    assert sp.simplify(step.rhs - 2 * x) == 0  # 3x - x = 2x: the step with the figure, not 2x - x = x
    assert report.checked.results[step.id].status == "verified"
    assert "3" in report.tex_path.read_text()


def _two_problems(log) -> dv.Document:
    """Problem 1 measures nothing; problem 2 has a figure. Each builder notes the process it ran in."""
    doc = dv.Document("Measured", author="T")

    def plain() -> dv.Problem:
        with log.open("a") as notes:
            notes.write(f"1 {os.getpid()}\n")
        problem = dv.Problem(1, "Plain", ("A statement.",))
        d = problem.part("a", "Sum").derivation(dv.assume(dv.Real(x, -1, 1)))
        d.step(2 * x - x, "=", x, "collect")
        return problem

    def figured() -> dv.Problem:
        with log.open("a") as notes:
            notes.write(f"2 {os.getpid()}\n")
        problem = dv.Problem(2, "Figured", ("A statement.",))
        for label in ("a", "b"):
            part = problem.part(label, "Sum")
            try:
                part.say("measured: ", json.dumps(dv.measured("figure", lambda: 5)))
            except dv.Unavailable as missing:
                part.say("not measured: ", str(missing))
            d = part.derivation(dv.assume(dv.Real(x, -1, 1)))
            d.step(3 * x - x, "=", 2 * x, "collect")
        return problem

    doc.include(plain)
    doc.include(figured)
    return doc


def _builds(log) -> list[tuple[str, bool]]:
    """(problem, built in this process) for every time a problem was built, in order."""
    return [(number, int(pid) == os.getpid()) for number, pid in (line.split() for line in log.read_text().splitlines())]


def _not_cold(out) -> None:
    """A measurement cache holding some figure of the current code, not the one asked for: the
    build is not cold, so the measurer starts only once the problems show what is missing."""
    cache = out / ".cache" / "measurements.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({f"another figure@{measurements.code_digest()}": 1}))


def test_only_a_problem_that_missed_a_figure_is_measured_and_built_again(tmp_path):
    log = tmp_path / "built.log"
    _not_cold(tmp_path / "out")
    report = _build(tmp_path / "out", _two_problems(log))
    builds = _builds(log)
    assert builds.count(("1", True)) == 1 and ("1", False) not in builds  # built once, here only
    assert builds.count(("2", False)) == 1  # by the measurer
    assert builds.count(("2", True)) == 2  # from the cache, then with the figure
    tex = report.tex_path.read_text()
    assert tex.count("measured: 5") == 2 and "not measured" not in tex
    assert {r.status for r in report.checked.results.values()} == {"verified"}


def test_a_cold_build_starts_measuring_before_it_builds_and_rebuilds_only_what_missed(tmp_path):
    # Nothing measured yet: the measurer is started before the problems are built (this process
    # builds them while the other core is idle) and builds every selected problem; this process
    # still builds again only the one that missed a figure.
    log = tmp_path / "built.log"
    report = _build(tmp_path / "out", _two_problems(log))
    builds = _builds(log)
    assert builds.count(("1", True)) == 1 and builds.count(("1", False)) == 1
    assert builds.count(("2", False)) == 1 and builds.count(("2", True)) == 2
    assert report.tex_path.read_text().count("measured: 5") == 2


@pytest.fixture
def started(monkeypatch) -> list:
    """Every measurer the build starts, in order (it starts them as usual)."""
    measurers = []

    def start(*args):
        measurers.append(measurer.start(*args))
        return measurers[-1]

    monkeypatch.setattr(pipeline, "start_measurer", start)
    return measurers


def test_a_cold_build_whose_problems_measure_nothing_stops_its_measurer(tmp_path, started):
    log = tmp_path / "built.log"
    options = pipeline.BuildOptions(("1",), tmp_path / "out", tex_only=True, name="measured",
                                    document=_two_problems(log))
    report = pipeline.build(options)
    assert [p.number for p in report.checked.problems] == [1]
    assert len(started) == 1 and started[0].status is not None  # started early, and ended by the build
    assert ("2", False) not in _builds(log) and ("2", True) not in _builds(log)


def test_nothing_measured_yet_means_no_figure_of_the_current_code(tmp_path):
    cache = tmp_path / "measurements.json"
    assert measurements.nothing_measured_yet(cache)  # no file
    cache.write_text(json.dumps({"p3.precision@0123456789abcdef": 1}))  # another version's figures
    assert measurements.nothing_measured_yet(cache)
    cache.write_text(json.dumps({f"p3.precision@{measurements.code_digest()}": 1}))
    assert not measurements.nothing_measured_yet(cache)


def test_a_selected_part_is_measured_with_only_its_own_part(tmp_path):
    log = tmp_path / "built.log"
    _not_cold(tmp_path / "out")
    options = pipeline.BuildOptions(("2b", "1"), tmp_path / "out", tex_only=True, name="measured",
                                    document=_two_problems(log))
    report = pipeline.build(options)
    assert [(p.number, [part.label for part in p.parts]) for p in report.checked.problems] == [(1, ["a"]), (2, ["b"])]
    assert "measured: 5" in report.tex_path.read_text()
    assert ("1", False) not in _builds(log)


def test_a_part_of_no_problem_is_refused_before_any_problem_is_built(tmp_path):
    log = tmp_path / "built.log"
    options = pipeline.BuildOptions(("1", "9"), tmp_path / "out", tex_only=True, name="measured",
                                    document=_two_problems(log))
    with pytest.raises(InputError, match="no problem 9"):
        pipeline.build(options)
    assert not log.exists()


def test_the_build_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    # The build keeps its objects out of collections while forked processes share them: a caller
    # (a notebook) gets its collector back, with what it froze itself still frozen.
    import gc

    assert gc.get_freeze_count() == 0
    _build(tmp_path / "a", _document(lambda: 1))
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        _build(tmp_path / "b", _document(lambda: 2))
        assert gc.get_freeze_count() > 0  # not unfrozen by the build
    finally:
        gc.unfreeze()


def test_a_document_that_measures_nothing_starts_no_early_measurer_the_second_time(tmp_path, started):
    options = pipeline.BuildOptions(("1",), tmp_path / "out", tex_only=True, name="measured",
                                    document=_two_problems(tmp_path / "built.log"))
    pipeline.build(options)
    assert len(started) == 1  # cold: started before the problems were built, then stopped
    pipeline.build(options)
    assert len(started) == 1  # the cache remembers that this code measured nothing
