"""The command line: parse options, call the library, turn its errors into one line and an exit code."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
import platformdirs

from derive import __version__, uptodate
from derive.errors import DeriveError, InputError, clean

EXIT_CODES = """\b
Exit codes:
  0  success
  1  a check failed or timed out (or a graded answer is wrong)
  2  usage or input error
  3  TeX missing or failed (the .tex and JSON are still written)"""
# For commands that neither check nor typeset.
SIMPLE_EXIT_CODES = """\b
Exit codes:
  0  success
  2  usage or input error"""


# Commands without --out keep their caches in the user's cache folder (XDG on Linux), never in
# the folder they are run from.
CACHE_DIR = Path(platformdirs.user_cache_dir("derive", appauthor=False))


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
        except BrokenPipeError:
            _closed_pipe()
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            _fail(InputError(f"{where}{error.strerror or error}; check the path and its permissions"))
        finally:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _closed_pipe()
            except (OSError, ValueError):
                pass

    return wrapper


def _closed_pipe() -> None:
    """The reader of our output went away (``derive list | head``): end quietly, as cat does —
    no message, and the status of a process ended by SIGPIPE (141), so `set -o pipefail` still
    sees that the output was cut short."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot complain
    except (OSError, ValueError, AttributeError):
        pass
    sys.exit(128 + 13)  # 13 = SIGPIPE


@contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C: worker processes, TeX and temporary folders are cleaned up."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _terminate(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(error: DeriveError) -> None:
    click.echo(f"error: {clean(error.message, 600)}", err=True)
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


def run() -> None:
    """The ``derive`` console script: ``main``, then an exit that does not tear the interpreter
    down object by object. Why: a build holds a few hundred thousand SymPy objects, and freeing
    them took about 0.2 s of every build after its last line was printed. What an exit must do
    still happens: atexit handlers run (multiprocessing joins its children, temporary folders are
    removed) and both streams are flushed. With a thread still running, the ordinary exit waits
    for it as before."""
    try:
        main(prog_name="derive")
    except SystemExit as ended:
        code = ended.code
    else:
        code = 0
    _exit_now(code)


def _exit_now(code: object) -> None:
    import atexit
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1, as Python does
        print(code, file=sys.stderr)
        code = 1
    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if others:
        sys.exit(code)
    atexit._run_exitfuncs()  # the handlers Python's own exit would run (undocumented, stable since 2.x)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            code = code or 128 + 13
        except (OSError, ValueError):
            pass
    os._exit(code)


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


def _verbosity(command):
    """-q (nothing but errors) and -v (every step) for a command that prints progress."""
    command = click.option("--verbose", "-v", is_flag=True, help="List every step as it is checked.")(command)
    return click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")(command)


def _level(quiet: bool, verbose: bool) -> int:
    from derive.progress import NORMAL, QUIET, VERBOSE

    if quiet and verbose:
        raise click.UsageError("-q and -v contradict each other; give one")
    return QUIET if quiet else VERBOSE if verbose else NORMAL


def _say(quiet: bool, message: str, err: bool = False) -> None:
    if not quiet:
        click.echo(message, err=err)


@main.command(epilog=EXIT_CODES)
@click.argument("parts", nargs=-1, metavar="[DOCUMENT.py] [PARTS]...")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Folder for NAME.tex, NAME.pdf and the verification JSON "
                                      "(a partial build writes NAME-p1.tex, NAME-p1.pdf, NAME-p1.verification.json).")
