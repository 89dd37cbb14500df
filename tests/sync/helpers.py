"""Devices for the sync, backup and export tests: each a data dir of its own, driven in this
process (the CLI through CliRunner, answers through the library), with one shared deck."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from mlprep.app.library import open_library
from mlprep.cli import app
from mlprep.core.grades import Answer, Grade

DECK = """deck: sync
cards:
  - {id: c1, q: one?, a: one}
  - {id: c2, q: two?, a: two}
  - {id: c3, q: three?, a: three}
  - {id: c4, q: four?, a: four}
"""

LOG_COLUMNS = (
    "device, seq, card_id, ts, day, grade, quality, response_ms, kind, source, seed, typed, "
    "correct, recorded_card"
)


def rows(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def dump_db(db: Path) -> list[str]:
    """The database's whole content as SQL (compares contents, whatever the WAL holds)."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Device:
    """One data dir. `answer` records like a review does; `run` invokes the CLI."""

    def __init__(self, home: Path, cards: Path):
        self.home = home
        self.cards = cards

    @property
    def db(self) -> Path:
        return self.home / "mlprep.db"

    @contextmanager
    def env(self, now: str) -> Iterator[None]:
        with environment(MLPREP_HOME=str(self.home), MLPREP_CARDS=str(self.cards), MLPREP_NOW=now):
            yield

    def answer(self, card_id: str, grade: Grade, now: str, **fact) -> int:
        with self.env(now), open_library() as lib:
            return lib.store.record(card_id, Answer.of(grade), lib.now, lib.today, **fact).review_id

    def undo(self, review_id: int, now: str) -> None:
        with self.env(now), open_library() as lib:
            assert lib.store.undo(review_id) is not None

    def run(self, *args: str, now: str = "2026-12-01T12:00"):
        with self.env(now):
            return CliRunner().invoke(app, list(args))

    def device_id(self) -> str:
        return rows(self.db, "SELECT value FROM meta WHERE key = 'device_id'")[0][0]

    def log(self) -> list[tuple]:
        return rows(self.db, f"SELECT {LOG_COLUMNS} FROM reviews ORDER BY id")

    def states(self) -> list[tuple]:
        return rows(
            self.db,
            """SELECT scheduler, card_id, due, interval, last_day, streak, lapses, reviews, ease,
                      memory FROM state ORDER BY scheduler, card_id""",
        )

    def state(self, card_id: str) -> tuple | None:
        found = rows(
            self.db,
            "SELECT due, interval, streak, lapses, reviews FROM state WHERE scheduler = 'sm2' AND card_id = ?",
            (card_id,),
        )
        return found[0] if found else None
