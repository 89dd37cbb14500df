"""The database schema: one migration per version, each run once, in order, under the write
lock. `PRAGMA user_version` says which ran. A migration keeps every answer."""

from __future__ import annotations

from typing import Any

__all__ = ["MIGRATIONS", "REQUIRED_COLUMNS", "SCHEMA_VERSION"]


def _migrate_to_1(db: Any) -> None:
    """v0.1: cards, their tags, SM-2 state, and a log that also held SM-2's output."""
    db["deck_files"].create({"path": str, "size": int, "mtime_ns": int, "issues": str}, pk="path")
    db["cards"].create(
        {
            "id": str,
            "deck": str,
            "path": str,
            "line": int,
            "type": str,
            "q": str,
            "a": str,
            "generator": str,
            "params": str,
            "tags": str,
            "retired": int,
        },
        pk="id",
        not_null={"deck", "path", "type", "retired"},
        defaults={"retired": 0},
    )
    db["cards"].create_index(["path", "line"])
    db["card_tags"].create({"tag": str, "card_id": str}, pk=("tag", "card_id"))
    db["card_tags"].create_index(["card_id"])
    db["state"].create(
        {
            "card_id": str,
            "repetitions": int,
            "easiness": float,
            "interval": int,
            "due": str,
            "last_day": str,
            "lapses": int,
            "reviews": int,
        },
        pk="card_id",
    )
    db["state"].create_index(["due"])
    db["reviews"].create(
        {
            "id": int,
            "card_id": str,
            "ts": str,
            "day": str,
            "quality": int,
            "scheduled": int,
            "response_ms": int,
            "repetitions": int,
            "easiness": float,
            "interval": int,
            "due": str,
            "kind": str,
            "seed": int,
            "typed": str,
            "correct": int,
        },
        pk="id",
        not_null={"card_id", "ts", "day", "quality", "scheduled", "kind"},
    )
    db["reviews"].create_index(["card_id", "id"])
    db["reviews"].create_index(["day"])


