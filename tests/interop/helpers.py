"""Helpers of the interop tests: snapshots of a data dir, rows of its database."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def snapshot(home: Path) -> dict:
    """Every byte of the card files (and settings) and the database, and its row counts (the
    empty lock file that `add` and the imports take is left out)."""
    files = {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.startswith("mlprep.db") and p.name != "authoring.lock"
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
