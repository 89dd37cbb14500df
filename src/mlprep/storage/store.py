"""The SQLite store: schema and migrations, card sync from the deck files, the due queue and
the append-only review log.

The hot path (open, sync of unchanged files, queue, one answer) uses the stdlib `sqlite3`
module only: importing sqlite-utils also imports numpy (~0.3 s), which would double
`mlprep review`'s start-up. sqlite-utils builds the schema, runs migrations and serves the
reporting queries, where that cost does not matter."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from mlprep.core.scheduling.sm2 import Sm2State, is_lapse, schedule
from mlprep.decks.loader import Card, DeckIssue, parse_file

__all__ = [
    "SCHEMA_VERSION",
    "CardState",
    "Recorded",
    "Review",
    "Store",
    "StoreError",
    "SyncReport",
    "card_scope",
]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The database cannot be used as it is (newer schema, not a database, ...)."""


def _migrate_to_1(db: Any) -> None:
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


# MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS = [_migrate_to_1]


@dataclass(frozen=True)
class CardState:
    """A card's scheduling state: SM-2 numbers plus when it is due and its lapse count."""

    sm2: Sm2State
    due: date
    last_day: date
    lapses: int = 0
    reviews: int = 0


@dataclass(frozen=True)
class Review:
    """One row of the review log."""

    id: int
    card_id: str
    ts: datetime
    day: date
    quality: int
    scheduled: bool
    response_ms: int | None
    interval: int | None
    easiness: float | None
    due: date | None
    kind: str = "review"
    seed: int | None = None
    typed: str | None = None
    correct: bool | None = None


@dataclass(frozen=True)
class Recorded:
    review_id: int
    scheduled: bool
    state: CardState | None


@dataclass
class SyncReport:
    parsed: list[str] = field(default_factory=list)
    issues: list[DeckIssue] = field(default_factory=list)

    @property
    def broken_files(self) -> list[str]:
        return sorted({i.path for i in self.issues})


def card_scope(deck: str | None, tag: str | None) -> tuple[str, list[Any]]:
    """`AND ...` conditions on cards aliased `c` for the --deck and --tag filters, and their
    arguments; retired cards are not excluded here."""
    sql, args = "", []
    if deck:
        sql += " AND c.deck = ?"
        args.append(deck)
    if tag:
        sql += " AND c.id IN (SELECT card_id FROM card_tags WHERE tag = ?)"
        args.append(tag)
    return sql, args


def _state_from_row(row: sqlite3.Row | tuple) -> CardState:
    reps, ease, interval, due, last_day, lapses, reviews = row
    return CardState(
        Sm2State(reps, ease, interval),
        date.fromisoformat(due),
        date.fromisoformat(last_day),
        lapses,
        reviews,
    )


