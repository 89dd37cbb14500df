"""The memory model: FSRS-6's recall probability for every card, whatever scheduler is active.

A card's history (its facts) replays into an FSRS memory state (stability, difficulty); recall
on a later day follows the forgetting curve `scheduling.fsrs.retrievability`. From the same
replay come the training items `mlprep optimize` fits, the predictions it evaluates, and the
calibration table of `mlprep stats` (predicted recall vs what happened).

Only answers that FSRS models count: cram answers are left out; the first answer of a study
day is a long-term review (what the model predicts); later ones that day are short-term.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from mlprep.core.scheduling import Fact, replay_steps
from mlprep.core.scheduling.fsrs import FsrsMemory, FsrsScheduler, retrievability
from mlprep.core.wording import plural

__all__ = [
    "MIN_REVIEWS_TO_FIT",
    "CalibrationBin",
    "FitReport",
    "Metrics",
    "NotEnoughReviews",
    "Prediction",
    "calibration",
    "evaluate",
    "fit",
    "sm2_predictions",
    "fsrs_reviews",
    "predictions",
    "dated_items",
    "recall_on",
    "to_fsrs_items",
]

MIN_REVIEWS_TO_FIT = 400  # long-term reviews; fewer give parameters worse than the defaults
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Prediction:
    """A long-term review and what the model predicted for it just before."""

    card_id: str
    day: date
    predicted: float  # probability of recall
    recalled: bool


def _modelled(facts: Iterable[Fact]) -> list[Fact]:
    return [f for f in facts if f.schedules]


def fsrs_reviews(facts: Sequence[Fact]) -> list[tuple[int, int]]:
    """(rating, days since the previous answer) per answer FSRS models, in order."""
    out, last = [], None
    for fact in _modelled(facts):
        out.append((int(fact.answer.grade), 0 if last is None else (fact.day - last).days))
        last = fact.day
    return out


def recall_on(
    facts: Sequence[Fact], day: date, scheduler: FsrsScheduler
) -> tuple[FsrsMemory, float] | None:
    """A card's FSRS memory after its facts and its recall probability on `day` (None if it
    was never answered)."""
    steps = replay_steps(scheduler, facts)
    state = steps[-1] if steps else None
    if state is None or state.memory.stability is None:
        return None
    elapsed = (day - state.last_day).days
    return state.memory, retrievability(elapsed, state.memory.stability, scheduler.parameters)


def predictions(
    facts_by_card: Mapping[str, Sequence[Fact]], scheduler: FsrsScheduler
) -> list[Prediction]:
    """For every long-term review with a history before it: the predicted recall then."""
    out = []
    for card_id, facts in facts_by_card.items():
        modelled = _modelled(facts)
        steps = replay_steps(scheduler, modelled)
        for before, fact in zip(steps, modelled[1:], strict=False):
            if before is None or fact.day <= before.last_day:
                continue
            r = retrievability(
                (fact.day - before.last_day).days, before.memory.stability, scheduler.parameters
            )
            out.append(Prediction(card_id, fact.day, r, fact.answer.passed))
    out.sort(key=lambda p: (p.day, p.card_id))
    return out


@dataclass(frozen=True)
class Metrics:
    """How well predictions match outcomes: log loss, RMSE(bins) as srs-benchmark defines it,
    and AUC (how well they rank recalled above forgotten)."""

    reviews: int
    log_loss: float
    rmse_bins: float
    auc: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "log_loss": self.log_loss,
            "rmse_bins": self.rmse_bins,
            "auc": self.auc,
        }


def log_loss(pairs: Sequence[tuple[float, bool]]) -> float:
    eps = 1e-7
    total = 0.0
    for p, y in pairs:
        p = min(1 - eps, max(eps, p))
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(pairs)


def auc(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """The probability a recalled review was predicted higher than a forgotten one (ties 1/2);
    None without both outcomes. Rank-based, O(n log n)."""
    ranked = sorted(pairs, key=lambda pair: pair[0])
    positives = sum(1 for _, y in ranked if y)
    negatives = len(ranked) - positives
    if not positives or not negatives:
        return None
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += average_rank * sum(1 for _, y in ranked[i:j] if y)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def dated_items(
    facts_by_card: Mapping[str, Sequence[Fact]],
) -> list[tuple[date, list[tuple[int, int]]]]:
    """Every training item of every card with the day of its last review, oldest first."""
    out = []
    for facts in facts_by_card.values():
        modelled = _modelled(facts)
        days = [f.day for f in modelled]
        reviews = fsrs_reviews(modelled)
        out += [(days[i], reviews[: i + 1]) for i in range(1, len(reviews)) if reviews[i][1] > 0]
    out.sort(key=lambda item: item[0])
    return out


def to_fsrs_items(items: Iterable[Sequence[tuple[int, int]]]) -> list[Any]:
    import fsrs_rs_python

    return [
        fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(r, t) for r, t in item])
        for item in items
    ]


def evaluate(
    facts_by_card: Mapping[str, Sequence[Fact]],
    scheduler: FsrsScheduler,
    since: date | None = None,
) -> Metrics | None:
    """The model's metrics on the long-term reviews on or after `since` (all when None): log
    loss and RMSE(bins) from fsrs-rs's own evaluation (as srs-benchmark defines them), AUC
    from the same predictions."""
    import fsrs_rs_python

    items = [item for day, item in dated_items(facts_by_card) if since is None or day >= since]
    preds = [p for p in predictions(facts_by_card, scheduler) if since is None or p.day >= since]
    if not items:
        return None
    result = fsrs_rs_python.FSRS(scheduler.parameters).evaluate(to_fsrs_items(items))
    pairs = [(p.predicted, p.recalled) for p in preds]
    return Metrics(len(items), result.log_loss, result.rmse_bins, auc(pairs))


@dataclass(frozen=True)
class CalibrationBin:
    """Past long-term reviews whose predicted recall fell in [low, high)."""

    low: float
    high: float
    reviews: int
    predicted: float | None  # mean predicted recall
    actual: float | None  # share recalled

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "high": self.high,
            "reviews": self.reviews,
            "predicted": self.predicted,
            "actual": self.actual,
        }


def calibration(preds: Sequence[Prediction], bins: int = CALIBRATION_BINS) -> list[CalibrationBin]:
    """Predicted vs actual recall, in equal-width bins of predicted recall."""
    sums = [[0, 0.0, 0] for _ in range(bins)]
    for p in preds:
        index = min(bins - 1, int(p.predicted * bins))
        sums[index][0] += 1
        sums[index][1] += p.predicted
        sums[index][2] += p.recalled
    return [
        CalibrationBin(
            i / bins,
            (i + 1) / bins,
            n,
            total / n if n else None,
            recalled / n if n else None,
        )
        for i, (n, total, recalled) in enumerate(sums)
    ]


class NotEnoughReviews(ValueError):
    """Too few long-term reviews to fit parameters better than the defaults."""

    def __init__(self, have: int, need: int = MIN_REVIEWS_TO_FIT):
        self.have, self.need = have, need
        super().__init__(
            f"{plural(have, 'long-term review')} in the log; fitting needs {need} "
            f"({need - have} more). The default parameters stay in use."
        )


@dataclass(frozen=True)
class FitReport:
    """`mlprep optimize`: parameters fitted to the whole log, and how well parameters fitted to
    the earlier half (`split_day` and before) and the defaults predict the later half."""

    parameters: tuple[float, ...]
    reviews: int
    split_day: date
    default: Metrics
    fitted: Metrics

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": list(self.parameters),
            "reviews": self.reviews,
            "split_day": self.split_day.isoformat(),
            "evaluated_reviews": self.fitted.reviews,
            "default": self.default.to_dict(),
            "fitted": self.fitted.to_dict(),
        }


def fit(facts_by_card: Mapping[str, Sequence[Fact]]) -> FitReport:
    """Fit FSRS-6 to a log (fsrs-rs, no torch) with a time-series split for the evaluation:
    fit on the earlier half of the long-term reviews, evaluate fitted and default parameters
    on the later half; then fit again on everything for the parameters to use."""
    import fsrs_rs_python

    items = dated_items(facts_by_card)
    if len(items) < MIN_REVIEWS_TO_FIT:
        raise NotEnoughReviews(len(items))
    split_day = items[len(items) // 2][0]
    earlier = [item for day, item in items if day < split_day]
    defaults = list(fsrs_rs_python.DEFAULT_PARAMETERS)
    trainer = fsrs_rs_python.FSRS(defaults)
    half = trainer.compute_parameters(to_fsrs_items(earlier))
    default_metrics = evaluate(facts_by_card, FsrsScheduler(defaults), split_day)
    fitted_metrics = evaluate(facts_by_card, FsrsScheduler(half), split_day)
    assert default_metrics is not None and fitted_metrics is not None  # the later half exists
    final = trainer.compute_parameters(to_fsrs_items(item for _, item in items))
    return FitReport(tuple(final), len(items), split_day, default_metrics, fitted_metrics)


def sm2_predictions(facts_by_card: Mapping[str, Sequence[Fact]]) -> list[Prediction]:
    """SM-2's implied recall for each long-term review: R = 0.9^(t / I), I the interval the
    previous scheduling answer gave (SM-2 itself predicts nothing; this is the usual reading)."""
    from mlprep.core.scheduling import SM2

    out = []
    for card_id, facts in facts_by_card.items():
        modelled = _modelled(facts)
        steps = replay_steps(SM2, modelled)
        for before, fact in zip(steps, modelled[1:], strict=False):
            if before is None or fact.day <= before.last_day:
                continue
            t = (fact.day - before.last_day).days
            out.append(
                Prediction(
                    card_id, fact.day, 0.9 ** (t / max(1, before.interval)), fact.answer.passed
                )
            )
    return out
