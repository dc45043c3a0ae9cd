"""The ``derive review`` command: a thin layer over :mod:`derive.review` (SymPy loads lazily)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from derive.errors import DeriveError, InputError


REVIEW_EXIT_CODES = """\b
Exit codes:
  0  no link is wrong
  1  a link is wrong
  2  usage or input error (an unreadable or hostile file)
  3  TeX missing or failed (with --out; the .tex and JSON are still written)"""


@click.command(epilog=REVIEW_EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the links as JSON: line, relation, verdict, note.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write OUT/NAME-review.tex and the annotated OUT/NAME-review.pdf.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors; the exit code says whether a link is wrong.")
def review(path: Path, as_json: bool, out_dir: Path | None, quiet: bool = False) -> None:
    """Check a student's workings (FILE.md or FILE.tex) link by link.

    \b
    Every relation in the maths ($$…$$, \\[…\\], equation, align, inline $…$) is a link;
    a chain A = B <= C gives two, and a display starting with "=" continues the chain.
    Verdicts: verified, numeric-only, wrong (with a counterexample and a diagnosis where
    one fits), definition, or not checked (with the reason). The first wrong link is named
    at the top. Exit 0 if no link is wrong, 1 if one is, 2 for an unreadable file,
    3 if TeX failed (with --out).
    """
    try:
        from derive.review import report
        from derive.review.review import review_file

        result = review_file(path)
        if not quiet:
            _print(report.to_json(result) if as_json else report.terminal_lines(result), as_json)
        if out_dir is not None:
            from derive.build import compile_pdf, write_atomically

            name = f"{path.stem}-review"
            tex = report.render_tex(result)
            write_atomically(out_dir / f"{name}.tex", tex)
            # TeX sees a fixed file name: the student's file name may hold spaces, # or %
            compile_pdf(tex, out_dir / f"{name}.pdf", name="review")
            if not quiet:
                click.echo(f"wrote {out_dir / (name + '.pdf')}", err=True)
    except DeriveError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(error.exit_code)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        message = InputError(f"{where}{error.strerror or error}; check the path and its permissions").message
        click.echo(f"error: {message}", err=True)
        sys.exit(2)
    sys.exit(1 if result.first_wrong is not None else 0)


def _print(data, as_json: bool) -> None:
    """The report on stdout; a reader that leaves early (`| head`) costs nothing else."""
    try:
        if as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            for line in data:
                click.echo(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
