"""pipeline.build reports where a build's time goes (bench/build_speed.py prints it per phase)."""

from __future__ import annotations

import sympy as sp

import derive as dv
from derive import pipeline
from derive.core import measurements

x = sp.Symbol("x", real=True)


def small_document() -> dv.Document:
    doc = dv.Document("Timed")
    part = doc.problem("Squares").part("a", "Expand")
    measurements.measured("timed-figure", lambda: sum(range(10**5)))  # stands in for a torch run
    d = part.derivation(dv.assume(dv.Real(x)))
    d.step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "multiply out")
    return doc


def test_every_phase_is_timed_and_measuring_is_counted_apart(tmp_path):
    doc = dv.Document("Timed")
    doc.include(lambda: small_document().load(1))  # built (and measured) when selected
    timings: dict[str, float] = {}
    options = pipeline.BuildOptions(out_dir=tmp_path, tex_only=True, name="timed", document=doc)
    pipeline.build(options, timings=timings)
    assert set(timings) == {"problems", "measurements", "checks", "render", "tex"}
    assert all(seconds >= 0 for seconds in timings.values())
    assert timings["measurements"] > 0


def test_without_a_timings_dict_nothing_changes(tmp_path):
    options = pipeline.BuildOptions(out_dir=tmp_path, tex_only=True, name="timed", document=small_document())
    report = pipeline.build(options)
    assert report.tex_path.is_file()
