"""Statistics behind `mlprep stats`: the frozen report and the pure functions that build it.

`storage.reports.compute_report` aggregates the log in SQLite and calls the builders here.
Nothing here prints, reads the clock or runs SQL: `today` is passed in.

Definitions (the user-facing wording is in `mlprep stats --help` and the README):

- **Scope.** `deck` / `tag` select cards by their deck and tags as last synced. Activity
  (heatmap, streaks, time, retention, drills) counts every logged answer of the cards in scope,
  including cards retired since; without a filter it counts the whole log. Card numbers
  (counts, forecast, topics, leeches) are about live cards; retired cards are only counted.
  Answers logged on a day after `today` (time travel backwards) are ignored.
- **Card states**, mutually exclusive, in this order: *retired* (`cards.retired = 1`);
  *new* (live, never scheduled: cram answers do not introduce a card); *learning* (not
  recalled since it was introduced or last forgotten: a pass streak of 0, or its latest answer today was below Good, so it is in the
  same-day relearning loop); *young* (interval < 21 days); *mature* (interval >= 21 days).
- **True retention** over the last `days` study days (today included): the pass rate
  (quality >= 3, i.e. Hard or better) of scheduled answers of cards that had been answered
  before. Young or mature is judged by the interval *before* that answer, i.e. the interval
  that the card's previous scheduled answer gave it. First answers of new cards, same-day
  repeats and cram answers are not counted.
- **Streaks** count consecutive study days with at least one logged answer. The current
  streak ends today, or yesterday when nothing was answered today yet.
- **Time** sums `response_ms`, each answer capped at `RESPONSE_CAP_MS` (60 s) so walking away
  from a card does not count; "this week" starts on Monday. Untimed answers count 0.
- **Heatmap**: every logged answer (same-day repeats and drills included) per study day,
  from the Monday 25 weeks before this week's Monday up to today; days are shaded by the
  quartiles (nearest rank) of the counts on study days, see `heatmap_levels`.
- **Forecast**: live cards by `state.due` for today and the next 29 days; overdue cards count
  on today. New cards are not in it.
- **Topics** are tags of live cards (cards without a tag form "(untagged)"), sorted weakest
  first: lowest retention first (same definition, all intervals), then most lapses; topics
  with no counted review in the window come last.
- **Drill accuracy** per generator: every logged answer of a computed card that was a drill
  (`kind = 'drill'`) or was checked (`correct` not NULL), share with `correct = 1`; all time
  and over the last `days` days.
- **Leeches**: live cards with `lapses >= leech_threshold`; a threshold of 0 turns them off.
- **Suspended** cards (`mlprep suspend`, `s` in review) leave every queue: they are counted
  apart and left out of the forecast, the topics and the leeches.
- **Due tomorrow** is the number of cards that fall due tomorrow (`storage.store.count_due_on`,
  the definition `due` and the session summary use too); overdue cards are today's.
- **Ease trend** (a scheduler with an ease: SM-2): the average ease of the live cards in scope
  introduced by today and by 7, 14 and 21 days ago (`EASE_WEEKS` points), each card's ease
  after its last scheduling answer by then; and how many cards sit at the ease floor now.
- **Switching to FSRS** is suggested once the log holds `FSRS_HINT_REVIEWS` scheduled reviews
  of learned cards (enough for FSRS to fit a user's memory) while SM-2 is active.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mlprep.core.grades import MATURE_INTERVAL

__all__ = [
    "DEFAULT_DAYS",
    "EASE_WEEKS",
    "FORECAST_DAYS",
    "FSRS_HINT_REVIEWS",
    "HEATMAP_WEEKS",
    "MATURE_INTERVAL",
    "RESPONSE_CAP_MS",
    "UNTAGGED",
    "CardCounts",
    "DayCount",
    "DrillRow",
    "EasePoint",
    "EaseTrend",
    "Forecast",
    "Heatmap",
    "Leech",
    "PassRate",
    "Retention",
    "StatsReport",
    "Streaks",
    "TimeSpent",
    "TopicRow",
    "build_ease_trend",
    "build_forecast",
    "build_heatmap",
    "build_streaks",
    "heatmap_levels",
    "heatmap_thresholds",
    "sort_topics",
]

HEATMAP_WEEKS = 26
FORECAST_DAYS = 30
DEFAULT_DAYS = 30
RESPONSE_CAP_MS = 60_000
HEATMAP_LEVELS = 4
UNTAGGED = "(untagged)"
EASE_WEEKS = 4
# Scheduled reviews of learned cards after which FSRS can be fitted to a user's own memory
# (Anki suggests a few hundred reviews before optimising FSRS parameters).
FSRS_HINT_REVIEWS = 400


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassRate:
    """Answers counted and how many of them passed (quality >= 3)."""

    reviews: int = 0
    passed: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None

    def __add__(self, other: PassRate) -> PassRate:
        return PassRate(self.reviews + other.reviews, self.passed + other.passed)

    def to_dict(self) -> dict[str, Any]:
        return {"reviews": self.reviews, "passed": self.passed, "rate": self.rate}


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int
    level: int  # 0 (no answer) .. HEATMAP_LEVELS, by quartile among the study days

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "count": self.count, "level": self.level}


@dataclass(frozen=True)
class Heatmap:
    """Answers per study day from the Monday `weeks - 1` weeks before this week up to today."""

    start: date
    end: date
    weeks: int
    days: tuple[DayCount, ...]

    @property
    def total(self) -> int:
        return sum(d.count for d in self.days)

    @property
    def max_count(self) -> int:
        return max((d.count for d in self.days), default=0)

    def level_ranges(self) -> tuple[tuple[int, int] | None, ...]:
        """(lowest, highest) count shown at each level 1..HEATMAP_LEVELS, None when unused."""
        out: list[tuple[int, int] | None] = []
        for level in range(1, HEATMAP_LEVELS + 1):
            counts = [d.count for d in self.days if d.level == level]
            out.append((min(counts), max(counts)) if counts else None)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": self.weeks,
            "total": self.total,
            "max": self.max_count,
            "thresholds": list(heatmap_thresholds([d.count for d in self.days])),
            "level_ranges": [list(r) if r else None for r in self.level_ranges()],
            "days": [d.to_dict() for d in self.days],
        }


@dataclass(frozen=True)
class Forecast:
    """Live cards due on each day from today (index 0, overdue included) onwards; `tomorrow`
    is the one "due tomorrow" count (`storage.store.count_due_on`)."""

    start: date
    due: tuple[int, ...]
    overdue: int
    tomorrow: int = 0

    @property
    def total(self) -> int:
        return sum(self.due)

    def days(self) -> list[tuple[date, int]]:
        return [(self.start + timedelta(days=i), n) for i, n in enumerate(self.due)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "overdue": self.overdue,
            "due_tomorrow": self.tomorrow,
            "total": self.total,
            "days": [{"day": d.isoformat(), "due": n} for d, n in self.days()],
        }


@dataclass(frozen=True)
class CardCounts:
    new: int = 0
    learning: int = 0
    young: int = 0
    mature: int = 0
    retired: int = 0
    suspended: int = 0  # live cards taken out of every queue (not in the other states)

    @property
    def total(self) -> int:
        return self.new + self.learning + self.young + self.mature + self.retired + self.suspended

    def to_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "learning": self.learning,
            "young": self.young,
            "mature": self.mature,
            "suspended": self.suspended,
            "retired": self.retired,
            "total": self.total,
        }


@dataclass(frozen=True)
class Retention:
    days: int
    since: date
    young: PassRate
    mature: PassRate

    @property
    def all(self) -> PassRate:
        return self.young + self.mature

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since.isoformat(),
            "mature_interval": MATURE_INTERVAL,
            "young": self.young.to_dict(),
            "mature": self.mature.to_dict(),
            "all": self.all.to_dict(),
        }


@dataclass(frozen=True)
class Streaks:
    current: int = 0
    longest: int = 0
    longest_start: date | None = None
    longest_end: date | None = None
    studied_today: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "longest": self.longest,
            "longest_start": _iso(self.longest_start),
            "longest_end": _iso(self.longest_end),
            "studied_today": self.studied_today,
        }


@dataclass(frozen=True)
class TimeSpent:
    """Milliseconds spent answering, each answer capped at `cap_ms`."""

    today_ms: int = 0
    week_ms: int = 0
    total_ms: int = 0
    week_start: date | None = None
    cap_ms: int = RESPONSE_CAP_MS
    capped: int = 0  # answers (all time) that took longer than the cap

    def to_dict(self) -> dict[str, Any]:
        return {
            "today_ms": self.today_ms,
            "week_ms": self.week_ms,
            "total_ms": self.total_ms,
            "week_start": _iso(self.week_start),
            "cap_ms": self.cap_ms,
            "capped_answers": self.capped,
        }


@dataclass(frozen=True)
class TopicRow:
    tag: str
    cards: int
    retention: PassRate
    lapses: int
    average_ease: float | None
    due: int
    new: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "cards": self.cards,
            "reviews": self.retention.reviews,
            "passed": self.retention.passed,
            "retention": self.retention.rate,
            "lapses": self.lapses,
            "average_ease": self.average_ease,
            "due": self.due,
            "new": self.new,
        }


@dataclass(frozen=True)
class DrillRow:
    generator: str
    attempts: int
    correct: int
    recent_attempts: int
    recent_correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None

    @property
    def recent_accuracy(self) -> float | None:
        return self.recent_correct / self.recent_attempts if self.recent_attempts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "attempts": self.attempts,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "recent_attempts": self.recent_attempts,
            "recent_correct": self.recent_correct,
            "recent_accuracy": self.recent_accuracy,
        }


@dataclass(frozen=True)
class Leech:
    id: str
    deck: str
    lapses: int
    easiness: float
    due: date
    path: str
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deck": self.deck,
            "lapses": self.lapses,
            "easiness": self.easiness,
            "due": self.due.isoformat(),
            "path": self.path,
            "line": self.line,
        }


@dataclass(frozen=True)
class EasePoint:
    day: date
    cards: int  # cards introduced by `day`
    average: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "cards": self.cards, "average": self.average}


@dataclass(frozen=True)
class EaseTrend:
    """The average ease at weekly points (oldest first) and the cards at the floor now."""

    points: tuple[EasePoint, ...]
    at_floor: int
    floor: float

    @property
    def change(self) -> float | None:
        """Average now minus the oldest average that has cards."""
        known = [p.average for p in self.points if p.average is not None]
        return known[-1] - known[0] if len(known) > 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [p.to_dict() for p in self.points],
            "change": self.change,
            "at_floor": self.at_floor,
            "floor": self.floor,
        }


@dataclass(frozen=True)
class StatsReport:
    today: date
    deck: str | None
    tag: str | None
    days: int
    total_reviews: int
    days_studied: int
    first_day: date | None
    heatmap: Heatmap
    forecast: Forecast
    counts: CardCounts
    retention: Retention
    streaks: Streaks
    time: TimeSpent
    topics: tuple[TopicRow, ...]
    drills: tuple[DrillRow, ...]
    leech_threshold: int
    leeches: tuple[Leech, ...]
    scheduler: str = "sm2"
    ease: EaseTrend | None = None  # None when the scheduler has no ease (FSRS)
    scheduled_reviews: int = 0  # scheduled answers of learned cards, all time (in scope)

    @property
    def suggest_fsrs(self) -> bool:
        """Whether to say that FSRS would now fit this user's log better than SM-2."""
        return self.scheduler == "sm2" and self.scheduled_reviews >= FSRS_HINT_REVIEWS

    @property
    def is_empty(self) -> bool:
        """No answer logged yet (in scope): show the first-run message instead of charts."""
        return self.total_reviews == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "filters": {"deck": self.deck, "tag": self.tag, "days": self.days},
            "total_reviews": self.total_reviews,
            "days_studied": self.days_studied,
            "first_day": _iso(self.first_day),
            "heatmap": self.heatmap.to_dict(),
            "forecast": self.forecast.to_dict(),
            "counts": self.counts.to_dict(),
            "retention": self.retention.to_dict(),
            "streaks": self.streaks.to_dict(),
            "time": self.time.to_dict(),
            "topics": [t.to_dict() for t in self.topics],
            "drills": [d.to_dict() for d in self.drills],
            "leeches": {
                "threshold": self.leech_threshold,
                "cards": [leech.to_dict() for leech in self.leeches],
            },
            "scheduler": self.scheduler,
            "ease": None if self.ease is None else self.ease.to_dict(),
            "scheduled_reviews": self.scheduled_reviews,
            "suggest_fsrs": self.suggest_fsrs,
        }