@click.option("--name", default=None, help="Name of the outputs (default: the document file's name; hw7 for the built-in).")
@click.option("--title", default=None, help="Title on the PDF (plain text, typeset literally).")
@click.option("--author", default=None, help="Author on the PDF (plain text, typeset literally).")
@click.option("--tex-only", is_flag=True, help="Write the .tex and the JSON, skip TeX.")
@click.option("--keep-going", is_flag=True, help="Typeset failed steps too, marked × with their counterexample (exit 1 still).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and the files written as JSON.")
@_verbosity
@_one_line_errors
def build(parts: tuple[str, ...], out_dir: Path, name: str | None, title: str | None, author: str | None,
          tex_only: bool, keep_going: bool, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Check every step and build the PDF. PARTS: e.g. 1, 1a, p1.b (default: everything).

    When nothing the last good build read has changed (document and helper files, templates,
    derive itself, options, package versions, DERIVE_* variables) and its outputs are intact, it
    says "up to date" and checks and typesets nothing.
    """
    from derive.render.escape import check_typesettable

    level = _level(quiet, verbose)
    for option, text in (("--title", title), ("--author", author)):
        if text is not None:
            check_typesettable(option, text)
    record = _build_inputs(parts, out_dir, name, title, author, tex_only, keep_going)
    previous = uptodate.previous(out_dir, record)
    if previous is not None:  # nothing changed since the last good build: no SymPy, no checks, no TeX
        _report_up_to_date(previous, out_dir, as_json, quiet)
        return
    uptodate.start_watching()  # every file the document reads from here on is an input
    try:
        _full_build(parts, out_dir, name, title, author, tex_only, keep_going, as_json, quiet, level, record)
    finally:
        uptodate.stop_watching()


def _build_inputs(parts: tuple[str, ...], out_dir: Path, name: str | None, title: str | None,
                  author: str | None, tex_only: bool, keep_going: bool) -> "uptodate.Inputs":
    from derive import loading

    document = Path(parts[0]) if parts and loading.is_document_file(parts[0]) else None
    return uptodate.inputs(document, parts[1:] if document else parts, name, title, author, tex_only, keep_going)


def _report_up_to_date(record: dict, out_dir: Path, as_json: bool, quiet: bool) -> None:
    counts, files = record["summary"], record["report"]
    tex, json_path = out_dir / files["tex"], out_dir / files["json"]
    pdf = out_dir / files["pdf"] if files.get("pdf") else None
    if as_json:
        click.echo(json.dumps({"summary": counts, "tex": str(tex), "json": str(json_path),
                               "pdf": str(pdf) if pdf else None, "pdf_state": "unchanged" if pdf else None,
                               "up_to_date": True}, indent=2))
        return
    _say(quiet, _counts_line(counts))
    _say(quiet, "up to date: no input changed since the last build; nothing was checked or typeset again")
    _say(quiet, f"unchanged {tex} and {json_path}")
    if pdf:
        _say(quiet, f"unchanged {pdf}")


def _counts_line(counts: dict) -> str:
    return (f"{counts['verified']} verified, {counts['numeric-only']} numeric-only, "
            f"{counts['definition']} definitions, {counts['failed']} failed")


def _full_build(parts: tuple[str, ...], out_dir: Path, name: str | None, title: str | None, author: str | None,
                tex_only: bool, keep_going: bool, as_json: bool, quiet: bool, level: int,
                record: "uptodate.Inputs") -> None:
    from derive import pipeline
    from derive.progress import StepProgress

    loaded, parts = _document_and_parts(parts, name)
    options = pipeline.BuildOptions(parts, out_dir, title, author, tex_only, loaded.name,
                                    loaded.document, keep_going, record=record)
    progress = StepProgress(level)
    _say(quiet, "checking steps …", err=True)
    try:
        with _cleanup_on_sigterm():
            report = pipeline.build(options, progress, on_tex=lambda: _say(quiet, "running TeX …", err=True))
    except DeriveError as error:
        progress.close()
        _fail(error)
    except BrokenPipeError:
        raise
    except OSError as error:
        progress.close()
        _fail(InputError(f"cannot write to {str(out_dir)[:200]}: {error.strerror or error}; choose another folder with --out"))
    progress.close()
    counts = pipeline.view.summary(report.checked.results)
    pdf_state = None if not report.pdf_path else "unchanged" if report.tex_skipped else "written"
    if as_json:
        click.echo(json.dumps({"summary": counts, "tex": str(report.tex_path), "json": str(report.json_path),
                               "pdf": str(report.pdf_path) if report.pdf_path else None, "pdf_state": pdf_state,
                               "up_to_date": False}, indent=2))
        return
    _say(quiet, _counts_line(counts))
    _say(quiet, f"wrote {report.tex_path} and {report.json_path}")
    if report.pdf_path:
        _say(quiet, f"{'unchanged' if report.tex_skipped else 'wrote'} {report.pdf_path}")


@main.command(epilog=EXIT_CODES)
@click.argument("parts", nargs=-1, metavar="[DOCUMENT.py] [PARTS]...")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--no-cache", is_flag=True, help="Check everything again, ignoring cached results.")
@_verbosity
@_one_line_errors
def check(parts: tuple[str, ...], as_json: bool, no_cache: bool, quiet: bool, verbose: bool) -> None:
    """Run every check and print a table: step, status, method, seconds. PARTS as for build."""
    from derive import pipeline
    from derive.progress import QUIET, StepProgress

    loaded, parts = _document_and_parts(parts)
    cache = None if no_cache else CACHE_DIR / "checks.json"
    progress = StepProgress(QUIET if as_json else _level(quiet, verbose))
    with _cleanup_on_sigterm():
        checked = pipeline.check(parts, cache, progress, loaded.document)
    progress.close()
    if as_json:
        click.echo(json.dumps(pipeline.verification_json(checked), indent=2))
    elif not quiet:
        click.echo(f"{'step':<18} {'status':<13} {'methods':<44} {'seconds':>8}")
        for step in checked.steps():
            r = checked.results[step.id]
            methods = ", ".join(f"{m.method}:{m.outcome}" for m in r.methods) or "-"
            click.echo(f"{step.id:<18} {r.status:<13} {methods:<44} {r.seconds:8.2f}")
    failure = pipeline.first_failure(checked)
    if failure is not None:
        click.echo(f"error: {failure.message}", err=True)
        sys.exit(1)


@main.command(name="list", epilog=SIMPLE_EXIT_CODES)
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@click.option("--json", "as_json", is_flag=True, help="Print the problems and parts as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_one_line_errors
def list_parts(document: str | None, as_json: bool, quiet: bool) -> None:
    """List the problems and their parts."""
    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    _use_measurement_cache()

    listing = []
    for number in loaded.document.numbers:
        problem = loaded.document.load(number)
        parts = [{"id": f"{number}{part.label}", "title": part.title, "steps": sum(1 for _ in part.steps())}
                 for part in problem.parts]
        listing.append({"number": number, "title": problem.title, "parts": parts})
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    for problem in listing:
        _say(quiet, f"{problem['number']}  {problem['title']}")
        for part in problem["parts"]:
            _say(quiet, f"   {part['id']}  {part['title']}  ({part['steps']} steps)")


@main.command(epilog=EXIT_CODES)
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@click.option("--json", "as_json", is_flag=True, help="Print ids, meanings and values as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_one_line_errors
def results(document: str | None, as_json: bool, quiet: bool) -> None:
    """List the results the document proves, by stable id, with their values as answers write them."""
    from derive.grade import printed

    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    entries = list(_expected_results(None, loaded.document).values())
    if as_json:
        click.echo(json.dumps([printed.entry_json(e) for e in entries], indent=2))
        return
    width = max((len(e.id) for e in entries), default=0) + 2
    for entry in [] if quiet else entries:
        data = printed.entry_json(entry)
        value = data.get("exact", printed.student(entry.value))
        decimal = f"  (≈ {data['decimal']})" if "decimal" in data else ""
        click.echo(f"{entry.id:<{width}}{value}{decimal}")
        click.echo(f"{'':<{width}}{entry.meaning}")


def _expected_results(ids: list[str] | None = None, document=None) -> dict:
    """The proven results; with ``ids``, only the problems those ids name are built."""
    from derive.grade.expected import expected_results

    return expected_results(ids, document)


@main.command(epilog=EXIT_CODES)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("document", required=False, metavar="[DOCUMENT.py]")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="For a folder: where to write the summary CSV (default: PATH/grades.csv).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes for a folder (default: all cores).")
@_verbosity
@_one_line_errors
def grade(path: Path, document: str | None, as_json: bool, csv_path: Path | None, jobs: int | None,
          quiet: bool, verbose: bool) -> None:
    """Grade an answer file (TOML: result id = answer), or every *.toml in a folder.

    \b
    Example answers.toml:
      "p2.conv.macs" = "655,566,528"
      "p1.b.grad"    = "exp(x_k)/sum(exp(x_i), i, 1, n)"
    Verdicts: correct, wrong (with a diagnosis where one fits), unparseable, and
    undecided (the comparison ran out of time or could not evaluate: not the student's fault).
    Each file is graded in its own process under a time limit; in a folder, a file that cannot
    be read or graded is reported in its row and the others are graded.
    Exit 0 if every answer is correct, 1 if any is not, 2 for a malformed file.
    -q prints nothing (the exit code tells); -v also lists every answer of every file in a folder.
    DOCUMENT.py: whose result ids are graded (default: the built-in Homework 7).
    """
    from derive.grade import grader
    from derive.progress import QUIET, VERBOSE

    level = _level(quiet, verbose)
    _only_a_document(document)
    loaded, _ = _document_and_parts((document,) if document else ())
    if csv_path is not None and not path.is_dir():
        raise click.UsageError("--csv applies to a folder of answer files, not to one file")
    if path.is_dir():
        expected = _expected_results(None, loaded.document)
        grades = grader.grade_folder(path, expected, jobs)
    else:
        answers = grader.read_answers(path)  # a malformed file: one line, exit 2
        expected = _expected_results(list(answers), loaded.document)
        grades = grader.grade_paths([path], expected, 1)
        if grades[0].error:
            raise InputError(grades[0].error)
    if as_json:
        click.echo(json.dumps([g.to_json() for g in grades], indent=2))
    elif level == QUIET:
        pass
    elif path.is_dir():
        if level >= VERBOSE:
            for one in grades:
                click.echo(f"{_shown(Path(one.path).name, 60)}:")
                _print_claims(one.claims)
        _print_class_summary(grades, list(expected))
    else:
        _print_claims(grades[0].claims)
    if path.is_dir():
        target = csv_path or path / "grades.csv"
        grader.write_csv(grades, list(expected), target)
        if level != QUIET:
            click.echo(f"wrote {_shown(target, 300)}", err=True)
    sys.exit(0 if all(g.all_correct for g in grades) else 1)


def _shown(text: object, limit: int = 80) -> str:
    """User text (ids, answers, file names) as grade echoes it: no terminal escapes, cut short."""
    from derive.grade.safe_text import shown

    return shown(text, limit)


ID_WIDTH = 40  # an id longer than this is cut in the verdict table (a 5000-character id is not echoed)


def _print_claims(claims) -> None:
    from derive.grade import grader

    width = min(ID_WIDTH, max(18, *(len(c.id) + 1 for c in claims))) if claims else 18
    for claim in claims:
        line = f"{_shown(claim.id, width):<{width}} {claim.status:<12} {_shown(claim.answer)}"
        if claim.status != grader.CORRECT and claim.expected:
            line += f"   (expected {_shown(claim.expected, 300)})"
        click.echo(line)
        if claim.diagnosis:
            click.echo(f"{'':<{width}} {_shown(claim.diagnosis, 300)}")


def _print_class_summary(grades, ids) -> None:
    from derive.grade import grader

    for grade in grades:
        name = _shown(Path(grade.path).name, 40)
        if grade.error:
            click.echo(f"{name:<28} unreadable: {_shown(grade.error, 200)}")
            continue
        correct = sum(1 for c in grade.claims if c.status == grader.CORRECT)
        click.echo(f"{name:<28} {correct}/{len(grade.claims)} correct")
    click.echo("")
    for result_id in ids:
        answered = [c for g in grades for c in g.claims if c.id == result_id]
        if answered:
            right = sum(1 for c in answered if c.status == grader.CORRECT)
            click.echo(f"{result_id:<22} {right}/{len(answered)} correct")
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
    from derive.review.command import review

    main.add_command(count)
    main.add_command(review)


_register_library_commands()
