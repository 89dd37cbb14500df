"""Generators for applied ML: calibration, A/B tests, drift, ranking, Bayes' rule and XGBoost.

Data keys (a public contract: see README, "mlprep drill") and answers:
- `ece` (calibration): `confidence`, `accuracy`, `count` — one entry per non-empty
  equal-width confidence bin (mean top-class confidence, fraction correct, examples);
  ECE = Σ_b (n_b/N)·|acc_b − conf_b|.
- `ab_sample_size` (experimentation): `sigma`, `delta`, `z_alpha`, `z_beta`; the per-arm sample
  size n = 2(z_alpha + z_beta)²σ²/δ² rounded up (an exact integer). z_alpha = z_{1−α/2}
  (two-sided), z_beta = z_{1−β} (power 1 − β).
- `psi` (data-and-shift): `expected`, `actual` — bin proportions, all > 0, each summing to 1;
  PSI = Σ_i (a_i − e_i)·ln(a_i/e_i).
- `ndcg_at_k` (ranking-recsys): `relevance` (grades in rank order, position 1 first), `k`;
  NDCG@k with gain 2^rel − 1 and discount log₂(i + 1), the ideal order being the same grades
  sorted in decreasing order.
- `bayes_rule` (statistics): `prior`, `sensitivity`, `specificity`; P(D | +) for one positive
  test (levels 1-2) or two conditionally independent positive tests (level 3).
- `xgboost_leaf_weight` (ensembles): `g`, `h`, `lam` — per-example gradients and Hessians of
  the examples in one leaf; w* = −Σg/(Σh + λ).
- `xgboost_split_gain` (ensembles): `g_left`, `h_left`, `g_right`, `h_right`, `lam`, `gamma`;
  Gain = ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − (G_L+G_R)²/(H_L+H_R+λ)] − γ.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .common import make_problem, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "ab_sample_size",
    "bayes_rule",
    "ece",
    "ndcg_at_k",
    "psi",
    "xgboost_leaf_weight",
    "xgboost_split_gain",
]

ATOL = 1e-3  # the prompts ask for 3 decimals; a correctly rounded answer is within 5e-4
ROUND_3 = "Round to 3 decimals."
MIN_ANSWER = 0.02  # every 3-decimal answer is at least 20·atol away from 0

# ece: (bin width, lowest bin edge, count step, largest count multiple, accuracy step) by level
ECE_BINS = {1: (0.2, 0.2, 10, 5, 0.1), 2: (0.1, 0.5, 20, 10, 0.05), 3: (0.1, 0.2, 20, 10, 0.05)}
# ab_sample_size: z_{1-α/2} for a two-sided α and z_{1-β} for power 1-β, 3 decimals
Z_TWO_SIDED = {"0.10": 1.645, "0.05": 1.96, "0.01": 2.576}
Z_POWER = {"0.8": 0.842, "0.9": 1.282}
# conversion-rate baselines p whose σ = √(p(1-p)) is a short decimal, with absolute lifts δ
PROPORTIONS = {0.02: (0.14, (0.002, 0.004, 0.005)), 0.1: (0.3, (0.005, 0.01, 0.02)),
               0.2: (0.4, (0.01, 0.02, 0.025)), 0.5: (0.5, (0.01, 0.02, 0.05))}  # fmt: skip
SAMPLE_RANGE = {1: (20, 5_000), 2: (50, 50_000)}  # per-arm n for the difference-in-means levels
PSI_SIZE = {1: (4, 20), 2: (5, 100), 3: (10, 100)}  # (bins, proportions in units of 1/n)
NDCG_SIZE = {1: (4, 3, 2), 2: (6, 5, 3), 3: (10, 8, 3)}  # (list length, k, highest grade)
LEAF_SIZE = {1: 4, 2: 5, 3: 8}  # examples in the leaf
SPLIT_SIZE = {1: (2, 2), 2: (3, 3), 3: (4, 5)}  # examples in (left, right)


def _problem(**fields: Any) -> Problem:
    return make_problem(atol=ATOL, **fields)


def _p(x: float) -> str:
    """A number for a written-out product or sum: negatives in parentheses, `(−0.3)`."""
    text = fmt_num(x)
    return f"({text})" if float(x) < 0 else text


# --- calibration: expected calibration error ----------------------------------------------


@generator(
    "ece",
    topic="calibration",
    description="expected calibration error Σ (n_b/N)|acc_b − conf_b| from binned predictions",
    params={"level": LEVEL},
)
def ece(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer ECE = Σ_b (n_b/N)|acc_b − conf_b| over the non-empty bins (Guo et al. 2017).

    Each bin has a count that is a multiple of 10 (level 1) or 20, an accuracy that is a
    multiple of 0.1 or 0.05 (so count·accuracy is a whole number of correct predictions) and a
    mean confidence with 2 decimals strictly inside the bin; accuracy tends to lag confidence,
    as for an over-confident network."""
    width, low, count_step, count_max, acc_step = ECE_BINS[level]
    edges = np.round(np.arange(low, 1.0 + 1e-9, width), 2)
    lows, highs = edges[:-1], edges[1:]
    m = len(lows)

    def draw() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        # mean confidence: 2 decimals, at least 0.01 inside each bin (0.99 at most)
        lo_units = np.round(lows * 100).astype(int) + 1
        hi_units = np.round(highs * 100).astype(int) - 1
        conf = rng.integers(lo_units, hi_units, endpoint=True) / 100
        gap = rng.uniform(-0.05, 0.25, m)  # accuracy below confidence, mostly
        acc = np.clip(np.round((conf - gap) / acc_step) * acc_step, 0.0, 1.0)
        acc = np.round(acc, 2)
        count = rng.integers(1, count_max, m, endpoint=True) * count_step
        total = count.sum()
        value = float(np.sum(count / total * np.abs(acc - conf)))
        return (conf, acc, count) if value >= MIN_ANSWER else None

    conf, acc, count = redraw(draw)
    total = int(count.sum())
    gaps = np.abs(acc - conf)
    weights = count / total
    terms = weights * gaps
    answer = float(terms.sum())
    bins = ", ".join(f"({fmt_num(a)}, {fmt_num(b)}]" for a, b in zip(lows, highs, strict=True))
    return _problem(
        prompt=(
            "A classifier's test predictions are grouped by confidence (the top-class "
            f"probability) into equal-width bins of width {fmt_num(width)}. For each bin you "
            "get `count` (examples in it), `confidence` (their mean confidence) and `accuracy` "
            "(the fraction of them predicted correctly). Compute the expected calibration error "
            "$ECE = \\sum_b \\frac{n_b}{N} \\lvert acc_b - conf_b \\rvert$, where $n_b$ is the "
            f"bin's count and $N$ the total count. {ROUND_3}"
        ),
        data={"confidence": conf, "accuracy": acc, "count": count},
        answer=answer,
        solution=[
            f"Bins: {bins}; N = {' + '.join(str(int(c)) for c in count)} = {total}",
            f"Gaps |acc − conf| = {fmt_array(gaps)}",
            f"Weights n_b/N = {fmt_array(weights)}",
            f"Weighted gaps = {fmt_array(terms)}",
            f"ECE = sum = {fmt_num(answer)}",
        ],
        answer_format="one number in [0, 1], 3 decimals",
    )


