"""Shared fixtures: a step factory for the checker tests."""

from __future__ import annotations

import itertools

import pytest

from derive.core.step import Step

_ids = itertools.count()


@pytest.fixture
def make_step():
    def make(lhs, rel, rhs, assumptions, rule=None, definitions=(), step_id=None):
        return Step(step_id or f"t.{next(_ids)}", lhs, rel, rhs, (), assumptions, rule=rule,
                    definitions=tuple(definitions))

    return make
