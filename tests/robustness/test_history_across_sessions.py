"""Two sessions on one database must never split or drop a card's history: an answer goes to
the card as it is called when written, and undo removes exactly the fact its session wrote.

Adversarial report 2026-12-01: F4 (rename while the card is on screen), F8 (undo across two
sessions)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlprep.app.library import day_queue
from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, Fact, replay
from mlprep.core.session import ReviewSession
from mlprep.storage.store import Store

DAY = date(2026, 3, 2)


class Clock:
    def __init__(self):
        self.t = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)

    def __call__(self):
        self.t += timedelta(seconds=10)
        return self.t


def write_deck(path: Path, *ids: str) -> Path:
    path.write_text("cards:\n" + "".join(f"  - {{id: {i}, q: q {i}, a: a {i}}}\n" for i in ids))
    return path


@pytest.fixture
def deck(tmp_path):
    return write_deck(tmp_path / "deck.yaml", "x", "y")


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_an_answer_to_a_card_renamed_meanwhile_goes_to_its_new_id(tmp_path, deck):
    """F4: the grade was logged under the old id, which no card had any more, and the renamed
    card kept its stale schedule."""
    db = tmp_path / "db.sqlite"
    with Store(db) as a, Store(db) as b:
        a.sync([deck])
        a.record(
            "x",
            Answer.of(Grade.GOOD),
            datetime(2026, 3, 1, 9, tzinfo=timezone.utc),
            DAY - timedelta(days=1),
        )
        session = ReviewSession(a, day_queue(a, DAY, new_per_day=5), DAY, Clock())
        assert session.current.card_id == "x"  # on screen in session A
        # Meanwhile `mlprep rename x x-renamed` in another terminal (file, then database).
        b.plan_rename("x", "x-renamed")
        write_deck(deck, "x-renamed", "y")
        b.rename_card("x", "x-renamed")
        recorded = session.answer(Grade.EASY)
        assert recorded.card_id == "x-renamed"
        b.sync([deck])
        assert [r.card_id for r in b.reviews()] == ["x-renamed", "x-renamed"]
        expected = replay(
            SM2,
            [
                Fact(DAY - timedelta(days=1), Answer.of(Grade.GOOD)),
                Fact(DAY, Answer.of(Grade.EASY)),
            ],
        )
        assert b.state("x-renamed").due == expected.due
        assert b.state("x") is None
        # The session can take the answer back: it removes that very fact.
        session.undo()
        assert [r.day for r in b.reviews("x-renamed")] == [DAY - timedelta(days=1)]


def rename(store: Store, deck: Path, old: str, new: str, *ids: str) -> None:
    """What `mlprep rename` does: note it, change the file, move the history."""
    store.plan_rename(old, new)
    write_deck(deck, *ids)
    store.rename_card(old, new)


def test_a_stale_answer_follows_a_chain_of_renames_and_a_rename_back(tmp_path, deck):
    """x -> x2, x2 -> x (back), x -> x3: an answer given to x2 in a session that started
    before all three follows each id's latest rename fact, to x3. Nothing is left planned."""
    db = tmp_path / "db.sqlite"
    when = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    with Store(db) as s:
        s.sync([deck])
        rename(s, deck, "x", "x2", "x2", "y")
        rename(s, deck, "x2", "x", "x", "y")
        rename(s, deck, "x", "x3", "x3", "y")
        s.sync([deck])
        recorded = s.record("x2", Answer.of(Grade.GOOD), when, DAY)
        assert recorded.card_id == "x3"
        assert [r.card_id for r in s.reviews()] == ["x3"]
    assert rows(db, "SELECT old, new FROM renames ORDER BY id") == [
        ("x", "x2"),
        ("x2", "x"),
        ("x", "x3"),
    ]
    assert rows(db, "SELECT * FROM planned_renames") == []


def test_a_rename_killed_between_the_file_and_the_database_is_completed_by_the_next_sync(
    tmp_path, deck
):
    """The report's note: history stayed under OLD and nothing told the user to repair it."""
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync([deck])
        s.record("x", Answer.of(Grade.GOOD), datetime(2026, 3, 2, 9, tzinfo=timezone.utc), DAY)
        s.plan_rename("x", "x-new")
        write_deck(deck, "x-new", "y")  # ... and the process dies here
    with Store(db) as s:
        s.sync([deck])
        assert [r.card_id for r in s.reviews()] == ["x-new"]
        assert s.state("x-new") is not None and s.card("x") is None


def test_a_history_split_by_a_late_answer_can_still_be_joined(tmp_path, deck):
    """F4: `mlprep rename OLD NEW`, the documented repair, refused once NEW had history. When
    OLD's answers all come before NEW's, NEW's history simply continues OLD's."""
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync([deck])
        s.record(
            "x",
            Answer.of(Grade.GOOD),
            datetime(2026, 3, 1, 9, tzinfo=timezone.utc),
            DAY - timedelta(days=1),
        )
        write_deck(deck, "x-new", "y")  # renamed by hand, not with mlprep rename
        s.sync([deck])
        s.record("x-new", Answer.of(Grade.GOOD), datetime(2026, 3, 2, 9, tzinfo=timezone.utc), DAY)
        assert s.reattach_history("x", "x-new") == 1
        assert [r.day for r in s.reviews("x-new")] == [DAY - timedelta(days=1), DAY]
        assert s.state("x-new").interval == 6  # two passing answers on two days: 1, then 6
        # Interleaved histories are two cards' answers: those are never merged.
        s.record("y", Answer.of(Grade.GOOD), datetime(2026, 3, 2, 10, tzinfo=timezone.utc), DAY)
        s.record("x-new", Answer.of(Grade.GOOD), datetime(2026, 3, 2, 11, tzinfo=timezone.utc), DAY)
        with pytest.raises(ValueError, match="answered while"):
            s.reattach_history("x-new", "y")


def test_undo_in_one_session_keeps_the_other_sessions_answer_scheduling(tmp_path, deck):
    """F8: A answers X, B answers X (a same-day repeat), A undoes: X became 'new' again and
    B's grade stayed in the log without counting."""
    db = tmp_path / "db.sqlite"
    with Store(db) as a, Store(db) as b:
        a.sync([deck])
        session_a = ReviewSession(a, day_queue(a, DAY, new_per_day=5), DAY, Clock())
        session_b = ReviewSession(b, day_queue(b, DAY, new_per_day=5), DAY, Clock())
        session_a.answer(Grade.GOOD)  # x, in A
        session_b.answer(Grade.HARD)  # x again, in B: a same-day repeat for now
        session_a.undo()
        answers = rows(
            db,
            "SELECT r.card_id, r.grade, x.scheduled FROM reviews r JOIN steps x ON x.review_id = r.id",
        )
        assert answers == [("x", 2, 1)]  # B's Hard is now the day's first answer: it schedules
        state = a.state("x")
        assert state is not None and state.due == DAY + timedelta(days=1)
        assert a.state("x") == b.state("x")
