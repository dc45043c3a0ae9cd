"""`derive build` with nothing changed answers "up to date" without SymPy — and every change of an
input the last build read makes a real build: a stale "up to date" would show an old PDF as the
result of new maths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive import pipeline, uptodate
from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
from conftest import FAKE_PDF

DOCUMENT = textwrap.dedent('''
    from pathlib import Path

    import sympy as sp
    import derive as dv

    import helpers

    x = sp.Symbol("x", real=True)
    HERE = Path(__file__).resolve().parent


    def _optional(name):
        try:
            return (HERE / name).read_text().strip()
        except FileNotFoundError:
            return "absent"


    def document():
        doc = dv.Document("Tiny", author="T")
        part = doc.problem("One", "A statement.").part("a", "Sum")
        part.say("data: ", (HERE / "data.txt").read_text().strip(), "; extra: ", _optional("extra.txt"))
        d = part.derivation(dv.assume(dv.Real(x, -1, 1)))
        d.step(x + x, "=", helpers.COEFF * x, "collect")
        return doc
''')

# Runs the real CLI in a fresh interpreter and says afterwards whether SymPy was imported.
DRIVER = ("import sys, atexit; atexit.register(lambda: print('SYMPY-IMPORTED' if 'sympy' in sys.modules "
          "else 'NO-SYMPY', file=sys.stderr)); from derive.cli import main; main(sys.argv[1:], prog_name='derive')")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "tiny.py").write_text(DOCUMENT)
    (tmp_path / "helpers.py").write_text("COEFF = 2\n")
    (tmp_path / "data.txt").write_text("first\n")
    return tmp_path


def derive(project: Path, *args: str, env: dict[str, str] | None = None,
           pythonpath: Path = ROOT) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(pythonpath), **(env or {})}
    return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=project, env=environment,
                          capture_output=True, text=True, timeout=300)


def build(project: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess:
    result = derive(project, "build", "tiny.py", "--out", "out", "--tex-only", *extra, **kwargs)
    assert result.returncode == 0, result.stderr
    return result


def up_to_date(result: subprocess.CompletedProcess) -> bool:
    said = "up to date" in result.stdout
    assert said == ("NO-SYMPY" in result.stderr), result.stdout + result.stderr  # the fast path is light
    return said


def test_a_repeat_build_is_up_to_date_says_what_it_has_and_imports_no_sympy(project):
    first = build(project)
    assert not up_to_date(first) and "wrote out/tiny.tex" in first.stdout
    again = build(project)
    assert up_to_date(again)
    lines = again.stdout.splitlines()
    assert lines[0] == "1 verified, 0 numeric-only, 0 definitions, 0 failed"
    assert "unchanged out/tiny.tex and out/tiny.verification.json" in again.stdout


def test_json_output_of_an_up_to_date_build_is_valid_and_says_so(project):
    build(project)
    result = build(project, "--json")
    data = json.loads(result.stdout)
    assert data["up_to_date"] is True and data["summary"]["verified"] == 1 and data["summary"]["failed"] == 0
    assert data["tex"] == "out/tiny.tex" and data["pdf"] is None
    assert "NO-SYMPY" in result.stderr


def test_editing_the_document_rebuilds(project):
    build(project)
    (project / "tiny.py").write_text(DOCUMENT.replace('"A statement."', '"A new statement."'))
    result = build(project)
    assert not up_to_date(result)
    assert "A new statement." in (project / "out" / "tiny.tex").read_text()
    assert up_to_date(build(project))


def test_editing_a_helper_module_the_document_imports_rebuilds(project):
    build(project)
    (project / "helpers.py").write_text("COEFF = 3\n")  # the step is now false: a real build says so
    result = derive(project, "build", "tiny.py", "--out", "out", "--tex-only")
    assert result.returncode == 1 and "failed" in result.stderr
    assert "NO-SYMPY" not in result.stderr
    (project / "helpers.py").write_text("COEFF = 1 + 1\n")
    assert not up_to_date(build(project))


def test_a_data_file_the_document_reads_is_an_input(project):
    build(project)
    (project / "data.txt").write_text("second\n")
    assert not up_to_date(build(project))
    assert "second" in (project / "out" / "tiny.tex").read_text()


def test_a_file_the_document_looked_for_and_did_not_find_is_an_input(project):
    build(project)
    assert "absent" in (project / "out" / "tiny.tex").read_text()
    (project / "extra.txt").write_text("now here\n")
    assert not up_to_date(build(project))
    assert "now here" in (project / "out" / "tiny.tex").read_text()


def test_a_new_module_beside_the_document_rebuilds(project):
    build(project)
    (project / "helpers2.py").write_text("")  # could shadow an import: the folder's names are an input
    assert not up_to_date(build(project))


@pytest.mark.parametrize("option", [("--title", "Other"), ("--author", "Someone"), ("--name", "other"),
                                    ("--keep-going",), ("1a",)])
def test_other_options_rebuild(project, option):
    build(project)
    assert not up_to_date(build(project, *option))
    assert up_to_date(build(project, *option))


def test_going_back_to_earlier_options_rebuilds_when_their_outputs_were_replaced(project):
    build(project)
    build(project, "--title", "Other")  # same file names, other contents
    result = build(project)
    assert not up_to_date(result)
    assert "Tiny" in (project / "out" / "tiny.tex").read_text()


def test_a_changed_derive_environment_variable_rebuilds(project):
    build(project)
    assert not up_to_date(build(project, env={"DERIVE_TIME_SCALE": "2"}))
    assert up_to_date(build(project, env={"DERIVE_TIME_SCALE": "2"}))


@pytest.mark.parametrize("damage", ["delete", "alter"])
def test_a_deleted_or_altered_output_rebuilds(project, damage):
    build(project)
    for name in ("tiny.tex", "tiny.verification.json", "tiny-checks.tex"):
        target = project / "out" / name
        original = target.read_bytes()
        target.unlink() if damage == "delete" else target.write_bytes(original + b"%")
        assert not up_to_date(build(project)), name
        assert target.read_bytes() == original


@pytest.mark.parametrize("damage", ["missing", "corrupt", "foreign", "manifest"])
def test_a_missing_or_damaged_record_means_a_full_build(project, damage):
    build(project)
    (record,) = (project / "out" / ".cache" / "uptodate").glob("*.json")
    if damage == "missing":
        record.unlink()
    elif damage == "corrupt":
        record.write_text(record.read_text()[:100])
    elif damage == "foreign":
        data = json.loads(record.read_text())
        data["summary"] = {"verified": 99}
        record.write_text(json.dumps(data))
    else:
        (project / "out" / ".cache" / "published.json").unlink()
    assert not up_to_date(build(project))


def test_a_build_that_fails_leaves_no_record_to_trust(project):
    (project / "helpers.py").write_text("COEFF = 3\n")
    failed = derive(project, "build", "tiny.py", "--out", "out", "--tex-only", "--keep-going")
    assert failed.returncode == 1
    assert not (project / "out" / ".cache" / "uptodate").exists()
    again = derive(project, "build", "tiny.py", "--out", "out", "--tex-only", "--keep-going")
    assert again.returncode == 1 and "up to date" not in again.stdout


def test_changing_a_template_any_file_of_derive_or_an_installed_package_rebuilds(project, tmp_path_factory):
    copy = tmp_path_factory.mktemp("derive-copy")
    shutil.copytree(ROOT / "derive", copy / "derive", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", copy / "templates")
    build(project, pythonpath=copy)
    assert up_to_date(build(project, pythonpath=copy))
    template = copy / "templates" / "document.tex.j2"
    template.write_text(template.read_text() + "((= a comment =))\n")
    assert not up_to_date(build(project, pythonpath=copy))
    (copy / "templates" / "blocks" / "new.tex.j2").write_text("")
    assert not up_to_date(build(project, pythonpath=copy))
    engine = copy / "derive" / "core" / "checks" / "numeric.py"
    engine.write_text(engine.read_text() + "\n# an edit\n")
    assert not up_to_date(build(project, pythonpath=copy))
    assert up_to_date(build(project, pythonpath=copy))
    (copy / "somepackage-1.0.dist-info").mkdir()  # a package installed on the path
    assert not up_to_date(build(project, pythonpath=copy))


@pytest.mark.parametrize("damage", ["delete", "truncate", "companion"])
def test_a_deleted_or_altered_pdf_rebuilds(project, fake_tex, monkeypatch, damage):
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))

    def run():
        result = CliRunner().invoke(main, ["build", "tiny.py", "--out", "out"])
        assert result.exit_code == 0, result.output
        return result.output

    run()
    assert "up to date" in run() and fake_tex == ["tiny", "tiny-checks"]
    pdf = project / "out" / ("tiny-checks.pdf" if damage == "companion" else "tiny.pdf")
    pdf.unlink() if damage == "delete" else pdf.write_bytes(FAKE_PDF[:10])
    output = run()
    assert "up to date" not in output and f"wrote {Path('out') / 'tiny.pdf'}" in output
    assert pdf.read_bytes() == FAKE_PDF and len(fake_tex) == 4


def test_library_builds_record_nothing(tmp_path, fake_tex):
    pipeline.build(pipeline.BuildOptions(("1b",), tmp_path, tex_only=True))
    assert not (tmp_path / ".cache" / "uptodate").exists()
    assert uptodate.previous(tmp_path, uptodate.inputs(None, ("1b",), None, None, None, True, False)) is None


MEASURING = textwrap.dedent('''
    from pathlib import Path

    import sympy as sp
    import derive as dv

    x = sp.Symbol("x", real=True)
    HERE = Path(__file__).resolve().parent


    def _figure():
        return (HERE / "weights.txt").read_text().strip()  # read only while measuring


    def _problem():
        problem = dv.Problem(1, "One", ("A statement.",))
        part = problem.part("a", "Sum")
        try:
            part.say("figure: ", dv.measured("weights", _figure))
        except dv.Unavailable as missing:
            part.say("not measured: ", str(missing))
        d = part.derivation(dv.assume(dv.Real(x, -1, 1)))
        d.step(x + x, "=", 2 * x, "collect")
        return problem


    def document():
        doc = dv.Document("Measured", author="T")
        doc.include(_problem)
        return doc
''')


def test_a_file_read_only_while_measuring_in_the_background_is_an_input(tmp_path):
    (tmp_path / "measured.py").write_text(MEASURING)
    (tmp_path / "weights.txt").write_text("first\n")

    def run():
        result = derive(tmp_path, "build", "measured.py", "--out", "out", "--tex-only")
        assert result.returncode == 0, result.stderr
        return result

    assert not up_to_date(run())
    assert "figure: first" in (tmp_path / "out" / "measured.tex").read_text()
    assert up_to_date(run())
    (tmp_path / "weights.txt").write_text("second\n")
    assert not up_to_date(run())
    assert not list((tmp_path / "out" / ".cache").glob(".measurer-*"))
