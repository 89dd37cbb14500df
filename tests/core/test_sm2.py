from dataclasses import FrozenInstanceError
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlprep.core.scheduling.sm2 import MIN_EASINESS, Sm2State, is_lapse, review, schedule

# Worked by hand from the SM-2 rules in DESIGN.md: (quality, repetitions, EF, interval) after it.
HAND_TABLE = [
    (4, 1, 2.50, 1),  # n=0 -> I=1; EF + 0.1 - 1*(0.08 + 0.02) = 2.5
    (5, 2, 2.60, 6),  # n=1 -> I=6; EF + 0.1 = 2.6
    (3, 3, 2.46, 16),  # I = round(6 * 2.6 = 15.6) = 16; EF + 0.1 - 2*(0.08 + 0.04) = 2.46
    (4, 4, 2.46, 39),  # I = round(16 * 2.46 = 39.36) = 39
    (2, 0, 2.14, 1),  # fail: n=0, I=1; EF + 0.1 - 3*(0.08 + 0.06) = 2.14
    (4, 1, 2.14, 1),
    (4, 2, 2.14, 6),
    (4, 3, 2.14, 13),  # round(6 * 2.14 = 12.84) = 13
    (0, 0, 1.34, 1),  # EF + 0.1 - 5*(0.08 + 0.10) = 1.34
    (0, 0, 1.30, 1),  # 1.34 - 0.8 = 0.54, floored at 1.3
]


def test_hand_worked_sequence():
    state = Sm2State()
    for quality, reps, ease, interval in HAND_TABLE:
        state = review(state, quality)
        assert (state.repetitions, state.interval) == (reps, interval)
        assert state.easiness == pytest.approx(ease)


def test_interval_rounds_half_up():
    # 5 * 2.5 = 12.5: half-up gives 13 (Python's banker's round() would give 12).
    assert review(Sm2State(2, 2.5, 5), 4).interval == 13


def test_schedule_gives_due_date():
    state, due = schedule(Sm2State(), 4, date(2026, 1, 31))
    assert state.interval == 1 and due == date(2026, 2, 1)


def test_state_is_frozen_and_defaults():
    state = Sm2State()
    assert (state.repetitions, state.easiness, state.interval) == (0, 2.5, 0)
    with pytest.raises(FrozenInstanceError):
        state.interval = 3  # type: ignore[misc]


@pytest.mark.parametrize("quality", [-1, 6, True])
def test_rejects_out_of_range_quality(quality):
    with pytest.raises(ValueError, match="0..5"):
        review(Sm2State(), quality)


def test_lapse_only_after_a_pass():
    assert not is_lapse(Sm2State(), 1)
    assert is_lapse(Sm2State(2, 2.5, 6), 2)
    assert not is_lapse(Sm2State(2, 2.5, 6), 3)


states = st.builds(
    Sm2State,
    repetitions=st.integers(0, 20),
    easiness=st.floats(MIN_EASINESS, 4.0),
    interval=st.integers(0, 3650),
)


@given(states, st.integers(0, 5))
def test_easiness_never_below_floor(state, quality):
    assert review(state, quality).easiness >= MIN_EASINESS


@given(states, st.integers(0, 2))
def test_failure_resets(state, quality):
    after = review(state, quality)
    assert (after.repetitions, after.interval) == (0, 1)


@given(st.lists(st.integers(4, 5), min_size=1, max_size=15))
def test_intervals_never_shrink_while_passing_well(qualities):
    state = Sm2State()
    previous = 0
    for quality in qualities:
        state = review(state, quality)
        assert state.interval >= previous
        previous = state.interval
