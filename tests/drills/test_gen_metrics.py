"""Generators in mlprep.drills.gen_metrics: precision_recall, f1, roc_auc, bias_variance.

Every expected answer is recomputed here from `problem.data` with plain Python (explicit
confusion counts, a pairwise AUC count, the statistics module), never from the code under test.
"""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from mlprep.drills import Problem, generate

from .generated import LEVELS, assert_well_posed, problems

TOPICS = {
    "precision_recall": "metrics",
    "f1": "metrics",
    "roc_auc": "roc-auc",
    "bias_variance": "bias-variance",
}
NAMES = tuple(TOPICS)


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for truth, pred in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        assert truth in (0, 1) and pred in (0, 1)
        if truth == 1 and pred == 1:
            tp += 1
        elif truth == 0 and pred == 1:
            fp += 1
        elif truth == 1:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


@pytest.mark.parametrize("level", LEVELS)
def test_precision_recall_matches_confusion_counts(level: int) -> None:
    for problem in problems("precision_recall", level):
        tp, fp, fn, tn = confusion(problem.data["y_true"], problem.data["y_pred"])
        assert tp >= 1 and fp + tn >= 1  # no 0/0, both classes present
        expected = [tp / (tp + fp), tp / (tp + fn)]
        assert expected[0] != expected[1]  # the order [precision, recall] matters
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert_well_posed(problem)
        assert "class 1 is the positive class" in problem.prompt


@pytest.mark.parametrize("level", LEVELS)
def test_f1_is_the_harmonic_mean_of_precision_and_recall(level: int) -> None:
    for problem in problems("f1", level):
        tp, fp, fn, _ = confusion(problem.data["y_true"], problem.data["y_pred"])
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        assert problem.answer == pytest.approx(
            2 * precision * recall / (precision + recall), abs=1e-9
        )
        assert_well_posed(problem)


@pytest.mark.parametrize("level", LEVELS)
def test_roc_auc_matches_pairwise_count_with_half_ties(level: int) -> None:
    for problem in problems("roc_auc", level):
        labels = problem.data["y_true"].tolist()
        scores = problem.data["scores"].tolist()
        pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
        neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
        assert pos and neg and len(pos) + len(neg) == len(labels)
        wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
        assert problem.answer == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-9)
        assert 0 < problem.answer <= 1
        assert_well_posed(problem)
        assert "counts 1/2" in problem.prompt
        if level == 1:
            assert len(set(scores)) == len(scores)  # level 1: no ties to untangle


def test_roc_auc_levels_2_and_3_include_ties() -> None:
    def has_tie(problem: Problem) -> bool:
        labels, scores = problem.data["y_true"], problem.data["scores"]
        return bool(set(scores[labels == 1]) & set(scores[labels == 0]))

    assert any(has_tie(p) for p in problems("roc_auc", 3))


@pytest.mark.parametrize("level", LEVELS)
def test_bias_variance_matches_statistics_module(level: int) -> None:
    for problem in problems("bias_variance", level):
        preds = problem.data["preds"].tolist()
        truth = problem.data["truth"]
        bias_sq = (statistics.fmean(preds) - truth) ** 2
        variance = statistics.pvariance(preds)  # divides by m
        np.testing.assert_allclose(problem.answer, [bias_sq, variance], rtol=0, atol=1e-9)
        assert_well_posed(problem)
        assert min(bias_sq, variance) > 10 * problem.atol  # neither component ~0
        assert np.array_equal(np.round(problem.data["preds"], 1), problem.data["preds"])
        if level == 1:  # hand-solvable: integer predictions with an integer mean
            assert all(p == int(p) for p in preds) and statistics.fmean(preds) % 1 == 0


SIZE_KEY = {
    "precision_recall": "y_true",
    "f1": "y_true",
    "roc_auc": "scores",
    "bias_variance": "preds",
}


@pytest.mark.parametrize("name", NAMES)
def test_bigger_levels_give_bigger_data(name: str) -> None:
    sizes = [len(generate(name, 7, {"level": level}).data[SIZE_KEY[name]]) for level in LEVELS]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
