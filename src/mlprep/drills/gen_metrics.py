"""Generators for evaluation metrics: precision/recall, F1, ROC-AUC and bias-variance.

Data keys (a public contract: see README, "mlprep drill"):
- `precision_recall`, `f1`: `y_true`, `y_pred` — 0/1 label vectors, class 1 is positive.
- `roc_auc`: `y_true` (0/1), `scores` — a tie between a positive and a negative counts 1/2.
- `bias_variance`: `preds` (m models' predictions at one point), `truth`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import make_problem, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = ["bias_variance", "confusion_counts", "f1", "precision_recall", "roc_auc"]

ATOL = 1e-3  # the prompts ask for 3 decimals; a correctly rounded answer is within 5e-4
ROUND_3 = "Round to 3 decimals (a fraction such as `2/3` is also accepted)."
LABEL_COUNT = {1: 8, 2: 12, 3: 20}  # examples per problem, by level
AUC_COUNT = {1: 6, 2: 8, 3: 12}
MODEL_COUNT = {1: 4, 2: 5, 3: 8}  # m, the number of fitted models in bias_variance
MIN_VARIANCE = 0.1  # keeps the variance component well above the tolerance


def _problem(**fields: Any) -> Problem:
    return make_problem(atol=ATOL, **fields)


def _ratio(num: float, den: float) -> str:
    """`3/4 = 0.75`, or just `1` when the fraction is whole."""
    value = num / den
    if num % den == 0:
        return fmt_num(value)
    return f"{fmt_num(num)}/{fmt_num(den)} = {fmt_num(value)}"


# --- confusion-matrix metrics -------------------------------------------------------------


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int, int]:
    """(TP, FP, FN, TN) with class 1 as the positive class."""
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    tn = int(np.sum((y_true == 0) & (y_pred == 0)))
    return tp, fp, fn, tn


def _draw_labels(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels with both classes, TP ≥ 1 (no 0/0) and FP ≠ FN (so precision ≠ recall)."""

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        y_true = rng.integers(0, 2, n)
        flip = rng.random(n) < 0.3  # the classifier is right about 70% of the time
        y_pred = np.where(flip, 1 - y_true, y_true)
        tp, fp, fn, tn = confusion_counts(y_true, y_pred)
        if tp == 0 or fp + tn == 0 or fp == fn:
            return None
        return y_true, y_pred

    return redraw(draw)


def _labels_prompt(question: str) -> str:
    return (
        f"A binary classifier's predictions `y_pred` against the labels `y_true` "
        f"(0/1, **class 1 is the positive class**). {question} {ROUND_3}"
    )


def _counts_step(tp: int, fp: int, fn: int, tn: int) -> str:
    return f"Confusion counts (class 1 positive): TP = {tp}, FP = {fp}, FN = {fn}, TN = {tn}."


