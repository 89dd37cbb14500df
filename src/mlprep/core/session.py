"""A review session: queue order, daily limits, same-day relearning and undo.

It talks to the store but never prints or reads keys; the UI drives it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from mlprep.core.scheduling.sm2 import Sm2State, review
from mlprep.storage.store import CardState, Recorded, Store

__all__ = [
    "AGAIN",
    "EASY",
    "GOOD",
    "GRADE_KEYS",
    "HARD",
    "MATURE_INTERVAL",
    "RELEARN_GAP",
    "Counts",
    "QueueItem",
    "ReviewSession",
    "SessionSummary",
    "build_queue",
    "card_state",
]

# One key per grade: Again, Hard, Good, Easy -> SM-2 quality.
AGAIN, HARD, GOOD, EASY = 1, 3, 4, 5
GRADE_KEYS = {"1": ("Again", AGAIN), "2": ("Hard", HARD), "3": ("Good", GOOD), "4": ("Easy", EASY)}
# A card answered below Good comes back after this many other cards (or at the end).
RELEARN_GAP = 3
# Cards with an interval of this many days or more are "mature" (Anki's convention).
MATURE_INTERVAL = 21


def card_state(
    retired: bool, repetitions: int | None, interval: int | None, relearning: bool
) -> str:
    """One definition, for `list` and `stats`: retired (in no deck file), new (never answered),
    learning (failed and not yet recalled, or answered below Good today), young (interval under
    21 days) or mature."""
    if retired:
        return "retired"
    if repetitions is None:
        return "new"
    if repetitions == 0 or relearning:
        return "learning"
    return "young" if (interval or 0) < MATURE_INTERVAL else "mature"


@dataclass(frozen=True)
class QueueItem:
    card_id: str
    kind: str  # "review", "new" or "relearn"
    deck: str = ""


@dataclass(frozen=True)
class Counts:
    new: int
    relearn: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.relearn + self.review


def build_queue(
    store: Store,
    today: date,
    *,
    deck: str | None = None,
    tag: str | None = None,
    new_per_day: int = 10,
    reviews_per_day: int = 0,
) -> list[QueueItem]:
    """Relearning cards left from earlier today, then due reviews (most overdue first), then
    new cards up to what is left of today's new-card limit."""
    relearn = store.relearning_cards(today, deck, tag)
    seen = {row[0] for row in relearn}
    review_limit = -1
    if reviews_per_day:
        review_limit = max(0, reviews_per_day - store.reviewed_on(today))
    due = [row for row in store.due_cards(today, deck, tag, review_limit) if row[0] not in seen]
    new_left = max(0, new_per_day - store.new_seen_on(today))
    new = store.new_cards(deck, tag, new_left) if new_left else []
    return [
        QueueItem(card_id, kind, card_deck)
        for kind, rows in (("relearn", relearn), ("review", due), ("new", new))
        for card_id, card_deck in rows
    ]


@dataclass
class SessionSummary:
    answered: int = 0
    passed: int = 0
    seconds: float = 0.0
    due_tomorrow: int = 0
    cards: set[str] = field(default_factory=set)

    @property
    def accuracy(self) -> float | None:
        return self.passed / self.answered if self.answered else None


@dataclass
class _Snapshot:
    queue: list[QueueItem]
    review_id: int
    passed: bool


class ReviewSession:
    """The queue for one sitting. `answer` records a grade; `undo` takes the last one back."""

    def __init__(
        self,
        store: Store,
        queue: list[QueueItem],
        today: date,
        clock: Callable[[], datetime],
        *,
        deck: str | None = None,
        tag: str | None = None,
    ):
        self.store = store
        self.queue = list(queue)
        self.today = today
        self.clock = clock
        self.started = clock()
        self.history: list[_Snapshot] = []
        self.filters = (deck, tag)  # the summary counts tomorrow's cards within them

    @property
    def current(self) -> QueueItem | None:
        return self.queue[0] if self.queue else None

    def counts(self) -> Counts:
        kinds = [q.kind for q in self.queue]
        return Counts(kinds.count("new"), kinds.count("relearn"), kinds.count("review"))

    @property
    def answered(self) -> int:
        return len(self.history)

    def preview(self, card_id: str) -> dict[int, str]:
        """What each quality would do, as Anki shows it above the grade buttons."""
        state = self.store.state(card_id)
        out = {}
        for quality in sorted({q for _, q in GRADE_KEYS.values()} | {0, 2}):
            out[quality] = self._preview_one(state, quality)
        return out

    def _preview_one(self, state: CardState | None, quality: int) -> str:
        again = quality < GOOD
        if state is not None and state.last_day >= self.today:
            # A same-day repeat does not reschedule the card.
            return "again today" if again else _days(state.due - self.today)
        nxt = review(state.sm2 if state else Sm2State(), quality)
        label = _days(timedelta(days=nxt.interval))
        return f"{label} ↻" if again else label

    def answer(
        self,
        quality: int,
        *,
        response_ms: int | None = None,
        kind: str = "review",
        seed: int | None = None,
        typed: str | None = None,
        correct: bool | None = None,
    ) -> Recorded:
        item = self.current
        if item is None:
            raise IndexError("the session has no card left to answer")
        before = list(self.queue)
        recorded = self.store.record(
            item.card_id,
            quality,
            self.clock(),
            self.today,
            response_ms=response_ms,
            kind=kind,
            seed=seed,
            typed=typed,
            correct=correct,
        )
        self.history.append(_Snapshot(before, recorded.review_id, quality >= 3))
        self.queue.pop(0)
        if quality < GOOD:
            self.queue.insert(min(RELEARN_GAP, len(self.queue)), replace(item, kind="relearn"))
        return recorded

    def undo(self) -> QueueItem | None:
        """Take back the last answer (log and state); its card is current again."""
        if not self.history:
            return None
        snap = self.history.pop()
        self.store.undo(snap.review_id)
        self.queue = snap.queue
        return self.current

    def summary(self) -> SessionSummary:
        return SessionSummary(
            answered=len(self.history),
            passed=sum(s.passed for s in self.history),
            seconds=(self.clock() - self.started).total_seconds(),
            due_tomorrow=self.store.count_due_on(self.today + timedelta(days=1), *self.filters),
            cards={s.queue[0].card_id for s in self.history},
        )


def _days(delta: timedelta) -> str:
    days = delta.days
    if days <= 0:
        return "today"
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
