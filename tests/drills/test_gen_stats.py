"""Generators in mlprep.drills.gen_stats: gini_split, info_gain, kl_divergence,
cov_eigenvalues, kmeans_step.

Every expected answer is recomputed here from `problem.data` (exact fractions, math.log loops,
np.linalg.eigvalsh, an explicit Lloyd step), never from the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from mlprep.drills import Problem, generate

from .generated import LEVELS, assert_well_posed, problems

TOPICS = {
    "gini_split": "decision-trees",
    "info_gain": "decision-trees",
    "kl_divergence": "information-theory",
    "cov_eigenvalues": "pca",
    "kmeans_step": "k-means",
}
NAMES = tuple(TOPICS)


def split_counts(problem: Problem) -> list[list[int]]:
    """The children × classes counts, checked: no empty child, every class present."""
    assert list(problem.data) == ["counts"]
    counts = problem.data["counts"].tolist()
    assert all(isinstance(c, int) and c >= 0 for row in counts for c in row)
    assert all(sum(row) > 0 for row in counts)
    assert all(sum(col) > 0 for col in zip(*counts, strict=True))
    return counts


@pytest.mark.parametrize("level", LEVELS)
def test_gini_split_matches_exact_fractions(level: int) -> None:
    for problem in problems("gini_split", level):
        counts = split_counts(problem)
        n = sum(map(sum, counts))
        expected = sum(
            Fraction(sum(row), n) * (1 - sum(Fraction(c, sum(row)) ** 2 for c in row))
            for row in counts
        )
        assert problem.answer == pytest.approx(float(expected), abs=1e-9)
        assert_well_posed(problem)
        assert "class j in child i" in problem.prompt


def entropy(counts: list[int]) -> float:
    total = sum(counts)
    return -sum(c / total * math.log2(c / total) for c in counts if c > 0)


@pytest.mark.parametrize("level", LEVELS)
def test_info_gain_matches_entropy_loops(level: int) -> None:
    for problem in problems("info_gain", level):
        counts = split_counts(problem)
        n = sum(map(sum, counts))
        parent = [sum(col) for col in zip(*counts, strict=True)]
        children = sum(sum(row) / n * entropy(row) for row in counts)
        assert problem.answer == pytest.approx(entropy(parent) - children, abs=1e-9)
        assert_well_posed(problem)
        assert "bits" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_kl_divergence_matches_log_loop(level: int) -> None:
    for problem in problems("kl_divergence", level):
        assert list(problem.data) == ["p", "q"]
        p, q = problem.data["p"].tolist(), problem.data["q"].tolist()
        assert len(p) == len(q)
        assert all(qi > 0 for qi in q) and all(pi >= 0 for pi in p)
        assert math.isclose(sum(p), 1) and math.isclose(sum(q), 1)
        for values in (problem.data["p"], problem.data["q"]):  # shown with ≤ 2 decimals
            assert np.array_equal(np.round(values, 2), values)
        expected = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi > 0)
        assert problem.answer == pytest.approx(expected, abs=1e-9)
        assert_well_posed(problem)
        assert "nats" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_cov_eigenvalues_match_eigvalsh_sorted_descending(level: int) -> None:
    for problem in problems("cov_eigenvalues", level):
        assert list(problem.data) == ["C"]
        C = problem.data["C"]
        assert C.shape == (2, 2) and C[0, 1] == C[1, 0] and C[0, 1] != 0
        assert np.array_equal(np.round(C, 2), C)  # short decimals
        expected = np.linalg.eigvalsh(C)[::-1]
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert expected[0] > expected[1] > 0  # distinct, positive definite
        assert_well_posed(problem)
        assert "descending" in problem.prompt
        if level < 3:  # built backwards from integer eigenvalues
            np.testing.assert_allclose(expected, np.round(expected), atol=1e-9)


def test_cov_eigenvalues_level_3_is_not_always_integer() -> None:
    answers = np.array([p.answer for p in problems("cov_eigenvalues", 3)])
    assert (np.abs(answers - np.round(answers)) > 1e-3).any()


def lloyd_step(points: list[list[float]], centroids: list[list[float]]) -> list[list[float]]:
    """One explicit Lloyd iteration; asserts there is no tie and no cluster under 2 points."""
    members: list[list[list[float]]] = [[] for _ in centroids]
    for x in points:
        d2 = [sum((a - b) ** 2 for a, b in zip(x, c, strict=True)) for c in centroids]
        best = min(range(len(d2)), key=d2.__getitem__)
        assert sorted(d2)[1] > d2[best]  # no tie for the nearest centroid
        members[best].append(x)
    assert all(len(m) >= 2 for m in members)  # no empty (or single-point) cluster
    return [[sum(col) / len(m) for col in zip(*m, strict=True)] for m in members]


@pytest.mark.parametrize("level", LEVELS)
def test_kmeans_step_matches_explicit_lloyd_iteration(level: int) -> None:
    for problem in problems("kmeans_step", level):
        assert list(problem.data) == ["X", "centroids"]
        X, centroids = problem.data["X"], problem.data["centroids"]
        assert X.shape[1] == centroids.shape[1]
        expected = lloyd_step(X.tolist(), centroids.tolist())
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert problem.shape == centroids.shape
        assert_well_posed(problem)
        assert "given order" in problem.prompt


SIZE_LEVELS = ("gini_split", "info_gain", "kl_divergence", "kmeans_step")


@pytest.mark.parametrize("name", SIZE_LEVELS)
def test_bigger_levels_give_bigger_data(name: str) -> None:
    def size(problem: Problem) -> int:
        return sum(np.size(value) for value in problem.data.values())

    sizes = [size(generate(name, 7, {"level": level})) for level in LEVELS]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3


def test_cov_eigenvalues_levels_grow_harder_not_bigger() -> None:
    """A 2×2 matrix at every level; level 2 draws bigger eigenvalues than level 1."""
    top = {level: max(p.answer[0] for p in problems("cov_eigenvalues", level)) for level in (1, 2)}
    assert top[2] > top[1]
