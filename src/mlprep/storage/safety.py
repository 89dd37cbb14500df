"""What can go wrong with the database, and what the store does about it.

- `classify` turns a `sqlite3` error into a `StoreError` subclass whose message is a sentence a
  user can act on: busy (another program holds the write lock), full, read-only, damaged, or
  cannot be opened.
- `run_write` runs a write transaction, retrying it with backoff while the database is busy,
  within a bounded wait (`MLPREP_LOCK_WAIT` seconds, default `LOCK_WAIT_S`).
- `Unsaved` is a write that could not be made (busy, full, read-only...) and is kept in memory
  to be made later, with a description naming what it holds. The store keeps every one of them
  in `Store.unsaved` and writes them before its next write; `pending_unsaved()` lists those
  still unwritten in this process, so the CLI can name them when it exits.

No mlprep module above storage needs to import sqlite3 to react to these errors."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from mlprep.core.session import RecordFailed

__all__ = [
    "LOCK_WAIT_S",
    "NotSaved",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "StoreUnavailable",
    "Unsaved",
    "begin_immediate",
    "classify",
    "decoding",
    "error_code",
    "is_busy",
    "lock_wait",
    "pending_unsaved",
    "restore_hint",
    "rollback",
    "run_write",
]

LOCK_WAIT_S = 10.0  # how long a write waits for another program's lock before giving up
_BACKOFF_FIRST_S = 0.05
_BACKOFF_MAX_S = 1.0

T = TypeVar("T")


class StoreError(RuntimeError):
    """The database cannot be used as it is (newer schema, not a database, ...)."""


class StoreBusy(StoreError):
    """Another program held the database's write lock for longer than the bounded wait."""


class StoreFull(StoreError):
    """The disk holding the database is full (or failed while writing)."""


class StoreReadOnly(StoreError):
    """The database, or the folder or disk it is on, cannot be written."""


class StoreCorrupt(StoreError):
    """The database is damaged: malformed pages, missing tables or columns, impossible values."""


class StoreUnavailable(StoreError):
    """The database file cannot be opened at all (a folder, a dangling link, no permission)."""


class NotSaved(StoreError, RecordFailed):
    """A write failed and was kept in memory (`pending`) to be made later."""

    def __init__(self, pending: Unsaved, cause: StoreError):
        self.pending = pending
        self.cause = cause
        super().__init__(f"{pending.description} is not saved yet: {cause}")


# SQLite's primary result codes (sqlite3.h); Python >= 3.11 exposes them on the exception.
SQLITE_ERROR, SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM = 1, 3, 5, 6, 7
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL = 8, 10, 11, 13
SQLITE_CANTOPEN, SQLITE_NOTADB = 14, 26

# Python 3.10 has no error codes on sqlite3 exceptions: recognise the messages instead.
_MESSAGES = (
    ("database is locked", SQLITE_BUSY),
    ("database table is locked", SQLITE_LOCKED),
    ("database schema is locked", SQLITE_LOCKED),
    ("database or disk is full", SQLITE_FULL),
    ("attempt to write a readonly database", SQLITE_READONLY),
    ("readonly database", SQLITE_READONLY),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("file is not a database", SQLITE_NOTADB),
    ("unable to open database file", SQLITE_CANTOPEN),
    ("disk i/o error", SQLITE_IOERR),
    ("no such table", SQLITE_CORRUPT),
    ("no such column", SQLITE_CORRUPT),
    ("has no column named", SQLITE_CORRUPT),
)


