"""The store under a locked, full, read-only or damaged database: an answer is never lost
(written after a wait, or kept in memory and named), deck files are parsed outside the write
lock, and every SQLite failure comes out as a StoreError subclass with a sentence.

Adversarial report 2026-12-01: F1 (locked), F6 (disk full), F7 (read-only), F10 (corrupt),
F18 (hand-edited values)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from mlprep.core.grades import Answer, Grade
from mlprep.storage import safety
from mlprep.storage.safety import (
    NotSaved,
    StoreBusy,
    StoreCorrupt,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
    pending_unsaved,
)
from mlprep.storage.store import Store
from robustness.faults import BUSY, FULL, READONLY, error, install, is_write

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
GOOD = Answer.of(Grade.GOOD)


@pytest.fixture(autouse=True)
def no_leftover_unsaved():
    yield
    for pending in pending_unsaved():
        pending.discarded = True


def deck(path: Path, *ids: str) -> Path:
    path.write_text("cards:\n" + "".join(f"  - {{id: {i}, q: q {i}, a: a {i}}}\n" for i in ids))
    return path


@pytest.fixture
def files(tmp_path):
    return [deck(tmp_path / "deck.yaml", "c1", "c2", "c3")]


@pytest.fixture
def store(tmp_path, files):
    with Store(tmp_path / "db.sqlite") as s:
        s.sync(files)
        yield s


def log(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT card_id, grade, ts FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


def hold_lock(path: Path, seconds: float) -> threading.Thread:
    """Another program (here a thread with its own connection) holds the write lock."""
    ready = threading.Event()

    def run():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait()
    return thread


# -- F1: locks -------------------------------------------------------------------------------


def test_deck_files_are_parsed_outside_the_write_lock(tmp_path, files, monkeypatch):
    """F1: sync parsed every changed file inside BEGIN IMMEDIATE, so a big deck locked out
    every other mlprep process for as long as it took to read."""
    import mlprep.storage.store as store_module

    db = tmp_path / "db.sqlite"
    seen = []
    real = store_module.parse_file

    def parse_and_probe(path):
        other = sqlite3.connect(db, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails if the sync holds the write lock
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))
        finally:
            other.close()
        return real(path)

    monkeypatch.setattr(store_module, "parse_file", parse_and_probe)
    with Store(db) as s:
        s.sync(files)
        assert s.card("c1") is not None
    assert seen == ["free"]


def test_a_write_waits_out_a_lock_longer_than_sqlites_busy_timeout(store, monkeypatch):
    """F1: the busy timeout was 5 s and nothing retried; a lock held a little longer than one
    attempt's wait must not lose the answer."""
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "5")
    store.conn.execute("PRAGMA busy_timeout = 200")  # one attempt waits 0.2 s
    thread = hold_lock(store.path, 1.0)
    started = time.monotonic()
    recorded = store.record("c1", GOOD, NOON, DAY)
    waited = time.monotonic() - started
    thread.join()
    assert recorded.scheduled
    assert 0.8 < waited < 4
    assert [r[0] for r in log(store.path)] == ["c1"]


def test_a_lock_that_outlasts_the_wait_keeps_the_answer_and_names_it(store, monkeypatch):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.3")
    store.conn.execute("PRAGMA busy_timeout = 50")
    thread = hold_lock(store.path, 1.5)
    with pytest.raises(NotSaved) as caught:
        store.record("c1", GOOD, NOON, DAY)
    assert isinstance(caught.value.cause, StoreBusy)
    assert "locked by another program" in str(caught.value)
    assert "the answer Good to card c1" in str(caught.value)
    assert [p.description for p in pending_unsaved()] == [caught.value.pending.description]
    thread.join()
    # The next write makes the kept one first, so the log keeps the order they were given in.
    later = datetime(2026, 3, 2, 12, 5, tzinfo=timezone.utc)
    store.record("c2", Answer.of(Grade.AGAIN), later, DAY)
    rows = log(store.path)
    assert [(r[0], r[1]) for r in rows] == [("c1", 3), ("c2", 1)]
    assert rows[0][2].startswith("2026-03-02T12:00")  # written with the time it was given
    assert caught.value.pending.done and pending_unsaved() == []
    assert store.state("c1") is not None


def test_a_busy_error_in_the_middle_of_a_write_retries_the_whole_transaction(
    tmp_path, files, monkeypatch
):
    """A simulated SQLITE_BUSY after BEGIN (where SQLite itself would not retry)."""
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "5")
    failures = {"n": 0}

    def fault(sql):
        if sql.lstrip().startswith("INSERT INTO reviews") and failures["n"] < 3:
            failures["n"] += 1
            return error(BUSY)
        return None

    install(monkeypatch, fault)
    with Store(tmp_path / "db.sqlite") as s:
        s.sync(files)
        s.record("c1", GOOD, NOON, DAY)
    assert failures["n"] == 3
    assert [r[0] for r in log(tmp_path / "db.sqlite")] == ["c1"]