@generator(
    "precision_recall",
    topic="metrics",
    description="[precision, recall] from 0/1 labels and predictions (class 1 positive)",
    params={"level": LEVEL},
)
def precision_recall(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer `[TP/(TP+FP), TP/(TP+FN)]` for data `y_true`, `y_pred`."""
    y_true, y_pred = _draw_labels(rng, LABEL_COUNT[level])
    tp, fp, fn, tn = confusion_counts(y_true, y_pred)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return _problem(
        prompt=_labels_prompt("Compute `[precision, recall]`."),
        data={"y_true": y_true, "y_pred": y_pred},
        answer=np.array([precision, recall]),
        solution=[
            _counts_step(tp, fp, fn, tn),
            f"Precision = TP / (TP + FP) = {_ratio(tp, tp + fp)}",
            f"Recall = TP / (TP + FN) = {_ratio(tp, tp + fn)}",
            f"Answer: {fmt_array(np.array([precision, recall]), 3)}",
        ],
        answer_format="a vector of 2 numbers `[precision, recall]`, e.g. `[0.75, 2/3]`",
    )


@generator(
    "f1",
    topic="metrics",
    description="F1 score from 0/1 labels and predictions (class 1 positive)",
    params={"level": LEVEL},
)
def f1(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer F1 = 2PR/(P + R) = 2TP/(2TP + FP + FN) for data `y_true`, `y_pred`."""
    y_true, y_pred = _draw_labels(rng, LABEL_COUNT[level])
    tp, fp, fn, tn = confusion_counts(y_true, y_pred)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    score = 2 * tp / (2 * tp + fp + fn)
    return _problem(
        prompt=_labels_prompt("Compute the F1 score of the positive class."),
        data={"y_true": y_true, "y_pred": y_pred},
        answer=float(score),
        solution=[
            _counts_step(tp, fp, fn, tn),
            f"Precision P = TP / (TP + FP) = {_ratio(tp, tp + fp)}; "
            f"recall R = TP / (TP + FN) = {_ratio(tp, tp + fn)}",
            f"F1 = 2PR / (P + R) = 2TP / (2TP + FP + FN) = {_ratio(2 * tp, 2 * tp + fp + fn)}",
            f"Check: 2·{fmt_num(precision)}·{fmt_num(recall)} / "
            f"({fmt_num(precision)} + {fmt_num(recall)}) = {fmt_num(score)}",
        ],
        answer_format="one number, 3 decimals or a fraction",
    )


# --- ROC-AUC ------------------------------------------------------------------------------


def _auc_pairs(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """For each positive score: negatives below it + 1/2 per tied negative."""
    return (pos[:, None] > neg[None, :]).sum(1) + 0.5 * (pos[:, None] == neg[None, :]).sum(1)


@generator(
    "roc_auc",
    topic="roc-auc",
    description="ROC-AUC from scores and 0/1 labels, as the fraction of correctly ranked pairs",
    params={"level": LEVEL},
)
def roc_auc(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer AUC = P(score of a random positive > score of a random negative), ties 1/2.

    Data `y_true` (0/1, class 1 positive) and `scores` (one decimal at level 1, distinct;
    multiples of 0.05 with possible ties at levels 2-3)."""
    n = AUC_COUNT[level]

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        n_pos = int(rng.integers(2, n - 1))  # 2 .. n-2 positives
        y_true = rng.permutation(np.array([1] * n_pos + [0] * (n - n_pos)))
        if level == 1:
            scores = rng.choice(np.arange(1, 10), size=n, replace=False) / 10
        else:
            scores = rng.choice(np.arange(1, 20), size=n, replace=True) / 20
        scores = np.round(scores, 2)
        if _auc_pairs(scores[y_true == 1], scores[y_true == 0]).sum() == 0:
            return None  # AUC = 0 would be an exact-zero answer
        return y_true, scores

    y_true, scores = redraw(draw)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    wins = _auc_pairs(pos, neg)
    pairs = len(pos) * len(neg)
    auc = float(wins.sum() / pairs)
    per_positive = ", ".join(f"{fmt_num(s)} → {fmt_num(w)}" for s, w in zip(pos, wins, strict=True))
    return _problem(
        prompt=(
            "A classifier gives the `scores` below to examples with labels `y_true` "
            "(**class 1 is positive**; a higher score means more likely positive). Compute the "
            "ROC-AUC, i.e. the probability that a random positive scores higher than a random "
            "negative; **a tie between a positive and a negative counts 1/2**. " + ROUND_3
        ),
        data={"y_true": y_true, "scores": scores},
        answer=auc,
        solution=[
            f"Positive scores: {fmt_array(pos)}; negative scores: {fmt_array(neg)}. "
            f"P = {len(pos)}, N = {len(neg)}, so P·N = {pairs} positive–negative pairs.",
            "For each positive, the negatives it outranks (a tie counts 1/2): " + per_positive,
            f"AUC = {fmt_num(wins.sum())} / {pairs} = {fmt_num(auc, 4)}",
        ],
        answer_format="one number in [0, 1], 3 decimals or a fraction",
    )


# --- bias-variance ------------------------------------------------------------------------


@generator(
    "bias_variance",
    topic="bias-variance",
    description="[bias², variance] at one point from several fitted models' predictions",
    params={"level": LEVEL},
)
def bias_variance(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer `[(mean(preds) − truth)², mean((preds − mean(preds))²)]` (variance divides by m).

    Built backwards: an integer (level 1) or one-decimal mean, deviations summing to 0, and a
    nonzero bias."""
    m = MODEL_COUNT[level]
    spread, scale = (3, 1.0) if level == 1 else (15, 0.1)

    def draw_deviations() -> np.ndarray | None:
        head = rng.integers(-spread, spread + 1, m - 1)
        dev = np.append(head, -head.sum())
        if np.abs(dev).max() > spread or np.mean((dev * scale) ** 2) < MIN_VARIANCE:
            return None
        return dev

    dev = redraw(draw_deviations) * scale
    if level == 1:
        mean = float(rng.integers(2, 9))
        bias = float(rng.choice([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]))
    else:
        mean = float(rng.integers(20, 81)) / 10
        bias = float(rng.choice([-1, 1]) * rng.integers(2, 21)) / 10
    preds = np.round(mean + dev, 1)
    truth = round(mean - bias, 1)

    p_bar = float(preds.mean())
    centred = preds - p_bar
    bias_sq = (p_bar - truth) ** 2
    variance = float(np.mean(centred**2))
    answer = np.array([bias_sq, variance])
    return _problem(
        prompt=(
            f"`preds` are the predictions at one input $x$ of $m = {m}$ models, each fit on a "
            "different training set; `truth` is the true value $f(x)$ (no noise). Compute "
            "`[bias², variance]` with bias $= \\bar{p} - f(x)$, $\\bar{p}$ the mean prediction, "
            "and variance $= \\frac{1}{m} \\sum_i (p_i - \\bar{p})^2$ (**divide by m**). " + ROUND_3
        ),
        data={"preds": preds, "truth": truth},
        answer=answer,
        solution=[
            f"Mean prediction p̄ = {fmt_num(preds.sum())} / {m} = {fmt_num(p_bar)}",
            f"Bias = p̄ − truth = {fmt_num(p_bar)} − {fmt_num(truth)} = "
            f"{fmt_num(p_bar - truth)}; bias² = {fmt_num(bias_sq)}",
            f"Deviations p − p̄ = {fmt_array(centred)}; squared: {fmt_array(centred**2)}",
            f"Variance = {fmt_num(np.sum(centred**2))} / {m} = {fmt_num(variance)}",
            f"Answer: {fmt_array(answer)}",
        ],
        answer_format="a vector of 2 numbers `[bias², variance]`, e.g. `[0.25, 1.5]`",
    )
