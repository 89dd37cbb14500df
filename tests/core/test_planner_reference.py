"""The planner against a plain reference: the same greedy written the slow, obvious way (every
day, every card's exact expected gain is computed and the best gain per second is taken until
the budget is spent), so that the fast planner (a lazy greedy on a bound computed once per
memory and walked in order) is shown to make exactly the same plan."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import fsrs_rs_python
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.core.planner import DayPlan, Plan, PlanCard, plan_interview
from mlprep.core.scheduling.fsrs import FsrsScheduler, retrievability

TODAY = date(2026, 12, 1)


def reference_plan(
    cards: list[PlanCard],
    today: date,
    interview: date,
    budget_seconds: float,
    scheduler: FsrsScheduler,
    spent_today: float = 0.0,
    done_today: frozenset[str] = frozenset(),
    reserve: float = 2.0,
) -> Plan:
    """Greedy on gain per second, day by day: every card's exact expected gain in recall on
    the interview day (a review: averaged over recalling and forgetting it today, from FSRS's
    next states; a new card: its recall after a first day), best first, ties by id."""
    params = scheduler.parameters
    fsrs = fsrs_rs_python.FSRS(params)
    retention = scheduler.desired_retention
    memory: dict[str, tuple[float | None, float | None, date | None]] = {
        c.id: (c.stability, c.difficulty, c.last_day) for c in cards
    }

    def recall_on(card_id: str, day: date) -> float:
        stability, _, last = memory[card_id]
        if stability is None or last is None:
            return 0.0
        return retrievability((day - last).days, stability, params)

    before = [recall_on(c.id, interview) for c in cards]
    first = fsrs.next_states(None, retention, 0).good.memory
    cheapest = min((min(c.review_seconds, c.new_seconds) for c in cards), default=1.0)
    days: list[DayPlan] = []
    order: tuple[str, ...] = ()
    day = today
    while day < interview:
        budget = budget_seconds - (spent_today if day == today else 0.0)
        skip = done_today if day == today else frozenset()
        horizon = (interview - day).days
        options: list[tuple[float, str, float, Any]] = []  # (−gain/s, id, seconds, outcome)
        new_room = int(budget // cheapest) + 1 if budget > 0 else 0  # new cards considered
        for card in cards:
            if card.id in skip:
                continue
            stability, difficulty, last = memory[card.id]
            if stability is None:
                if new_room > 0:
                    new_room -= 1
                    gain = retrievability(horizon, first.stability, params)
                    options.append((-gain / card.new_seconds, card.id, card.new_seconds, None))
                continue
            elapsed = (day - last).days
            if elapsed <= 0:
                continue
            p = retrievability(elapsed, stability, params)
            states = fsrs.next_states(
                fsrs_rs_python.MemoryState(stability, difficulty), retention, elapsed
            )
            good, again = states.good.memory, states.again.memory
            after = p * retrievability(horizon, good.stability, params) + (1 - p) * retrievability(
                horizon, again.stability, params
            )
            gain = after - recall_on(card.id, interview)
            if gain > 0:
                cost = card.review_seconds
                options.append((-gain / cost, card.id, cost, (p, good, again)))
        options.sort()
        chosen_new, chosen_reviews, picked, extra = [], [], [], []
        spent = extra_spent = 0.0
        limit = budget * (1 + reserve) if day == today else budget
        for _, card_id, cost, outcome in options:
            if limit - spent - extra_spent < cheapest:
                break
            if spent + cost > budget:
                if spent + extra_spent + cost <= limit:
                    extra.append(card_id)
                    extra_spent += cost
                continue
            spent += cost
            picked.append(card_id)
            if outcome is None:
                chosen_new.append(card_id)
                memory[card_id] = (first.stability, first.difficulty, day)
            else:
                p, good, again = outcome
                chosen_reviews.append(card_id)
                memory[card_id] = (
                    p * good.stability + (1 - p) * again.stability,
                    p * good.difficulty + (1 - p) * again.difficulty,
                    day,
                )
        if day == today:
            order = tuple(picked + extra)
        days.append(DayPlan(day, tuple(chosen_new), tuple(chosen_reviews), spent))
        day += timedelta(days=1)
    after_plan = [recall_on(c.id, interview) for c in cards]

    def by_topic(recall: list[float]) -> dict[str, float]:
        sums: dict[str, list[float]] = {}
        for card, r in zip(cards, recall, strict=True):
            slot = sums.setdefault(card.topic, [0.0, 0])
            slot[0] += r
            slot[1] += 1
        means = {topic: total / n for topic, (total, n) in sums.items()}
        return dict(sorted(means.items(), key=lambda kv: (kv[1], kv[0])))

    mean = lambda values: sum(values) / len(values) if values else 0.0  # noqa: E731
    return Plan(
        date=interview,
        today=today,
        budget_seconds=budget_seconds,
        cards=len(cards),
        unseen=sum(1 for c in cards if c.stability is None),
        expected_recall=mean(before),
        planned_recall=mean(after_plan),
        topics=by_topic(before),
        planned_topics=by_topic(after_plan),
        days=tuple(days),
        order=order,
        spent_today=spent_today,
    )


def assert_same_plan(plan: Plan, reference: Plan) -> None:
    """The same days, order and counts exactly; recall means equal up to float rounding (the
    planner sums the changes of the cards it moved, the reference sums every card again)."""
    recall = ("expected_recall", "planned_recall", "topics", "planned_topics")
    exact = {k: v for k, v in vars(plan).items() if k not in recall}
    assert exact == {k: v for k, v in vars(reference).items() if k not in recall}
    for name in recall:
        assert getattr(plan, name) == pytest.approx(getattr(reference, name), rel=1e-9, abs=1e-12)
    assert list(plan.topics) == list(reference.topics)  # weakest first


# Few distinct values, so that ties (equal bounds, equal gains, equal costs) are common: the
# order among equals must be the reference's too.
card_fields = st.tuples(
    st.booleans(),  # never answered
    st.one_of(st.sampled_from([0.3, 2.0, 2.0, 9.0, 50.0, 3000.0]), st.floats(0.1, 500.0)),
    st.sampled_from([1.0, 5.0, 5.0, 9.5]),
    st.integers(0, 40),  # days since the last review (0: today)
    st.sampled_from([8.0, 12.0, 12.0, 60.0]),
    st.sampled_from([25.0, 40.0, 40.0, 100.0]),
    st.sampled_from(["alpha", "beta", "gamma"]),
)


def deck(fields: list[tuple]) -> list[PlanCard]:
    return [
        PlanCard(
            f"c{i:04d}",
            topic,
            None if new else stability,
            None if new else difficulty,
            None if new else TODAY - timedelta(days=ago),
            review,
            first,
        )
        for i, (new, stability, difficulty, ago, review, first, topic) in enumerate(fields)
    ]


SCHEDULERS = [
    FsrsScheduler(),
    FsrsScheduler(
        [w * (0.7 if i < 4 else 1.0) for i, w in enumerate(fsrs_rs_python.DEFAULT_PARAMETERS)],
        desired_retention=0.85,
    ),
]


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(card_fields, max_size=40),
    days=st.integers(1, 21),
    budget=st.sampled_from([0.0, 30.0, 100.0, 240.0, 600.0, 1800.0]),
    spent=st.sampled_from([0.0, 20.0, 200.0]),
    done=st.sets(st.integers(0, 39), max_size=8),
    reserve=st.sampled_from([0.0, 2.0]),
    which=st.integers(0, 1),
)
def test_the_plan_is_the_reference_greedy_s(fields, days, budget, spent, done, reserve, which):
    cards = deck(fields)
    done_today = frozenset(f"c{i:04d}" for i in done)
    args = (cards, TODAY, TODAY + timedelta(days=days), budget, SCHEDULERS[which])
    options = {"spent_today": spent, "done_today": done_today, "reserve": reserve}
    assert_same_plan(plan_interview(*args, **options), reference_plan(*args, **options))


def test_the_plan_is_the_reference_greedy_s_on_a_large_deck():
    """2,000 cards, half seen with spread-out memories, 14 days at 30 minutes: many days of
    reviews and new cards, the reserve, and cards moved several times by the plan."""
    rng = random.Random(11)
    fields = [
        (
            rng.random() < 0.5,
            rng.lognormvariate(2.0, 1.5),
            rng.uniform(1.0, 10.0),
            rng.randint(0, 90),
            rng.choice([9.0, 14.0, 60.0]),
            rng.choice([35.0, 45.0]),
            rng.choice(["alpha", "beta", "gamma", "delta"]),
        )
        for _ in range(2000)
    ]
    cards = deck(fields)
    args = (cards, TODAY, TODAY + timedelta(days=14), 30 * 60.0, SCHEDULERS[1])
    options = {"spent_today": 300.0, "done_today": frozenset({"c0001", "c0002"})}
    plan = plan_interview(*args, **options)
    assert_same_plan(plan, reference_plan(*args, **options))
    reviewed = [c for d in plan.days for c in d.reviews]
    assert len(reviewed) > len(set(reviewed)) > 100  # reviews, some cards more than once
    assert sum(len(d.new) for d in plan.days) > 100
