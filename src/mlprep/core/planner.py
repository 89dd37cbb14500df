"""Interview mode's planner: what to study each day so that the expected share of in-scope
cards recalled on the interview day is as high as the daily time budget allows.

The model is FSRS-6's (the memory model): each card has a stability S and difficulty D after
its history, and recall t days after its last review is R(t, S). For a card reviewed on day d
the recall on the interview day T is, in expectation over the answer,

    G(d) = p · R(T − d, S_good) + (1 − p) · R(T − d, S_again),   p = R(d − last, S),

against R(T − last, S) without the review; a new card learned on day d gives R(T − d, S₀).
The planner is greedy on marginal gain per second: day by day, from today to the day before the
interview, it takes the cards with the highest (gain on the day) / (expected seconds to answer)
until the day's budget is spent, then moves every chosen card's memory forward in expectation
(stability and difficulty averaged over recall and lapse, weighted by p) and plans the next day
with those. New cards have large gains, so every card is introduced early while the budget
allows; weak cards earn extra reviews; strong ones wait because reviewing them gains little.
Pure: no clock, no I/O; the caller passes the memory states and the measured costs.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mlprep.core.scheduling.fsrs import DECAY_INDEX, FsrsScheduler, retrievability

__all__ = ["DayPlan", "Plan", "PlanCard", "plan_interview"]


@dataclass(frozen=True)
class PlanCard:
    """A card in scope: its memory (None if never answered), the seconds a review and a first
    day of learning are expected to take, and its topic."""

    id: str
    topic: str
    stability: float | None
    difficulty: float | None
    last_day: date | None
    review_seconds: float
    new_seconds: float


@dataclass(frozen=True)
class DayPlan:
    day: date
    new: tuple[str, ...]
    reviews: tuple[str, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "new": len(self.new),
            "reviews": len(self.reviews),
            "minutes": round(self.seconds / 60, 1),
        }


@dataclass(frozen=True)
class Plan:
    """The plan and what it is worth: expected recall on the day without further study, and
    following the plan; per topic; cards never seen."""

    date: date
    today: date
    budget_seconds: float
    cards: int
    unseen: int
    expected_recall: float
    planned_recall: float
    topics: dict[str, float]
    planned_topics: dict[str, float]
    days: tuple[DayPlan, ...] = field(default=())
    order: tuple[str, ...] = ()  # today's cards, most gain per second first, then a reserve
    spent_today: float = 0.0

    @property
    def seconds_left_today(self) -> float:
        return max(0.0, self.budget_seconds - self.spent_today)

    @property
    def days_left(self) -> int:
        return (self.date - self.today).days


@dataclass
class _Memory:
    stability: float | None
    difficulty: float | None
    last_day: date | None


def _recall_on(memory: _Memory, day: date, params: Sequence[float]) -> float:
    if memory.stability is None or memory.last_day is None:
        return 0.0
    return retrievability((day - memory.last_day).days, memory.stability, params)


def plan_interview(
    cards: Sequence[PlanCard],
    today: date,
    interview: date,
    budget_seconds: float,
    scheduler: FsrsScheduler,
    spent_today: float = 0.0,
    done_today: frozenset[str] = frozenset(),
    reserve: float = 2.0,
) -> Plan:
    """Plan every day from `today` to the day before `interview`. `spent_today` seconds of
    today's budget are already used; `done_today` cards were already answered today. Today's
    `order` goes on past the budget with the next best cards, `reserve` times the budget's
    worth more, for a learner faster than the measured times (the session stops when the
    logged time reaches the budget, not when the planned cards run out)."""
    import fsrs_rs_python

    params = scheduler.parameters
    fsrs = fsrs_rs_python.FSRS(params)
    memory = {c.id: _Memory(c.stability, c.difficulty, c.last_day) for c in cards}
    by_id = {c.id: c for c in cards}
    before = {c.id: _recall_on(memory[c.id], interview, params) for c in cards}
    first = fsrs.next_states(None, scheduler.desired_retention, 0).good.memory
    days: list[DayPlan] = []
    order: tuple[str, ...] = ()
    decay = params[DECAY_INDEX]
    factor = 0.9 ** (-1.0 / decay) - 1.0  # the forgetting curve, inlined: this loop is hot
    memory_state = fsrs_rs_python.MemoryState
    retention = scheduler.desired_retention
    cheapest = min((min(c.review_seconds, c.new_seconds) for c in cards), default=1.0)
    day = today
    while day < interview:
        budget = budget_seconds - (spent_today if day == today else 0.0)
        skip = done_today if day == today else frozenset()
        horizon = (interview - day).days
        new_gain = (1.0 + factor * horizon / first.stability) ** -decay
        # Lazy greedy: a seen card enters with an upper bound on its gain (recall on the day
        # cannot pass 1), and its exact gain (a call into FSRS) is computed only when that
        # bound reaches the top of the heap. A new card's gain is exact from the start; at most
        # as many new cards as the budget could take enter at all.
        heap: list[tuple[float, int, str, float, Any]] = []
        new_room = int(budget // cheapest) + 1 if budget > 0 else 0
        for card in cards:
            if card.id in skip:
                continue
            m = memory[card.id]
            if m.stability is None:
                if new_room > 0:
                    new_room -= 1
                    heap.append((-new_gain / card.new_seconds, 1, card.id, card.new_seconds, None))
                continue
            elapsed = (day - m.last_day).days
            if elapsed <= 0:
                continue
            without = (1.0 + factor * (horizon + elapsed) / m.stability) ** -decay
            if without >= 1.0:
                continue
            cost = card.review_seconds
            heap.append((-(1.0 - without) / cost, 0, card.id, cost, without))
        heapq.heapify(heap)
        chosen_new, chosen_reviews, picked, spent = [], [], [], 0.0
        extra: list[str] = []
        limit = budget * (1 + reserve) if day == today else budget
        extra_spent = 0.0
        while heap and limit - spent - extra_spent >= cheapest:
            ratio, exact, card_id, cost, how = heapq.heappop(heap)
            if spent + cost > budget and exact:
                if spent + extra_spent + cost <= limit:  # today's reserve, not planned
                    extra.append(card_id)
                    extra_spent += cost
                continue
            m = memory[card_id]
            if not exact:  # a bound: compute the exact gain and put it back
                without = how
                elapsed = (day - m.last_day).days
                p = (1.0 + factor * elapsed / m.stability) ** -decay
                states = fsrs.next_states(
                    memory_state(m.stability, m.difficulty), retention, elapsed
                )
                good, again = states.good.memory, states.again.memory
                after = (
                    p * (1.0 + factor * horizon / good.stability) ** -decay
                    + (1 - p) * (1.0 + factor * horizon / again.stability) ** -decay
                )
                gain = after - without
                if gain > 0:
                    heapq.heappush(heap, (-gain / cost, 1, card_id, cost, (p, good, again)))
                continue
            spent += cost
            picked.append(card_id)
            if how is None:
                chosen_new.append(card_id)
                memory[card_id] = _Memory(first.stability, first.difficulty, day)
            else:
                p, good, again = how
                chosen_reviews.append(card_id)
                memory[card_id] = _Memory(
                    p * good.stability + (1 - p) * again.stability,
                    p * good.difficulty + (1 - p) * again.difficulty,
                    day,
                )
        if day == today:
            order = tuple(picked + extra)
        days.append(DayPlan(day, tuple(chosen_new), tuple(chosen_reviews), spent))
        day += timedelta(days=1)
    after_plan = {c.id: _recall_on(memory[c.id], interview, params) for c in cards}
    return Plan(
        date=interview,
        today=today,
        budget_seconds=budget_seconds,
        cards=len(cards),
        unseen=sum(1 for c in cards if c.stability is None),
        expected_recall=_mean(before.values()),
        planned_recall=_mean(after_plan.values()),
        topics=_by_topic(by_id, before),
        planned_topics=_by_topic(by_id, after_plan),
        days=tuple(days),
        order=order,
        spent_today=spent_today,
    )


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _by_topic(cards: dict[str, PlanCard], recall: dict[str, float]) -> dict[str, float]:
    """Mean recall per topic, weakest first."""
    sums: dict[str, list[float]] = {}
    for card_id, r in recall.items():
        slot = sums.setdefault(cards[card_id].topic, [0.0, 0])
        slot[0] += r
        slot[1] += 1
    means = {topic: total / n for topic, (total, n) in sums.items()}
    return dict(sorted(means.items(), key=lambda kv: (kv[1], kv[0])))
