"""Generators of gen_linear: answers against independent computations, well-posedness,
determinism, level sizes and params. Expected values are computed here from `problem.data`."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from mlprep.drills import Problem
from mlprep.drills.answers import check_answer, format_answer
from mlprep.drills.format import fmt_array

from .generated import LEVELS, all_levels, assert_matches, problems

NAMES = ("ols", "ridge", "monomial_count", "feature_row", "poly_kernel", "kernel_ridge")
TOPICS = {
    "ols": "linear-regression",
    "ridge": "ridge",
    "monomial_count": "features",
    "feature_row": "features",
    "poly_kernel": "kernels",
    "kernel_ridge": "kernels",
}
DATA_KEYS = {
    "ols": ["X", "y"],
    "ridge": ["X", "y", "lam"],
    "monomial_count": ["d", "p"],
    "feature_row": ["x"],
    "poly_kernel": ["x", "z", "c", "degree"],
    "kernel_ridge": ["X", "y", "x_star", "lam", "c", "degree"],
}


# --- answers vs independent computations -------------------------------------------------------


def ols_by_lstsq(p: Problem) -> np.ndarray:
    return np.linalg.lstsq(p.data["X"], p.data["y"], rcond=None)[0]


def test_ols_matches_lstsq() -> None:
    for p in all_levels("ols"):
        X, y = p.data["X"], p.data["y"]
        expected = ols_by_lstsq(p)
        assert_matches(p, expected)
        # a genuine least-squares problem: full column rank, y not in the column space
        assert np.linalg.matrix_rank(X) == X.shape[1]
        assert np.linalg.cond(X) < 100
        assert np.linalg.norm(y - X @ expected) > 0.5
        # built from a nice answer: integer weights, integer data
        np.testing.assert_array_equal(p.answer, np.round(expected))
        np.testing.assert_array_equal(X, np.round(X))
        np.testing.assert_array_equal(y, np.round(y))


def test_ridge_matches_the_explicit_formula() -> None:
    for p in all_levels("ridge"):
        X, y, lam = p.data["X"], p.data["y"], p.data["lam"]
        d = X.shape[1]
        assert lam > 0
        expected = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)
        assert_matches(p, expected)
        # the gradient of ‖Xw − y‖² + λ‖w‖² vanishes at the answer
        np.testing.assert_allclose(X.T @ (X @ p.answer - y) + lam * p.answer, 0, atol=1e-9)
        np.testing.assert_array_equal(2 * p.answer, np.round(2 * expected))  # halves


def test_ridge_forgetting_the_penalty_is_wrong() -> None:
    for p in all_levels("ridge"):
        assert check_answer(p, fmt_array(ols_by_lstsq(p), 6)).status == "wrong", p.data


def count_monomials(d: int, p: int) -> int:
    """Brute force: exponent tuples (multisets of variables) of total degree 0..p."""
    return sum(
        sum(1 for _ in itertools.combinations_with_replacement(range(d), k)) for k in range(p + 1)
    )


def test_monomial_count_matches_comb_and_brute_force() -> None:
    for p in all_levels("monomial_count"):
        d, deg = p.data["d"], p.data["p"]
        assert isinstance(d, int) and isinstance(deg, int)
        assert_matches(p, math.comb(d + deg, deg))
        if d <= 10:
            assert p.answer == count_monomials(d, deg)
        # counting only degree exactly p, or forgetting the constant, is wrong
        assert check_answer(p, str(math.comb(d + deg - 1, deg))).status == "wrong"
        assert check_answer(p, str(math.comb(d + deg, deg) - 1)).status == "wrong"


def test_feature_row_is_the_ellipse_row() -> None:
    for p in all_levels("feature_row"):
        x1, x2 = (float(v) for v in p.data["x"])
        assert_matches(p, [x1**2, x2**2, x1 * x2, x1, x2])
        assert x1 != 0 and x2 != 0


def test_poly_kernel_matches_the_definition() -> None:
    for p in all_levels("poly_kernel"):
        x, z, c, degree = p.data["x"], p.data["z"], p.data["c"], p.data["degree"]
        dot = sum(float(a) * float(b) for a, b in zip(x, z, strict=True))
        assert_matches(p, (dot + c) ** degree)
        assert abs(dot + c) >= 2  # not a trivial 0 or ±1 answer
        if c != 0:  # forgetting c is wrong
            assert check_answer(p, fmt_array(dot**degree)).status == "wrong"


def poly_features(a: np.ndarray, c: float, degree: int) -> np.ndarray:
    """Explicit φ with φ(a)ᵀφ(b) = (aᵀb + c)^degree: one entry per multi-index
    (k_0, k_1..k_d) summing to degree, √(multinomial · c^k_0) · Π a_i^k_i."""
    padded = np.concatenate([[math.sqrt(c)], a])
    features = []
    for combo in itertools.combinations_with_replacement(range(padded.size), degree):
        counts = [combo.count(i) for i in range(padded.size)]
        multinomial = math.factorial(degree)
        for k in counts:
            multinomial //= math.factorial(k)
        features.append(math.sqrt(multinomial) * math.prod(padded**counts))
    return np.array(features)


def test_poly_features_reproduce_the_kernel() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.normal(size=3), rng.normal(size=3)
        assert math.isclose(
            poly_features(a, 1.0, 3) @ poly_features(b, 1.0, 3),
            (a @ b + 1) ** 3,
            rel_tol=1e-9,
            abs_tol=1e-9,
        )


def test_kernel_ridge_matches_dual_and_primal_computations() -> None:
    for p in all_levels("kernel_ridge"):
        X, y, x_star = p.data["X"], p.data["y"], p.data["x_star"]
        lam, c, degree = p.data["lam"], p.data["c"], p.data["degree"]
        n = X.shape[0]
        K = np.array([[(X[i] @ X[j] + c) ** degree for j in range(n)] for i in range(n)])
        k_star = np.array([(X[i] @ x_star + c) ** degree for i in range(n)])
        dual = k_star @ np.linalg.solve(K + lam * np.eye(n), y)
        assert_matches(p, dual)
        # the same prediction in feature space: φ(x*)ᵀ(ΦᵀΦ + λI)⁻¹Φᵀy
        Phi = np.array([poly_features(row, c, degree) for row in X])
        w = np.linalg.solve(Phi.T @ Phi + lam * np.eye(Phi.shape[1]), Phi.T @ y)
        assert abs(poly_features(x_star, c, degree) @ w - p.answer) < 1e-7
        assert len({tuple(row) for row in X}) == n  # distinct training points


# --- every generator: contract, well-posedness, determinism ------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_data_keys_and_shapes(name: str) -> None:
    for p in all_levels(name):
        assert list(p.data) == DATA_KEYS[name]
        assert p.generator == name and p.topic == TOPICS[name]
        answer = np.asarray(p.answer)
        assert answer.shape == p.shape
        if p.shape == ():
            assert isinstance(p.answer, float)
        for value in p.data.values():
            assert isinstance(value, (int, float, np.ndarray)) and not isinstance(value, bool)


@pytest.mark.parametrize("name", NAMES)
def test_well_posed(name: str) -> None:
    for p in all_levels(name):
        answer = np.asarray(p.answer, dtype=float)
        assert np.isfinite(answer).all()
        if p.exact:  # a count: whole numbers, no tolerance
            assert p.atol == 0 and p.rtol == 0 and np.all(answer == np.round(answer))
        else:
            assert p.atol > 0 and p.rtol >= 0
            assert np.abs(answer).max() > 10 * p.atol, "answer so near 0 that atol makes it exact"
        for value in p.data.values():
            assert np.isfinite(np.asarray(value, dtype=float)).all()
            # every number shown has at most 4 decimals, so the display is exact
            assert np.all(np.abs(value - np.round(value, 4)) <= 1e-12), value


def asked_decimals(p: Problem) -> int | None:
    found = re.search(r"(\d+) decimals", p.answer_format)
    return int(found.group(1)) if found else None


@pytest.mark.parametrize("name", NAMES)
def test_expected_and_rounded_answers_are_correct(name: str) -> None:
    for p in all_levels(name):
        assert check_answer(p, format_answer(p)).status == "correct"
        decimals = asked_decimals(p)
        typed = np.round(p.answer, decimals if decimals is not None else 0)
        assert check_answer(p, fmt_array(typed, 8)).status == "correct", p.answer_format


@pytest.mark.parametrize("name", NAMES)
def test_prompt_and_solution(name: str) -> None:
    for p in problems(name):
        assert p.prompt and p.answer_format and len(p.solution) >= 3
        assert "`" in p.answer_format  # an example of what to type
        assert format_answer(p) in "\n".join(p.solution) or p.shape == ()
        for step in p.solution:
            assert step.count("```") % 2 == 0  # code blocks are closed
            assert not re.search(r"\de-\d", step), step  # no float noise such as 2.8e-16


SIZE: dict[str, Callable[[Problem], float]] = {
    "ols": lambda p: p.data["X"].size,
    "ridge": lambda p: p.data["X"].size,
    "monomial_count": lambda p: p.data["d"],
    "feature_row": lambda p: float(np.abs(p.data["x"]).max()),
    "poly_kernel": lambda p: p.data["x"].size,
    "kernel_ridge": lambda p: p.data["X"].size,
}


@pytest.mark.parametrize("name", NAMES)
def test_higher_levels_are_bigger(name: str) -> None:
    biggest = [max(SIZE[name](p) for p in problems(name, level)) for level in LEVELS]
    assert biggest[0] < biggest[1] <= biggest[2]
    assert biggest[0] < biggest[2]


def test_level_one_is_hand_solvable() -> None:
    for name in NAMES:
        for p in problems(name):
            for value in p.data.values():
                assert np.abs(value).max() <= 100
    for p in problems("feature_row"):
        np.testing.assert_array_equal(p.data["x"], np.round(p.data["x"]))