def error_code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (from its message on Python 3.10)."""
    text = str(exc).lower()
    # Missing tables and columns are SQLITE_ERROR (1) to SQLite, but a damaged schema to us.
    for fragment, code in _MESSAGES[-3:]:
        if fragment in text:
            return code
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    for fragment, code in _MESSAGES:
        if fragment in text:
            return code
    return None


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and error_code(exc) in (
        SQLITE_BUSY,
        SQLITE_LOCKED,
    )


def restore_hint(path: Path) -> str:
    """What to do about a damaged database."""
    backups = path.parent / "backups"
    return (
        f"Restore a backup with `mlprep backup --restore NAME` (backups are kept in {backups}), "
        f"or move {path.name} away to start a new one (the card files are not affected)"
    )


def _why_unopenable(path: Path) -> str:
    """Why SQLite could not open `path`, in words (it only says 'unable to open')."""
    if path.is_symlink() and not path.exists():
        return f"{path} is a symbolic link to {os.readlink(path)}, which does not exist"
    if path.is_dir():
        return f"{path} is a folder, not a database file; move it away"
    folder = path.parent
    if not folder.is_dir():
        return f"the data dir {folder} does not exist or is not a folder"
    if not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"the data dir {folder} is read-only, so the database cannot be created there"
    if path.exists() and not os.access(path, os.R_OK):
        return f"{path} cannot be read (permissions)"
    return f"{path} cannot be opened (is the data dir on a read-only or unavailable disk?)"


def classify(exc: sqlite3.Error, path: Path, action: str = "") -> StoreError:
    """A StoreError saying in words what the SQLite error `exc` means for the database at
    `path`; `action` (e.g. 'record the answer') says what was being done."""
    code = error_code(exc)
    doing = f" (while trying to {action})" if action else ""
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreBusy(
            f"the database {path} is locked by another program (another mlprep, a sqlite3 "
            f"shell, a backup) and stayed locked for {lock_wait():g}s{doing}; try again when "
            "it is done"
        )
    if code == SQLITE_FULL:
        return StoreFull(f"the disk holding {path} is full{doing}; free some space and retry")
    if code == SQLITE_IOERR:
        return StoreFull(
            f"a disk error happened writing {path}{doing} (is the disk full or failing?): {exc}"
        )
    if code in (SQLITE_READONLY, SQLITE_PERM):
        return StoreReadOnly(
            f"the database {path} is read-only{doing}: check the permissions of the file and "
            f"of {path.parent}, or whether that disk is mounted read-only"
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorrupt(f"the database {path} is damaged ({exc}){doing}. {restore_hint(path)}")
    if code == SQLITE_CANTOPEN:
        return StoreUnavailable(f"cannot open the database: {_why_unopenable(path)}")
    return StoreError(f"{path}: {exc}{doing}")


@contextmanager
def decoding(path: Path, what: str) -> Iterator[None]:
    """Values read back from the database that cannot be decoded (an impossible date, text
    where a number belongs, broken JSON) mean the file was edited by hand or is damaged:
    StoreCorrupt, naming `what` was being read."""
    try:
        yield
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise StoreCorrupt(
            f"the database {path} holds a value mlprep cannot read in {what} ({exc}): it was "
            f"edited by hand or is damaged. {restore_hint(path)}"
        ) from None


def lock_wait() -> float:
    """Seconds a write waits for another program's lock: MLPREP_LOCK_WAIT, or LOCK_WAIT_S."""
    text = os.environ.get("MLPREP_LOCK_WAIT")
    if text:
        try:
            value = float(text)
        except ValueError:
            return LOCK_WAIT_S
        if 0 <= value <= 3600:
            return value
    return LOCK_WAIT_S


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it may, after SQLITE_FULL,
    IOERR or BUSY)."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _backoff(wait: float | None) -> Iterator[float]:
    """Pauses between tries (doubling, with jitter) until `wait` seconds have passed."""
    deadline = time.monotonic() + (lock_wait() if wait is None else wait)
    delay = _BACKOFF_FIRST_S
    while time.monotonic() + delay < deadline:
        yield delay * random.uniform(0.5, 1.0)
        delay = min(delay * 2, _BACKOFF_MAX_S)


def retry_busy(
    statement: Callable[[], T],
    path: Path,
    *,
    action: str = "",
    wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `statement` again after a growing pause while the database is busy, up to `wait`
    seconds (default `lock_wait()`). For statements SQLite answers BUSY at once, without
    calling its busy handler: `PRAGMA journal_mode = WAL` while another connection reads."""
    pauses = _backoff(wait)
    while True:
        try:
            return statement()
        except sqlite3.Error as exc:
            pause = next(pauses, None) if is_busy(exc) else None
            if pause is None:
                raise classify(exc, path, action) from None
            sleep(pause)


def begin_immediate(
    conn: sqlite3.Connection,
    path: Path,
    *,
    action: str = "",
    wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """BEGIN IMMEDIATE (take the write lock), retried with backoff while the database is busy,
    up to `wait` seconds (default `lock_wait()`)."""
    pauses = _backoff(wait)
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.Error as exc:
            pause = next(pauses, None) if is_busy(exc) else None
            if pause is None:
                raise classify(exc, path, action) from None
            sleep(pause)


def run_write(
    conn: sqlite3.Connection,
    body: Callable[[sqlite3.Connection], T],
    path: Path,
    *,
    action: str = "",
    wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `body` in BEGIN IMMEDIATE ... COMMIT; roll back on any error. While the database is
    busy, the whole transaction is tried again after a growing pause (with jitter), until
    `wait` seconds (default `lock_wait()`) have passed. SQLite errors come out classified as
    StoreError subclasses; other exceptions from `body` pass through unchanged."""
    pauses = _backoff(wait)
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
            return result
        except sqlite3.Error as exc:
            pause = next(pauses, None) if is_busy(exc) else None
            if pause is None:
                raise classify(exc, path, action) from None
            sleep(pause)


class Unsaved:
    """A write kept in memory because it could not be made: `description` names what it holds
    (e.g. 'the answer Good to card adam-1 at 09:14'); `write(conn)` makes it inside a
    transaction. Once made, `done` is True and `result` holds what `write` returned."""

    def __init__(self, description: str, write: Callable[[sqlite3.Connection], Any]):
        self.description = description
        self.write = write
        self.done = False
        self.discarded = False
        self.result: Any = None
        self.reason = ""  # why it could not be made, the last time it was tried
        _PENDING.append(self)

    def __repr__(self) -> str:
        state = "done" if self.done else "discarded" if self.discarded else "pending"
        return f"Unsaved({self.description!r}, {state})"


_PENDING: list[Unsaved] = []


def pending_unsaved() -> list[Unsaved]:
    """Every write kept in memory in this process that is still not made (in order)."""
    _PENDING[:] = [u for u in _PENDING if not (u.done or u.discarded)]
    return list(_PENDING)
