"""`replay_fields`, the one fold every replay is (written for speed: no CardState per answer),
against a replay written plainly from the rules in `core.scheduling.base`'s docstring, for
SM-2, FSRS and a scheduler that records what it was asked."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import (
    SM2,
    CardState,
    Fact,
    make_scheduler,
    replay,
    replay_fields,
    replay_steps,
)

START = date(2026, 1, 1)


def plain_replay(scheduler, facts: list[Fact]) -> list[CardState | None]:
    """The rules, one at a time: a cram answer changes nothing; the first answer of a study
    day reviews the card (`review`, with the days since the last one), later ones that day go
    to `same_day` (and set a new due date only if the scheduler reschedules then); a lapse is
    a failed scheduling answer after a passing one; intervals stop at 36,500 days and due
    dates at the last date there is."""
    out: list[CardState | None] = []
    state: CardState | None = None
    for fact in facts:
        if fact.kind == "cram":
            out.append(state)
            continue
        if state is None or fact.day > state.last_day:
            memory = scheduler.review(
                scheduler.initial() if state is None else state.memory,
                fact.answer,
                fact.day,
                None if state is None else (fact.day - state.last_day).days,
            )
            interval = min(scheduler.interval(memory), 36500)
            try:
                due = fact.day + timedelta(days=interval)
            except OverflowError:
                due = date.max
            passed = fact.answer.quality >= 3
            previous_passed = state is not None and state.streak > 0
            state = CardState(
                memory,
                due,
                interval,
                fact.day,
                streak=(state.streak + 1 if state else 1) if passed else 0,
                lapses=(state.lapses if state else 0) + (not passed and previous_passed),
                reviews=(state.reviews if state else 0) + 1,
            )
        else:
            memory = scheduler.same_day(state.memory, fact.answer, fact.day)
            due, interval = state.due, state.interval
            if scheduler.same_day_reschedules:
                interval = min(scheduler.interval(memory), 36500)
                due = state.last_day + timedelta(days=interval)
            state = CardState(
                memory, due, interval, state.last_day, state.streak, state.lapses, state.reviews
            )
        out.append(state)
    return out


class Recording:
    """A scheduler whose memory is the list of what it was asked (so the replay must pass the
    right memory, answer, day and elapsed days, in the right order)."""

    name = key = "recording"

    def __init__(self, reschedules: bool):
        self.same_day_reschedules = reschedules

    def initial(self):
        return ()

    def review(self, memory, answer, day, elapsed):
        return (*memory, ("review", answer.grade, day, elapsed))

    def same_day(self, memory, answer, day):
        return (*memory, ("same_day", answer.grade, day))

    def interval(self, memory):
        return 3 * len(memory)

    def ease(self, memory):
        return None


facts_strategy = st.lists(
    st.builds(
        Fact,
        st.integers(0, 40).map(lambda n: START + timedelta(days=n)),
        st.builds(Answer, st.sampled_from(list(Grade)), st.integers(0, 5)),
        st.sampled_from(["review", "review", "drill", "cram", "import"]),
    ),
    max_size=30,
).map(lambda facts: sorted(facts, key=lambda f: f.day))  # a log is in time order...


schedulers = st.sampled_from(
    [SM2, make_scheduler("fsrs"), Recording(reschedules=False), Recording(reschedules=True)]
)


@settings(max_examples=300, deadline=None)
@given(schedulers, facts_strategy, st.booleans())
def test_the_fold_gives_what_the_rules_give(scheduler, facts, shuffle_days):
    if shuffle_days:  # ...but a clock that went back leaves earlier days after later ones
        facts = facts[::-1]
    expected = plain_replay(scheduler, facts)
    assert replay_steps(scheduler, facts) == expected
    fields = replay_fields(scheduler, facts)
    assert [None if f is None else tuple(f) for f in fields] == [
        None if s is None else _fields(s) for s in expected
    ]
    assert replay(scheduler, facts) == (expected[-1] if expected else None)


def _fields(state: CardState) -> tuple:
    # Not dataclasses.astuple: it would copy the memory (a dataclass) into a tuple too.
    return (
        state.memory,
        state.due,
        state.interval,
        state.last_day,
        state.streak,
        state.lapses,
        state.reviews,
    )


def test_a_lapse_needs_a_pass_before_it():
    good, again = Answer.of(Grade.GOOD), Answer.of(Grade.AGAIN)
    days = [START + timedelta(days=n) for n in range(5)]
    facts = [
        Fact(days[0], again),  # failing a new card is no lapse
        Fact(days[1], good),
        Fact(days[2], again),  # a lapse
        Fact(days[2], again),  # same day: not a scheduling answer, no second lapse
        Fact(days[3], again),  # failed after a fail: no lapse
        Fact(days[4], Answer.of(Grade.EASY), "cram"),  # cram: nothing changes
    ]
    steps = replay_fields(SM2, facts)
    assert [s.lapses for s in steps] == [0, 0, 1, 1, 1, 1]
    assert [s.streak for s in steps] == [0, 1, 0, 0, 0, 0]
    assert [s.reviews for s in steps] == [1, 2, 3, 3, 4, 4]
    assert steps[5] is steps[4]


def test_due_dates_stop_at_the_end_of_the_calendar():
    late = date.max - timedelta(days=1)
    steps = replay_fields(Recording(reschedules=False), [Fact(late, Answer.of(Grade.GOOD))])
    assert steps[0].due == date.max and steps[0].interval == 3


def test_a_cram_answer_before_any_other_schedules_nothing():
    facts = [Fact(START, Answer.of(Grade.GOOD), "cram")]
    assert replay_fields(SM2, facts) == [None] and replay_steps(SM2, facts) == [None]
