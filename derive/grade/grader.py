"""Grade answer files against the results the document proves.

An answer file is TOML mapping result ids to claimed answers. Ids contain dots, so both forms
work: ``"p2.conv.macs" = "655,566,528"`` and the nested ``[p2.conv] macs = 655566528``. Write
decimals as strings (``"91.79"``): TOML floats forget trailing zeros, and the number of decimals
a student gave decides how a rounded value is judged.
"""

from __future__ import annotations

import csv
import difflib
import multiprocessing
import os
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import sympy as sp

from derive.errors import InputError
from derive.grade.diagnose import compare
from derive.grade.parser import AnswerParseError, parse_answer, stated_decimals, symbols_of
from derive.results import ResultEntry

CORRECT, WRONG, UNPARSEABLE, UNDECIDED = "correct", "wrong", "unparseable", "undecided"


@dataclass(frozen=True)
class ClaimGrade:
    id: str
    answer: str
    status: str
    expected: str
    diagnosis: str = ""


@dataclass(frozen=True)
class FileGrade:
    path: str
    claims: tuple[ClaimGrade, ...] = ()
    error: str = ""  # the file could not be read at all

    @property
    def all_correct(self) -> bool:
        return not self.error and all(c.status == CORRECT for c in self.claims)

    def to_json(self) -> dict:
        return {"file": self.path, "error": self.error, "claims": [asdict(c) for c in self.claims]}


def read_answers(path: Path) -> dict[str, str]:
    """id → answer text, or InputError naming the file and what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such answer file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the answers as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error}); quote answers, e.g. \"p2.conv.macs\" = \"655566528\"") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror})") from None
    answers: dict[str, str] = {}
    _flatten(data, "", answers, path)
    if not answers:
        raise InputError(f"{path}: no answers in this file; write lines like \"p2.conv.macs\" = \"655566528\"")
    return answers


def _flatten(data: Mapping, prefix: str, into: dict[str, str], path: Path) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", into, path)
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"{path}: the answer to {name} is a {type(value).__name__}; "
                             "give a number or a quoted expression")
        else:
            into[name] = value if isinstance(value, str) else repr(value)


@lru_cache(maxsize=4096)
def _grade_claim(result_id: str, answer: str, expected: ResultEntry) -> ClaimGrade:
    """One claim; cached, since a class repeats the same answers many times."""
    shown = sp.sstr(expected.value)
    try:
        claim = parse_answer(answer, symbols_of(expected.value))
    except AnswerParseError as error:
        return ClaimGrade(result_id, answer, UNPARSEABLE, shown, error.message)
    verdict = compare(claim, expected.value, decimals=stated_decimals(answer))
    return ClaimGrade(result_id, answer, verdict.status, shown, verdict.diagnosis or "")


def grade_answers(answers: Mapping[str, str], expected: Mapping[str, ResultEntry]) -> list[ClaimGrade]:
    grades = []
    for result_id, answer in answers.items():
        if result_id not in expected:
            near = difflib.get_close_matches(result_id, list(expected), n=1)
            hint = f"; did you mean {near[0]}?" if near else "; `derive results` lists them"
            grades.append(ClaimGrade(result_id, answer, UNPARSEABLE, "", f"no result has the id {result_id}{hint}"))
            continue
        grades.append(_grade_claim(result_id, answer, expected[result_id]))
    return grades


def grade_file(path: Path, expected: Mapping[str, ResultEntry]) -> FileGrade:
    return FileGrade(str(path), tuple(grade_answers(read_answers(path), expected)))


_EXPECTED: Mapping[str, ResultEntry] = {}


def _grade_in_worker(path: str) -> FileGrade:
    try:
        return grade_file(Path(path), _EXPECTED)
    except InputError as error:
        return FileGrade(path, (), error.message)


def grade_folder(folder: Path, expected: Mapping[str, ResultEntry], jobs: int | None = None) -> list[FileGrade]:
    """Every *.toml in ``folder``, graded on all cores; a malformed file is reported, not fatal."""
    global _EXPECTED
    paths = sorted(str(p) for p in folder.glob("*.toml"))
    if not paths:
        raise InputError(f"{folder}: no answer files (*.toml) in this folder")
    _EXPECTED = expected
    jobs = jobs or os.cpu_count() or 1
    try:
        if jobs > 1 and len(paths) > 1:
            # fork: workers inherit the expected results and SymPy without re-importing them.
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
                return list(pool.map(_grade_in_worker, paths, chunksize=max(1, len(paths) // (jobs * 8))))
        return [_grade_in_worker(p) for p in paths]
    finally:
        _EXPECTED = {}


def write_csv(grades: Sequence[FileGrade], ids: Sequence[str], path: Path) -> None:
    """One row per file, one column per result id (its status), plus counts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "correct", "answered", "error", *ids])
        for grade in grades:
            status = {c.id: c.status for c in grade.claims}
            correct = sum(1 for c in grade.claims if c.status == CORRECT)
            writer.writerow([Path(grade.path).name, correct, len(grade.claims), grade.error,
                             *(status.get(i, "") for i in ids)])
    os.replace(temporary, path)
