"""`derive review`: check a student's own workings line by line with the derive engine.

Imported lazily, so that ``derive.cli`` (which registers the command) does not load SymPy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LinkVerdict", "Review", "review_file", "review_workings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from derive.review import review

        return getattr(review, name)
    raise AttributeError(f"module 'derive.review' has no attribute {name!r}")