class Store:
    """One open database. Use as a context manager, or call close()."""

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data dir {path.parent}: {exc.strerror}") from None
        try:
            self.conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            # FULL: an answered card must survive a power cut too, not only a crash.
            self.conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: {exc}") from None

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this mlprep knows up to "
                f"{SCHEMA_VERSION}. Upgrade mlprep."
            )
        import sqlite_utils

        db = sqlite_utils.Database(self.conn)
        with self.transaction():
            # Read again under the write lock: another process may have migrated meanwhile.
            version = self.schema_version
            for step in MIGRATIONS[version:]:
                step(db)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- deck sync ---------------------------------------------------------------------------

    def sync(self, files: Iterable[Path]) -> SyncReport:
        """Bring the cards table in line with the deck files.

        Unchanged files (same size and mtime) are not read. A card that disappears from every
        file is retired, not deleted; it comes back with its history when its id does. Files
        with problems are parsed again whenever another file changes, since a duplicate id can
        be fixed by editing the other file."""
        current: dict[str, os.stat_result] = {}
        for f in files:
            try:
                current[str(f)] = f.stat()
            except OSError:
                continue
        cached = {
            path: (size, mtime, issues)
            for path, size, mtime, issues in self.conn.execute(
                "SELECT path, size, mtime_ns, issues FROM deck_files"
            )
        }
        changed = [
            p
            for p, st in current.items()
            if p not in cached or cached[p][:2] != (st.st_size, st.st_mtime_ns)
        ]
        removed = [p for p in cached if p not in current]
        if changed or removed:
            changed += [p for p in current if p not in changed and cached.get(p, (0, 0, ""))[2]]
        report = SyncReport()
        for path in current:
            if path not in changed and cached[path][2]:
                report.issues += [
                    DeckIssue(path, line, msg) for line, msg in json.loads(cached[path][2])
                ]
        if not changed and not removed:
            return report
        with self.transaction() as conn:
            for path in removed:
                conn.execute("UPDATE cards SET retired = 1 WHERE path = ?", (path,))
                conn.execute("DELETE FROM deck_files WHERE path = ?", (path,))
            claimed: dict[str, str] = dict(
                conn.execute("SELECT id, path FROM cards WHERE retired = 0")
            )
            changed_set = set(changed)
            for path in changed:
                conn.execute("UPDATE cards SET retired = 1 WHERE path = ?", (path,))
            claimed = {i: p for i, p in claimed.items() if p not in changed_set}
            order = {p: i for i, p in enumerate(current)}
            for path in sorted(changed, key=order.__getitem__):
                result = parse_file(Path(path))
                issues = list(result.issues)
                fresh = []
                for card in result.cards:
                    owner = claimed.get(card.id)
                    if owner is not None and owner != path:
                        issues.append(
                            DeckIssue(
                                path, card.line, f"duplicate id {card.id!r} (also in {owner})"
                            )
                        )
                        continue
                    claimed[card.id] = path
                    fresh.append(card)
                self._upsert_cards(conn, fresh)
                st = current[path]
                conn.execute(
                    "INSERT OR REPLACE INTO deck_files (path, size, mtime_ns, issues) VALUES (?, ?, ?, ?)",
                    (
                        path,
                        st.st_size,
                        st.st_mtime_ns,
                        json.dumps([[i.line, i.message] for i in issues]) if issues else "",
                    ),
                )
                report.parsed.append(path)
                report.issues += issues
        return report

    @staticmethod
    def _upsert_cards(conn: sqlite3.Connection, cards: list[Card]) -> None:
        conn.executemany(
            """INSERT INTO cards (id, deck, path, line, type, q, a, generator, params, tags, retired)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET deck = excluded.deck, path = excluded.path,
                 line = excluded.line, type = excluded.type, q = excluded.q, a = excluded.a,
                 generator = excluded.generator, params = excluded.params, tags = excluded.tags,
                 retired = 0""",
            [
                (
                    card.id,
                    card.deck,
                    card.path,
                    card.line,
                    card.type,
                    card.q,
                    card.a,
                    card.generator,
                    json.dumps(card.params) if card.params else None,
                    " ".join(card.tags),
                )
                for card in cards
            ],
        )
        conn.executemany("DELETE FROM card_tags WHERE card_id = ?", [(c.id,) for c in cards])
        conn.executemany(
            "INSERT OR IGNORE INTO card_tags (tag, card_id) VALUES (?, ?)",
            [(tag, card.id) for card in cards for tag in card.tags],
        )

    # -- cards -------------------------------------------------------------------------------

    _CARD_COLUMNS = "id, deck, q, a, type, generator, params, tags, path, line"

    @staticmethod
    def _card_from_row(row: tuple) -> Card:
        cid, deck, q, a, kind, gen, params, tags, path, line = row
        return Card(
            id=cid,
            deck=deck,
            q=q or "",
            a=a or "",
            type=kind,
            generator=gen,
            params=json.loads(params) if params else {},
            tags=tuple(tags.split()) if tags else (),
            path=path,
            line=line,
        )

    def card(self, card_id: str) -> Card | None:
        row = self.conn.execute(
            f"SELECT {self._CARD_COLUMNS} FROM cards WHERE id = ?", (card_id,)
        ).fetchone()
        return self._card_from_row(row) if row else None

    def is_retired(self, card_id: str) -> bool:
        row = self.conn.execute("SELECT retired FROM cards WHERE id = ?", (card_id,)).fetchone()
        return bool(row and row[0])

    def deck_names(self) -> list[str]:
        """Every deck name the store knows, retired cards included."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT deck FROM cards ORDER BY deck")]

    def tag_names(self) -> list[str]:
        """Every tag the store knows, retired cards included."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT tag FROM card_tags ORDER BY tag")]

    def known_ids(self) -> set[str]:
        """Every id the store has seen: live cards, retired cards and ids in the review log."""
        ids = {r[0] for r in self.conn.execute("SELECT id FROM cards")}
        ids.update(r[0] for r in self.conn.execute("SELECT DISTINCT card_id FROM reviews"))
        return ids

    # -- queue -------------------------------------------------------------------------------

    @staticmethod
    def _filters(deck: str | None, tag: str | None) -> tuple[str, list[Any]]:
        """Live cards (alias `c`) within the --deck/--tag filters."""
        scope, args = card_scope(deck, tag)
        return "c.retired = 0" + scope, args

    def due_cards(
        self, today: date, deck: str | None = None, tag: str | None = None, limit: int = -1
    ) -> list[tuple[str, str]]:
        """Review cards due on or before `today`, most overdue first."""
        where, args = self._filters(deck, tag)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM state s JOIN cards c ON c.id = s.card_id
                WHERE {where} AND s.due <= ?
                ORDER BY s.due, c.path, c.line LIMIT ?""",
            (*args, today.isoformat(), limit),
        )
        return rows.fetchall()

    def new_cards(
        self, deck: str | None = None, tag: str | None = None, limit: int = -1
    ) -> list[tuple[str, str]]:
        """Cards never reviewed: the first new card of every file, then the second, and so on,
        so a day's new cards span topics while each file keeps its basics-first order.

        One small indexed query per deck file: a window over every new card costs ~0.1 s at
        100k cards, and only the first `limit` of each file can be needed."""
        where, args = self._filters(deck, tag)
        per_file = []
        for (path,) in self.conn.execute("SELECT path FROM deck_files ORDER BY path").fetchall():
            rows = self.conn.execute(
                f"""SELECT c.id, c.deck FROM cards c WHERE c.path = ? AND {where}
                    AND NOT EXISTS (SELECT 1 FROM state s WHERE s.card_id = c.id)
                    ORDER BY c.line LIMIT ?""",
                (path, *args, limit),
            ).fetchall()
            if rows:
                per_file.append(rows)
        turns = [
            rows[rank]
            for rank in range(max(map(len, per_file), default=0))
            for rows in per_file
            if rank < len(rows)
        ]
        return turns if limit < 0 else turns[:limit]

    def computed_cards(
        self, today: date, tag: str | None = None, generator: str | None = None
    ) -> list[str]:
        """Live computed cards: due ones first (most overdue first), then new, then the rest."""
        where, args = self._filters(None, tag)
        if generator:
            where += " AND c.generator = ?"
            args.append(generator)
        rows = self.conn.execute(
            f"""SELECT c.id FROM cards c LEFT JOIN state s ON s.card_id = c.id
                WHERE {where} AND c.type = 'computed'
                ORDER BY CASE WHEN s.due <= ? THEN 0 WHEN s.due IS NULL THEN 1 ELSE 2 END,
                         s.due, c.path, c.line""",
            (*args, today.isoformat()),
        )
        return [r[0] for r in rows]

    def relearning_cards(
        self, today: date, deck: str | None = None, tag: str | None = None
    ) -> list[tuple[str, str]]:
        """Cards whose latest answer today was below Good: they come back the same day."""
        where, args = self._filters(deck, tag)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM cards c JOIN (
                  SELECT card_id, quality, MAX(id) AS last FROM reviews WHERE day = ? GROUP BY card_id
                ) r ON r.card_id = c.id
                WHERE {where} AND r.quality < 4 ORDER BY r.last""",
            (today.isoformat(), *args),
        )
        return rows.fetchall()

    def new_seen_on(self, day: date) -> int:
        """How many cards had their first ever review on `day` (counts against the new limit)."""
        return self.conn.execute(
            """SELECT COUNT(DISTINCT r.card_id) FROM reviews r WHERE r.day = ? AND NOT EXISTS (
                 SELECT 1 FROM reviews p WHERE p.card_id = r.card_id AND p.day < ?)""",
            (day.isoformat(), day.isoformat()),
        ).fetchone()[0]

    def reviewed_on(self, day: date) -> int:
        """Scheduled reviews on `day` of cards that were not new that day (the review cap)."""
        return self.conn.execute(
            """SELECT COUNT(*) FROM reviews r WHERE r.day = ? AND r.scheduled = 1
               AND EXISTS (SELECT 1 FROM reviews p WHERE p.card_id = r.card_id AND p.day < ?)""",
            (day.isoformat(), day.isoformat()),
        ).fetchone()[0]

    def count_due_on(self, day: date, deck: str | None = None, tag: str | None = None) -> int:
        where, args = self._filters(deck, tag)
        return self.conn.execute(
            f"SELECT COUNT(*) FROM state s JOIN cards c ON c.id = s.card_id WHERE {where} AND s.due <= ?",
            (*args, day.isoformat()),
        ).fetchone()[0]

    def upcoming(
        self, after: date, deck: str | None = None, tag: str | None = None, limit: int = 5
    ) -> list[tuple[str, str, str]]:
        """The next cards to fall due after `after`: (id, deck, due date)."""
        where, args = self._filters(deck, tag)
        return self.conn.execute(
            f"""SELECT c.id, c.deck, s.due FROM state s JOIN cards c ON c.id = s.card_id
                WHERE {where} AND s.due > ? ORDER BY s.due, c.path, c.line LIMIT ?""",
            (*args, after.isoformat(), limit),
        ).fetchall()

    def next_due(self, after: date, deck: str | None = None, tag: str | None = None) -> date | None:
        where, args = self._filters(deck, tag)
        row = self.conn.execute(
            f"SELECT MIN(s.due) FROM state s JOIN cards c ON c.id = s.card_id WHERE {where} AND s.due > ?",
            (*args, after.isoformat()),
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    # -- state and the log -------------------------------------------------------------------

    def state(self, card_id: str) -> CardState | None:
        row = self.conn.execute(
            """SELECT repetitions, easiness, interval, due, last_day, lapses, reviews
               FROM state WHERE card_id = ?""",
            (card_id,),
        ).fetchone()
        return _state_from_row(row) if row else None

    def record(
        self,
        card_id: str,
        quality: int,
        when: datetime,
        today: date,
        *,
        response_ms: int | None = None,
        kind: str = "review",
        seed: int | None = None,
        typed: str | None = None,
        correct: bool | None = None,
    ) -> Recorded:
        """Log one answer and update the schedule, in one transaction.

        The first answer of a day schedules the card with SM-2; later answers the same day
        (relearning) are logged but leave the schedule alone."""
        with self.transaction() as conn:
            current = self.state(card_id)
            scheduled = current is None or current.last_day < today
            new_state = current
            if scheduled:
                before = current.sm2 if current else Sm2State()
                sm2, due = schedule(before, quality, today)
                new_state = CardState(
                    sm2,
                    due,
                    today,
                    (current.lapses if current else 0) + is_lapse(before, quality),
                    (current.reviews if current else 0) + 1,
                )
                self._write_state(conn, card_id, new_state)
            cur = conn.execute(
                """INSERT INTO reviews (card_id, ts, day, quality, scheduled, response_ms,
                     repetitions, easiness, interval, due, kind, seed, typed, correct)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    card_id,
                    when.astimezone(timezone.utc).isoformat(timespec="milliseconds"),
                    today.isoformat(),
                    quality,
                    int(scheduled),
                    response_ms,
                    new_state.sm2.repetitions if scheduled and new_state else None,
                    new_state.sm2.easiness if scheduled and new_state else None,
                    new_state.sm2.interval if scheduled and new_state else None,
                    new_state.due.isoformat() if scheduled and new_state else None,
                    kind,
                    seed,
                    typed,
                    None if correct is None else int(correct),
                ),
            )
            return Recorded(cur.lastrowid, scheduled, new_state)

    @staticmethod
    def _write_state(conn: sqlite3.Connection, card_id: str, st: CardState) -> None:
        conn.execute(
            """INSERT OR REPLACE INTO state
               (card_id, repetitions, easiness, interval, due, last_day, lapses, reviews)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                card_id,
                st.sm2.repetitions,
                st.sm2.easiness,
                st.sm2.interval,
                st.due.isoformat(),
                st.last_day.isoformat(),
                st.lapses,
                st.reviews,
            ),
        )

    def undo(self, review_id: int) -> str | None:
        """Remove one answer from the log and rebuild its card's state from what is left."""
        with self.transaction() as conn:
            row = conn.execute("SELECT card_id FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            self._rebuild(conn, row[0])
            return row[0]

    def rebuild_states(self) -> int:
        """Replay the whole log into the state table (the state is only a cache of the log)."""
        with self.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT DISTINCT card_id FROM reviews")]
            conn.execute("DELETE FROM state")
            for card_id in ids:
                self._rebuild(conn, card_id)
            return len(ids)

    def _rebuild(self, conn: sqlite3.Connection, card_id: str) -> None:
        rows = conn.execute(
            "SELECT day, quality FROM reviews WHERE card_id = ? AND scheduled = 1 ORDER BY id",
            (card_id,),
        ).fetchall()
        if not rows:
            conn.execute("DELETE FROM state WHERE card_id = ?", (card_id,))
            return
        sm2, lapses, due, day = Sm2State(), 0, None, None
        for day_text, quality in rows:
            day = date.fromisoformat(day_text)
            lapses += is_lapse(sm2, quality)
            sm2, due = schedule(sm2, quality, day)
        self._write_state(conn, card_id, CardState(sm2, due, day, lapses, len(rows)))

    def reviews(self, card_id: str | None = None) -> list[Review]:
        sql = """SELECT id, card_id, ts, day, quality, scheduled, response_ms, interval, easiness,
                        due, kind, seed, typed, correct FROM reviews"""
        args: tuple = ()
        if card_id is not None:
            sql += " WHERE card_id = ?"
            args = (card_id,)
        out = []
        for r in self.conn.execute(sql + " ORDER BY id", args):
            out.append(
                Review(
                    id=r[0],
                    card_id=r[1],
                    ts=datetime.fromisoformat(r[2]),
                    day=date.fromisoformat(r[3]),
                    quality=r[4],
                    scheduled=bool(r[5]),
                    response_ms=r[6],
                    interval=r[7],
                    easiness=r[8],
                    due=date.fromisoformat(r[9]) if r[9] else None,
                    kind=r[10],
                    seed=r[11],
                    typed=r[12],
                    correct=None if r[13] is None else bool(r[13]),
                )
            )
        return out

    # -- authoring ---------------------------------------------------------------------------

    def reattach_history(self, old: str, new: str) -> int:
        """Move the review history of retired id `old` to live card `new`, which has none: the
        repair after an id was changed by hand in a file (or a rename interrupted between the
        file and the database). `new`'s state is rebuilt from the moved log."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM reviews WHERE card_id = ?", (new,)).fetchone():
                raise ValueError(f"{new!r} already has a review history")
            moved = conn.execute(
                "UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old)
            ).rowcount
            conn.execute("DELETE FROM state WHERE card_id = ?", (old,))
            conn.execute("DELETE FROM card_tags WHERE card_id = ?", (old,))
            conn.execute("DELETE FROM cards WHERE id = ? AND retired = 1", (old,))
            self._rebuild(conn, new)
            return moved

    def rename_card(self, old: str, new: str) -> int:
        """Give card `old` the id `new`: its review log, state, tags and cards row move over, in
        one transaction. Refuses (ValueError) if `new` is already known (a live or retired card,
        or an id in the log). Returns how many reviews moved."""
        with self.transaction() as conn:
            if new in self.known_ids():
                raise ValueError(f"id {new!r} is already in use (a card or the review history)")
            moved = conn.execute(
                "UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old)
            ).rowcount
            conn.execute("UPDATE state SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE card_tags SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE cards SET id = ? WHERE id = ?", (new, old))
            return moved
