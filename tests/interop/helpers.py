"""Helpers of the interop tests: snapshots of a data dir, rows of its database."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from anki_support import Phone


def snapshot(home: Path) -> dict:
    """Every byte of the card files (and settings) and the database, and its row counts (the
    empty lock file that `add` and the imports take, and the automatic backups, are left out)."""
    files = {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file()
        and not p.name.startswith("mlprep.db")
        and p.name != "authoring.lock"
        and p.relative_to(home).parts[0] != "backups"
    }
    db = home / "mlprep.db"
    counts = {}
    if db.exists():
        conn = sqlite3.connect(db)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
        conn.close()
    return {"files": files, "db": db.read_bytes() if db.exists() else None, "rows": counts}


def db_rows(home: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def anki_id(guid: str) -> str:
    """The documented id of a card imported from Anki: anki- and 12 hex digits of sha256."""
    return "anki-" + hashlib.sha256(guid.encode()).hexdigest()[:12]


def ts(text: str) -> str:
    return at(text).isoformat(timespec="milliseconds")


class Collection:
    """A collection in the real Anki with four notes and a week of answers."""

    def __init__(self, folder: Path):
        self.phone = phone = Phone(folder)
        stats = "Machine Learning::Stats"
        self.variance = phone.add_note(
            "Basic",
            {
                "Front": "What is <b>variance</b>?<br>Give \\(\\sigma^2\\).",
                "Back": "<ul><li>spread</li><li>$ units squared</li></ul>",
            },
            stats,
            tags=["ML::Stats", "leech"],
        )
        self.bias = phone.add_note(
            "Basic (and reversed card)", {"Front": "Bias?", "Back": "Wrong assumptions"}, stats
        )
        self.paris = phone.add_note(
            "Cloze",
            {
                "Text": "{{c1::Paris}} is the capital of {{c2::France::country}}",
                "Back Extra": "Geo",
            },
            "Default",
        )
        self.picture = phone.add_note("Basic", {"Front": '<img src="a.png">', "Back": "x"}, stats)
        card = phone.card_of_guid
        self.c_variance = card(self.variance.guid)
        self.c_bias, self.c_bias_reverse = card(self.bias.guid, 0), card(self.bias.guid, 1)
        self.c_paris1, self.c_paris2 = card(self.paris.guid, 0), card(self.paris.guid, 1)
        phone.answer(self.c_variance, 3, at("2026-11-02T09:00"), 4100)
        phone.answer(self.c_variance, 1, at("2026-11-03T03:30"), 9000)  # still Nov 2 (4 am)
        phone.answer(self.c_variance, 4, at("2026-11-05T10:00"), 2000)
        phone.answer(self.c_bias, 2, at("2026-11-02T09:05"))
        phone.answer(self.c_bias_reverse, 3, at("2026-11-02T09:06"))
        phone.answer(self.c_paris1, 3, at("2026-11-02T09:10"))
        phone.answer(self.c_paris2, 1, at("2026-11-04T09:10"))
        phone.cram_deck(f'"note:Basic" "deck:{stats}" Front:*variance*', reschedule=False)
        phone.answer(self.c_variance, 1, at("2026-11-06T09:00"))  # cramming: no reschedule
        phone.col.sched.set_due_date([self.c_paris1], "5")  # manual: no answer given
        self.ids = {
            "variance": anki_id(self.variance.guid),
            "bias": anki_id(self.bias.guid),
            "paris1": anki_id(self.paris.guid) + "-c1",
            "paris2": anki_id(self.paris.guid) + "-c2",
        }
