"""The user-facing errors of derive; each kind knows its exit code.

Exit codes (documented in ``derive --help`` and the README):
0 success, 1 a check failed (or a graded answer was wrong), 2 usage or input error,
3 TeX missing or failed.
"""

from __future__ import annotations

import re

# Terminal escape sequences (CSI, OSC) and any other control character, C0 or C1.
_TERMINAL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x1f\x7f-\x9f]")


def shown(value: object, limit: int = 60) -> str:
    """A user's value as an error message echoes it: quoted, no terminal escapes or control
    characters, cut to a readable length."""
    text = _TERMINAL.sub("?", str(value))
    if len(text) > limit:
        text = text[: limit - 1] + f"… ({len(str(value))} characters)"
    return repr(text)


def clean(message: str, limit: int = 2000) -> str:
    """A whole message made safe for a terminal (the last line of defence before printing)."""
    text = _TERMINAL.sub("?", message)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DeriveError(Exception):
    """Base class: an error meant for the user, printed as one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(DeriveError):
    """The user's input (a spec, an answer file, an argument) is malformed. Exit 2."""

    exit_code = 2


class CheckFailed(DeriveError):
    """A derivation step did not survive its check. Exit 1. A defect in content, not in input."""

    exit_code = 1


class TexMissing(DeriveError):
    """No TeX installation was found; the .tex and JSON were still written. Exit 3."""

    exit_code = 3


class TexFailed(DeriveError):
    """TeX ran and failed (or ran out of time); the previous PDF is kept. Exit 3."""

    exit_code = 3

    def __init__(self, message: str, log_excerpt: str = "") -> None:
        super().__init__(message)
        self.log_excerpt = log_excerpt


class AuthoringError(InputError, ValueError):
    """A document is malformed where it is written (a step, a document file). Exit 2.

    Also a ValueError, so code that caught the old ``ValueError`` for a bad relation still does.
    """

    exit_code = 2
