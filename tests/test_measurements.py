"""Measured figures are cached per key and per version of the code that measures them."""

from __future__ import annotations

import pytest

from derive.core import measurements
from derive.errors import CheckFailed


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path):
    measurements.use_cache(tmp_path / "measurements.json")
    yield
    measurements.use_cache(None)


def test_a_measurement_runs_once_per_key(tmp_path):
    calls = []
    compute = lambda: calls.append(1) or {"value": len(calls)}  # noqa: E731
    assert measurements.measured("k", compute) == {"value": 1}
    measurements.use_cache(tmp_path / "measurements.json")  # a new process reads the file
    assert measurements.measured("k", compute) == {"value": 1}
    assert len(calls) == 1


def test_changed_code_measures_again(tmp_path, monkeypatch):
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    measurements.measured("k", compute)
    monkeypatch.setattr(measurements, "code_digest", lambda: "another-version")
    measurements.use_cache(tmp_path / "measurements.json")
    assert measurements.measured("k", compute) == 2


def test_an_unwritable_cache_still_returns_the_measurement():
    measurements.use_cache(__import__("pathlib").Path("/proc/derive-no/measurements.json"))
    assert measurements.measured("k", lambda: 42) == 42


def test_require_fails_the_build_with_the_message():
    measurements.require(True, "never shown")
    with pytest.raises(CheckFailed, match=r"^problem 9: it disagreed$"):
        measurements.require(False, "problem 9: it disagreed")
