"""The rules core v2 pins: grades and the drill policy, the young/mature boundary, the summary's
accuracy, cram answers leaving schedules and statistics alone, undo after a computed card, SQL
only in storage/, and command modules that import alone."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlprep.app.library import day_queue
from mlprep.core.grades import Answer, Grade, card_state, drill_grade
from mlprep.core.queue import CRAM, NORMAL
from mlprep.core.session import ReviewSession
from mlprep.storage.reports import compute_report
from mlprep.storage.store import Scope, Store

SRC = Path(__file__).resolve().parents[2] / "src" / "mlprep"
DAY = date(2026, 3, 2)


class Clock:
    def __init__(self, day: date = DAY):
        self.t = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=7)
        return self.t


@pytest.fixture
def store(tmp_path: Path):
    deck = tmp_path / "deck.yaml"
    deck.write_text(
        "cards:\n"
        + "".join(f"  - {{id: c{i}, q: q{i}, a: a{i}, tags: [t{i % 2}]}}\n" for i in range(1, 9))
        + "  - {id: drill-card, type: computed, generator: f1, tags: [t0]}\n"
    )
    with Store(tmp_path / "db.sqlite") as s:
        s.sync([deck])
        yield s


def test_drill_policy_first_try_good_retry_hard_miss_again():
    assert drill_grade(True, 1) is Grade.GOOD
    assert drill_grade(True, 2) is Grade.HARD
    assert drill_grade(False, 1) is Grade.AGAIN
    assert drill_grade(False, 2) is Grade.AGAIN


def test_grade_keys_and_sm2_qualities():
    assert [Grade.parse(t) for t in ("again", "HARD", "3", "easy")] == list(Grade)
    assert [g.quality for g in Grade] == [1, 3, 4, 5]
    assert [Answer.expert(q).grade for q in range(6)] == [Grade.AGAIN] * 3 + [
        Grade.HARD,
        Grade.GOOD,
        Grade.EASY,
    ]
    with pytest.raises(ValueError, match="got 'meh'"):
        Grade.parse("meh")
    with pytest.raises(ValueError, match="0..5"):
        Answer.expert(6)


@pytest.mark.parametrize(("interval", "state"), [(20, "young"), (21, "mature"), (22, "mature")])
def test_an_interval_of_exactly_21_days_is_mature(interval, state):
    assert card_state(False, 3, interval, False) == state


def test_summary_accuracy_counts_passes_among_all_answers(store):
    session = ReviewSession(store, day_queue(store, DAY, new_per_day=4), DAY, Clock())
    for grade in (Grade.GOOD, Grade.HARD, Grade.AGAIN, Grade.EASY):
        session.answer(grade)
    summary = session.summary()
    assert summary.answered == 4 and summary.passed == 3 and summary.accuracy == 0.75


def _snapshot(store: Store, day: date):
    queue = [(q.card_id, q.kind) for q in day_queue(store, day, new_per_day=3)]
    report = compute_report(store.conn, day).to_dict()
    report.pop("heatmap")  # cram answers do show in the heatmap and the activity totals
    report.pop("total_reviews")
    report.pop("days_studied")
    report.pop("first_day")
    report.pop("time")
    report.pop("streaks")
    states = {cid: store.state(cid) for cid in (f"c{i}" for i in range(1, 9))}
    return queue, report, states


def test_cram_moves_no_schedule_and_no_statistic(store):
    session = ReviewSession(store, day_queue(store, DAY, new_per_day=3), DAY, Clock())
    while session.current is not None:  # c2 fails once, then is recalled
        first_look = session.current.kind != "relearn"
        session.answer(
            Grade.AGAIN if session.current.card_id == "c2" and first_look else Grade.GOOD
        )
    later = DAY + timedelta(days=1)
    before = _snapshot(store, later)
    cram = day_queue(store, later, Scope(tag="t0"), CRAM, limit=10)
    assert {q.card_id for q in cram} == {"c2", "c4", "c6", "c8", "drill-card"}
    session = ReviewSession(store, cram, later, Clock(later), policy=CRAM)
    assert all(
        label == "no change"
        for label in session.preview("c4", [Answer.of(g) for g in Grade]).values()
    )
    while session.current is not None:
        if session.current.kind == "relearn":
            session.skip()
            continue
        session.answer(Grade.AGAIN)  # even a fail must not touch a schedule
    assert {r.kind for r in store.reviews() if r.day == later} == {"cram"}
    assert _snapshot(store, later) == before
    assert store.new_seen_on(later) == 0  # crammed new cards were not introduced
    assert all(not r.scheduled for r in store.reviews() if r.kind == "cram")
    assert NORMAL.moves_schedule and not CRAM.moves_schedule


def test_undo_after_a_computed_card_takes_back_the_drill_answer(store):
    queue = [q for q in day_queue(store, DAY, new_per_day=20) if q.card_id == "drill-card"]
    session = ReviewSession(store, queue, DAY, Clock())
    session.answer(drill_grade(True, 2), kind="drill", seed=5, typed="0.5", correct=True)
    (fact,) = store.reviews("drill-card")
    assert (fact.kind, fact.grade, fact.seed, fact.correct) == ("drill", Grade.HARD, 5, True)
    undone = session.undo()
    assert undone.card_id == "drill-card" and undone.answer.grade is Grade.HARD
    assert store.reviews("drill-card") == [] and store.state("drill-card") is None
    assert session.current.card_id == "drill-card"


SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.S)


def test_no_sql_outside_storage():
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "storage" not in path.parts and SQL.search(path.read_text())
    ]
    assert offenders == []


def test_no_typer_below_cli_and_no_io_libraries_in_core():
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if "cli" not in path.parts:
            assert "import typer" not in text, path
        if "core" in path.parts:
            assert not re.search(r"^\s*(import|from) (sqlite3|rich|typer|yaml)\b", text, re.M), path


@pytest.mark.parametrize(
    "name", ["review", "drill", "add", "cards", "stats", "config", "sync", "marks", "common"]
)
def test_each_command_module_imports_alone(name):
    code = f"import mlprep.cli.{name}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    module = importlib.import_module(f"mlprep.cli.{name}")
    others = {"review", "drill", "add", "cards", "stats", "config", "sync", "marks"} - {name}
    source = Path(module.__file__).read_text()
    assert not any(f"mlprep.cli.{o} " in source or f"mlprep.cli.{o}\n" in source for o in others)


def test_sm2_intervals_past_a_century_are_capped_so_dates_never_overflow():
    from mlprep.core.scheduling import SM2, Fact, replay
    from mlprep.core.scheduling.base import MAX_INTERVAL_DAYS

    day, facts = date(2026, 1, 1), []
    for _ in range(25):  # Easy every time: SM-2's interval grows without bound
        facts.append(Fact(day, Answer.of(Grade.EASY)))
        day += timedelta(days=1)
    state = replay(SM2, facts)
    assert state.memory.interval > MAX_INTERVAL_DAYS  # SM-2 itself stays exact
    assert state.interval == MAX_INTERVAL_DAYS
    assert state.due == facts[-1].day + timedelta(days=MAX_INTERVAL_DAYS)