# -- pure pieces -----------------------------------------------------------------------------


def heatmap_thresholds(counts: Sequence[int]) -> tuple[int, ...]:
    """The quartiles (nearest rank) of the non-zero counts: 25th, 50th and 75th percentile;
    empty when there is no non-zero count."""
    nonzero = sorted(c for c in counts if c > 0)
    n = len(nonzero)
    if not n:
        return ()
    return tuple(nonzero[-(-k * n // HEATMAP_LEVELS) - 1] for k in range(1, HEATMAP_LEVELS))


def heatmap_levels(counts: Sequence[int]) -> list[int]:
    """Shade each day by the quartiles of the study days (days with an answer): 0 for no
    answer; 1 up to the 25th percentile, 2 up to the median, 3 up to the 75th percentile,
    4 above it. The quietest study days are always level 1."""
    thresholds = heatmap_thresholds(counts)
    return [0 if c <= 0 else 1 + sum(c > t for t in thresholds) for c in counts]


def build_heatmap(daily: Mapping[date, int], today: date, weeks: int = HEATMAP_WEEKS) -> Heatmap:
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    counts = [daily.get(d, 0) for d in days]
    levels = heatmap_levels(counts)
    return Heatmap(
        start,
        today,
        weeks,
        tuple(DayCount(d, c, lv) for d, c, lv in zip(days, counts, levels, strict=True)),
    )


def build_streaks(study_days: Iterable[date], today: date) -> Streaks:
    days = sorted({d for d in study_days if d <= today})
    longest, longest_start, longest_end = 0, None, None
    run_start: date | None = None
    prev: date | None = None
    for d in days:
        if prev is None or d - prev != timedelta(days=1):
            run_start = d
        length = (d - run_start).days + 1  # type: ignore[operator]
        if length > longest:
            longest, longest_start, longest_end = length, run_start, d
        prev = d
    present = set(days)
    studied_today = today in present
    cursor = today if studied_today else today - timedelta(days=1)
    current = 0
    while cursor in present:
        current += 1
        cursor -= timedelta(days=1)
    return Streaks(current, longest, longest_start, longest_end, studied_today)


def build_ease_trend(
    eases: Mapping[str, Sequence[tuple[date, float]]],
    today: date,
    floor: float,
    weeks: int = EASE_WEEKS,
) -> EaseTrend:
    """`eases`: per card, (day, ease after that day's scheduling answer) in order. The
    average ease of the cards introduced by each weekly point, oldest first."""
    from bisect import bisect_right

    days = [today - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    sums = [0.0] * weeks
    counts = [0] * weeks
    for steps in eases.values():
        when = [day for day, _ in steps]
        for k, day in enumerate(days):
            index = bisect_right(when, day)
            if index:
                sums[k] += steps[index - 1][1]
                counts[k] += 1
    points = tuple(
        EasePoint(day, n, total / n if n else None)
        for day, n, total in zip(days, counts, sums, strict=True)
    )
    at_floor = sum(1 for steps in eases.values() if steps and steps[-1][1] <= floor + 1e-9)
    return EaseTrend(points, at_floor, floor)


def build_forecast(
    due_counts: Mapping[date, int], today: date, n: int = FORECAST_DAYS, tomorrow: int = 0
) -> Forecast:
    """Cards due per day for `n` days from `today`; overdue cards count on today."""
    counts = [0] * n
    overdue = 0
    for day, cards in due_counts.items():
        offset = (day - today).days
        if offset < 0:
            overdue += cards
            offset = 0
        if offset < n:
            counts[offset] += cards
    return Forecast(today, tuple(counts), overdue, tomorrow)


def sort_topics(rows: Iterable[TopicRow]) -> tuple[TopicRow, ...]:
    """Weakest first: lowest retention, then most lapses, then name; no retention last."""

    def key(row: TopicRow) -> tuple:
        rate = row.retention.rate
        return (rate is None, rate if rate is not None else 0.0, -row.lapses, row.tag)

    return tuple(sorted(rows, key=key))
