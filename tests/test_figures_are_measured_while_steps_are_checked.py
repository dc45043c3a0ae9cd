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
from derive.errors import CheckFailed

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
