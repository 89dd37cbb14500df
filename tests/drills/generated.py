"""Problems the generator tests share: 200 seeds per generator and level, made once."""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from mlprep.drills import Problem, generate

SEEDS = range(200)
LEVELS = (1, 2, 3)


@cache
def problems(name: str, level: int = 1) -> tuple[Problem, ...]:
    return tuple(generate(name, seed, {"level": level}) for seed in SEEDS)


def all_levels(name: str) -> list[Problem]:
    return [p for level in LEVELS for p in problems(name, level)]


def assert_matches(problem: Problem, expected: object) -> None:
    """The answer equals the independent computation within 1e-9 (and has its shape)."""
    expected = np.asarray(expected, dtype=float)
    assert np.shape(problem.answer) == expected.shape
    error = float(np.max(np.abs(problem.answer - expected)))
    assert error <= 1e-9, f"{problem.generator} seed {problem.seed}: off by {error}"


def assert_well_posed(problem: Problem) -> None:
    """For the generators that ask for 3 decimals: shape, finiteness, tolerance that fits '3 decimals', and an answer not ~0."""
    answer = np.asarray(problem.answer, dtype=float)
    assert answer.shape == problem.shape
    if problem.shape == ():
        assert isinstance(problem.answer, float)
    else:
        assert isinstance(problem.answer, np.ndarray)
    assert np.isfinite(answer).all()
    assert problem.rtol == 1e-2
    assert "3 decimals" in problem.prompt
    assert 5e-4 <= problem.atol <= 1e-3  # a correctly rounded answer must pass, 0 never exact
    assert np.abs(answer).max() > 10 * problem.atol
    assert problem.solution and all(isinstance(step, str) and step for step in problem.solution)
    assert problem.answer_format
    json.dumps(problem.to_dict())
