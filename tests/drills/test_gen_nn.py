"""Generators in mlprep.drills.gen_nn: batchnorm, layernorm, softmax_xent, xent_grad,
logistic_grad, attention.

Every expected answer is recomputed here from `problem.data` with plain Python loops (the
statistics module, math.exp/log, an explicit logsumexp) or finite differences, never from the
code under test.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from mlprep.drills import Problem, generate

from .generated import LEVELS, assert_well_posed, problems

TOPICS = {
    "batchnorm": "normalization",
    "layernorm": "normalization",
    "softmax_xent": "softmax-cross-entropy",
    "xent_grad": "softmax-cross-entropy",
    "logistic_grad": "logistic-regression",
    "attention": "attention",
}
NAMES = tuple(TOPICS)


def normalise(values: list[float], eps: float) -> tuple[list[float], float, float]:
    """(normalised values, mean, biased variance) of one slice."""
    mean = statistics.fmean(values)
    var = statistics.pvariance(values)
    return [(v - mean) / math.sqrt(var + eps) for v in values], mean, var


def assert_nice_slice(values: list[float], mean: float, var: float) -> None:
    """Hand-solvable: an integer mean and a perfect-square variance ≥ 1 (never 0), and not
    the trivial pattern where every output is ±1."""
    assert mean == int(mean)
    assert var >= 1 and math.isqrt(int(var)) ** 2 == var
    assert len({abs(v - mean) for v in values}) > 1


@pytest.mark.parametrize("level", LEVELS)
def test_batchnorm_normalises_each_column_over_the_batch(level: int) -> None:
    for problem in problems("batchnorm", level):
        X, eps = problem.data["X"], problem.data["eps"]
        assert list(problem.data) == ["X", "eps"] and eps == 1e-5
        expected, eps_free = np.empty_like(X), np.empty_like(X)
        for j in range(X.shape[1]):
            column, mean, var = normalise(X[:, j].tolist(), eps)
            assert_nice_slice(X[:, j].tolist(), mean, var)
            expected[:, j] = column
            eps_free[:, j] = normalise(X[:, j].tolist(), 0.0)[0]
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        # eps is below the rounding: (x - mean)/sigma rounded to 3 decimals passes the atol alone
        assert np.all(np.abs(problem.answer - np.round(eps_free, 3)) <= problem.atol)
        assert_well_posed(problem)
        assert "axis 0" in problem.prompt and "biased variance" in problem.prompt
        assert "1e-5" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_layernorm_normalises_each_row_over_its_features(level: int) -> None:
    for problem in problems("layernorm", level):
        X, eps = problem.data["X"], problem.data["eps"]
        assert list(problem.data) == ["X", "eps"] and eps == 1e-5
        expected = np.empty_like(X)
        for i in range(X.shape[0]):
            row, mean, var = normalise(X[i].tolist(), eps)
            assert_nice_slice(X[i].tolist(), mean, var)
            expected[i] = row
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert_well_posed(problem)
        assert "axis 1" in problem.prompt and "biased variance" in problem.prompt


def xent(logits: list[float], label: int) -> float:
    """−ln softmax(logits)[label] through an explicit logsumexp."""
    top = max(logits)
    return top + math.log(sum(math.exp(z - top) for z in logits)) - logits[label]


def check_logits(problem: Problem) -> tuple[list[float], int]:
    logits, label = problem.data["logits"].tolist(), problem.data["label"]
    assert list(problem.data) == ["logits", "label"]
    assert isinstance(label, int) and 0 <= label < len(logits)
    assert "0-based" in problem.prompt
    return logits, label


@pytest.mark.parametrize("level", LEVELS)
def test_softmax_xent_matches_logsumexp(level: int) -> None:
    for problem in problems("softmax_xent", level):
        logits, label = check_logits(problem)
        assert problem.answer == pytest.approx(xent(logits, label), abs=1e-9)
        assert problem.answer > 0
        assert_well_posed(problem)
        assert "natural log" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_xent_grad_is_p_minus_onehot_and_matches_finite_differences(level: int) -> None:
    h = 1e-6
    for problem in problems("xent_grad", level):
        logits, label = check_logits(problem)
        total = sum(math.exp(z) for z in logits)
        expected = [math.exp(z) / total - (i == label) for i, z in enumerate(logits)]
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        numeric = []
        for i in range(len(logits)):
            up = [z + h * (j == i) for j, z in enumerate(logits)]
            down = [z - h * (j == i) for j, z in enumerate(logits)]
            numeric.append((xent(up, label) - xent(down, label)) / (2 * h))
        np.testing.assert_allclose(problem.answer, numeric, rtol=0, atol=1e-6)
        assert abs(sum(problem.answer)) < 1e-9
        assert_well_posed(problem)


def log_loss(w: list[float], x: list[float], y: int) -> float:
    z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
    p = 1 / (1 + math.exp(-z))
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


@pytest.mark.parametrize("level", LEVELS)
def test_logistic_grad_matches_formula_and_finite_differences(level: int) -> None:
    h = 1e-6
    for problem in problems("logistic_grad", level):
        assert list(problem.data) == ["w", "x", "y"]
        w, x, y = problem.data["w"].tolist(), problem.data["x"].tolist(), problem.data["y"]
        assert y in (0, 1) and isinstance(y, int)
        z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
        expected = [(1 / (1 + math.exp(-z)) - y) * xi for xi in x]
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        numeric = []
        for i in range(len(w)):
            up = [wj + h * (j == i) for j, wj in enumerate(w)]
            down = [wj - h * (j == i) for j, wj in enumerate(w)]
            numeric.append((log_loss(up, x, y) - log_loss(down, x, y)) / (2 * h))
        np.testing.assert_allclose(problem.answer, numeric, rtol=0, atol=1e-6)
        assert_well_posed(problem)
        assert "without a bias term" in problem.prompt
        assert not (np.signbit(problem.answer) & (problem.answer == 0)).any()  # no "-0"


@pytest.mark.parametrize("level", LEVELS)
def test_attention_matches_explicit_loops(level: int) -> None:
    for problem in problems("attention", level):
        assert list(problem.data) == ["Q", "K", "V"]
        Q, K, V = (problem.data[k].tolist() for k in "QKV")
        d_k = len(Q[0])
        assert d_k == 4 and len(K[0]) == d_k and len(K) == len(V)
        expected = []
        for q in Q:
            scores = [sum(a * b for a, b in zip(q, k, strict=True)) / math.sqrt(d_k) for k in K]
            weights = [math.exp(s) for s in scores]
            total = sum(weights)
            expected.append(
                [
                    sum(wt / total * v[c] for wt, v in zip(weights, V, strict=True))
                    for c in range(len(V[0]))
                ]
            )
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert_well_posed(problem)
        assert "row-wise" in problem.prompt


def size(problem: Problem) -> int:
    return sum(np.size(value) for value in problem.data.values())


@pytest.mark.parametrize("name", NAMES)
def test_bigger_levels_give_bigger_data(name: str) -> None:
    sizes = [size(generate(name, 7, {"level": level})) for level in LEVELS]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
