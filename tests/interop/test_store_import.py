"""`Store.import_facts`: idempotent by (card, millisecond, kind of source), every card's log in
time order, replayed; a dry run counts and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from mlprep.core.grades import Answer, Grade
from mlprep.storage.store import ImportedFact, Store

T = datetime(2026, 11, 2, 9, 0, 0, 123000, tzinfo=timezone.utc)


def fact(card: str, days: int, grade: Grade = Grade.GOOD, kind: str = "import") -> ImportedFact:
    when = T + timedelta(days=days)
    return ImportedFact(card, when, when.date(), Answer.of(grade), 1500, kind)


@pytest.fixture
def store(tmp_path):
    deck = tmp_path / "d.yaml"
    deck.write_text("cards:\n  - {id: a, q: q, a: a}\n  - {id: b, q: q, a: a}\n")
    with Store(tmp_path / "db.sqlite") as s:
        s.sync([deck])
        yield s


def _log(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT card_id, ts, day, grade, quality, response_ms, kind, source, device, seq "
        "FROM reviews ORDER BY id"
    ).fetchall()


def test_facts_are_appended_once(store):
    facts = [fact("a", 0), fact("a", 1, Grade.HARD), fact("b", 0, Grade.AGAIN)]
    first = store.import_facts(facts, "anki:one.apkg")
    assert (first.added, first.already, first.replayed) == (3, 0, 2)
    again = store.import_facts([*facts, fact("a", 6)], "anki:newer.colpkg")
    assert (again.added, again.already, again.replayed) == (1, 3, 1)
    log = _log(store)
    assert len(log) == 4
    assert log[0] == (
        "a",
        "2026-11-02T09:00:00.123+00:00",
        "2026-11-02",
        3,
        4,
        1500,
        "import",
        "anki:one.apkg",
        None,
        None,
    )
    # a: Good (I=1), Hard the next day (n=1 -> I=6, EF 2.5 - 0.14 = 2.36), Good 5 days later
    # (n=2 -> I = round(6 * 2.36) = 14)
    state = store.state("a")
    assert (state.interval, state.due, state.reviews) == (14, date(2026, 11, 22), 3)


def test_another_kind_of_source_is_not_a_duplicate(store):
    store.import_facts([fact("a", 0)], "anki:x.apkg")
    result = store.import_facts([fact("a", 0)], "other:x")
    assert result.added == 1


def test_a_dry_run_counts_and_writes_nothing(store):
    store.import_facts([fact("a", 0)], "anki:x.apkg")
    before = _log(store)
    states = store.conn.execute("SELECT * FROM state").fetchall()
    result = store.import_facts([fact("a", 0), fact("b", 1)], "anki:x.apkg", dry_run=True)
    assert (result.added, result.already, result.replayed) == (1, 1, 1)
    assert _log(store) == before
    assert store.conn.execute("SELECT * FROM state").fetchall() == states


def test_an_older_imported_answer_goes_before_the_local_ones(store):
    local = T + timedelta(days=8)
    store.record("a", Answer.of(Grade.GOOD), local, local.date())
    store.conn.execute("UPDATE reviews SET device = 'laptop', seq = 7")
    store.record("b", Answer.of(Grade.GOOD), local, local.date())
    b_before = store.conn.execute("SELECT id FROM reviews WHERE card_id = 'b'").fetchall()
    store.import_facts([fact("a", 3), fact("a", 0)], "anki:x.apkg")
    days = [row[2] for row in _log(store) if row[0] == "a"]
    assert days == ["2026-11-02", "2026-11-05", "2026-11-10"]
    kept = [row for row in _log(store) if row[7] == "local" and row[0] == "a"]
    assert kept[0][8:] == ("laptop", 7)  # every column of the local fact is kept
    # replayed in time order: Good Nov 2 (I=1), Good Nov 5 (I=6), Good Nov 10 (I=15)
    state = store.state("a")
    assert (state.interval, state.due, state.reviews) == (15, date(2026, 11, 25), 3)
    # another card's facts are left alone
    assert store.conn.execute("SELECT id FROM reviews WHERE card_id = 'b'").fetchall() == b_before


def test_cram_facts_never_schedule(store):
    store.import_facts([fact("a", 0), fact("a", 1, Grade.AGAIN, "cram")], "anki:x.apkg")
    state = store.state("a")
    assert (state.interval, state.due, state.lapses) == (1, date(2026, 11, 3), 0)


def test_the_other_schedulers_caches_are_dropped_and_this_one_complete(store):
    store.conn.execute("INSERT INTO caches (scheduler, built) VALUES ('other', 'x')")
    store.import_facts([fact("a", 0)], "anki:x.apkg")
    assert store.conn.execute("SELECT scheduler FROM caches").fetchall() == [("sm2",)]
    rebuilt = {
        row[0]: row[1:]
        for row in store.conn.execute(
            "SELECT card_id, due, interval FROM state WHERE scheduler = 'sm2'"
        )
    }
    store.rebuild_states()
    assert {
        row[0]: row[1:]
        for row in store.conn.execute(
            "SELECT card_id, due, interval FROM state WHERE scheduler = 'sm2'"
        )
    } == rebuilt


def test_the_command_module_imports_alone_and_lightly():
    code = (
        "import sys, mlprep.cli.interop, mlprep.interop.anki_import, mlprep.interop.csv_import\n"
        "heavy = {'genanki', 'markdown_it', 'zstandard', 'numpy', 'yaml'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
