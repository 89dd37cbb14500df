"""Problems the generator tests share: 200 seeds per generator and level, made once."""

from __future__ import annotations

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
