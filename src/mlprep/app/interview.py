"""Interview mode wired to a library: the interview in the settings, the in-scope cards with
their FSRS memory and measured answer times, the plan, and today's queue from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from mlprep.app.errors import UsageError

if TYPE_CHECKING:
    from mlprep.app.config import Settings
    from mlprep.app.library import Library
    from mlprep.core.planner import Plan
    from mlprep.core.queue import QueueItem
    from mlprep.storage.store import Scope

__all__ = [
    "DEFAULT_SECONDS",
    "MIN_MEASURED",
    "Interview",
    "active_interview",
    "interview_plan",
    "interview_queue",
]

# Expected seconds before any answer is measured: a review, a computed card's review, and a new
# card's first day (its first answer and the same-day repeats). They weigh as MIN_MEASURED
# measured answers, so the user's own pace takes over within a session or two.
DEFAULT_SECONDS = {"review": 12.0, "computed": 60.0, "new": 40.0}
MIN_MEASURED = 10


@dataclass(frozen=True)
class Interview:
    date: date
    minutes: int
    deck: str | None
    tag: str | None

    @property
    def scope(self) -> Scope:
        from mlprep.storage.store import Scope

        return Scope(self.deck, self.tag)


def active_interview(settings: Settings, today: date) -> Interview | None:
    """The interview in the settings while it is ahead (after the date: None, normal
    scheduling resumes from the log)."""
    if settings.interview_date is None or settings.interview_date <= today:
        return None
    return Interview(
        settings.interview_date,
        settings.interview_minutes,
        settings.interview_deck,
        settings.interview_tag,
    )


def _costs(lib: Library) -> dict[str, float]:
    """Expected seconds per kind of answer: the defaults shrunk toward what was measured, by
    how much was measured (the defaults count as MIN_MEASURED answers)."""
    measured = lib.store.answer_seconds()
    return {
        key: (DEFAULT_SECONDS[key] * MIN_MEASURED + mean * n) / (MIN_MEASURED + n)
        for key, (mean, n) in measured.items()
    }


def interview_plan(lib: Library, interview: Interview, extra_minutes: int = 0) -> Plan:
    """The plan from today to the interview, for the cards in its scope."""
    from mlprep.app.memory import memory_scheduler
    from mlprep.core.planner import PlanCard, plan_interview

    store = lib.store
    scheduler = memory_scheduler(store, lib.settings.desired_retention)
    states = store.memory_states(interview.scope)
    costs = _costs(lib)
    cards = []
    for card_id, deck, tags, kind in store.scope_ids(interview.scope):
        state = states.get(card_id)
        memory = state.memory if state is not None else None
        review = costs["computed"] if kind == "computed" else costs["review"]
        new = costs["new"] + (costs["computed"] - costs["review"] if kind == "computed" else 0)
        cards.append(
            PlanCard(
                id=card_id,
                topic=(tags.split()[0] if tags else deck),
                stability=memory.stability if memory else None,
                difficulty=memory.difficulty if memory else None,
                last_day=state.last_day if state else None,
                review_seconds=max(1.0, review),
                new_seconds=max(1.0, new),
            )
        )
    if not cards:
        raise UsageError("no card in the interview's scope; see `mlprep interview --clear`")
    return plan_interview(
        cards,
        lib.today,
        interview.date,
        (interview.minutes + extra_minutes) * 60.0,
        scheduler,
        spent_today=store.seconds_on(lib.today),
        done_today=frozenset(store.answered_on(lib.today)),
    )


def interview_queue(
    lib: Library, interview: Interview, extra_minutes: int = 0
) -> tuple[list[QueueItem], Plan]:
    """Today's queue in interview mode: the cards relearning today, then the plan's cards in
    order of gain per second; out-of-scope cards keep their normal schedule (their due reviews
    follow)."""
    from mlprep.app.library import day_queue
    from mlprep.core.queue import NORMAL, QueueItem

    store = lib.store
    plan = interview_plan(lib, interview, extra_minutes)
    in_scope = {row[0]: row[1] for row in store.scope_ids(interview.scope)}
    relearn = [
        QueueItem(card_id, "relearn", deck)
        for card_id, deck in store.relearning_cards(lib.today, interview.scope)
    ]
    seen = {item.card_id for item in relearn}
    states = {card_id: store.state(card_id) for card_id in plan.order}
    planned = [
        QueueItem(card_id, "new" if states[card_id] is None else "review", in_scope[card_id])
        for card_id in plan.order
        if card_id not in seen
    ]
    others = [
        item
        for item in day_queue(store, lib.today, None, NORMAL, new_per_day=0)
        if item.card_id not in in_scope
    ]
    return relearn + planned + others, plan
