import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlprep.core.grades import Answer
from mlprep.core.scheduling.sm2 import Sm2State, schedule
from mlprep.storage.store import SCHEMA_VERSION, Scope, Store, StoreError

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


def write(path: Path, text: str, bump: int = 0) -> Path:
    path.write_text(text)
    if bump:  # make sure the mtime changes even on coarse clocks
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))
    return path


def deck(*ids: str) -> str:
    return "cards:\n" + "".join(
        f"  - id: {i}\n    q: question {i}\n    a: answer {i}\n" for i in ids
    )


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "db.sqlite") as s:
        yield s


def test_schema_version_and_pragmas(store):
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "db.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="Upgrade mlprep"):
        Store(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(path)


def test_sync_caches_unchanged_files(store, tmp_path, monkeypatch):
    f = write(tmp_path / "a.yaml", deck("one", "two"))
    assert store.sync([f]).parsed == [str(f)]

    def no_parsing(path):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr("mlprep.storage.store.parse_file", no_parsing)
    assert store.sync([f]).parsed == []


def test_changed_file_alone_is_parsed_again(store, tmp_path):
    a = write(tmp_path / "a.yaml", deck("one"))
    b = write(tmp_path / "b.yaml", deck("two"))
    store.sync([a, b])
    write(b, deck("two", "three"), bump=5)
    report = store.sync([a, b])
    assert report.parsed == [str(b)]
    assert store.card("three").q == "question three"


def test_vanished_card_is_retired_and_returns_with_history(store, tmp_path):
    f = write(tmp_path / "a.yaml", deck("one", "two"))
    store.sync([f])
    store.record("two", Answer.expert(4), NOON, DAY)
    write(f, deck("one"), bump=5)
    store.sync([f])
    assert store.is_retired("two")
    assert [c[0] for c in store.new_cards()] == ["one"]
    write(f, deck("one", "two"), bump=10)
    store.sync([f])
    assert not store.is_retired("two")
    assert store.state("two").memory.repetitions == 1
    assert len(store.reviews("two")) == 1


def test_removed_file_retires_its_cards(store, tmp_path):
    a = write(tmp_path / "a.yaml", deck("one"))
    b = write(tmp_path / "b.yaml", deck("two"))
    store.sync([a, b])
    store.sync([a])
    assert store.is_retired("two") and not store.is_retired("one")


def test_broken_file_skips_only_its_bad_cards(store, tmp_path):
    good = write(tmp_path / "good.yaml", deck("one"))
    bad = write(
        tmp_path / "bad.yaml", "cards:\n  - {id: fine, q: x, a: y}\n  - {id: BAD, q: x, a: y}\n"
    )
    report = store.sync([good, bad])
    assert report.broken_files == [str(bad)]
    assert sorted(c[0] for c in store.new_cards()) == ["fine", "one"]
    # Cached issues are reported again without parsing.
    assert [str(i) for i in store.sync([good, bad]).issues] == [str(i) for i in report.issues]


def test_duplicate_id_in_second_file_is_skipped_and_recovers(store, tmp_path):
    a = write(tmp_path / "a.yaml", deck("same"))
    b = write(tmp_path / "b.yaml", deck("same", "other"))
    report = store.sync([a, b])
    assert any("duplicate id 'same'" in i.message for i in report.issues)
    assert store.card("same").path == str(a)
    write(a, deck("new"), bump=5)  # the clash is fixed by editing the *other* file
    report = store.sync([a, b])
    assert report.issues == []
    assert store.card("same").path == str(b) and not store.is_retired("same")


def test_record_schedules_once_per_day_and_logs_repeats(store, tmp_path):
    store.sync([write(tmp_path / "a.yaml", deck("one"))])
    first = store.record("one", Answer.expert(1), NOON, DAY)
    repeat = store.record("one", Answer.expert(4), NOON + timedelta(minutes=5), DAY)
    assert first.scheduled and not repeat.scheduled
    state = store.state("one")
    expected, due = schedule(Sm2State(), 1, DAY)
    assert state.memory == expected and state.due == due
    assert [r.quality for r in store.reviews("one")] == [1, 4]
    nxt = store.record("one", Answer.expert(4), NOON + timedelta(days=1), DAY + timedelta(days=1))
    assert nxt.scheduled


def test_undo_restores_previous_state(store, tmp_path):
    store.sync([write(tmp_path / "a.yaml", deck("one"))])
    store.record("one", Answer.expert(4), NOON, DAY)
    before = store.state("one")
    rec = store.record("one", Answer.expert(5), NOON + timedelta(days=1), DAY + timedelta(days=1))
    store.undo(rec.review_id)
    assert store.state("one") == before
    assert len(store.reviews("one")) == 1
    store.undo(store.reviews("one")[0].id)
    assert store.state("one") is None


def test_state_is_a_cache_of_the_log(store, tmp_path):
    store.sync([write(tmp_path / "a.yaml", deck("one", "two"))])
    for offset, quality in enumerate([4, 5, 2, 4, 3]):
        day = DAY + timedelta(days=offset * 3)
        store.record("one", Answer.expert(quality), NOON + timedelta(days=offset * 3), day)
    store.record("two", Answer.expert(4), NOON, DAY)
    before = {cid: store.state(cid) for cid in ("one", "two")}
    store.conn.execute("UPDATE state SET ease = 9.9, lapses = 7, memory = '{}'")
    assert store.rebuild_states() == 2
    assert {cid: store.state(cid) for cid in ("one", "two")} == before
    assert before["one"].lapses == 1


def test_queue_order_and_filters(store, tmp_path):
    f = write(
        tmp_path / "a.yaml",
        "deck: d1\ncards:\n"
        "  - {id: c1, q: x, a: y, tags: [t1]}\n"
        "  - {id: c2, q: x, a: y, tags: [t2]}\n"
        "  - {id: c3, q: x, a: y, tags: [t1]}\n",
    )
    store.sync([f])
    store.record(
        "c3", Answer.expert(4), NOON - timedelta(days=5), DAY - timedelta(days=5)
    )  # due DAY-4
    store.record(
        "c2", Answer.expert(4), NOON - timedelta(days=2), DAY - timedelta(days=2)
    )  # due DAY-1
    assert [r[0] for r in store.due_cards(DAY)] == ["c3", "c2"]  # most overdue first
    assert [r[0] for r in store.due_cards(DAY, Scope(tag="t1"))] == ["c3"]
    assert [r[0] for r in store.new_cards()] == ["c1"]
    assert store.due_cards(DAY, Scope(deck="other")) == []


def test_concurrent_first_opens_migrate_once(tmp_path):
    """Several processes opening a fresh database at once must not race on the schema."""
    import subprocess
    import sys

    db = tmp_path / "fresh.sqlite"
    code = f"from mlprep.storage.store import Store; Store(__import__('pathlib').Path({str(db)!r})).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_data_dir_that_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the data dir"):
        Store(blocker / "mlprep.db")
