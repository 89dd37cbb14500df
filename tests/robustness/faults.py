"""Fault injection for the store: a sqlite3 connection that fails on cue, the way SQLite does
when another program holds the lock (SQLITE_BUSY), the disk is full (SQLITE_FULL) or the file
is read-only (SQLITE_READONLY)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

BUSY = "database is locked"
FULL = "database or disk is full"
READONLY = "attempt to write a readonly database"

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "COMMIT", "BEGIN")


def error(message: str) -> sqlite3.OperationalError:
    return sqlite3.OperationalError(message)


class FaultyConnection(sqlite3.Connection):
    """`fault(sql)` is asked before every statement; an exception it returns is raised
    instead of running the statement (as SQLite would: nothing of that statement happens)."""

    fault: Callable[[str], BaseException | None] | None = None

    def _check(self, sql: str) -> None:
        fault = self.fault(sql) if self.fault is not None else None
        if fault is not None:
            raise fault

    def execute(self, sql, *args):  # type: ignore[override]
        self._check(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):  # type: ignore[override]
        self._check(sql)
        return super().executemany(sql, *args)


def is_write(sql: str) -> bool:
    return sql.lstrip().upper().startswith(WRITES)


def install(monkeypatch, fault: Callable[[str], BaseException | None]) -> list[FaultyConnection]:
    """Make every sqlite3.connect in this process return a FaultyConnection asking `fault`;
    returns the list of connections made (to change their fault later)."""
    made: list[FaultyConnection] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        kwargs["factory"] = FaultyConnection
        conn = real(*args, **kwargs)
        conn.fault = fault
        made.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return made
