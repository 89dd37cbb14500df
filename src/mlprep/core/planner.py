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
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter
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

    @property
    def planned_today(self) -> int:
        """How many of today's cards the plan counts on (`order` holds a reserve after them)."""
        if self.days and self.days[0].day == self.today:
            return len(self.days[0].new) + len(self.days[0].reviews)
        return 0


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
    cheapest = 1.0
    if cards:
        cheapest = min(
            min(map(attrgetter("review_seconds"), cards)),
            min(map(attrgetter("new_seconds"), cards)),
        )
    counts = Counter(map(attrgetter("topic"), cards))
    # Recall on the day with no more study: its sum over every card and per topic (a card
    # never seen adds 0).
    total = 0.0
    sums: dict[str, float] = {}
    unseen: list[PlanCard] = []  # in the order given: new cards enter in that order
    ranked: list[_Bound] = []
    for card in cards:
        stability = card.stability
        if stability is None:
            unseen.append(card)
            continue
        days = (interview - card.last_day).days
        without = (1.0 + factor * (days if days > 0 else 0) / stability) ** -decay
        total += without
        sums[card.topic] = sums.get(card.topic, 0.0) + without
        if without < 1.0:
            bound = -(1.0 - without) / card.review_seconds
            ranked.append(
                (bound, card.id, 0, without, card, stability, card.difficulty, card.last_day)
            )
    ranked.sort()
    n_unseen = len(unseen)
    # Cards the plan has moved (reviewed or introduced): their bound entry for the days after
    # (their entry in `ranked` is stale from then on), and their recall on the day before the
    # plan first moved them.
    moved: dict[str, _Bound] = {}
    initial: dict[str, tuple[PlanCard, float]] = {}
    days_planned: list[DayPlan] = []
    order: tuple[str, ...] = ()
    day = today
    while day < interview:
        is_today = day == today
        budget = budget_seconds - (spent_today if is_today else 0.0)
        skip = done_today if is_today else frozenset()
        horizon = (interview - day).days
        new_gain = (1.0 + factor * horizon / first.stability) ** -decay
        # Exact gains per second: (−gain/s, 1, id, seconds, how, card); `how` is None for a
        # new card, (p, good, again, recall without the review) for a review.
        heap: list[tuple[float, int, str, float, Any, PlanCard]] = []
        new_room = int(budget // cheapest) + 1 if budget > 0 else 0
        entered = 0  # how far into `unseen` the day's new cards reach
        for card in unseen:
            if new_room <= 0:
                break
            entered += 1
            if card.id not in skip:
                new_room -= 1
                cost = card.new_seconds
                heap.append((-new_gain / cost, 1, card.id, cost, None, card))
        heapq.heapify(heap)
        bounds = _bounds(
            heapq.merge(ranked, sorted(e for e in moved.values() if e[2] == 1)),
            moved,
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
                _, card_id, _, without, card, stability, difficulty, last = bound
                bound = next(bounds, None)
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
                    cost = card.review_seconds
                    how = (p, good, again, without)
                    heapq.heappush(heap, (-gain / cost, 1, card_id, cost, how, card))
                continue
            _, _, card_id, cost, how, card = heapq.heappop(heap)
            if spent + cost > budget:
                if spent + extra_spent + cost <= limit:  # today's reserve, not planned
                    extra.append(card_id)
                    extra_spent += cost
                continue
            spent += cost
            picked.append(card_id)
            if how is None:
                chosen_new.append(card_id)
                stability, difficulty, without = first.stability, first.difficulty, 0.0
            else:
                p, good, again, without = how
                chosen_reviews.append(card_id)
                stability = p * good.stability + (1 - p) * again.stability
                difficulty = p * good.difficulty + (1 - p) * again.difficulty
            if card_id not in initial:
                initial[card_id] = (card, without)
            without = (1.0 + factor * horizon / stability) ** -decay
            moved[card_id] = (
                (-(1.0 - without) / card.review_seconds, card_id, 1, without, card)
                + (stability, difficulty, day)
                if without < 1.0
                else (0.0, card_id, 2, 1.0, card, stability, difficulty, day)
            )
        if chosen_new:
            introduced = set(chosen_new)
            unseen = [c for c in unseen[:entered] if c.id not in introduced] + unseen[entered:]
        if is_today:
            order = tuple(picked + extra)
        days_planned.append(DayPlan(day, tuple(chosen_new), tuple(chosen_reviews), spent))
        day += timedelta(days=1)
    # Following the plan: the moved cards' recall changes, from where it was to where the
    # plan leaves it.
    planned_total = total
    planned_sums = dict(sums)
    for card_id, (card, recall_before) in initial.items():
        *_, stability, _, last = moved[card_id]
        days = (interview - last).days
        change = (1.0 + factor * max(0.0, days) / stability) ** -decay - recall_before
        planned_total += change
        planned_sums[card.topic] = planned_sums.get(card.topic, 0.0) + change
    n = len(cards)
    return Plan(
        date=interview,
        today=today,
        budget_seconds=budget_seconds,
        cards=n,
        unseen=n_unseen,
        expected_recall=total / n if n else 0.0,
        planned_recall=planned_total / n if n else 0.0,
        topics=_by_topic(sums, counts),
        planned_topics=_by_topic(planned_sums, counts),
        days=tuple(days_planned),
        order=order,
        spent_today=spent_today,
    )


# A bound entry: (−bound per second, id, 0 from the first ranking / 1 after the plan moved
# the card / 2 cannot gain, recall on the day without a review, the card, and its memory:
# stability, difficulty, last day).
_Bound = tuple[float, str, int, float, PlanCard, float, float, date]


def _bounds(
    entries: Iterator[_Bound], moved: dict[str, Any], skip: frozenset[str], day: date
) -> Iterator[_Bound]:
    """The day's bound entries, best first: without stale ones (a card the plan has moved
    since), cards done today, and cards already reviewed on `day`."""
    for entry in entries:
        card_id = entry[1]
        if (entry[2] == 0 and card_id in moved) or card_id in skip:
            continue
        if (day - entry[7]).days <= 0:
            continue
        yield entry


def _by_topic(sums: dict[str, float], counts: Counter[str]) -> dict[str, float]:
    """Mean recall per topic, weakest first."""
    means = {topic: sums.get(topic, 0.0) / n for topic, n in counts.items()}
    return dict(sorted(means.items(), key=lambda kv: (kv[1], kv[0])))