# -- F6, F7: full and read-only --------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        (FULL, StoreFull, "is full"),
        (READONLY, StoreReadOnly, "is read-only"),
        ("disk I/O error", StoreFull, "disk error"),
        ("database disk image is malformed", StoreCorrupt, "mlprep backup --restore"),
    ],
)
def test_a_failed_write_is_kept_named_and_written_once_the_fault_clears(
    tmp_path, files, monkeypatch, message, kind, words
):
    """F6, F7, F10: the answer being recorded was lost with a traceback."""
    broken = {"on": False}
    install(monkeypatch, lambda sql: error(message) if broken["on"] and is_write(sql) else None)
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync(files)
        s.record("c1", GOOD, NOON, DAY)
        broken["on"] = True
        with pytest.raises(NotSaved) as caught:
            s.record("c2", Answer.of(Grade.HARD), NOON, DAY)
        assert isinstance(caught.value.cause, kind)
        assert words in str(caught.value)
        assert "the answer Hard to card c2" in str(caught.value)
        with pytest.raises(NotSaved):
            s.record("c3", GOOD, NOON, DAY)
        assert len(s.unsaved) == 2
        broken["on"] = False
        assert s.save_unsaved() == 2
    assert [r[0] for r in log(db)] == ["c1", "c2", "c3"]


def test_close_makes_a_last_try_at_the_kept_answers(tmp_path, files, monkeypatch):
    broken = {"on": False}
    install(monkeypatch, lambda sql: error(FULL) if broken["on"] and is_write(sql) else None)
    db = tmp_path / "db.sqlite"
    s = Store(db)
    s.sync(files)
    broken["on"] = True
    with pytest.raises(NotSaved):
        s.record("c1", GOOD, NOON, DAY)
    broken["on"] = False
    s.close()
    assert [r[0] for r in log(db)] == ["c1"]
    assert pending_unsaved() == []


def test_a_failed_sync_leaves_the_index_as_it_was(tmp_path, files, monkeypatch):
    broken = {"on": False}
    install(monkeypatch, lambda sql: error(READONLY) if broken["on"] and is_write(sql) else None)
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync(files)
        deck(files[0], "c1", "c2", "c3", "c4")
        broken["on"] = True
        with pytest.raises(StoreReadOnly, match="update the card index"):
            s.sync(files)
        assert s.card("c4") is None and s.card("c3") is not None
        broken["on"] = False
        s.sync(files)
        assert s.card("c4") is not None


def test_a_readonly_database_file_reads_but_keeps_the_answer(tmp_path, files):
    """F7 with a real read-only file: SQLite opened read-only (mode=ro), as it does when the
    file's permissions deny writing."""
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync(files)
    s = Store(db)
    s.conn.close()
    s.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    assert s.card("c1") is not None
    with pytest.raises(NotSaved) as caught:
        s.record("c1", GOOD, NOON, DAY)
    assert isinstance(caught.value.cause, StoreReadOnly)
    assert str(db) in str(caught.value)
    s.close()


# -- F10: a damaged database ----------------------------------------------------------------


def make_db(tmp_path, files) -> Path:
    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        s.sync(files)
        s.record("c1", GOOD, NOON, DAY)
    return db


def edit(db: Path, *sql: str) -> None:
    conn = sqlite3.connect(db)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (["DROP TABLE reviews"], "table reviews"),
        (["DROP TABLE state"], "table state"),
        (["ALTER TABLE reviews DROP COLUMN typed"], "column reviews.typed"),
        (["DROP TABLE planned_renames"], "table planned_renames"),
    ],
)
def test_a_missing_table_or_column_is_reported_as_damage_on_open(tmp_path, files, sql, named):
    """F10: 'no such table' tracebacks in every command; a missing column lost the answer."""
    db = make_db(tmp_path, files)
    edit(db, *sql)
    with pytest.raises(StoreCorrupt) as caught:
        Store(db)
    message = str(caught.value)
    assert named in message and "is damaged" in message
    assert "mlprep backup --restore NAME" in message and str(tmp_path / "backups") in message


def test_an_empty_database_that_claims_the_current_version_is_damaged(tmp_path):
    db = tmp_path / "db.sqlite"
    edit(db, "PRAGMA user_version = 2")
    with pytest.raises(StoreCorrupt, match="table deck_files, table cards"):
        Store(db)


def test_tables_with_a_lost_version_number_are_damaged_not_recreated(tmp_path, files):
    db = make_db(tmp_path, files)
    edit(db, "PRAGMA user_version = 0")
    with pytest.raises(StoreCorrupt, match="claims schema version 0"):
        Store(db)
    edit(db, "PRAGMA user_version = -1")
    with pytest.raises(StoreCorrupt, match="version -1"):
        Store(db)
    assert [r[0] for r in log(db)] == ["c1"]


def test_another_programs_database_is_left_alone(tmp_path):
    db = tmp_path / "db.sqlite"
    edit(db, "CREATE TABLE notes (x)", "INSERT INTO notes VALUES ('mine')")
    with pytest.raises(safety.StoreError, match="another program's database"):
        Store(db)
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    conn.close()


def test_a_version_claim_whose_tables_do_not_match_is_damaged(tmp_path):
    """A database claiming v1 (v0.1) without v0.1's tables: the migration cannot run."""
    db = tmp_path / "db.sqlite"
    edit(db, "PRAGMA user_version = 1")
    with pytest.raises(StoreCorrupt, match="says it has schema version 1"):
        Store(db)


def test_random_bytes_in_the_middle_of_the_file_say_damaged(tmp_path, files):
    db = make_db(tmp_path, files)
    with Store(db) as s:  # enough pages that the middle is not the header
        s.sync([deck(tmp_path / "big.yaml", *(f"b{i}" for i in range(3000)))])
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(bytes(range(256)) * 16)
    with pytest.raises(StoreCorrupt) as caught, Store(db) as s:
        s.sync([deck(tmp_path / "big.yaml", *(f"b{i}" for i in range(3001)))])
        s.live_cards()
        s.reviews()
    assert "is damaged" in str(caught.value) and "mlprep backup --restore" in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "call"),
    [
        ("UPDATE state SET due = '2026-02-30'", lambda s: s.state("c1")),
        ("UPDATE state SET memory = 'not json'", lambda s: s.state("c1")),
        ("UPDATE reviews SET day = 'someday'", lambda s: s.reviews()),
        ("UPDATE reviews SET grade = 9", lambda s: s.facts("c1")),
        ("UPDATE cards SET params = '{broken' WHERE id = 'c1'", lambda s: s.card("c1")),
        ("UPDATE reviews SET day = '2026-02-30'", lambda s: s.record("c1", GOOD, NOON, DAY)),
    ],
)
def test_hand_edited_impossible_values_say_which_and_where(tmp_path, files, sql, call):
    """F18: an impossible due date, broken JSON, a grade out of range: tracebacks."""
    db = make_db(tmp_path, files)
    edit(db, sql)
    with Store(db) as s:
        with pytest.raises((StoreCorrupt, NotSaved)) as caught:
            call(s)
        for pending in s.unsaved:
            s.discard(pending)
    assert "edited by hand or is damaged" in str(caught.value)


# -- opening -------------------------------------------------------------------------------


def test_a_folder_where_the_database_belongs_is_named(tmp_path):
    (tmp_path / "db.sqlite").mkdir()
    with pytest.raises(StoreUnavailable, match="is a folder, not a database file"):
        Store(tmp_path / "db.sqlite")


def test_a_dangling_database_link_is_named(tmp_path):
    (tmp_path / "db.sqlite").symlink_to(tmp_path / "gone" / "db.sqlite")
    with pytest.raises(StoreUnavailable, match="does not exist"):
        Store(tmp_path / "db.sqlite")


def test_the_schema_check_knows_every_table_and_column_the_migrations_make(tmp_path):
    """REQUIRED_COLUMNS is what a database must have to be usable; a table or column added to
    a migration but not listed there would go unchecked on open."""
    from mlprep.storage.schema import REQUIRED_COLUMNS

    db = tmp_path / "db.sqlite"
    Store(db).close()
    conn = sqlite3.connect(db)
    made: dict[str, set[str]] = {}
    for table, column in conn.execute(
        """SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
           WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"""
    ):
        made.setdefault(table, set()).add(column)
    conn.close()
    assert made == REQUIRED_COLUMNS


def test_a_first_open_waits_for_a_writer_before_switching_to_wal(tmp_path, monkeypatch):
    """SQLite answers BUSY at once, without waiting, when `journal_mode = WAL` meets another
    connection's write lock; four first opens at the same moment failed that way in CI."""
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "5")
    db = tmp_path / "fresh.sqlite"
    sqlite3.connect(db).close()
    other = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the reserved lock, as another first open does
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    with Store(db) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    release.join()
    other.close()
    assert 0.4 < time.monotonic() - started < 4


def test_a_writer_that_outlasts_the_wait_on_first_open_says_busy(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.3")
    db = tmp_path / "fresh.sqlite"
    sqlite3.connect(db).close()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy, match="locked by another program"):
        Store(db)
    other.execute("COMMIT")
    other.close()
    with Store(db) as store:  # nothing was half-made: the next open succeeds
        assert store.schema_version > 0


def test_a_first_open_reads_the_version_and_the_tables_in_one_snapshot(tmp_path, monkeypatch):
    """Another process's first open can commit the tables and the version number between
    this one's two reads; read apart, that looked like tables under version 0 (damaged)."""
    db = tmp_path / "fresh.sqlite"
    setup = sqlite3.connect(db)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.close()
    real = Store.schema_version
    others: list[int] = []

    def version_then_another_first_open(self):
        version = real.fget(self)
        if not others:
            others.append(1)
            Store(db).close()  # commits every table and the version, right now
        return version

    monkeypatch.setattr(Store, "schema_version", property(version_then_another_first_open))
    with Store(db) as store:
        assert others and real.fget(store) > 0
