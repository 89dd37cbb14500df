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
    "current_interview",
    "date_problem",
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
    """The interview in the settings while it is ahead, which is when review follows its
    plan (on the day and after: None, normal scheduling resumes from the log)."""
    interview = current_interview(settings, today)
    return interview if interview is not None and interview.date > today else None


def current_interview(settings: Settings, today: date) -> Interview | None:
    """The interview in the settings until its day, that day included (`mlprep interview`
    and `due` show it on the day itself too); None once it has passed."""
    if settings.interview_date is None or settings.interview_date < today:
        return None
    return Interview(
        settings.interview_date,
        settings.interview_minutes,
        settings.interview_deck,
        settings.interview_tag,
    )


def date_problem(day: date, today: date) -> str | None:
    """Why `day` cannot be set as the interview date, or None: a date that is not after today
    would only switch interview mode off again."""
    if day <= today:
        return f"the interview date must be after today ({today.isoformat()})"
    return None


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
    return _plan(lib, interview, extra_minutes)[0]


def _plan(
    lib: Library, interview: Interview, extra_minutes: int
) -> tuple[Plan, dict[str, str], set[str]]:
    """The plan, the deck of every card in scope, and the cards in scope never answered."""
    from mlprep.app.memory import memory_scheduler
    from mlprep.core.planner import PlanCard, plan_interview

    store = lib.store
    scheduler = memory_scheduler(store, lib.settings.desired_retention)
    costs = _costs(lib)
    # (review, first day) seconds of a basic and of a computed card
    basic = (max(1.0, costs["review"]), max(1.0, costs["new"]))
    computed = (
        max(1.0, costs["computed"]),
        max(1.0, costs["new"] + costs["computed"] - costs["review"]),
    )
    cards, decks, unseen = [], {}, set()
    for card_id, deck, tags, kind, memory, last_day in store.memory_rows(interview.scope):
        review, new = computed if kind == "computed" else basic
        decks[card_id] = deck
        topic = tags.split()[0] if tags else deck
        if memory is None or memory.stability is None:
            unseen.add(card_id)
            cards.append(PlanCard(card_id, topic, None, None, None, review, new))
        else:
            cards.append(
                PlanCard(card_id, topic, memory.stability, memory.difficulty, last_day, review, new)
            )
    if not cards:
        raise UsageError("no card in the interview's scope; see `mlprep interview --clear`")
    plan = plan_interview(
        cards,
        lib.today,
        interview.date,
        (interview.minutes + extra_minutes) * 60.0,
        scheduler,
        spent_today=store.seconds_on(lib.today),
        done_today=frozenset(store.answered_on(lib.today)),
    )
    return plan, decks, unseen


def interview_queue(
    lib: Library, interview: Interview, extra_minutes: int = 0
) -> tuple[list[QueueItem], Plan]:
    """Today's queue in interview mode: the cards relearning today, then the plan's cards in
    order of gain per second; out-of-scope cards keep their normal schedule (their due reviews
    follow)."""
    from mlprep.app.library import day_queue
    from mlprep.core.queue import NORMAL, QueueItem

    store = lib.store
    plan, in_scope, unseen = _plan(lib, interview, extra_minutes)
    relearn = [
        QueueItem(card_id, "relearn", deck)
        for card_id, deck in store.relearning_cards(lib.today, interview.scope)
    ]
    seen = {item.card_id for item in relearn}
    planned = [
        QueueItem(card_id, "new" if card_id in unseen else "review", in_scope[card_id])
        for card_id in plan.order
        if card_id not in seen
    ]
    others = []
    if interview.deck or interview.tag:  # else every live card is in scope
        others = [
            item
            for item in day_queue(store, lib.today, None, NORMAL, new_per_day=0)
            if item.card_id not in in_scope
        ]
    return relearn + planned + others, plan
