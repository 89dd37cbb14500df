"""Generators in mlprep.drills.gen_applied: ece, ab_sample_size, psi, ndcg_at_k, bayes_rule,
xgboost_leaf_weight, xgboost_split_gain.

Every expected answer is recomputed here from `problem.data` with plain Python (Decimal and
Fraction arithmetic, math.log loops, statistics.NormalDist), never from the code under test.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

import pytest

from mlprep.drills import Problem, generate

from .generated import LEVELS, assert_well_posed, problems

TOPICS = {
    "ece": "calibration",
    "ab_sample_size": "experimentation",
    "psi": "data-and-shift",
    "ndcg_at_k": "ranking-recsys",
    "bayes_rule": "statistics",
    "xgboost_leaf_weight": "ensembles",
    "xgboost_split_gain": "ensembles",
}
NAMES = tuple(TOPICS)
KEYS = {
    "ece": ["confidence", "accuracy", "count"],
    "ab_sample_size": ["sigma", "delta", "z_alpha", "z_beta"],
    "psi": ["expected", "actual"],
    "ndcg_at_k": ["relevance", "k"],
    "bayes_rule": ["prior", "sensitivity", "specificity"],
    "xgboost_leaf_weight": ["g", "h", "lam"],
    "xgboost_split_gain": ["g_left", "h_left", "g_right", "h_right", "lam", "gamma"],
}


def values(problem: Problem, key: str) -> list[float]:
    return [float(v) for v in problem.data[key].tolist()]


def exact(x: float) -> Fraction:
    """The shown decimal as an exact fraction (the data have at most 3 decimals)."""
    return Fraction(Decimal(repr(float(x))))


@pytest.mark.parametrize("name", NAMES)
def test_data_keys_are_the_documented_ones_at_every_level(name: str) -> None:
    for level in LEVELS:
        assert list(generate(name, 11, {"level": level}).data) == KEYS[name]
        assert generate(name, 11, {"level": level}).topic == TOPICS[name]


@pytest.mark.parametrize("level", LEVELS)
def test_ece_is_the_count_weighted_mean_gap(level: int) -> None:
    for problem in problems("ece", level):
        conf, acc = values(problem, "confidence"), values(problem, "accuracy")
        count = problem.data["count"].tolist()
        assert len(conf) == len(acc) == len(count)
        assert all(isinstance(c, int) and c > 0 for c in count)
        assert all(0 < c < 1 for c in conf) and all(0 <= a <= 1 for a in acc)
        assert conf == sorted(conf)  # one bin each, in order
        # count·accuracy is a whole number of correct predictions
        assert all((n * exact(a)).denominator == 1 for n, a in zip(count, acc, strict=True))
        total = sum(count)
        expected = sum(
            Fraction(n, total) * abs(exact(a) - exact(c))
            for n, a, c in zip(count, acc, conf, strict=True)
        )
        assert problem.answer == pytest.approx(float(expected), abs=1e-9)
        assert_well_posed(problem)


def sample_size(problem: Problem) -> Fraction:
    d = problem.data
    z = exact(d["z_alpha"]) + exact(d["z_beta"])
    return 2 * z**2 * exact(d["sigma"]) ** 2 / exact(d["delta"]) ** 2


@pytest.mark.parametrize("level", LEVELS)
def test_ab_sample_size_rounds_up_the_normal_approximation(level: int) -> None:
    normal = NormalDist()
    for problem in problems("ab_sample_size", level):
        n = sample_size(problem)
        assert problem.exact and problem.answer == float(math.ceil(n))
        assert problem.answer == int(problem.answer) and problem.answer >= 20
        assert min(n % 1, 1 - n % 1) >= Fraction(1, 100)  # rounding up is unambiguous
        assert "round up" in problem.prompt and "exact integer" in problem.prompt
        z_alpha, z_beta = problem.data["z_alpha"], problem.data["z_beta"]
        assert f"= {z_alpha:g}" in problem.prompt and f"= {z_beta:g}" in problem.prompt
        # the z values are standard-normal quantiles for a two-sided α and a power
        two_sided = [normal.inv_cdf(1 - a / 2) for a in (0.10, 0.05, 0.01)]
        power = [normal.inv_cdf(p) for p in (0.8, 0.9)]
        assert min(abs(z_alpha - z) for z in two_sided) < 0.005
        assert min(abs(z_beta - z) for z in power) < 0.005
        if level == 1:
            assert (z_alpha, z_beta) == (1.96, 0.84)
        if level == 3:  # a conversion rate: σ = √(p(1 − p)) for the stated p
            sigma = problem.data["sigma"]
            assert any(
                f"p = {p:g}" in problem.prompt and math.isclose(sigma**2, p * (1 - p))
                for p in (0.02, 0.1, 0.2, 0.5)
            )


def test_ab_sample_size_matches_the_16_sigma2_over_delta2_rule_at_level_1() -> None:
    for problem in problems("ab_sample_size", 1):
        d = problem.data
        rule = 16 * d["sigma"] ** 2 / d["delta"] ** 2  # Kohavi et al.'s rule of thumb
        assert abs(problem.answer - rule) <= 0.03 * rule


@pytest.mark.parametrize("level", LEVELS)
def test_psi_matches_log_loop(level: int) -> None:
    for problem in problems("psi", level):
        e, a = values(problem, "expected"), values(problem, "actual")
        assert len(e) == len(a)
        assert all(x > 0 for x in e + a)
        assert math.isclose(sum(e), 1) and math.isclose(sum(a), 1)
        assert all(round(x, 2) == x for x in e + a)
        expected = sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True))
        assert problem.answer == pytest.approx(expected, abs=1e-9)
        assert_well_posed(problem)
        assert "natural log" in problem.prompt
        if level == 3:
            assert e == [0.1] * 10


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 1) for i, g in enumerate(grades, start=1))


@pytest.mark.parametrize("level", LEVELS)
def test_ndcg_matches_explicit_dcg(level: int) -> None:
    for problem in problems("ndcg_at_k", level):
        grades = problem.data["relevance"].tolist()
        k = problem.data["k"]
        assert isinstance(k, int) and 1 <= k <= len(grades)
        assert all(isinstance(g, int) and 0 <= g <= 3 for g in grades)
        ideal = sorted(grades, reverse=True)
        expected = dcg(grades[:k]) / dcg(ideal[:k])
        assert problem.answer == pytest.approx(expected, abs=1e-9)
        assert 0 < problem.answer < 1  # not already ideal
        assert_well_posed(problem)
        assert "2^{rel} - 1" in problem.prompt and "\\log_2(i + 1)" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_bayes_rule_matches_the_posterior(level: int) -> None:
    for problem in problems("bayes_rule", level):
        d = problem.data
        prior, sens, spec = exact(d["prior"]), exact(d["sensitivity"]), exact(d["specificity"])
        half = Fraction(1, 2)
        assert 0 < prior < half and half < sens < 1 and half < spec < 1
        tests = 2 if level == 3 else 1
        diseased = prior * sens**tests
        healthy = (1 - prior) * (1 - spec) ** tests
        expected = diseased / (diseased + healthy)
        assert problem.answer == pytest.approx(float(expected), abs=1e-9)
        assert_well_posed(problem)
        assert ("twice" in problem.prompt) == (tests == 2)


def logistic_probability(g: float, h: float) -> float:
    """The p behind g = p − y, h = p(1 − p): p = g for y = 0, p = g + 1 for y = 1."""
    p = g if g > 0 else g + 1
    assert 0 < p < 1 and math.isclose(h, p * (1 - p))
    return p


@pytest.mark.parametrize("level", LEVELS)
def test_xgboost_leaf_weight_is_minus_g_over_h_plus_lambda(level: int) -> None:
    for problem in problems("xgboost_leaf_weight", level):
        g, h = values(problem, "g"), values(problem, "h")
        lam = problem.data["lam"]
        assert len(g) == len(h) and lam > 0
        if level == 1:
            assert h == [1.0] * len(g) and "squared loss" in problem.prompt
        else:
            for gi, hi in zip(g, h, strict=True):
                logistic_probability(gi, hi)
            assert "logistic loss" in problem.prompt
        expected = -sum(g) / (sum(h) + lam)
        assert problem.answer == pytest.approx(expected, abs=1e-9)
        assert_well_posed(problem)


@pytest.mark.parametrize("level", LEVELS)
def test_xgboost_split_gain_matches_the_structure_scores(level: int) -> None:
    signs = set()
    for problem in problems("xgboost_split_gain", level):
        d = problem.data
        gl, hl = sum(values(problem, "g_left")), sum(values(problem, "h_left"))
        gr, hr = sum(values(problem, "g_right")), sum(values(problem, "h_right"))
        lam, gamma = d["lam"], d["gamma"]
        assert lam > 0 and gamma >= 0
        for side in ("left", "right"):
            g, h = values(problem, f"g_{side}"), values(problem, f"h_{side}")
            assert len(g) == len(h) >= 2
            if level > 1:
                for gi, hi in zip(g, h, strict=True):
                    logistic_probability(gi, hi)
        gain = 0.5 * (gl**2 / (hl + lam) + gr**2 / (hr + lam) - (gl + gr) ** 2 / (hl + hr + lam))
        assert problem.answer == pytest.approx(gain - gamma, abs=1e-9)
        assert_well_posed(problem)
        signs.add(problem.answer > 0)
    if level == 2:
        assert signs == {True, False}  # γ can make a split not worth it


SIZE = {
    "ece": lambda p: len(p.data["count"]),
    "psi": lambda p: len(p.data["expected"]),
    "ndcg_at_k": lambda p: len(p.data["relevance"]),
    "xgboost_leaf_weight": lambda p: len(p.data["g"]),
    "xgboost_split_gain": lambda p: len(p.data["g_left"]) + len(p.data["g_right"]),
}


@pytest.mark.parametrize("name", sorted(SIZE))
def test_bigger_levels_give_bigger_data(name: str) -> None:
    sizes = [SIZE[name](generate(name, 7, {"level": level})) for level in LEVELS]
    assert sizes == sorted(sizes) and sizes[0] < sizes[2]


def test_ab_sample_size_level_3_needs_more_users() -> None:
    """Conversion-rate lifts of a fraction of a point need far more users than level 1."""
    median = [sorted(p.answer for p in problems("ab_sample_size", lv))[100] for lv in LEVELS]
    assert median[0] < median[2]
