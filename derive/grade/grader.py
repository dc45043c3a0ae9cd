"""Grade answer files against the results the document proves.

An answer file is TOML mapping result ids to claimed answers. Ids contain dots, so both forms
work: ``"p2.conv.macs" = "655,566,528"`` and the nested ``[p2.conv] macs = 655566528``. Write
decimals as strings (``"91.79"``): TOML floats forget trailing zeros, and the number of decimals
a student gave decides how a rounded value is judged.
"""

from __future__ import annotations

import csv
import difflib
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import sympy as sp

from derive.core.checks.timelimit import wall_time_limit
from derive.errors import InputError
from derive.grade.diagnose import compare
from derive.grade.answer_file import read_answers
from derive.grade import printed
from derive.grade.parser import AnswerParseError, EntryMax, parse_answer, stated_decimals, whole_vector_extrema
from derive.grade.safe_text import csv_cell, shown
from derive.grade.workers import available_cores, run_limited
from derive.results import ResultEntry

__all__ = ["ANSWER_SECONDS", "CORRECT", "FILE_SECONDS", "UNDECIDED", "UNPARSEABLE", "WRONG",
           "ClaimGrade", "FileGrade", "grade_answers", "grade_file", "grade_paths", "grade_folder",
           "read_answers", "write_csv"]

CORRECT, WRONG, UNPARSEABLE, UNDECIDED = "correct", "wrong", "unparseable", "undecided"

ANSWER_SECONDS = 6.0  # parse and compare one answer (compare itself stops after 1 + 3 s)
FILE_ANSWER_SECONDS = 10.0  # all answers of one file together
FILE_SECONDS = 30.0  # one file, wall clock, in its own process: then the process is killed


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


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that SymPy's ``except Exception`` lets it pass."""


def _derivatives_done(claim: sp.Expr) -> sp.Expr:
    """An answer written as a derivative (∂/∂x_k …) compared as its value: the comparison's
    numeric evaluation cannot sample an unevaluated derivative. Grading has no definitions to
    put in first, so evaluating now is what the answer means."""
    if not claim.has(sp.Derivative):
        return claim
    return claim.replace(lambda node: isinstance(node, sp.Derivative), lambda node: node.doit())


def _known_maxima(claim: sp.Expr, expected: ResultEntry) -> sp.Expr:
    """max(x) → x[j] where the result's step assumes x[j] is the largest entry of x."""
    claim = whole_vector_extrema(claim, dict(expected.lengths))
    if not claim.has(EntryMax):
        return claim
    return claim.xreplace({EntryMax(base): base[index] for base, index in expected.maxima})


@lru_cache(maxsize=4096)
def _grade_claim(result_id: str, answer: str, expected: ResultEntry) -> ClaimGrade:
    """One claim, parsed and compared; cached, since a class repeats the same answers many
    times. The caller bounds its time: an answer stopped by the alarm raises, so a timeout is
    never cached."""
    shown_value = printed.student(expected.value)
    try:
        claim = parse_answer(answer, printed.answer_names(expected.value),
                             functions=printed.answer_functions(expected.value))
    except AnswerParseError as error:
        return ClaimGrade(result_id, answer, UNPARSEABLE, shown_value, shown(error.message, 200))
    try:
        claim = _derivatives_done(_known_maxima(claim, expected))
        verdict = compare(claim, expected.value, decimals=stated_decimals(answer))
    except RecursionError:
        return ClaimGrade(result_id, answer, UNDECIDED, shown_value, "the answer is nested too deeply to compare")
    except Exception as error:  # noqa: BLE001 - a defect of derive, never the student's fault
        return ClaimGrade(result_id, answer, UNDECIDED, shown_value,
                          f"derive could not grade this answer ({type(error).__name__}); please report it")
    return ClaimGrade(result_id, answer, verdict.status, shown_value, verdict.diagnosis or "")


def _grade_claim_in_time(result_id: str, answer: str, expected: ResultEntry, seconds: float) -> ClaimGrade:
    if seconds <= 0:
        return ClaimGrade(result_id, answer, UNDECIDED, printed.student(expected.value),
                          f"not graded: this file's answers used up their {FILE_ANSWER_SECONDS:g} s")
    try:
        with wall_time_limit(seconds, _OutOfTime):
            return _grade_claim(result_id, answer, expected)
    except _OutOfTime:
        return ClaimGrade(result_id, answer, UNDECIDED, printed.student(expected.value),
                          f"reading and comparing this answer took longer than {seconds:.3g} s")


def grade_answers(answers: Mapping[str, str], expected: Mapping[str, ResultEntry],
                  seconds: float = FILE_ANSWER_SECONDS) -> list[ClaimGrade]:
    """Each answer's verdict; each within ANSWER_SECONDS and all together within ``seconds``
    (what is left over when time runs out is undecided, not wrong)."""
    deadline = time.monotonic() + seconds
    grades = []
    for result_id, answer in answers.items():
        if result_id not in expected:
            near = difflib.get_close_matches(result_id, list(expected), n=1)
            hint = f"; did you mean {near[0]}?" if near else "; `derive results` lists them"
            grades.append(ClaimGrade(result_id, answer, UNPARSEABLE, "",
                                     f"no result has the id {shown(result_id)}{hint}"))
            continue
        remaining = min(ANSWER_SECONDS, deadline - time.monotonic())
        grades.append(_grade_claim_in_time(result_id, answer, expected[result_id], remaining))
    return grades


def grade_file(path: Path, expected: Mapping[str, ResultEntry]) -> FileGrade:
    """One file's grades; a file that cannot be read is a FileGrade with ``error``, not a raise."""
    try:
        return FileGrade(str(path), tuple(grade_answers(read_answers(path), expected)))
    except InputError as error:
        return FileGrade(str(path), (), error.message)


def grade_paths(paths: Sequence[Path], expected: Mapping[str, ResultEntry], jobs: int | None = None,
                file_seconds: float = FILE_SECONDS) -> list[FileGrade]:
    """Each file graded in a worker process under a wall-clock limit, in the order given. One
    bad file -- unreadable, hostile, hung, crashing -- is that file's error, never the class's."""

    def failed(path: Path, reason: str) -> FileGrade:
        return FileGrade(str(path), (), reason)

    return run_limited(lambda path: grade_file(path, expected), list(paths),
                       jobs=jobs or available_cores(), seconds=file_seconds, on_failure=failed)


def grade_folder(folder: Path, expected: Mapping[str, ResultEntry], jobs: int | None = None,
                 file_seconds: float = FILE_SECONDS) -> list[FileGrade]:
    """Every *.toml in ``folder``; whatever is not a readable answer file is reported, not fatal."""
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise InputError(f"{shown(folder)}: no answer files (*.toml) in this folder")
    return grade_paths(paths, expected, jobs, file_seconds)


def write_csv(grades: Sequence[FileGrade], ids: Sequence[str], path: Path) -> None:
    """One row per file, one column per result id (its status), plus counts.

    Written to a fresh temporary file created exclusively beside ``path`` and renamed over it:
    a planted link (``grades.csv.tmp`` → someone's file) is never followed, and readers never
    see half a table. Cells that a spreadsheet would run as formulas are neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "correct", "answered", "error", *ids])
            for grade in grades:
                status = {c.id: c.status for c in grade.claims}
                correct = sum(1 for c in grade.claims if c.status == CORRECT)
                writer.writerow([csv_cell(shown(Path(grade.path).name, 200)), correct, len(grade.claims),
                                 csv_cell(shown(grade.error, 300)), *(status.get(i, "") for i in ids)])
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
