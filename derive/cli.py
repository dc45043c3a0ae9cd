"""The command line: parse options, call the library, turn its errors into one line and an exit code."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from derive import __version__
from derive.errors import DeriveError, InputError

EXIT_CODES = """\b
Exit codes:
  0  success
  1  a check failed (or a graded answer is wrong)
  2  usage or input error
  3  TeX missing or failed (the .tex and JSON are still written)"""


# Commands without --out keep their caches where `derive build` keeps them by default.
CACHE_DIR = Path("output") / ".cache"


def _use_measurement_cache() -> None:
    from derive.core import measurements

    measurements.use_cache(CACHE_DIR / "measurements.json")


def _one_line_errors(command):
    """The library raises; here every user-facing error becomes one line and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DeriveError as error:
            _fail(error)
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            _fail(InputError(f"{where}{error.strerror or error}; check the path and its permissions"))

    return wrapper


def _fail(error: DeriveError) -> None:
    click.echo(f"error: {error.message}", err=True)
    excerpt = getattr(error, "log_excerpt", "")
    if excerpt:
        click.echo("TeX log:\n" + excerpt, err=True)
    sys.exit(error.exit_code)


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="derive")
def main() -> None:
    """derive: machine-checked derivations, typeset to PDF.

    Commands take a document file (a .py defining document(), see `derive new`) and
    default to the built-in Homework 7.
    """


def _only_a_document(argument: str | None) -> None:
    from derive import loading

    if argument is not None and not loading.is_document_file(argument):
        raise click.UsageError(f"{argument!r} is not a document file (a .py defining document())")


def _document_and_parts(arguments: tuple[str, ...], name: str | None = None):
    """(loaded document, parts): a first argument ending in .py names the document file."""
    from derive import loading

    if arguments and loading.is_document_file(arguments[0]):
        return loading.load(Path(arguments[0]), name), arguments[1:]
    return loading.load(None, name), arguments


def _progress(step, result) -> None:
    mark = {"verified": "ok", "numeric-only": "~ ", "failed": "XX", "definition": "  "}[result.status]
    cached = " (cached)" if result.cached else ""
    click.echo(f"  {mark} {step.id:<16} {result.status}{cached}", err=True)


@main.command(epilog=EXIT_CODES)
@click.argument("parts", nargs=-1, metavar="[DOCUMENT.py] [PARTS]...")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Folder for NAME.tex, NAME.pdf and the verification JSON.")
@click.option("--name", default=None, help="Name of the outputs (default: the document file's name; hw7 for the built-in).")
@click.option("--title", default=None, help="Title on the PDF (plain text, typeset literally).")
@click.option("--author", default=None, help="Author on the PDF (plain text, typeset literally).")
@click.option("--tex-only", is_flag=True, help="Write the .tex and the JSON, skip TeX.")
@click.option("--keep-going", is_flag=True, help="Typeset failed steps too, marked × with their counterexample (exit 1 still).")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@_one_line_errors
def build(parts: tuple[str, ...], out_dir: Path, name: str | None, title: str | None, author: str | None,
          tex_only: bool, keep_going: bool, quiet: bool) -> None:
    """Check every step and build the PDF. PARTS: e.g. 1, 1a, p1.b (default: everything)."""
    from derive import pipeline

    loaded, parts = _document_and_parts(parts, name)
    options = pipeline.BuildOptions(parts, out_dir, title, author, tex_only, loaded.name,
                                    loaded.document, keep_going)
    click.echo("checking steps …", err=True)
    try:
        report = pipeline.build(options, None if quiet else _progress,
                                on_tex=lambda: click.echo("running TeX …", err=True))
    except DeriveError as error:
        _fail(error)
    except OSError as error:
        _fail(InputError(f"cannot write to {out_dir}: {error.strerror or error}; choose another folder with --out"))
    counts = pipeline.view.summary(report.checked.results)
    click.echo(f"{counts['verified']} verified, {counts['numeric-only']} numeric-only, "
               f"{counts['definition']} definitions, {counts['failed']} failed")
    click.echo(f"wrote {report.tex_path} and {report.json_path}")
    if report.pdf_path:
        click.echo(f"{'unchanged' if report.tex_skipped else 'wrote'} {report.pdf_path}")


@main.command(epilog=EXIT_CODES)
@click.argument("parts", nargs=-1, metavar="[DOCUMENT.py] [PARTS]...")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--no-cache", is_flag=True, help="Check everything again, ignoring cached results.")
@_one_line_errors
def check(parts: tuple[str, ...], as_json: bool, no_cache: bool) -> None:
    """Run every check and print a table: step, status, method, seconds. PARTS as for build."""
    from derive import pipeline

    loaded, parts = _document_and_parts(parts)
    cache = None if no_cache else CACHE_DIR / "checks.json"
    checked = pipeline.check(parts, cache, None if as_json else _progress, loaded.document)
    if as_json:
        click.echo(json.dumps(pipeline.verification_json(checked), indent=2))
    else:
        click.echo(f"{'step':<18} {'status':<13} {'methods':<44} {'seconds':>8}")
        for step in checked.steps():
            r = checked.results[step.id]
            methods = ", ".join(f"{m.method}:{m.outcome}" for m in r.methods) or "-"
            click.echo(f"{step.id:<18} {r.status:<13} {methods:<44} {r.seconds:8.2f}")
    failure = pipeline.first_failure(checked)
    if failure is not None:
        click.echo(f"error: {failure.message}", err=True)
        sys.exit(1)


