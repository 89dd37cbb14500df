"""FSRS-6 as a scheduler: states and intervals against fsrs-rs-python called directly, the
forgetting curve, same-day short-term memory, and switching schedulers by replay."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import fsrs_rs_python as ref
import pytest

from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, Fact, make_scheduler, replay
from mlprep.core.scheduling.fsrs import FsrsScheduler, retrievability
from mlprep.storage.store import Store

DAY = date(2026, 3, 2)
PLAN = [(0, Grade.GOOD), (2, Grade.GOOD), (5, Grade.AGAIN), (1, Grade.HARD), (9, Grade.EASY)]


def facts(plan=PLAN):
    day, out = DAY, []
    for gap, grade in plan:
        day += timedelta(days=gap)
        out.append(Fact(day, Answer.of(grade)))
    return out


def test_states_and_intervals_match_fsrs_rs_called_directly():
    fsrs = ref.FSRS(ref.DEFAULT_PARAMETERS)
    memory, last = None, None
    for fact in facts():
        elapsed = 0 if last is None else (fact.day - last).days
        states = fsrs.next_states(memory, 0.9, elapsed)
        chosen = [states.again, states.hard, states.good, states.easy][fact.answer.grade - 1]
        memory, last = chosen.memory, fact.day
        expected_interval = max(1, round(chosen.interval))
    state = replay(FsrsScheduler(), facts())
    assert state.memory.stability == pytest.approx(memory.stability, rel=1e-6)
    assert state.memory.difficulty == pytest.approx(memory.difficulty, rel=1e-6)
    assert state.interval == expected_interval
    assert state.due == last + timedelta(days=expected_interval)


def test_a_higher_desired_retention_gives_shorter_intervals():
    loose = replay(FsrsScheduler(desired_retention=0.8), facts())
    strict = replay(FsrsScheduler(desired_retention=0.95), facts())
    assert strict.interval < loose.interval
    capped = replay(FsrsScheduler(maximum_interval=3), facts())
    assert capped.interval == 3


def test_forgetting_curve_is_90_percent_after_one_stability():
    w = ref.DEFAULT_PARAMETERS
    assert retrievability(10.0, 10.0, w) == pytest.approx(0.9)
    assert retrievability(0.0, 10.0, w) == 1.0
    assert retrievability(20.0, 10.0, w) < 0.9 < retrievability(5.0, 10.0, w)
    # fsrs-rs schedules the interval at which R falls to the desired retention.
    fsrs = ref.FSRS(w)
    t = fsrs.next_interval(7.5, 0.8, 3)
    assert retrievability(t, 7.5, w) == pytest.approx(0.8, abs=1e-4)


def test_same_day_answers_feed_short_term_memory_and_reschedule():
    once = replay(FsrsScheduler(), facts([(0, Grade.AGAIN)]))
    twice = replay(FsrsScheduler(), facts([(0, Grade.AGAIN), (0, Grade.GOOD)]))
    fsrs = ref.FSRS(ref.DEFAULT_PARAMETERS)
    first = fsrs.next_states(None, 0.9, 0).again.memory
    second = fsrs.next_states(first, 0.9, 0).good
    assert twice.memory.stability == pytest.approx(second.memory.stability, rel=1e-6)
    assert twice.memory.stability > once.memory.stability
    assert twice.reviews == 1  # one scheduling answer; the repeat is short-term memory
    assert twice.due == DAY + timedelta(days=max(1, round(second.interval)))


def test_unknown_scheduler_is_an_error():
    with pytest.raises(ValueError, match="known: sm2, fsrs"):
        make_scheduler("leitner")


def test_switching_to_fsrs_and_back_restores_sm2_exactly(tmp_path: Path):
    deck = tmp_path / "d.yaml"
    deck.write_text("cards:\n" + "".join(f"  - {{id: c{i}, q: q, a: a}}\n" for i in range(5)))
    db = tmp_path / "db.sqlite"
    with Store(db) as store:
        store.sync([deck])
        for i, (gap, grade) in enumerate(PLAN * 2):
            day = DAY + timedelta(days=i * 2 + gap)
            when = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
            store.record(f"c{i % 5}", Answer.of(grade), when, day)
        sm2_before = {f"c{i}": store.state(f"c{i}") for i in range(5)}
        store.use_scheduler(FsrsScheduler())
        fsrs_states = {f"c{i}": store.state(f"c{i}") for i in range(5)}
        assert all(s is not None and s.memory.stability > 0 for s in fsrs_states.values())
        # A new answer under FSRS, then back to SM-2: SM-2 replays the same log.
        when = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
        store.record("c0", Answer.of(Grade.GOOD), when, date(2026, 6, 1))
        store.use_scheduler(SM2)
        expected = replay(SM2, store.facts("c0"))
        assert store.state("c0") == expected
        assert {f"c{i}": store.state(f"c{i}") for i in range(1, 5)} == {
            k: v for k, v in sm2_before.items() if k != "c0"
        }
        rid = store.reviews("c0")[-1].id
        store.undo(rid)
        assert store.state("c0") == sm2_before["c0"]
