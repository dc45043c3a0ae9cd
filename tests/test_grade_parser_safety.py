"""The parser on hostile and random input: nothing runs, nothing but AnswerParseError escapes,
nothing hangs (hypothesis deadlines), and the source never reaches for eval and friends."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive.grade.parser as parser_module
from derive.grade.parser import AnswerParseError, parse_answer, stated_decimals


class CodeRan(BaseException):
    """Raised by the tripwires; a BaseException so that no ``except Exception`` can hide it."""


@contextmanager
def tripwires() -> Iterator[None]:
    """Make every way of running code or a command fail loudly while the parser works."""

    def trip(*args: object, **kwargs: object) -> None:
        raise CodeRan(repr(args)[:80])

    real_exec = builtins.exec

    def exec_imports_only(code: object, *args: object, **kwargs: object) -> None:
        # SymPy imports some of its modules lazily, and importlib runs a module's code with
        # exec(code_object). A code object can only come from a file on disk here (compile is
        # tripped), so executing one is an import, never the student's text.
        if isinstance(code, types.CodeType) and Path(code.co_filename).is_file():
            real_exec(code, *args, **kwargs)  # type: ignore[call-overload]
            return
        trip(code, *args)

    with (
        mock.patch.object(builtins, "eval", trip),
        mock.patch.object(builtins, "exec", exec_imports_only),
        mock.patch.object(builtins, "compile", trip),
        mock.patch.object(os, "system", trip),
        mock.patch.object(os, "popen", trip),
        mock.patch.object(subprocess, "Popen", trip),
    ):
        yield


def parse_safely(text: str) -> None:
    """Parse with the tripwires set: a SymPy expression or AnswerParseError, nothing else."""
    with tripwires():
        try:
            result = parse_answer(text, indexed=("x", "e"))
        except AnswerParseError as error:
            assert "\n" not in error.message
            return
    assert isinstance(result, sympy.Expr)


@pytest.fixture(scope="module", autouse=True)
def _warm_sympy() -> None:
    """SymPy imports parts of itself on first use; doing that before the deadlines start keeps
    a one-off import from reading as a slow parse (hypothesis calls that flaky)."""
    for text in ("exp(x_k)/sum(exp(x_i), i, 1, n)", r"\frac{1}{\beta}\sqrt{|x_1|}", "max(a, b)"):
        parse_answer(text, indexed=("x",))


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: eval("1"),
        lambda: exec("x = 1"),
        lambda: exec(compile("x = 1", "<student>", "exec")),
        lambda: os.system("true"),
        lambda: subprocess.Popen(["true"]),
    ],
    ids=["eval", "exec", "compile", "os.system", "Popen"],
)
def test_tripwires_work(attempt: Callable[[], object]) -> None:
    """The tests below mean something only if running code really trips."""
    with tripwires(), pytest.raises(CodeRan):
        attempt()


def test_the_parser_source_never_names_eval_and_friends() -> None:
    """Static guard: a future edit that reaches for an evaluator fails here, not in production."""
    evaluators = {"sympify", "parse_expr", "lambdify", "import_module", "system", "popen"}
    builtins_that_run_code = {"eval", "exec", "compile", "__import__", "getattr", "open"}
    tree = ast.parse(Path(parser_module.__file__).read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert names & (evaluators | builtins_that_run_code) == set()
    assert attributes & evaluators == set()
    # sympy.S.Half is a constant, but a call sympy.S(...) is sympify under another name.
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert not [f for f in calls if isinstance(f, ast.Attribute) and f.attr == "S"]


HOSTILE = [
    "__import__('os').system('touch {sentinel}')",
    "exec(\"open('{sentinel}', 'w')\")",
    "eval('1')",
    "lambda: 0",
    "x.__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "open('{sentinel}', 'w')",
    "import os",
    "os.system('touch {sentinel}')",
    "__builtins__",
    "[c for c in ()]",
    "{'a': 1}",
    "'a' * 10",
    "9**9**9**9",
    "10**10**10",
    "2^2^2^2^2^2",
    "(((((((((((((((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "-" * 1999 + "1",
    "(" * 1999,
    "x_" * 999,
    "\\frac{" * 600,
    "\\sqrt{" * 600,
    "sum(" * 400,
    "|" * 2000,
    "e^{" * 600,
    "\\left(" * 300,
    "1" * 2000,
    "1e" + "9" * 1998,
    "9" * 99 + "^" + "9" * 99,
    "sqrt(" + "9" * 99 + ")" + "*sqrt(" + "7" * 99 + ")" * 3,
    "max(" + ",".join(["x_1"] * 500) + ")",
    "\x00\x01\x02",
    "\\input{/etc/passwd}",
    "\\write18{touch {sentinel}}",
    "`touch {sentinel}`",
]


@pytest.mark.parametrize("template", HOSTILE, ids=[h[:30] for h in HOSTILE])
def test_hostile_input_is_refused_and_runs_nothing(template: str, tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    text = template.replace("{sentinel}", str(sentinel))
    with tripwires(), pytest.raises(AnswerParseError):
        parse_answer(text)
    assert not sentinel.exists()


def test_shell_syntax_is_at_most_harmless_maths(tmp_path: Path) -> None:
    """In LaTeX mode ``$`` is a delimiter, so this reads as touch·(/tmp/…/pwned) divided out
    -- a product of symbols, which is fine: it is only maths, and nothing runs."""
    sentinel = tmp_path / "pwned"
    parse_safely(f"$(touch {sentinel})")
    assert not sentinel.exists()


@settings(
    max_examples=300,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    parse_safely(text)


TOKENS = [
    "x", "y", "x_k", "x_i", "x_{i_max}", "e", "e_k", "n", "i", "beta", "\\beta", "β", "pi",
    "0", "1", "2", "9", "12", "655,566,528", "1_000", "0.5", ".5", "1.2e9", "1e-3", "91.79%",
    "\\%", "+", "-", "*", "/", "^", "**", "−", "×", "(", ")", "{", "}", "|", ",", "_", "=",
    "exp(", "log(", "ln(", "sqrt(", "abs(", "max(", "min(", "sum(", "frac(", "\\frac{",
    "\\sum_{i=1}^{n}", "\\sum_", "\\sqrt", "\\sqrt[3]", "\\exp", "\\log", "\\cdot", "\\times",
    "\\left(", "\\right)", "\\{", "\\}", "\\lvert", "\\rvert", "\\,", "\\mathbf{e}", "\\text{max}",
    "$", " ", "[", "]", ".", "'", '"', "__import__", "lambda", ":", "os", "system", "9**9**9",
    "\\", "\\foo", "%", "e^{", "^{", "_{",
    "\\partial", "∂", "\\frac{\\partial}{\\partial x}", "\\frac{\\partial ", "}{\\partial ", "\\nabla",
    "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "⌊", "⌋", "floor(", "ceil(",
    "\\sum_{\\substack{i=1 \\\\ i \\neq j}}^{n}", "\\substack{", "\\neq", "≠", "\\\\",
    "\\frac{d}{d x}", "\\frac{d", "}{d", "d", "dx", "\\mathrm{d}", "\\dots", "…",
]  # fmt: skip


@settings(
    max_examples=500,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_token_soup(text: str) -> None:
    parse_safely(text)


@settings(max_examples=200, deadline=timedelta(milliseconds=500))
@given(st.lists(st.sampled_from(TOKENS), max_size=20).map("".join))
def test_stated_decimals_never_raises(text: str) -> None:
    decimals = stated_decimals(text)
    assert decimals is None or isinstance(decimals, int)


def _expressions() -> st.SearchStrategy[str]:
    """Well-formed plain answers, so the fuzz also reaches deep into the grammar."""
    leaves = st.sampled_from(["x_k", "x_1", "n", "beta", "2", "0.5", "e", "pi", "1,000"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
                lambda t: f"({t[0]}){t[1]}({t[2]})"
            ),
            inner.map(lambda s: f"-({s})"),
            st.tuples(st.sampled_from(["exp", "log", "sqrt", "abs"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            inner.map(lambda s: f"sum({s}, i, 1, n)"),
            inner.map(lambda s: f"\\frac{{{s}}}{{2}}"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@settings(
    max_examples=200,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_expressions())
def test_well_formed_expressions(text: str) -> None:
    parse_safely(text)


def test_deep_input_is_an_answer_error_not_a_recursion_error() -> None:
    for opener in ("(", "{", "-", "exp(", "\\sqrt{", "x_{", "|", "\\lfloor ", "⌈", "\\frac{\\partial}{\\partial x} x",
                   "\\frac{\\partial ", "\\sum_{\\substack{i=1 \\\\ i \\neq "):
        text = (opener * 2000)[:2000]
        with pytest.raises(AnswerParseError):
            parse_answer(text)
