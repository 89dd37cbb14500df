"""The scheduler protocol, the facts it replays, and `replay` itself (pure).

The review log holds facts only (grade as given, when, what kind of answer). A card's
scheduling state is whatever a scheduler makes of its facts: `replay` folds them in order.
Rules every scheduler shares:
- `cram` answers never move a schedule (and are not a card's introduction);
- the first answer of a study day reschedules the card; later answers the same day are
  relearning steps, passed to `Scheduler.same_day` (SM-2 ignores them);
- a lapse is a failed scheduling answer of a card whose previous scheduling answer passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from mlprep.core.grades import Answer

__all__ = [
    "MAX_INTERVAL_DAYS",
    "NO_SCHEDULE_KINDS",
    "CardState",
    "Fact",
    "Scheduler",
    "add_days",
    "preview",
    "replay",
    "replay_steps",
]

# Kinds of logged answers that never move a schedule.
NO_SCHEDULE_KINDS = frozenset({"cram"})
# No card is scheduled further out than this (Anki's maximum too): SM-2's interval grows
# without bound and would pass year 9999, where dates end. The memory keeps the exact value.
MAX_INTERVAL_DAYS = 36500


@dataclass(frozen=True)
class Fact:
    """One logged answer, as replay needs it."""

    day: date
    answer: Answer
    kind: str = "review"

    @property
    def schedules(self) -> bool:
        return self.kind not in NO_SCHEDULE_KINDS


@dataclass(frozen=True)
class CardState:
    """A card's replayed state under one scheduler: the scheduler's own memory (`memory`, e.g.
    an `Sm2State`), plus what every query needs: when it is due, the interval that gave, the
    last scheduling day, the pass streak (0 = learning), lapses and scheduling answers."""

    memory: Any
    due: date
    interval: int
    last_day: date
    streak: int = 0
    lapses: int = 0
    reviews: int = 0


class Scheduler(Protocol):
    """A scheduling algorithm over opaque memory states. Pure: no clock, no I/O.

    `name` is the setting's value (`sm2`, `fsrs`); `key` names its replay cache (it changes
    with the parameters). `same_day_reschedules`: whether a later answer the same study day
    sets a new due date from the new memory (FSRS) or leaves it (SM-2)."""

    name: str
    same_day_reschedules: bool

    @property
    def key(self) -> str: ...

    def initial(self) -> Any:
        """The memory of a card never answered."""

    def review(self, memory: Any, answer: Answer, day: date, elapsed_days: int | None) -> Any:
        """The memory after a scheduling answer on `day`, `elapsed_days` after the previous
        one (None for a card's first answer)."""

    def same_day(self, memory: Any, answer: Answer, day: date) -> Any:
        """The memory after a later answer on the same study day (relearning)."""

    def interval(self, memory: Any) -> int:
        """Days from the last scheduling answer until the card is due."""

    def ease(self, memory: Any) -> float | None:
        """A number to show as the card's ease (SM-2's EF), or None."""

    def to_dict(self, memory: Any) -> dict[str, Any]: ...

    def from_dict(self, data: dict[str, Any]) -> Any: ...


def replay_steps(scheduler: Scheduler, facts: Iterable[Fact]) -> list[CardState | None]:
    """The state after each fact, in order (None until a card's first scheduling answer)."""
    steps: list[CardState | None] = []
    state: CardState | None = None
    for fact in facts:
        if not fact.schedules:
            steps.append(state)
            continue
        if state is not None and fact.day <= state.last_day:
            memory = scheduler.same_day(state.memory, fact.answer, fact.day)
            due, interval = state.due, state.interval
            if scheduler.same_day_reschedules:
                interval = min(scheduler.interval(memory), MAX_INTERVAL_DAYS)
                due = state.last_day + timedelta(days=interval)
            state = CardState(
                memory, due, interval, state.last_day, state.streak, state.lapses, state.reviews
            )
            steps.append(state)
            continue
        before = state.memory if state is not None else scheduler.initial()
        elapsed = (fact.day - state.last_day).days if state is not None else None
        memory = scheduler.review(before, fact.answer, fact.day, elapsed)
        interval = min(scheduler.interval(memory), MAX_INTERVAL_DAYS)
        passed = fact.answer.passed
        lapse = not passed and state is not None and state.streak > 0
        state = CardState(
            memory=memory,
            due=add_days(fact.day, interval),
            interval=interval,
            last_day=fact.day,
            streak=(state.streak if state else 0) + 1 if passed else 0,
            lapses=(state.lapses if state else 0) + lapse,
            reviews=(state.reviews if state else 0) + 1,
        )
        steps.append(state)
    return steps


def replay(scheduler: Scheduler, facts: Iterable[Fact]) -> CardState | None:
    """A card's state after all its facts, or None if none of them schedules it."""
    steps = replay_steps(scheduler, facts)
    return steps[-1] if steps else None


def preview(
    scheduler: Scheduler, state: CardState | None, day: date, answers: Iterable[Answer]
) -> dict[Answer, int | None]:
    """Days until due after each answer on `day`; None where the answer would not
    reschedule (a same-day repeat keeps the due date, unless the scheduler reschedules then)."""
    out: dict[Answer, int | None] = {}
    for answer in answers:
        if state is not None and day <= state.last_day:
            if not scheduler.same_day_reschedules:
                out[answer] = None
                continue
            memory = scheduler.same_day(state.memory, answer, day)
            interval = min(scheduler.interval(memory), MAX_INTERVAL_DAYS)
            out[answer] = (state.last_day + timedelta(days=interval) - day).days
            continue
        before = state.memory if state is not None else scheduler.initial()
        elapsed = (day - state.last_day).days if state is not None else None
        memory = scheduler.review(before, answer, day, elapsed)
        out[answer] = min(scheduler.interval(memory), MAX_INTERVAL_DAYS)
    return out


def add_days(day: date, days: int) -> date:
    """`day + days`, but never past the last date there is (9999-12-31)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max
