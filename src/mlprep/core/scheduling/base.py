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
from typing import Any, NamedTuple, Protocol

from mlprep.core.grades import Answer

__all__ = [
    "MAX_INTERVAL_DAYS",
    "NO_SCHEDULE_KINDS",
    "CardState",
    "Fact",
    "Scheduler",
    "StepFields",
    "add_days",
    "preview",
    "replay",
    "replay_fields",
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


class StepFields(NamedTuple):
    """A `CardState`'s fields, in its order, as `replay_fields` gives them."""

    memory: Any
    due: date
    interval: int
    last_day: date
    streak: int
    lapses: int
    reviews: int


_new_step = tuple.__new__  # StepFields(...) without namedtuple's Python-level __new__


def replay_fields(scheduler: Scheduler, facts: Iterable[Fact]) -> list[StepFields | None]:
    """The state after each fact, in order (None until a card's first scheduling answer), as
    plain fields: the fold every replay is, without a CardState per answer (replaying a
    whole log, as the first sync of two devices does, made 100,000 of them)."""
    review, same_day, interval_of = scheduler.review, scheduler.same_day, scheduler.interval
    steps: list[StepFields | None] = []
    step: StepFields | None = None
    memory: Any = None
    due = last_day = date.min
    interval = streak = lapses = reviews = 0
    for fact in facts:
        if fact.kind in NO_SCHEDULE_KINDS:
            steps.append(step)
            continue
        day = fact.day
        if step is not None and day <= last_day:
            memory = same_day(memory, fact.answer, day)
            if scheduler.same_day_reschedules:
                interval = min(interval_of(memory), MAX_INTERVAL_DAYS)
                due = last_day + timedelta(days=interval)
        else:
            if step is None:
                memory = review(scheduler.initial(), fact.answer, day, None)
            else:
                memory = review(memory, fact.answer, day, (day - last_day).days)
            interval = min(interval_of(memory), MAX_INTERVAL_DAYS)
            due = add_days(day, interval)
            if fact.answer.passed:
                streak += 1
            else:
                lapses += streak > 0  # a lapse: failed after a pass
                streak = 0
            reviews += 1
            last_day = day
        step = _new_step(StepFields, (memory, due, interval, last_day, streak, lapses, reviews))
        steps.append(step)
    return steps


def replay_steps(scheduler: Scheduler, facts: Iterable[Fact]) -> list[CardState | None]:
    """The state after each fact, in order (None until a card's first scheduling answer)."""
    return [None if step is None else CardState(*step) for step in replay_fields(scheduler, facts)]


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


_LAST_ORDINAL = date.max.toordinal()


def add_days(day: date, days: int) -> date:
    """`day + days`, but never past the last date there is (9999-12-31) (nor before the
    first, which also gives the last, as an overflow always has). By day numbers: building a
    timedelta cost more than the rest of a replay step."""
    ordinal = day.toordinal() + days
    return date.fromordinal(ordinal) if 1 <= ordinal <= _LAST_ORDINAL else date.max
