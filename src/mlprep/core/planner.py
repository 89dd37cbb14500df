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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mlprep.core.scheduling.fsrs import DECAY_INDEX, FsrsScheduler

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
    logged time reaches the budget, not when the planned cards run out).

    Lazy greedy, day by day: a seen card enters a day with an upper bound on its gain, 1 − R(T −
    last, S) per second (recall on the day cannot pass 1), and its exact gain (a call into FSRS)
    is computed only when that bound reaches the top. The bound does not depend on the day
    (T − d + d − last = T − last), so it is computed once per memory and the cards are sorted
    by it once: each day walks that order only as far as the day's choices need, instead of
    bounding every card again. New cards' gains are exact from the start; at most as many enter
    a day as its budget could take."""
    import fsrs_rs_python

    params = scheduler.parameters
    fsrs = fsrs_rs_python.FSRS(params)
    memory_state = fsrs_rs_python.MemoryState
    retention = scheduler.desired_retention
    decay = params[DECAY_INDEX]
    factor = 0.9 ** (-1.0 / decay) - 1.0  # the forgetting curve, inlined: these loops are hot
    first = fsrs.next_states(None, retention, 0).good.memory
    # The plan's memory of each seen card: (stability, difficulty, last day).
    memory: dict[str, tuple[float, float, date]] = {}
    review_cost: dict[str, float] = {}
    unseen: list[PlanCard] = []  # in the order given: new cards enter in that order
    before: list[float] = []
    # Bound entries (−bound, id, 0, recall on the day without a review), best first.
    ranked: list[tuple[float, str, int, float]] = []
    cheapest = 1.0 if not cards else min(cards[0].review_seconds, cards[0].new_seconds)
    for card in cards:
        review_cost[card.id] = card.review_seconds
        cheapest = min(cheapest, card.review_seconds, card.new_seconds)
        if card.stability is None:
            unseen.append(card)
            before.append(0.0)
            continue
        memory[card.id] = (card.stability, card.difficulty, card.last_day)  # type: ignore[assignment]
        days = (interview - card.last_day).days  # type: ignore[operator]
        without = (1.0 + factor * (days if days > 0 else 0) / card.stability) ** -decay
        before.append(without)
        if without < 1.0:
            ranked.append((-(1.0 - without) / card.review_seconds, card.id, 0, without))
    ranked.sort()
    # Cards the plan has moved (reviewed or introduced): their bound entry for the days after,
    # or None when they cannot gain at all; their entry in `ranked` is stale from then on.
    moved: dict[str, tuple[float, str, int, float] | None] = {}
    days_planned: list[DayPlan] = []
    order: tuple[str, ...] = ()
    day = today
    while day < interview:
        is_today = day == today
        budget = budget_seconds - (spent_today if is_today else 0.0)
        skip = done_today if is_today else frozenset()
        horizon = (interview - day).days
        new_gain = (1.0 + factor * horizon / first.stability) ** -decay
        heap: list[tuple[float, int, str, float, Any]] = []  # exact gains: (−gain/s, 1, ...)
        new_room = int(budget // cheapest) + 1 if budget > 0 else 0
        entered = 0  # how far into `unseen` the day's new cards reach
        for card in unseen:
            if new_room <= 0:
                break
            entered += 1
            if card.id not in skip:
                new_room -= 1
                heap.append((-new_gain / card.new_seconds, 1, card.id, card.new_seconds, None))
        heapq.heapify(heap)
        bounds = _bounds(
            heapq.merge(ranked, sorted(e for e in moved.values() if e is not None)),
            moved,
            memory,
            skip,
            day,
        )
        bound = next(bounds, None)
        chosen_new, chosen_reviews, picked, spent = [], [], [], 0.0
        extra: list[str] = []
        limit = budget * (1 + reserve) if is_today else budget
        extra_spent = 0.0
        while (heap or bound is not None) and limit - spent - extra_spent >= cheapest:
            if bound is not None and (not heap or bound[0] <= heap[0][0]):
                # The best bound is at the top (before an exact gain it ties with): compute
                # its exact gain and put it in the heap.
                _, card_id, _, without = bound
                bound = next(bounds, None)
                stability, difficulty, last = memory[card_id]
                elapsed = (day - last).days
                p = (1.0 + factor * elapsed / stability) ** -decay
                states = fsrs.next_states(memory_state(stability, difficulty), retention, elapsed)
                good, again = states.good.memory, states.again.memory
                after = (
                    p * (1.0 + factor * horizon / good.stability) ** -decay
                    + (1 - p) * (1.0 + factor * horizon / again.stability) ** -decay
                )
                gain = after - without
                if gain > 0:
                    cost = review_cost[card_id]
                    heapq.heappush(heap, (-gain / cost, 1, card_id, cost, (p, good, again)))
                continue
            _, _, card_id, cost, how = heapq.heappop(heap)
            if spent + cost > budget:
                if spent + extra_spent + cost <= limit:  # today's reserve, not planned
                    extra.append(card_id)
                    extra_spent += cost
                continue
            spent += cost
            picked.append(card_id)
            if how is None:
                chosen_new.append(card_id)
                moved_to = (first.stability, first.difficulty, day)
            else:
                p, good, again = how
                chosen_reviews.append(card_id)
                moved_to = (
                    p * good.stability + (1 - p) * again.stability,
                    p * good.difficulty + (1 - p) * again.difficulty,
                    day,
                )
            memory[card_id] = moved_to
            without = (1.0 + factor * horizon / moved_to[0]) ** -decay
            cost = review_cost[card_id]
            moved[card_id] = (
                (-(1.0 - without) / cost, card_id, 1, without) if without < 1.0 else None
            )
        if chosen_new:
            introduced = set(chosen_new)
            unseen = [c for c in unseen[:entered] if c.id not in introduced] + unseen[entered:]
        if is_today:
            order = tuple(picked + extra)
        days_planned.append(DayPlan(day, tuple(chosen_new), tuple(chosen_reviews), spent))
        day += timedelta(days=1)
    after_plan = list(before)
    if moved:
        index = {card.id: i for i, card in enumerate(cards)}
        for card_id in moved:
            stability, _, last = memory[card_id]
            days = (interview - last).days
            after_plan[index[card_id]] = (1.0 + factor * max(0.0, days) / stability) ** -decay
    topics, planned_topics = _by_topic([card.topic for card in cards], before, after_plan)
    return Plan(
        date=interview,
        today=today,
        budget_seconds=budget_seconds,
        cards=len(cards),
        unseen=sum(1 for c in cards if c.stability is None),
        expected_recall=_mean(before),
        planned_recall=_mean(after_plan),
        topics=topics,
        planned_topics=planned_topics,
        days=tuple(days_planned),
        order=order,
        spent_today=spent_today,
    )


def _bounds(
    entries: Iterator[tuple[float, str, int, float]],
    moved: dict[str, Any],
    memory: dict[str, tuple[float, float, date]],
    skip: frozenset[str],
    day: date,
) -> Iterator[tuple[float, str, int, float]]:
    """The day's bound entries, best first: without stale ones (a card the plan has moved
    since), cards done today, and cards already reviewed on `day`."""
    for entry in entries:
        card_id = entry[1]
        if (entry[2] == 0 and card_id in moved) or card_id in skip:
            continue
        if (day - memory[card_id][2]).days <= 0:
            continue
        yield entry


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _by_topic(
    topics: list[str], before: list[float], after: list[float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean recall per topic before and after the plan, each weakest first."""
    sums: dict[str, list[float]] = {}
    for topic, r_before, r_after in zip(topics, before, after, strict=True):
        slot = sums.get(topic)
        if slot is None:
            slot = sums[topic] = [0.0, 0.0, 0]
        slot[0] += r_before
        slot[1] += r_after
        slot[2] += 1
    out = []
    for i in (0, 1):
        means = {topic: slot[i] / slot[2] for topic, slot in sums.items()}
        out.append(dict(sorted(means.items(), key=lambda kv: (kv[1], kv[0]))))
    return out[0], out[1]
