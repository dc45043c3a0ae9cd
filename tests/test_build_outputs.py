"""A build's files: published together, under a lock, with the user's umask, named apart for a
partial build; a corrupt PDF is rebuilt; broken caches and unusable folders are handled first."""

from __future__ import annotations

import fcntl
import json
import os
import stat

import pytest
import sympy as sp
from click.testing import CliRunner

from derive import pipeline
from derive.cli import main
from derive.core import measurements
from derive.core.assumptions import Real, assume
from derive.core.checks import runner

from conftest import FAKE_PDF


def build(*args: str):
    return CliRunner().invoke(main, ["build", *args])


def test_a_kill_during_tex_leaves_the_previous_set_untouched(tmp_path, monkeypatch):
    old = {"hw7-p1b.tex": b"old tex", "hw7-p1b.verification.json": b"{}", "hw7-p1b.pdf": FAKE_PDF}
    for name, data in old.items():
        (tmp_path / name).write_bytes(data)

    def killed(tex, name="hw7", scratch=None):
        raise KeyboardInterrupt  # what SIGTERM/Ctrl-C does in the middle of TeX

    monkeypatch.setattr(pipeline, "typeset", killed)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build(pipeline.BuildOptions(("1b",), tmp_path))
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    assert not list(tmp_path.glob(".derive-staging-*"))


def test_a_staging_folder_left_by_a_killed_build_is_removed(tmp_path, fake_tex):
    (tmp_path / ".derive-staging-abc").mkdir()
    (tmp_path / ".derive-staging-abc" / "hw7-p1b.tex").write_text("half")
    assert build("1b", "--out", str(tmp_path), "-q").exit_code == 0
    assert not list(tmp_path.glob(".derive-staging-*"))


def test_a_truncated_pdf_is_rebuilt_not_reported_unchanged(tmp_path, fake_tex):
    assert build("1b", "--out", str(tmp_path), "-q").exit_code == 0
    again = build("1b", "--out", str(tmp_path))
    typesets = lambda: fake_tex.count("hw7-p1b")  # noqa: E731 - the solution, not its companion check log
    assert "unchanged" in again.output and typesets() == 1
    pdf = tmp_path / "hw7-p1b.pdf"
    pdf.write_bytes(FAKE_PDF[:10])  # a crash or a full disk cut it short
    third = build("1b", "--out", str(tmp_path))
    assert third.exit_code == 0
    assert "unchanged" not in third.output and typesets() == 2
    assert pdf.read_bytes() == FAKE_PDF


def test_a_second_build_into_the_same_folder_is_refused_naming_the_holder(tmp_path, fake_tex):
    with open(tmp_path / ".derive.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242 on testhost, started now: derive build\n")
        held.flush()
        result = build("1b", "--out", str(tmp_path), "-q")
    assert result.exit_code == 2
    assert "in use by another derive build (pid 4242 on testhost" in result.stderr
    assert "Traceback" not in result.output
    assert fake_tex == [] and not (tmp_path / "hw7-p1b.tex").exists()


def test_the_lock_is_gone_after_a_build(tmp_path, fake_tex):
    assert build("1b", "--out", str(tmp_path), "-q").exit_code == 0
    assert not (tmp_path / ".derive.lock").exists()


def test_outputs_get_the_users_umask(tmp_path, fake_tex):
    previous = os.umask(0o022)
    try:
        result = build("1b", "--out", str(tmp_path), "-q")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    for name in ("hw7-p1b.pdf", "hw7-p1b.tex", "hw7-p1b.verification.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_a_partial_build_does_not_replace_the_whole_documents_files(tmp_path, fake_tex):
    whole = {"hw7.pdf": FAKE_PDF, "hw7.tex": b"whole", "verification.json": b"{}"}
    for name, data in whole.items():
        (tmp_path / name).write_bytes(data)
    result = build("1b", "p1.a", "--out", str(tmp_path), "-q")
    assert result.exit_code == 0, result.output
    assert {name: (tmp_path / name).read_bytes() for name in whole} == whole
    assert (tmp_path / "hw7-p1a-p1b.pdf").read_bytes() == FAKE_PDF
    assert (tmp_path / "hw7-p1a-p1b.tex").is_file() and (tmp_path / "hw7-p1a-p1b.verification.json").is_file()


@pytest.fixture
def no_checks(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a check ran before the folder was found unusable")

    monkeypatch.setattr(pipeline, "check", refuse)


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    return lines[0]


def test_cache_that_is_a_file_is_one_line_before_any_check(tmp_path, no_checks):
    (tmp_path / ".cache").write_text("not a folder")
    (tmp_path / "hw7-p1b.tex").write_text("kept")
    line = _one_error_line(build("1b", "--out", str(tmp_path), "-q"))
    assert ".cache: it is a file, not a folder" in line
    assert (tmp_path / "hw7-p1b.tex").read_text() == "kept"


def test_missing_parent_folder_is_one_line_before_any_check(tmp_path, no_checks):
    line = _one_error_line(build("1b", "--out", str(tmp_path / "no" / "such" / "out"), "-q"))
    assert "does not exist" in line
    assert not (tmp_path / "no").exists()


def test_an_unwritable_cache_is_one_line_before_any_check(tmp_path, no_checks, monkeypatch):
    # Tests run as root, which ignores mode bits: the write probe is what decides, so it is simulated.
    (tmp_path / ".cache").mkdir()
    monkeypatch.setattr(pipeline, "writable", lambda folder: folder.name != ".cache")
    line = _one_error_line(build("1b", "--out", str(tmp_path), "-q"))
    assert ".cache: permission denied" in line


@pytest.mark.parametrize("content", ["[]", "null", '"text"', '{"k": "a string entry"}', '{"k": {"status": 1}}',
                                     '{"k": {"step_id": "x", "status": "verified", "methods": [1]}}', "[" * 100000])
def test_check_caches_of_the_wrong_shape_are_discarded(tmp_path, make_step, content):
    path = tmp_path / "checks.json"
    path.write_text(content)
    cache = runner.CheckCache(path)
    x = sp.Symbol("x", real=True)
    step = make_step((x + 1) ** 2, "=", x**2 + 2 * x + 1, assume(Real(x)))
    if content.startswith("{"):  # give the entry the step's own key
        data = json.loads(content)
        cache = runner.CheckCache(path)
        cache.entries = {step.content_hash(runner.CHECKER_VERSION): v for v in data.values()} if data else {}
    assert cache.get(step) is None
    results = runner.check_steps([step], cache)
    assert results[step.id].status == "verified"


@pytest.mark.parametrize("content", ["[]", "null", "[1, 2]", '"x"'])
def test_a_measurements_cache_of_the_wrong_shape_is_discarded(tmp_path, content):
    path = tmp_path / "measurements.json"
    path.write_text(content)
    measurements.use_cache(path)
    try:
        assert measurements.measured("k", lambda: {"value": 3}) == {"value": 3}
        assert isinstance(json.loads(path.read_text()), dict)
    finally:
        measurements.use_cache(None)