# --- experimentation: A/B sample size per arm ---------------------------------------------


def _fraction(x: float) -> Fraction:
    """The decimal as shown, exactly (0.14 -> 7/50), so the ceiling is never off by float error."""
    return Fraction(fmt_num(x, 6))


def _sample_size(sigma: float, delta: float, z_alpha: float, z_beta: float) -> Fraction:
    z = _fraction(z_alpha) + _fraction(z_beta)
    return 2 * z * z * _fraction(sigma) ** 2 / _fraction(delta) ** 2


@generator(
    "ab_sample_size",
    topic="experimentation",
    description="A/B sample size per arm n = 2(z_{1−α/2} + z_{1−β})²σ²/δ², rounded up",
    params={"level": LEVEL},
)
def ab_sample_size(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer ⌈2(z_alpha + z_beta)²σ²/δ²⌉ (an exact integer), computed in exact fractions.

    Level 1: a difference in means, α = 0.05 and power 0.8 with the textbook z values 1.96 and
    0.84. Level 2: other α and power (z to 3 decimals). Level 3: a conversion rate, with
    σ² = p(1 − p) at the control rate p. Draws whose n is within 0.01 of a whole number are
    redrawn, so rounding up is never a coin toss."""

    def draw() -> tuple[dict[str, float], str] | None:
        if level == 1:
            alpha, power, z_alpha, z_beta = "0.05", "0.8", 1.96, 0.84
        else:
            alpha = str(rng.choice(list(Z_TWO_SIDED)))
            power = str(rng.choice(list(Z_POWER)))
            z_alpha, z_beta = Z_TWO_SIDED[alpha], Z_POWER[power]
        if level == 1:
            sigma = float(rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15]))
            delta = float(rng.choice([0.5, 1, 1.5, 2, 2.5, 3, 4, 5]))
            metric = "a per-user mean (e.g. minutes of use)"
        elif level == 2:
            sigma = float(rng.integers(5, 201)) / 10
            delta = float(rng.integers(1, 51)) / 20
            metric = "a per-user mean (e.g. revenue per user)"
        else:
            p = float(rng.choice(list(PROPORTIONS)))
            sigma, lifts = PROPORTIONS[p]
            delta = float(rng.choice(lifts))
            metric = (
                f"a conversion rate; the control rate is p = {fmt_num(p)}, so use "
                f"$\\sigma^2 = p(1 - p)$ in both arms, i.e. σ = {fmt_num(sigma)}"
            )
        n = _sample_size(sigma, delta, z_alpha, z_beta)
        if level < 3:
            low, high = SAMPLE_RANGE[level]
            if not low <= n <= high:
                return None
        fractional = n - math.floor(n)
        if fractional < Fraction(1, 100) or fractional > Fraction(99, 100):
            return None
        data = {"sigma": sigma, "delta": delta, "z_alpha": z_alpha, "z_beta": z_beta}
        context = (
            f"The metric is {metric}. Two-sided α = {alpha}, power {power}: use "
            f"$z_{{1-\\alpha/2}}$ = {fmt_num(z_alpha)} and $z_{{1-\\beta}}$ = {fmt_num(z_beta)}."
        )
        return data, context

    data, context = redraw(draw)
    sigma, delta, z_alpha, z_beta = data["sigma"], data["delta"], data["z_alpha"], data["z_beta"]
    n = _sample_size(sigma, delta, z_alpha, z_beta)
    answer = math.ceil(n)
    z_sum = z_alpha + z_beta
    return make_problem(
        prompt=(
            "An A/B test compares the means of two equal-sized arms with a two-sided z-test. "
            f"{context} The standard deviation per user is `sigma` in each arm and the minimum "
            "detectable effect (the difference to detect) is `delta`. How many users does each "
            "arm need? Use $n = 2(z_{1-\\alpha/2} + z_{1-\\beta})^2 \\sigma^2 / \\delta^2$ and "
            "**round up** to an exact integer."
        ),
        data=data,
        answer=float(answer),
        solution=[
            f"z_alpha + z_beta = {fmt_num(z_alpha)} + {fmt_num(z_beta)} = "
            f"{fmt_num(z_sum)}; squared: {fmt_num(z_sum**2, 6)}",
            f"σ²/δ² = {fmt_num(sigma**2, 6)} / {fmt_num(delta**2, 6)} = "
            f"{fmt_num(sigma**2 / delta**2, 6)}",
            f"n = 2 · {fmt_num(z_sum**2, 6)} · {fmt_num(sigma**2 / delta**2, 6)} = "
            f"{fmt_num(float(n), 4)}",
            f"Round up: {answer} users per arm ({2 * answer} in total)",
        ],
        answer_format="one exact integer (users per arm, rounded up)",
        exact=True,
    )


# --- data-and-shift: population stability index -------------------------------------------


@generator(
    "psi",
    topic="data-and-shift",
    description="population stability index Σ (a_i − e_i) ln(a_i/e_i) between two histograms",
    params={"level": LEVEL},
)
def psi(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer PSI = Σ_i (a_i − e_i) ln(a_i / e_i) in natural log.

    Proportions are multiples of 1/20 (level 1) or 1/100, every one > 0. At level 3 the
    expected histogram is the 10 deciles of the training data (0.1 each)."""
    k, units = PSI_SIZE[level]

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        if level == 3:
            expected = np.full(k, 0.1)
        else:
            e_units = rng.multinomial(units, np.full(k, 1 / k))
            if (e_units == 0).any():
                return None
            expected = np.round(e_units / units, 2)
        a_units = rng.multinomial(units, expected)
        if (a_units == 0).any():
            return None
        actual = np.round(a_units / units, 2)
        value = float(np.sum((actual - expected) * np.log(actual / expected)))
        return (expected, actual) if MIN_ANSWER <= value <= 2.0 else None

    expected, actual = redraw(draw)
    diff = actual - expected
    logs = np.log(actual / expected)
    terms = diff * logs
    answer = float(terms.sum())
    if answer < 0.1:
        reading = "below 0.1: little shift, by the usual rule of thumb"
    elif answer <= 0.25:
        reading = "between 0.1 and 0.25: a moderate shift, by the usual rule of thumb"
    else:
        reading = "above 0.25: a major shift, by the usual rule of thumb"
    return _problem(
        prompt=(
            f"`expected` is the share of the training (reference) data in each of {k} bins of a "
            "feature; `actual` is the share of this week's production data in the same bins. "
            "Compute the population stability index "
            "$PSI = \\sum_i (a_i - e_i) \\ln(a_i / e_i)$ with the **natural log**. " + ROUND_3
        ),
        data={"expected": expected, "actual": actual},
        answer=answer,
        solution=[
            f"a − e = {fmt_array(diff)}",
            f"ln(a/e) = {fmt_array(logs)}",
            f"Terms (a − e)·ln(a/e) = {fmt_array(terms)} (each ≥ 0)",
            f"PSI = sum = {fmt_num(answer)}, {reading}",
        ],
        answer_format="one number ≥ 0, 3 decimals",
    )


# --- ranking: NDCG@k ----------------------------------------------------------------------


def _dcg(grades: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-position terms (2^rel − 1)/log₂(i + 1), i from 1, and their sum."""
    positions = np.arange(1, len(grades) + 1)
    terms = (2.0**grades - 1) / np.log2(positions + 1)
    return terms, float(terms.sum())


@generator(
    "ndcg_at_k",
    topic="ranking-recsys",
    description="NDCG@k of a ranked list of graded relevances (gain 2^rel − 1, discount log₂(i+1))",
    params={"level": LEVEL},
)
def ndcg_at_k(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer DCG@k / IDCG@k with gain 2^rel − 1 and discount log₂(i + 1), positions from 1.

    The ideal ranking sorts the same grades in decreasing order. Redrawn unless some item in
    the top k is relevant (no 0/0 and no 0 answer) and the list is not already ideal at k."""
    n, k, top = NDCG_SIZE[level]

    def draw() -> np.ndarray | None:
        grades = rng.integers(0, top, n, endpoint=True)
        _, dcg = _dcg(grades[:k])
        _, idcg = _dcg(np.sort(grades)[::-1][:k])
        if dcg == 0 or dcg / idcg > 0.99 or dcg / idcg < 0.05:
            return None
        return grades

    grades = redraw(draw)
    ideal = np.sort(grades)[::-1]
    discounts = np.log2(np.arange(1, k + 1) + 1)
    terms, dcg = _dcg(grades[:k])
    ideal_terms, idcg = _dcg(ideal[:k])
    answer = dcg / idcg
    return _problem(
        prompt=(
            "A ranker returns items whose graded relevance labels, in rank order (position 1 "
            f"first), are `relevance`. Compute NDCG@k for k = {k} with gain $2^{{rel}} - 1$ and "
            "discount $\\log_2(i + 1)$ at position $i$ (counted from 1): "
            "$DCG@k = \\sum_{i=1}^{k} (2^{rel_i} - 1) / \\log_2(i + 1)$, and "
            "$NDCG@k = DCG@k / IDCG@k$, where IDCG@k is the DCG@k of the same items sorted by "
            "relevance, highest first. " + ROUND_3
        ),
        data={"relevance": grades, "k": k},
        answer=float(answer),
        solution=[
            f"Top {k} grades {fmt_array(grades[:k])}; gains 2^rel − 1 = "
            f"{fmt_array(2.0 ** grades[:k] - 1)}",
            f"Discounts log₂(i + 1), i = 1..{k}: {fmt_array(discounts)}",
            f"DCG@{k} = sum of gain/discount = {fmt_array(terms)} summed = {fmt_num(dcg)}",
            f"Ideal order {fmt_array(ideal)}; IDCG@{k} = {fmt_array(ideal_terms)} summed = "
            f"{fmt_num(idcg)}",
            f"NDCG@{k} = {fmt_num(dcg)} / {fmt_num(idcg)} = {fmt_num(answer)}",
        ],
        answer_format="one number in [0, 1], 3 decimals",
    )


# --- statistics: Bayes' rule and the base rate --------------------------------------------


@generator(
    "bayes_rule",
    topic="statistics",
    description="P(condition | positive test) from prevalence, sensitivity and specificity",
    params={"level": LEVEL},
)
def bayes_rule(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer P(D | +) = s·π / (s·π + (1 − c)(1 − π)) for one positive test, or with s², (1 − c)²
    for two conditionally independent positive tests (level 3)."""

    def draw() -> tuple[float, float, float] | None:
        if level == 1:
            prior = float(rng.choice([0.01, 0.02, 0.05, 0.1, 0.2]))
            sens = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
            spec = float(rng.choice([0.9, 0.95, 0.99]))
        else:
            prior = float(rng.integers(1, 51)) / 1000
            sens = float(rng.integers(80, 100)) / 100
            spec = float(rng.integers(90, 100)) / 100
        tests = 2 if level == 3 else 1
        true_pos = sens**tests * prior
        false_pos = (1 - spec) ** tests * (1 - prior)
        post = true_pos / (true_pos + false_pos)
        return (prior, sens, spec) if MIN_ANSWER <= post <= 0.98 else None

    prior, sens, spec = redraw(draw)
    tests = 2 if level == 3 else 1
    true_pos = sens**tests * prior
    false_pos = (1 - spec) ** tests * (1 - prior)
    evidence = true_pos + false_pos
    answer = true_pos / evidence
    power = "²" if tests == 2 else ""
    if tests == 1:
        event = "A person drawn at random from the population tests positive."
        question = "What is the probability that they have the condition, $P(D \\mid +)$?"
    else:
        event = (
            "A person drawn at random tests positive twice, with two tests that are "
            "independent given the person's true status."
        )
        question = "What is the probability that they have the condition, $P(D \\mid +, +)$?"
    return _problem(
        prompt=(
            f"A condition D has prevalence `prior` = P(D). A test has `sensitivity` "
            f"= P(+ | D) and `specificity` = P(− | not D). {event} {question} " + ROUND_3
        ),
        data={"prior": prior, "sensitivity": sens, "specificity": spec},
        answer=float(answer),
        solution=[
            f"True positives: P(+{power} | D)·P(D) = {fmt_num(sens)}{power} · {fmt_num(prior)} = "
            f"{fmt_num(true_pos, 6)}",
            f"False positives: P(+{power} | not D)·P(not D) = (1 − {fmt_num(spec)}){power} · "
            f"(1 − {fmt_num(prior)}) = {fmt_num(false_pos, 6)}",
            f"P(+{power}) = {fmt_num(true_pos, 6)} + {fmt_num(false_pos, 6)} = "
            f"{fmt_num(evidence, 6)}",
            f"Posterior = {fmt_num(true_pos, 6)} / {fmt_num(evidence, 6)} = {fmt_num(answer)}",
        ],
        answer_format="one probability, 3 decimals",
    )


# --- ensembles: XGBoost leaf weight and split gain ----------------------------------------


def _logistic_pairs(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """g = p − y and h = p(1 − p) for predicted probabilities p in tenths and labels y."""
    p = rng.integers(1, 10, size) / 10
    y = rng.integers(0, 2, size)
    return np.round(p - y, 2), np.round(p * (1 - p), 2)


def _squared_pairs(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """g = ŷ − y in tenths from −2 to 2 (never 0) and h = 1, for the loss ½(y − ŷ)²."""
    g = rng.integers(1, 20, size, endpoint=True) / 10 * rng.choice([-1.0, 1.0], size)
    return np.round(g, 1), np.ones(size)


LOSS_TEXT = {
    "squared": "squared loss $\\frac{1}{2}(y - \\hat{y})^2$, so $g_i = \\hat{y}_i - y_i$ and "
    "$h_i = 1$",
    "logistic": "logistic loss on the margin, so $g_i = p_i - y_i$ and $h_i = p_i(1 - p_i)$ at "
    "the current predicted probabilities $p_i$",
}


def _sum_text(values: np.ndarray) -> str:
    return " + ".join(_p(v) for v in values) + f" = {fmt_num(values.sum())}"


@generator(
    "xgboost_leaf_weight",
    topic="ensembles",
    description="XGBoost's optimal leaf weight w* = −G/(H + λ) from per-example g and h",
    params={"level": LEVEL},
)
def xgboost_leaf_weight(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer w* = −Σg / (Σh + λ) (Chen & Guestrin 2016, eq. 5; no shrinkage).

    Level 1: squared loss (h = 1). Levels 2-3: logistic loss, g = p − y, h = p(1 − p)."""
    size = LEAF_SIZE[level]
    loss = "squared" if level == 1 else "logistic"
    lam = float(rng.choice([1.0, 2.0] if level == 1 else [0.5, 1.0, 2.0]))

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        g, h = _squared_pairs(rng, size) if loss == "squared" else _logistic_pairs(rng, size)
        weight = -g.sum() / (h.sum() + lam)
        return (g, h) if abs(weight) >= MIN_ANSWER else None

    g, h = redraw(draw)
    big_g, big_h = float(g.sum()), float(h.sum())
    answer = -big_g / (big_h + lam)
    return _problem(
        prompt=(
            f"The examples in one leaf of an XGBoost tree have gradients `g` and Hessians `h` "
            f"of the {LOSS_TEXT[loss]}. With L2 penalty λ = `lam` on the leaf weights, what "
            "weight $w^*$ minimises the second-order objective for this leaf (ignore the "
            "learning rate)? " + ROUND_3
        ),
        data={"g": g, "h": h, "lam": lam},
        answer=float(answer),
        solution=[
            f"G = Σg = {_sum_text(g)}",
            f"H = Σh = {_sum_text(h)}",
            f"w* = −G / (H + λ) = −{_p(big_g)} / ({fmt_num(big_h)} + {fmt_num(lam)}) = "
            f"{fmt_num(answer)}",
        ],
        answer_format="one number, 3 decimals",
    )


@generator(
    "xgboost_split_gain",
    topic="ensembles",
    description="XGBoost's split gain ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] − γ",
    params={"level": LEVEL},
)
def xgboost_split_gain(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − (G_L+G_R)²/(H_L+H_R+λ)] − γ (Chen & Guestrin
    2016, eq. 7). A negative gain (γ larger than the loss reduction) is a valid answer."""
    n_left, n_right = SPLIT_SIZE[level]
    loss = "squared" if level == 1 else "logistic"
    lam = 1.0 if level < 3 else float(rng.choice([0.5, 1.0, 2.0]))
    gamma = 0.0 if level == 1 else float(rng.choice([0.0, 0.1, 0.5] if level == 2 else [0, 0.2, 1]))
    pairs = _squared_pairs if loss == "squared" else _logistic_pairs

    def score(g: np.ndarray, h: np.ndarray) -> float:
        return float(g.sum() ** 2 / (h.sum() + lam))

    def draw() -> tuple[np.ndarray, ...] | None:
        g_left, h_left = pairs(rng, n_left)
        g_right, h_right = pairs(rng, n_right)
        g_all, h_all = np.append(g_left, g_right), np.append(h_left, h_right)
        gain = 0.5 * (score(g_left, h_left) + score(g_right, h_right) - score(g_all, h_all))
        return (g_left, h_left, g_right, h_right) if abs(gain - gamma) >= MIN_ANSWER else None

    g_left, h_left, g_right, h_right = redraw(draw)
    gl, hl, gr, hr = (float(v.sum()) for v in (g_left, h_left, g_right, h_right))
    s_left, s_right = gl**2 / (hl + lam), gr**2 / (hr + lam)
    s_parent = (gl + gr) ** 2 / (hl + hr + lam)
    answer = 0.5 * (s_left + s_right - s_parent) - gamma
    return _problem(
        prompt=(
            "A candidate split sends some examples of a node left and the rest right. `g_*` and "
            f"`h_*` are their gradients and Hessians of the {LOSS_TEXT[loss]}. With L2 penalty "
            "λ = `lam` and per-leaf penalty γ = `gamma`, compute XGBoost's split gain "
            "$\\frac{1}{2}\\left[\\frac{G_L^2}{H_L + \\lambda} + \\frac{G_R^2}{H_R + \\lambda} - "
            "\\frac{(G_L + G_R)^2}{H_L + H_R + \\lambda}\\right] - \\gamma$, where $G$ and $H$ "
            "sum g and h over a child. A negative gain means the split is not worth making. "
            + ROUND_3
        ),
        data={
            "g_left": g_left,
            "h_left": h_left,
            "g_right": g_right,
            "h_right": h_right,
            "lam": lam,
            "gamma": gamma,
        },
        answer=float(answer),
        solution=[
            f"G_L = {fmt_num(gl)}, H_L = {fmt_num(hl)}; G_R = {fmt_num(gr)}, H_R = {fmt_num(hr)}",
            f"G_L²/(H_L + λ) = {fmt_num(gl**2)} / {fmt_num(hl + lam)} = {fmt_num(s_left)}; "
            f"G_R²/(H_R + λ) = {fmt_num(gr**2)} / {fmt_num(hr + lam)} = {fmt_num(s_right)}",
            f"Parent: (G_L + G_R)²/(H_L + H_R + λ) = {fmt_num((gl + gr) ** 2)} / "
            f"{fmt_num(hl + hr + lam)} = {fmt_num(s_parent)}",
            f"Gain = ½({fmt_num(s_left)} + {fmt_num(s_right)} − {fmt_num(s_parent)}) − "
            f"{fmt_num(gamma)} = {fmt_num(answer)}",
        ],
        answer_format="one number (may be negative), 3 decimals",
    )
