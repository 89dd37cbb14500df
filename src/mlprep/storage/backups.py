"""Backups of the database, as Anki keeps them: a consistent copy made with SQLite's online
backup API (safe while another process has the database open), one file per backup in
`<data dir>/backups/`, named by its UTC time and reason, the newest N kept.

Automatic backups are taken before a migration, an import and a sync that brings anything
in, and once a study day; a database whose log is empty has nothing to lose and is skipped.
A backup is a plain SQLite database (journal mode DELETE, no -wal file beside it)."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "BackupError",
    "BackupInfo",
    "BackupPolicy",
    "backup_database",
    "check_backup",
    "list_backups",
    "prune_backups",
    "restore_database",
]

BACKUP_NAME = re.compile(r"(\d{8}T\d{6}Z)-([a-z][a-z0-9-]*?)(?:-(\d+))?\.db")
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    """A backup cannot be made, found or restored."""


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    taken: datetime  # UTC
    reason: str
    size: int
    n: int = 1  # 2, 3, ... for later backups of the same second and reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "taken": self.taken.isoformat(),
            "reason": self.reason,
            "bytes": self.size,
        }


def _info(path: Path) -> BackupInfo | None:
    match = BACKUP_NAME.fullmatch(path.name)
    if match is None or not path.is_file():
        return None
    taken = datetime.strptime(match[1], STAMP).replace(tzinfo=timezone.utc)
    return BackupInfo(path.name, path, taken, match[2], path.stat().st_size, int(match[3] or 1))


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in `folder`, oldest first (other files there are left alone)."""
    if not folder.is_dir():
        return []
    found = [info for p in folder.iterdir() if (info := _info(p)) is not None]
    return sorted(found, key=lambda b: (b.taken, b.n, b.name))


def backup_database(conn: sqlite3.Connection, folder: Path, reason: str, moment: datetime) -> Path:
    """Copy the database behind `conn` into `folder` through SQLite's backup API, written
    under a temporary name and renamed into place (never a half-written backup)."""
    if not re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", reason):
        raise ValueError(f"bad backup reason {reason!r}")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = moment.astimezone(timezone.utc).strftime(STAMP)
    target = folder / f"{stamp}-{reason}.db"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stamp}-{reason}-{n}.db"
    tmp = folder / f".{target.name}.{os.getpid()}.tmp"
    try:
        copy = sqlite3.connect(str(tmp))
        try:
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    backups = list_backups(folder)
    doomed = backups[: max(0, len(backups) - keep)]
    for info in doomed:
        info.path.unlink(missing_ok=True)
    return [info.path for info in doomed]


def check_backup(path: Path, newest_schema: int) -> int:
    """The schema version of the mlprep database at `path`; BackupError if it is not one this
    mlprep can open (damaged, not a database, or from a newer version)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable database: {exc}") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged: {ok}")
    if "reviews" not in tables:
        raise BackupError(f"{path} is not an mlprep database (it has no review log)")
    if version > newest_schema:
        raise BackupError(
            f"{path} has schema version {version}; this mlprep knows up to {newest_schema}"
        )
    return version


def restore_database(db: Path, backup: Path) -> None:
    """Copy `backup` over the database at `db` through the backup API (under SQLite's locks,
    so a process that has `db` open sees either the old or the restored database)."""
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(str(db), timeout=5)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _has_facts(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # a database with no tables yet
        return False


@dataclass(frozen=True)
class BackupPolicy:
    """Where automatic backups go, how many are kept, and the clock that names them."""

    folder: Path
    keep: int
    clock: Callable[[], datetime]

    def take(self, conn: sqlite3.Connection, reason: str, *, force: bool = False) -> Path | None:
        """A backup now, then the oldest beyond `keep` deleted. Skipped (None) when the log is
        empty, unless `force`."""
        if not force and not _has_facts(conn):
            return None
        path = backup_database(conn, self.folder, reason, self.clock())
        prune_backups(self.folder, max(self.keep, 1))
        return path

    def daily(self, conn: sqlite3.Connection, today: date, day_starts_at: int) -> Path | None:
        """The day's backup, unless a backup was already taken this study day."""
        for info in reversed(list_backups(self.folder)):
            local = info.taken.astimezone() - timedelta(hours=day_starts_at)
            if local.date() == today:
                return None
        return self.take(conn, "daily")
