"""The outcome of checking a step: per method, and the status that combines them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERIFIED = "verified"  # a symbolic proof, and every numeric sample agrees
NUMERIC_ONLY = "numeric-only"  # symbolic check inconclusive, every numeric sample passes
FAILED = "failed"
DEFINITION = "definition"  # a definition claims nothing, so there is nothing to check
UNDECIDED = "undecided"  # a check ran out of time: no verdict either way (never shown as a mark)

STATUSES = (VERIFIED, NUMERIC_ONLY, FAILED, DEFINITION, UNDECIDED)


@dataclass(frozen=True)
class MethodResult:
    """What one method concluded: proved, passed, inconclusive, failed or timeout."""

    method: str
    outcome: str
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one step: its status (verified, numeric-only, failed, definition), what
    each method concluded, and why a step is not verified."""

    step_id: str
    status: str
    methods: tuple[MethodResult, ...] = field(default=())
    message: str = ""
    cached: bool = False

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.methods)

    def _repr_html_(self) -> str:  # Jupyter: the status in its colour, and why
        from derive import notebook

        return notebook.result_html(self)

    def _repr_latex_(self) -> str:
        from derive import notebook

        return notebook.result_latex(self)

    def to_json(self) -> dict:
        data = asdict(self)
        data["methods"] = [asdict(m) for m in self.methods]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "CheckResult":
        methods = tuple(MethodResult(**m) for m in data["methods"])
        return cls(data["step_id"], data["status"], methods, data.get("message", ""))


def combine(step_id: str, methods: list[MethodResult]) -> CheckResult:
    """Verified needs a proof and no disagreeing sample; any failure fails the step."""
    failures = [m for m in methods if m.outcome == "failed"]
    if failures:
        message = "; ".join(f"{m.method}: {m.detail}" for m in failures)
        return CheckResult(step_id, FAILED, tuple(methods), message)
    numeric_passed = any(m.outcome == "passed" for m in methods)
    proved = any(m.outcome == "proved" for m in methods)
    if proved and numeric_passed:
        return CheckResult(step_id, VERIFIED, tuple(methods))
    if numeric_passed:
        why = "; ".join(f"{m.method}: {m.detail}" for m in methods if m.outcome in ("inconclusive", "timeout"))
        return CheckResult(step_id, NUMERIC_ONLY, tuple(methods), why)
    timeouts = [m for m in methods if m.outcome == "timeout"]
    if timeouts:  # out of time is not a counterexample
        message = "; ".join(f"{m.method}: {m.detail}" for m in timeouts)
        return CheckResult(step_id, UNDECIDED, tuple(methods), f"timed out after {sum(m.seconds for m in methods):.1f} s ({message})")
    return CheckResult(step_id, FAILED, tuple(methods), "no method could confirm the step")
