"""The Jinja2 environment: LaTeX-safe delimiters, and escaping of every value by default.

``finalize`` escapes every value a template prints unless it is ``Tex`` (markup derive made
itself), so forgetting a filter can never leak raw user text into TeX.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from derive.render.escape import Tex, escape

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # inside an installed wheel
SOURCE_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"  # a source checkout


def _finalize(value: object) -> str:
    if value is None:
        raise ValueError("a template printed None: a field is missing from the view")
    return value if isinstance(value, Tex) else escape(value)


def environment() -> jinja2.Environment:
    search = [str(p) for p in (PACKAGE_TEMPLATES, SOURCE_TEMPLATES) if p.is_dir()]
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        line_statement_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )
