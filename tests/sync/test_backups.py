"""Backups: once a study day, before a migration, a sync that brings anything in (see
test_sync) and a restore; consistent standalone copies; the newest `backups_kept` kept;
`mlprep backup --list` / `--restore NAME`."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from mlprep.core.grades import Grade

from .helpers import Device, dump_db, rows

FIXTURE = Path(__file__).parents[1] / "fixtures" / "v0.1.db"


def name_at(now: str, reason: str) -> str:
    """A backup's file name: its UTC time and reason (computed here from the local time)."""
    moment = datetime.fromisoformat(now).astimezone(timezone.utc)
    return f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{reason}.db"


def backups(dev: Device) -> list[str]:
    folder = dev.home / "backups"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_one_backup_per_study_day_and_none_of_an_empty_log(device):
    a = device("a")
    assert a.run("due", now="2026-12-01T08:00").exit_code == 0
    assert backups(a) == []  # nothing to lose yet
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    for now in ("2026-12-01T10:00", "2026-12-01T11:00", "2026-12-02T03:59"):
        assert a.run("due", now=now).exit_code == 0
    # 03:59 on 12-02 still belongs to study day 12-01 (days start at 4 am).
    assert backups(a) == [name_at("2026-12-01T10:00", "daily")]
    assert a.run("due", now="2026-12-02T04:00").exit_code == 0
    assert backups(a) == [
        name_at("2026-12-01T10:00", "daily"),
        name_at("2026-12-02T04:00", "daily"),
    ]


def test_a_backup_is_a_consistent_standalone_database(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    a.answer("c2", Grade.GOOD, "2026-12-01T09:01")
    assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    path = a.home / "backups" / name_at("2026-12-01T10:00", "manual")
    copy = path.with_name("copy.db")
    shutil.copy(path, copy)  # alone, without any -wal file
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "SELECT card_id FROM reviews ORDER BY id") == [("c1",), ("c2",)]
    assert not Path(f"{path}-wal").exists()


def test_a_migration_is_backed_up_first(device):
    a = device("a")
    a.home.mkdir()
    shutil.copy(FIXTURE, a.db)
    old = rows(FIXTURE, "SELECT * FROM reviews ORDER BY id")
    assert a.run("due", now="2026-12-01T10:00").exit_code == 0
    assert rows(a.db, "PRAGMA user_version") == [(2,)]
    # The daily backup is not needed the same day: the migration's counts.
    assert backups(a) == [name_at("2026-12-01T10:00", "migration")]
    backup = a.home / "backups" / backups(a)[0]
    assert rows(backup, "PRAGMA user_version") == [(1,)]
    assert rows(backup, "SELECT * FROM reviews ORDER BY id") == old


def test_only_the_newest_backups_kept_stay(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("config", "backups_kept", "2").exit_code == 0
    for minute in ("10", "11", "12", "13"):
        assert a.run("backup", now=f"2026-12-01T10:{minute}").exit_code == 0
    assert backups(a) == [
        name_at("2026-12-01T10:12", "manual"),
        name_at("2026-12-01T10:13", "manual"),
    ]
    result = a.run("config", "backups_kept", "0")
    assert result.exit_code == 1
    assert "backups_kept must be an integer from 1 to 1,000, got 0" in result.stderr


def test_other_files_in_the_backup_folder_are_left_alone(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("config", "backups_kept", "1").exit_code == 0
    (a.home / "backups").mkdir(exist_ok=True)
    (a.home / "backups" / "keep-me.db").write_text("mine")
    for minute in ("10", "11"):
        assert a.run("backup", now=f"2026-12-01T10:{minute}").exit_code == 0
    assert backups(a) == [name_at("2026-12-01T10:11", "manual"), "keep-me.db"]


def test_two_backups_in_one_second_get_different_names(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("config", "backups_kept", "2").exit_code == 0
    for _ in range(3):
        assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    first = name_at("2026-12-01T10:00", "manual")
    # Two are kept: the first of the three went (not the one whose name sorts first).
    later = [first.replace(".db", "-2.db"), first.replace(".db", "-3.db")]
    assert backups(a) == later
    listed = json.loads(a.run("backup", "--list", "--json").stdout)
    assert [b["name"] for b in listed] == later[::-1]


def test_backup_list(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("backup", "--list").output.startswith("No backups yet in ")
    assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    assert a.run("due", now="2026-12-02T10:00").exit_code == 0
    result = a.run("backup", "--list", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [(b["name"], b["reason"]) for b in listed] == [
        (name_at("2026-12-02T10:00", "daily"), "daily"),
        (name_at("2026-12-01T10:00", "manual"), "manual"),
    ]
    assert listed[0]["bytes"] == (a.home / "backups" / listed[0]["name"]).stat().st_size
    text = a.run("backup", "--list").stdout
    assert text.index(listed[0]["name"]) < text.index(listed[1]["name"])  # newest first
    assert "daily" in text and "manual" in text


def test_restore_puts_a_backup_back_and_can_itself_be_undone(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    a.answer("c2", Grade.GOOD, "2026-12-01T09:01")
    assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    a.answer("c3", Grade.AGAIN, "2026-12-01T10:30")
    three = a.log()
    device_before = a.device_id()
    name = name_at("2026-12-01T10:00", "manual").removesuffix(".db")
    result = a.run("backup", "--restore", name, now="2026-12-01T11:00")
    assert result.exit_code == 0, result.output
    saved = name_at("2026-12-01T11:00", "before-restore")
    assert result.output == (
        f"Restored {name}.db (2026-12-01T10:00:00+00:00).\n"
        f"The database as it was is saved as {saved}.\n"
    )
    assert [r[2] for r in a.log()] == ["c1", "c2"]
    assert a.state("c3") is None
    # A restored database is a new device: the original may have synced facts under the
    # numbers it would otherwise reuse.
    a.answer("c4", Grade.GOOD, "2026-12-01T11:30")
    assert a.device_id() != device_before and a.log()[-1][:2] == (a.device_id(), 1)
    assert a.run("backup", "--restore", saved, now="2026-12-01T12:00").exit_code == 0
    assert a.log() == three


def test_restore_refuses_an_unknown_or_damaged_backup(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    before = dump_db(a.db)
    result = a.run("backup", "--restore", "20261201T000000Z-daily")
    assert result.exit_code == 2
    assert "no backup named '20261201T000000Z-daily'" in result.stderr
    (a.home / "backups").mkdir(exist_ok=True)
    (a.home / "backups" / "20261130T000000Z-daily.db").write_bytes(b"not a database" * 100)
    result = a.run("backup", "--restore", "20261130T000000Z-daily.db")
    assert result.exit_code == 1
    assert "is not a usable database" in result.stderr and "nothing was restored" in result.stderr
    assert dump_db(a.db) == before
    result = a.run("backup", "--list", "--restore", "x")
    assert result.exit_code == 2 and "one at a time" in result.stderr


def test_restore_over_a_damaged_database(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    good = a.log()
    for suffix in ("-wal", "-shm"):
        Path(f"{a.db}{suffix}").unlink(missing_ok=True)
    a.db.write_bytes(b"garbage" * 1000)
    assert a.run("due").exit_code == 1
    name = name_at("2026-12-01T10:00", "manual")
    result = a.run("backup", "--restore", name, now="2026-12-01T11:00")
    assert result.exit_code == 0, result.output
    assert a.log() == good
    damaged = a.home / "backups" / name_at("2026-12-01T11:00", "damaged")
    assert damaged.read_bytes() == b"garbage" * 1000


def test_an_emptied_database_with_backups_is_refused_not_started_afresh(device):
    """SQLite opens a 0-byte file as a new database: a log truncated by a full disk or a
    sync tool would silently become an empty one. With backups there it says so instead."""
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    good = a.log()
    for suffix in ("-wal", "-shm"):
        Path(f"{a.db}{suffix}").unlink(missing_ok=True)
    a.db.write_bytes(b"")
    result = a.run("due")
    assert result.exit_code == 1
    name = name_at("2026-12-01T10:00", "manual")
    assert "is empty (0 bytes), but 1 backup(s) of it exist" in result.stderr
    assert name in result.stderr and "mlprep backup --restore" in result.stderr
    assert a.db.read_bytes() == b""  # nothing written: the evidence is kept
    result = a.run("backup", "--restore", name, now="2026-12-01T11:00")
    assert result.exit_code == 0, result.output
    assert a.log() == good


def test_an_empty_file_without_backups_starts_a_new_database(device):
    a = device("a")
    a.home.mkdir()
    a.db.write_bytes(b"")  # e.g. `touch`ed by hand: there was never a log to lose
    assert a.run("due").exit_code == 0
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    assert [r[2] for r in a.log()] == ["c1"]


def test_restoring_a_backup_from_before_a_migration_migrates_it(device):
    a = device("a")
    a.home.mkdir()
    shutil.copy(FIXTURE, a.db)
    assert a.run("due", now="2026-12-01T10:00").exit_code == 0
    a.answer("c1", Grade.GOOD, "2026-12-01T10:30")
    count = rows(FIXTURE, "SELECT COUNT(*) FROM reviews")[0][0]
    name = name_at("2026-12-01T10:00", "migration")
    assert a.run("backup", "--restore", name, now="2026-12-01T11:00").exit_code == 0
    assert rows(a.db, "PRAGMA user_version") == [(2,)]
    assert rows(a.db, "SELECT COUNT(*) FROM reviews") == [(count,)]


def test_backup_without_a_database(device):
    a = device("a")
    result = a.run("backup")
    assert result.exit_code == 1 and "there is no database to back up yet" in result.stderr


def test_a_backup_copies_what_another_connection_committed(device):
    """The backup API reads through the WAL: a copy made while another connection holds
    committed but uncheckpointed pages still has them."""
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    other = sqlite3.connect(a.db)
    try:
        other.execute("PRAGMA wal_autocheckpoint = 0")
        with other:
            other.execute(
                "INSERT INTO reviews (card_id, ts, day, grade, quality, kind, source) VALUES "
                "('c2', '2026-12-01T09:30:00.000+00:00', '2026-12-01', 3, 4, 'review', 'local')"
            )
        assert a.run("backup", now="2026-12-01T10:00").exit_code == 0
    finally:
        other.close()
    name = name_at("2026-12-01T10:00", "manual")
    assert rows(a.home / "backups" / name, "SELECT card_id FROM reviews ORDER BY id") == [
        ("c1",),
        ("c2",),
    ]
