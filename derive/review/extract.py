"""Find the maths in a student's workings (Markdown with LaTeX maths, or LaTeX), with line numbers.

The file is untrusted: it is read as text and only cut into pieces here. Nothing is executed,
no other file is opened (``\\input`` is just text that no parser understands), and bounds on size
and line count are checked before any work, so a hostile file costs one clear error line.

What counts as maths: display maths ``$$…$$``, ``\\[…\\]``, the environments equation, align,
gather, multline (starred or not) and inline ``$…$`` / ``\\(…\\)``. Everything else on a line is
prose. In a ``.tex`` file comments (``%`` to the end of the line) are dropped and only the body
(after ``\\begin{document}``, when there is one) is read.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from derive.errors import InputError

MAX_BYTES = 1_000_000  # a week's homework is a few kilobytes
MAX_LINES = 20_000
MAX_LINE_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FRONT_MATTER = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
# In a .tex file the same block may sit in comments, so that the file still compiles:
# "% +++", "% [assume]", "% n = \"integer >= 1\"", "% +++".
_TEX_FRONT_MATTER = re.compile(r"\A%[ \t]*\+\+\+[ \t]*\n((?:%.*\n)*?)%[ \t]*\+\+\+[ \t]*(?:\n|\Z)")
_ENVIRONMENTS = "equation|align|gather|multline|eqnarray|displaymath"
_MATH = re.compile(
    r"\$\$(?P<dd>.*?)\$\$"
    r"|\\\[(?P<bracket>.*?)\\\]"
    rf"|\\begin\{{(?P<env>{_ENVIRONMENTS})(?P<star>\*?)\}}(?P<body>.*?)\\end\{{(?P=env)(?P=star)\}}"
    r"|(?<!\\)\$(?P<inline>[^$\n]+?)(?<!\\)\$"
    r"|\\\((?P<paren>[^\n]*?)\\\)",
    re.DOTALL,
)
_TEX_COMMENT = re.compile(r"(?<!\\)%.*")


@dataclass(frozen=True)
class Piece:
    """A run of maths or of prose; ``line`` is 1-based in the file as given."""

    line: int
    text: str
    kind: str  # "display", "inline" or "prose"


@dataclass(frozen=True)
class Workings:
    path: str
    kind: str  # "markdown" or "latex"
    pieces: tuple[Piece, ...]
    assume: dict[str, str]
    raw_lines: tuple[str, ...]


def read_workings(path: Path) -> Workings:
    """Read and cut a workings file, or raise InputError with one line saying what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in (".md", ".markdown", ".txt", ".tex"):
        raise InputError(f"{path}: give a Markdown (.md, .txt) or LaTeX (.tex) file")
    try:
        if path.is_dir():
            raise InputError(f"{path}: is a folder; give one workings file")
        with path.open("rb") as handle:  # at most the limit, even from a device or a pipe
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: more than {MAX_BYTES} bytes; the limit for workings is {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the workings as UTF-8") from None
    return parse_workings(text, str(path), "latex" if suffix == ".tex" else "markdown")


def parse_workings(text: str, name: str, kind: str) -> Workings:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(f"{name}: line {line} holds a control character (U+{ord(bad.group()):04X}); remove it")
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        raise InputError(f"{name}: {len(lines)} lines; the limit for workings is {MAX_LINES}")
    long = next((i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS), None)
    if long is not None:
        raise InputError(f"{name}: line {long + 1} is longer than {MAX_LINE_CHARS} characters")
    assume, body_start = _front_matter(text, name, kind)
    body = text
    if kind == "latex":
        # Comments go, line breaks stay, so that line numbers still point into the file.
        body = "\n".join(_TEX_COMMENT.sub("", line) for line in lines)
        # the front matter's end, as a position in the body without comments
        skipped = text.count("\n", 0, body_start)
        body_start = sum(len(line) + 1 for line in body.split("\n")[:skipped]) if body_start else 0
        begin = body.find("\\begin{document}")
        if begin >= 0:
            body_start = max(body_start, begin + len("\\begin{document}"))
        end = body.find("\\end{document}")
        body = body[:end] if end >= 0 else body
    pieces = _cut(body, body_start)
    return Workings(name, kind, tuple(pieces), assume, tuple(lines))


def _front_matter(text: str, name: str, kind: str) -> tuple[dict[str, str], int]:
    match = _FRONT_MATTER.match(text)
    body = match.group(1) if match else ""
    if match is None and kind == "latex":
        match = _TEX_FRONT_MATTER.match(text)
        body = re.sub(r"(?m)^%[ \t]?", "", match.group(1)) if match else ""
    if not match:
        return {}, 0
    try:
        data = tomllib.loads(body)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{name}: the front matter between +++ lines is not valid TOML ({error})") from None
    table = data.get("assume", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise InputError(f'{name}: [assume] must map names to domains in quotes, e.g. n = "integer >= 1"')
    unknown = sorted(set(data) - {"assume"})
    if unknown:
        raise InputError(f"{name}: unknown front matter table {unknown[0]!r}; only [assume] is read")
    return dict(table), match.end()


def _cut(body: str, start: int) -> list[Piece]:
    pieces: list[Piece] = []
    position = start
    for match in _MATH.finditer(body, start):
        _prose(body, position, match.start(), pieces)
        if match.group("inline") is not None:
            content, kind = match.group("inline"), "inline"
        elif match.group("paren") is not None:
            content, kind = match.group("paren"), "inline"
        else:
            content = match.group("dd") or match.group("bracket") or match.group("body") or ""
            kind = "display"
        line = body.count("\n", 0, match.start()) + 1
        pieces.append(Piece(line, content, kind))
        position = match.end()
    _prose(body, position, len(body), pieces)
    return pieces


def _prose(body: str, start: int, end: int, pieces: list[Piece]) -> None:
    line = body.count("\n", 0, start) + 1
    for number, text in enumerate(body[start:end].split("\n")):
        if text.strip():
            pieces.append(Piece(line + number, text, "prose"))