@main.command(name="list")
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@_one_line_errors
def list_parts(document: str | None) -> None:
    """List the problems and their parts."""
    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    _use_measurement_cache()

    for number in loaded.document.numbers:
        problem = loaded.document.load(number)
        click.echo(f"{number}  {problem.title}")
        for part in problem.parts:
            steps = sum(1 for _ in part.steps())
            click.echo(f"   {number}{part.label}  {part.title}  ({steps} steps)")


@main.command()
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@click.option("--json", "as_json", is_flag=True, help="Print ids, meanings and values as JSON.")
@_one_line_errors
def results(document: str | None, as_json: bool) -> None:
    """List the results the document proves, by stable id, with their values."""
    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    entries = list(_expected_results(None, loaded.document).values())
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2))
        return
    for entry in entries:
        data = entry.to_json()
        value = data.get("exact", data["sympy"])
        decimal = f"  (≈ {data['decimal']})" if "decimal" in data else ""
        click.echo(f"{entry.id:<18} {value}{decimal}")
        click.echo(f"{'':<18} {entry.meaning}")


def _expected_results(ids: list[str] | None = None, document=None) -> dict:
    """The proven results; with ``ids``, only the problems those ids name are built."""
    from derive import results as results_module

    _use_measurement_cache()
    return {e.id: e for e in results_module.load(ids, document)}


@main.command(epilog=EXIT_CODES)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="For a folder: where to write the summary CSV (default: PATH/grades.csv).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes for a folder (default: all cores).")
@_one_line_errors
def grade(path: Path, document: str | None, as_json: bool, csv_path: Path | None, jobs: int | None) -> None:
    """Grade an answer file (TOML: result id = answer), or every *.toml in a folder.

    \b
    Example answers.toml:
      "p2.conv.macs" = "655,566,528"
      "p1.b.grad"    = "exp(x_k)/sum(exp(x_i), i, 1, n)"
    Verdicts: correct, wrong (with a diagnosis where one fits), unparseable, and
    undecided (the comparison ran out of time or could not evaluate: not the student's fault).
    Exit 0 if every answer is correct, 1 if any is not, 2 for a malformed file.
    DOCUMENT.py: whose result ids are graded (default: the built-in Homework 7).
    """
    from derive.grade import grader

    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    loaded, _ = _document_and_parts((document,) if document else ())
    if csv_path is not None and not path.is_dir():
        raise click.UsageError("--csv applies to a folder of answer files, not to one file")
    if path.is_dir():
        expected = _expected_results(None, loaded.document)
        grades = grader.grade_folder(path, expected, jobs)
    else:
        answers = grader.read_answers(path)
        expected = _expected_results(list(answers), loaded.document)
        grades = [grader.FileGrade(str(path), tuple(grader.grade_answers(answers, expected)))]
    if as_json:
        click.echo(json.dumps([g.to_json() for g in grades], indent=2))
    elif path.is_dir():
        _print_class_summary(grades, list(expected))
    else:
        for claim in grades[0].claims:
            line = f"{claim.id:<18} {claim.status:<12} {claim.answer}"
            if claim.status != grader.CORRECT and claim.expected:
                line += f"   (expected {claim.expected})"
            click.echo(line)
            if claim.diagnosis:
                click.echo(f"{'':<18} {claim.diagnosis}")
    if path.is_dir():
        target = csv_path or path / "grades.csv"
        grader.write_csv(grades, list(expected), target)
        click.echo(f"wrote {target}", err=True)
    sys.exit(0 if all(g.all_correct for g in grades) else 1)


def _print_class_summary(grades, ids) -> None:
    from derive.grade import grader

    for grade in grades:
        name = Path(grade.path).name
        if grade.error:
            click.echo(f"{name:<28} unreadable: {grade.error}")
            continue
        correct = sum(1 for c in grade.claims if c.status == grader.CORRECT)
        click.echo(f"{name:<28} {correct}/{len(grade.claims)} correct")
    click.echo("")
    for result_id in ids:
        answered = [c for g in grades for c in g.claims if c.id == result_id]
        if answered:
            right = sum(1 for c in answered if c.status == grader.CORRECT)
            click.echo(f"{result_id:<18} {right}/{len(answered)} correct")
    unreadable = sum(1 for g in grades if g.error)
    click.echo(f"{len(grades)} files graded, {sum(g.all_correct for g in grades)} all correct, {unreadable} unreadable")


@main.command(epilog=EXIT_CODES)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_one_line_errors
def new(path: Path) -> None:
    """Write a small working example document to PATH (a .py file) to start from."""
    from derive.starter import write_starter

    write_starter(path)
    click.echo(f"wrote {path}; check it with: derive check {path}")


def _register_library_commands() -> None:
    """Commands that live beside their library join the group here (count stays SymPy-free)."""
    from derive.counting.command import count

    main.add_command(count)


_register_library_commands()
