"""A database made by the released v0.1 (schema 1, tests/fixtures/v0.1.db, built by running the
v0.1 code path over tests/fixtures/v0.1-deck.yaml: 40 study days, grades 0-5, undos) migrates to
the v2 schema with every answer kept and every card's schedule unchanged."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from mlprep.core.grades import Grade
from mlprep.storage.schema import SCHEMA_VERSION
from mlprep.storage.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def v1_db(tmp_path: Path) -> Path:
    db = tmp_path / "mlprep.db"
    shutil.copy(FIXTURES / "v0.1.db", db)
    return db


def read(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_fixture_is_a_v01_database(v1_db: Path):
    assert read(v1_db, "PRAGMA user_version") == [(1,)]
    assert read(v1_db, "SELECT COUNT(*) FROM reviews")[0][0] > 200
    qualities = {q for (q,) in read(v1_db, "SELECT DISTINCT quality FROM reviews")}
    assert qualities == {0, 1, 2, 3, 4, 5}  # expert-mode qualities too


def test_migration_keeps_every_answer_and_every_schedule(v1_db: Path):
    old_log = read(
        v1_db, "SELECT id, card_id, ts, day, quality, response_ms, kind FROM reviews ORDER BY id"
    )
    old_state = {
        cid: (due, interval, reps, ease, lapses, reviews)
        for cid, due, interval, reps, ease, lapses, reviews in read(
            v1_db,
            "SELECT card_id, due, interval, repetitions, easiness, lapses, reviews FROM state",
        )
    }
    with Store(v1_db) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        new_log = store.reviews()
        assert [
            (r.id, r.card_id, r.day.isoformat(), r.quality, r.response_ms) for r in new_log
        ] == [(i, c, d, q, ms) for i, c, _, d, q, ms, _ in old_log]
        # The grade as given: the keys gave qualities 1, 3, 4, 5; expert 0-2 fail (Again).
        expected_grade = {0: Grade.AGAIN, 1: Grade.AGAIN, 2: Grade.AGAIN, 3: Grade.HARD}
        expected_grade |= {4: Grade.GOOD, 5: Grade.EASY}
        assert all(r.grade == expected_grade[r.quality] for r in new_log)
        assert {r.source for r in new_log} == {"local"}
        for cid, (due, interval, reps, ease, lapses, reviews) in old_state.items():
            state = store.state(cid)
            assert state is not None, cid
            assert state.due == date.fromisoformat(due), cid
            assert state.interval == interval, cid
            assert state.memory.repetitions == reps and state.memory.easiness == pytest.approx(ease)
            assert (state.lapses, state.reviews) == (lapses, reviews), cid
    columns = {row[1] for row in read(v1_db, "PRAGMA table_info(reviews)")}
    assert not columns & {"scheduled", "repetitions", "easiness", "interval", "due"}


def test_a_migrated_database_reads_its_deck_again_and_reviews_on(v1_db: Path, tmp_path: Path):
    deck = tmp_path / "fixture.yaml"
    shutil.copy(FIXTURES / "v0.1-deck.yaml", deck)
    with Store(v1_db) as store:
        report = store.sync([deck])
        assert report.parsed == [str(deck)]  # every file is read again (cards gained a level)
        assert store.card("card-01").level == "core"
        assert store.due_cards(date(2027, 1, 1))  # the schedule is usable after the migration