def _migrate_to_2(db: Any) -> None:
    """v2: the log holds facts only (the grade as given, its SM-2 quality, kind, source, and
    the device and sequence number that identify it across devices); what a scheduler computed
    moves to caches keyed by scheduler, rebuilt by replaying the log. Card events (suspend,
    flag) and a key-value `meta` table join it. Cards gain a level; every deck file is read
    again to fill it."""
    conn = db.conn
    db["reviews_v2"].create(
        {
            "id": int,
            "card_id": str,
            "ts": str,
            "day": str,
            "grade": int,
            "quality": int,
            "response_ms": int,
            "kind": str,
            "source": str,
            "seed": int,
            "typed": str,
            "correct": int,
            "device": str,
            "seq": int,
            # The card the answer was given to, once a rename has moved it (NULL: card_id).
            "recorded_card": str,
        },
        pk="id",
        not_null={"card_id", "ts", "day", "grade", "quality", "kind", "source"},
    )
    # v0.1 stored the SM-2 quality: keys gave 1, 3, 4, 5 and --expert 0-5 as typed.
    conn.execute(
        """INSERT INTO reviews_v2 (id, card_id, ts, day, grade, quality, response_ms, kind,
                                   source, seed, typed, correct)
           SELECT id, card_id, ts, day,
                  CASE WHEN quality < 3 THEN 1 WHEN quality = 3 THEN 2
                       WHEN quality = 4 THEN 3 ELSE 4 END,
                  quality, response_ms, kind, 'local', seed, typed, correct
           FROM reviews ORDER BY id"""
    )
    conn.execute("DROP TABLE reviews")
    conn.execute("ALTER TABLE reviews_v2 RENAME TO reviews")
    db["reviews"].create_index(["card_id", "id"])
    db["reviews"].create_index(["day"])
    # A fact's identity across devices (mlprep sync): the device that made it and its number
    # there. NULL for facts made before this device had an id.
    db["reviews"].create_index(["device", "seq"], unique=True)
    # Facts about a card that are not answers: suspend, unsuspend, flag, unflag.
    db["card_events"].create(
        {"id": int, "card_id": str, "ts": str, "event": str, "device": str, "seq": int},
        pk="id",
        not_null={"card_id", "ts", "event"},
    )
    db["card_events"].create_index(["card_id", "id"])
    db["card_events"].create_index(["device", "seq"], unique=True)
    # Facts about the log itself, so that they travel to other devices (mlprep sync): an undo
    # names the fact it removed; a rename moves the answers of `old` that precede it to `new`.
    db["undos"].create(
        {"id": int, "ts": str, "device": str, "seq": int, "target_device": str, "target_seq": int},
        pk="id",
        not_null={"ts", "device", "seq", "target_device", "target_seq"},
    )
    db["undos"].create_index(["device", "seq"], unique=True)
    db["renames"].create(
        {"id": int, "ts": str, "old": str, "new": str, "device": str, "seq": int},
        pk="id",
        not_null={"ts", "old", "new", "device", "seq"},
    )
    db["renames"].create_index(["device", "seq"], unique=True)
    # How far each file of a sync folder has been read (a cache: without it, a sync reads every
    # file whole). `digest` is the SHA-256 of the bytes read, so a rewritten file is read again.
    db["sync_files"].create(
        {
            "folder": str,
            "name": str,
            "offset": int,
            "lines": int,
            "digest": str,
            "writer": str,
            "ranges": str,
        },
        pk=("folder", "name"),
        not_null={"offset", "lines", "digest", "ranges"},
    )
    # Small facts about this database: its device id, fitted parameters, the interview, ...
    db["meta"].create({"key": str, "value": str}, pk="key")
    conn.execute("DROP TABLE state")
    db["state"].create(
        {
            "scheduler": str,
            "card_id": str,
            "due": str,
            "interval": int,
            "last_day": str,
            "streak": int,
            "lapses": int,
            "reviews": int,
            "ease": float,
            "memory": str,
        },
        pk=("scheduler", "card_id"),
        not_null={"due", "interval", "last_day", "streak", "lapses", "reviews", "memory"},
    )
    db["state"].create_index(["scheduler", "due"])
    db["state"].create_index(["card_id"])
    # Per answer, under each scheduler: did it reschedule, the interval before and after, and
    # the ease it left (SM-2; NULL for a scheduler without one): the ease trend in stats.
    db["steps"].create(
        {
            "scheduler": str,
            "review_id": int,
            "card_id": str,
            "scheduled": int,
            "interval_before": int,
            "interval": int,
            "due": str,
            "ease": float,
        },
        pk=("scheduler", "review_id"),
        not_null={"scheduled"},
    )
    db["steps"].create_index(["scheduler", "card_id"])
    # The schedulers whose caches (state, steps) are complete for the whole log.
    db["caches"].create({"scheduler": str, "built": str}, pk="scheduler")
    conn.execute("ALTER TABLE cards ADD COLUMN level TEXT NOT NULL DEFAULT 'core'")
    conn.execute("DELETE FROM deck_files")
    # `mlprep rename OLD NEW` notes its intent here before it changes the file, and deletes
    # the note with the history move (which writes the `renames` fact). A rename interrupted
    # between the file and the database is completed by the next sync. Done renames are
    # facts in `renames` alone: an answer to OLD from a session that began before is
    # recorded under NEW by following them.
    db["planned_renames"].create(
        {"old_id": str, "new_id": str, "ts": str}, pk="old_id", not_null={"new_id", "ts"}
    )


# Every table and column that this version reads or writes: a database at SCHEMA_VERSION
# without one of them is damaged (checked on open, in one query). Columns may be added.
REQUIRED_COLUMNS: dict[str, set[str]] = {
    "deck_files": {"path", "size", "mtime_ns", "issues"},
    "cards": {"id", "deck", "path", "line", "type", "q", "a", "generator", "params", "tags"}
    | {"retired", "level"},
    "card_tags": {"tag", "card_id"},
    "reviews": {"id", "card_id", "ts", "day", "grade", "quality", "response_ms", "kind"}
    | {"source", "seed", "typed", "correct", "device", "seq", "recorded_card"},
    "card_events": {"id", "card_id", "ts", "event", "device", "seq"},
    "meta": {"key", "value"},
    "state": {"scheduler", "card_id", "due", "interval", "last_day", "streak", "lapses"}
    | {"reviews", "ease", "memory"},
    "steps": {"scheduler", "review_id", "card_id", "scheduled", "interval_before", "interval"}
    | {"due", "ease"},
    "caches": {"scheduler", "built"},
    "planned_renames": {"old_id", "new_id", "ts"},
    "renames": {"id", "ts", "old", "new", "device", "seq"},
    "undos": {"id", "ts", "device", "seq", "target_device", "target_seq"},
    "sync_files": {"folder", "name", "writer", "offset", "lines", "digest", "ranges"},
}

# MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS = [_migrate_to_1, _migrate_to_2]
SCHEMA_VERSION = len(MIGRATIONS)
