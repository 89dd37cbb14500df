"""The SQLite store: card sync from the deck files, the append-only log of answers, the
per-scheduler caches replayed from it, and every query the commands need. The only module
with SQL besides `storage.schema` and `storage.reports`.

The hot path (open, sync of unchanged files, queue, one answer) uses the stdlib `sqlite3`
module only: importing sqlite-utils also imports numpy (~0.3 s), which would double
`mlprep review`'s start-up. sqlite-utils builds the schema and runs migrations."""

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

from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, CardState, Fact, Scheduler, replay_steps
from mlprep.decks.loader import Card, DeckIssue, parse_file
from mlprep.storage.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "CARD_EVENTS",
    "DUE",
    "DUE_ON",
    "FLAGGED_IDS",
    "SCHEMA_VERSION",
    "SUSPENDED_IDS",
    "Recorded",
    "Review",
    "Scope",
    "Store",
    "StoreError",
    "SyncReport",
    "card_scope",
    "count_due_on",
]

BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The database cannot be used as it is (newer schema, not a database, ...)."""


@dataclass(frozen=True)
class Review:
    """One fact of the log, with what the active scheduler made of it (`scheduled`,
    `interval`, `due`: from the replay cache, not the log)."""

    id: int
    card_id: str
    ts: datetime
    day: date
    grade: Grade
    quality: int
    response_ms: int | None
    kind: str = "review"
    source: str = "local"
    seed: int | None = None
    typed: str | None = None
    correct: bool | None = None
    scheduled: bool = False
    interval: int | None = None
    due: date | None = None

    @property
    def answer(self) -> Answer:
        return Answer(self.grade, self.quality)


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


@dataclass(frozen=True)
class Scope:
    """The --deck / --tag / --level filters every card query takes."""

    deck: str | None = None
    tag: str | None = None
    level: str | None = None


def card_scope(scope: Scope | None, alias: str = "c") -> tuple[str, list[Any]]:
    """The one scope filter: `AND ...` conditions on cards aliased `alias` for --deck, --tag
    and --level, and their arguments; retired cards are not excluded here."""
    sql, args = "", []
    if scope is None:
        return sql, args
    if scope.deck:
        sql += f" AND {alias}.deck = ?"
        args.append(scope.deck)
    if scope.tag:
        sql += f" AND {alias}.id IN (SELECT card_id FROM card_tags WHERE tag = ?)"
        args.append(scope.tag)
    if scope.level:
        sql += f" AND {alias}.level = ?"
        args.append(scope.level)
    return sql, args


# The one due predicate of the normal queue policy: a state row `s` due on or before a day.
DUE = "s.due <= ?"
# The one "falls due on a day" predicate: "due tomorrow" in `due`, the session summary and
# `stats` counts the cards whose due date is tomorrow, not those already due today.
DUE_ON = "s.due = ?"

# Card events (facts about a card that are not answers) and the one reading of each pair:
# the latest of a card's suspend/unsuspend (flag/unflag) events says whether it holds.
CARD_EVENTS = ("suspend", "unsuspend", "flag", "unflag")


def _marked_ids(on: str, off: str) -> str:
    return f"""SELECT card_id FROM card_events WHERE event IN ('{on}', '{off}')
               GROUP BY card_id HAVING MAX(CASE WHEN event = '{on}' THEN id END)
                 > COALESCE(MAX(CASE WHEN event = '{off}' THEN id END), 0)"""


# Suspended cards leave every queue (review, cram, drill, the forecasts); flagged ones are
# only listed (`mlprep list --flagged`).
SUSPENDED_IDS = _marked_ids("suspend", "unsuspend")
FLAGGED_IDS = _marked_ids("flag", "unflag")


def count_due_on(
    conn: sqlite3.Connection, scheduler: str, day: date, scope: Scope | None = None
) -> int:
    """Live, unsuspended cards in scope that fall due on `day` (the one definition of "due
    tomorrow"; overdue cards are today's, not tomorrow's)."""
    sql, args = card_scope(scope)
    return conn.execute(
        f"""SELECT COUNT(*) FROM cards c JOIN state s ON s.card_id = c.id AND s.scheduler = ?
            WHERE c.retired = 0 AND c.id NOT IN ({SUSPENDED_IDS}){sql} AND {DUE_ON}""",
        (scheduler, *args, day.isoformat()),
    ).fetchone()[0]


class Store:
    """One open database, scheduling with `scheduler`. Use as a context manager, or close()."""

    def __init__(self, path: Path, scheduler: Scheduler = SM2):
        self.path = path
        self.scheduler = scheduler
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
            self._ensure_cache()
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

    def _ensure_cache(self) -> None:
        """Replay the whole log if the active scheduler's caches are not complete (after a
        migration, or when the scheduler was switched)."""
        name = self.scheduler.name
        if self.conn.execute("SELECT 1 FROM caches WHERE scheduler = ?", (name,)).fetchone():
            return
        self.rebuild_states()

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
            """INSERT INTO cards (id, deck, path, line, type, q, a, generator, params, tags,
                 level, retired)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(id) DO UPDATE SET deck = excluded.deck, path = excluded.path,
                 line = excluded.line, type = excluded.type, q = excluded.q, a = excluded.a,
                 generator = excluded.generator, params = excluded.params, tags = excluded.tags,
                 level = excluded.level, retired = 0""",
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
                    card.level,
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

    _CARD_COLUMNS = "id, deck, q, a, type, generator, params, tags, path, line, level"

    @staticmethod
    def _card_from_row(row: tuple) -> Card:
        cid, deck, q, a, kind, gen, params, tags, path, line, level = row
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
            level=level,
        )

    def card(self, card_id: str) -> Card | None:
        row = self.conn.execute(
            f"SELECT {self._CARD_COLUMNS} FROM cards WHERE id = ?", (card_id,)
        ).fetchone()
        return self._card_from_row(row) if row else None

    def live_cards(self) -> list[Card]:
        """Every live card in file order (id, deck, q, type, path, line; no answers)."""
        rows = self.conn.execute(
            f"SELECT {self._CARD_COLUMNS} FROM cards WHERE retired = 0 ORDER BY path, line"
        )
        return [self._card_from_row(r) for r in rows]

    def live_tags(self) -> list[str]:
        return [
            row[0]
            for row in self.conn.execute(
                """SELECT DISTINCT t.tag FROM card_tags t JOIN cards c ON c.id = t.card_id
                   WHERE c.retired = 0 ORDER BY t.tag"""
            )
        ]

    def is_retired(self, card_id: str) -> bool:
        row = self.conn.execute("SELECT retired FROM cards WHERE id = ?", (card_id,)).fetchone()
        return bool(row and row[0])

    def deck_names(self) -> list[str]:
        """Every deck name the store knows, retired cards included."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT deck FROM cards ORDER BY deck")]

    def tag_names(self) -> list[str]:
        """Every tag the store knows, retired cards included."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT tag FROM card_tags ORDER BY tag")]

    def level_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT level FROM cards ORDER BY level")]

    def known_ids(self) -> set[str]:
        """Every id the store has seen: live cards, retired cards and ids in the review log."""
        ids = {r[0] for r in self.conn.execute("SELECT id FROM cards")}
        ids.update(r[0] for r in self.conn.execute("SELECT DISTINCT card_id FROM reviews"))
        return ids

    # -- queue -------------------------------------------------------------------------------

    @staticmethod
    def _filters(scope: Scope | None) -> tuple[str, list[Any]]:
        """Live, unsuspended cards (alias `c`) within the scope filters."""
        sql, args = card_scope(scope)
        return f"c.retired = 0 AND c.id NOT IN ({SUSPENDED_IDS})" + sql, args

    def _state_join(self) -> str:
        return "state s ON s.card_id = c.id AND s.scheduler = ?"

    def due_cards(
        self, today: date, scope: Scope | None = None, limit: int = -1
    ) -> list[tuple[str, str]]:
        """Review cards due on or before `today`, most overdue first."""
        where, args = self._filters(scope)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM cards c JOIN {self._state_join()}
                WHERE {where} AND {DUE}
                ORDER BY s.due, c.path, c.line LIMIT ?""",
            (self.scheduler.name, *args, today.isoformat(), limit),
        )
        return rows.fetchall()

    def scope_cards(self, scope: Scope | None = None, limit: int = -1) -> list[tuple[str, str]]:
        """Every live card in scope, whatever its schedule (cram): the most overdue first, then
        the rest by due date, then new cards in file order."""
        where, args = self._filters(scope)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM cards c LEFT JOIN {self._state_join()}
                WHERE {where} ORDER BY s.due IS NULL, s.due, c.path, c.line LIMIT ?""",
            (self.scheduler.name, *args, limit),
        )
        return rows.fetchall()

    def new_cards(self, scope: Scope | None = None, limit: int = -1) -> list[tuple[str, str]]:
        """Cards never scheduled, in turns across the deck files: the first new card of every
        file, then the second, and so on, so a day's new cards span topics while each file
        keeps its basics-first order. The files with the fewest cards introduced so far take
        their turn first (ties in path order), so the rotation continues where the previous
        day stopped: with F files and N new cards a day, every file has started by day
        ceil(F / N).

        One small indexed query per deck file: a window over every new card costs ~0.1 s at
        100k cards, and only the first `limit` of each file can be needed."""
        where, args = self._filters(scope)
        introduced = dict(
            self.conn.execute(
                """SELECT c.path, COUNT(*) FROM cards c JOIN state s
                     ON s.card_id = c.id AND s.scheduler = ?
                   WHERE c.retired = 0 GROUP BY c.path""",
                (self.scheduler.name,),
            ).fetchall()
        )
        paths = [p for (p,) in self.conn.execute("SELECT path FROM deck_files ORDER BY path")]
        paths.sort(key=lambda p: introduced.get(p, 0))  # stable: path order breaks ties
        per_file = []
        for path in paths:
            rows = self.conn.execute(
                f"""SELECT c.id, c.deck FROM cards c WHERE c.path = ? AND {where}
                    AND NOT EXISTS (SELECT 1 FROM state s WHERE s.card_id = c.id
                                    AND s.scheduler = ?)
                    ORDER BY c.line LIMIT ?""",
                (path, *args, self.scheduler.name, limit),
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
        where, args = self._filters(Scope(tag=tag))
        if generator:
            where += " AND c.generator = ?"
            args.append(generator)
        rows = self.conn.execute(
            f"""SELECT c.id FROM cards c LEFT JOIN {self._state_join()}
                WHERE {where} AND c.type = 'computed'
                ORDER BY CASE WHEN {DUE} THEN 0 WHEN s.due IS NULL THEN 1 ELSE 2 END,
                         s.due, c.path, c.line""",
            (self.scheduler.name, *args, today.isoformat()),
        )
        return [r[0] for r in rows]

    def relearning_cards(
        self, today: date, scope: Scope | None = None, kinds: tuple[str, ...] = ()
    ) -> list[tuple[str, str]]:
        """Cards whose latest answer today was below Good: they come back the same day. Only
        answers of `kinds` count (default: every kind but cram)."""
        where, args = self._filters(scope)
        if kinds:
            kind_sql = f"kind IN ({', '.join('?' * len(kinds))})"
            kind_args: list[Any] = list(kinds)
        else:
            kind_sql, kind_args = "kind != 'cram'", []
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM cards c JOIN (
                  SELECT card_id, quality, MAX(id) AS last FROM reviews
                  WHERE day = ? AND {kind_sql} GROUP BY card_id
                ) r ON r.card_id = c.id
                WHERE {where} AND r.quality < 4 ORDER BY r.last""",
            (today.isoformat(), *kind_args, *args),
        )
        return rows.fetchall()

    def new_seen_on(self, day: date) -> int:
        """How many cards were introduced on `day` (their first answer that is not cram):
        what counts against the new-card limit."""
        return self.conn.execute(
            """SELECT COUNT(DISTINCT r.card_id) FROM reviews r
               WHERE r.day = ? AND r.kind != 'cram' AND NOT EXISTS (
                 SELECT 1 FROM reviews p WHERE p.card_id = r.card_id AND p.day < ?
                 AND p.kind != 'cram')""",
            (day.isoformat(), day.isoformat()),
        ).fetchone()[0]

    def reviewed_on(self, day: date) -> int:
        """Scheduling answers on `day` of cards that were not new that day (the review cap)."""
        return self.conn.execute(
            """SELECT COUNT(*) FROM reviews r JOIN steps x
                 ON x.review_id = r.id AND x.scheduler = ? AND x.scheduled = 1
               WHERE r.day = ? AND x.interval_before IS NOT NULL""",
            (self.scheduler.name, day.isoformat()),
        ).fetchone()[0]

    def count_due_on(self, day: date, scope: Scope | None = None) -> int:
        """Cards that fall due on `day` (see `count_due_on`)."""
        return count_due_on(self.conn, self.scheduler.name, day, scope)

    def upcoming(
        self, after: date, scope: Scope | None = None, limit: int = 5
    ) -> list[tuple[str, str, str]]:
        """The next cards to fall due after `after`: (id, deck, due date)."""
        where, args = self._filters(scope)
        return self.conn.execute(
            f"""SELECT c.id, c.deck, s.due FROM cards c JOIN {self._state_join()}
                WHERE {where} AND NOT {DUE} ORDER BY s.due, c.path, c.line LIMIT ?""",
            (self.scheduler.name, *args, after.isoformat(), limit),
        ).fetchall()

    def next_due(self, after: date, scope: Scope | None = None) -> date | None:
        where, args = self._filters(scope)
        row = self.conn.execute(
            f"""SELECT MIN(s.due) FROM cards c JOIN {self._state_join()}
                WHERE {where} AND NOT {DUE}""",
            (self.scheduler.name, *args, after.isoformat()),
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def list_rows(self, scope: Scope | None = None) -> list[tuple]:
        """Every card in scope, retired ones last, with its state: (id, deck, type, tags, path,
        line, retired, streak, interval, due) for `mlprep list`."""
        sql, args = card_scope(scope)
        return self.conn.execute(
            f"""SELECT c.id, c.deck, c.type, c.tags, c.path, c.line, c.retired, s.streak,
                       s.interval, s.due
                FROM cards c LEFT JOIN {self._state_join()} WHERE 1 = 1{sql}
                ORDER BY c.retired, c.deck, c.path, c.line""",
            (self.scheduler.name, *args),
        ).fetchall()

    # -- state and the log -------------------------------------------------------------------

    def state(self, card_id: str) -> CardState | None:
        row = self.conn.execute(
            """SELECT memory, due, interval, last_day, streak, lapses, reviews
               FROM state WHERE scheduler = ? AND card_id = ?""",
            (self.scheduler.name, card_id),
        ).fetchone()
        if row is None:
            return None
        memory, due, interval, last_day, streak, lapses, reviews = row
        return CardState(
            self.scheduler.from_dict(json.loads(memory)),
            date.fromisoformat(due),
            interval,
            date.fromisoformat(last_day),
            streak,
            lapses,
            reviews,
        )

    def facts(self, card_id: str) -> list[Fact]:
        """A card's logged answers in order, as the schedulers replay them."""
        return [
            Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
            for day, grade, quality, kind in self.conn.execute(
                "SELECT day, grade, quality, kind FROM reviews WHERE card_id = ? ORDER BY id",
                (card_id,),
            )
        ]

    def record(
        self,
        card_id: str,
        answer: Answer,
        when: datetime,
        today: date,
        *,
        response_ms: int | None = None,
        kind: str = "review",
        source: str = "local",
        seed: int | None = None,
        typed: str | None = None,
        correct: bool | None = None,
    ) -> Recorded:
        """Append one answer to the log and replay its card, in one transaction."""
        with self.transaction() as conn:
            cur = conn.execute(
                """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind,
                     source, seed, typed, correct)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    card_id,
                    when.astimezone(timezone.utc).isoformat(timespec="milliseconds"),
                    today.isoformat(),
                    int(answer.grade),
                    answer.quality,
                    response_ms,
                    kind,
                    source,
                    seed,
                    typed,
                    None if correct is None else int(correct),
                ),
            )
            review_id = cur.lastrowid
            state = self._replay(conn, card_id)
            scheduled = conn.execute(
                "SELECT scheduled FROM steps WHERE scheduler = ? AND review_id = ?",
                (self.scheduler.name, review_id),
            ).fetchone()[0]
            return Recorded(review_id, bool(scheduled), state)

    def undo(self, review_id: int) -> str | None:
        """Remove one answer from the log and replay its card from what is left."""
        with self.transaction() as conn:
            row = conn.execute("SELECT card_id FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            self._replay(conn, row[0])
            return row[0]

    def rebuild_states(self) -> int:
        """Replay the whole log into the active scheduler's caches (they are only a cache of
        the log) and mark them complete."""
        name = self.scheduler.name
        with self.transaction() as conn:
            conn.execute("DELETE FROM state WHERE scheduler = ?", (name,))
            conn.execute("DELETE FROM steps WHERE scheduler = ?", (name,))
            by_card: dict[str, list[tuple[int, Fact]]] = {}
            for rid, card_id, day, grade, quality, kind in conn.execute(
                "SELECT id, card_id, day, grade, quality, kind FROM reviews ORDER BY id"
            ):
                fact = Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
                by_card.setdefault(card_id, []).append((rid, fact))
            for card_id, rows in by_card.items():
                self._write_replay(conn, card_id, rows)
            conn.execute(
                "INSERT OR REPLACE INTO caches (scheduler, built) VALUES (?, ?)",
                (name, datetime.now(timezone.utc).isoformat(timespec="seconds")),
            )
            return len(by_card)

    def _replay(self, conn: sqlite3.Connection, card_id: str) -> CardState | None:
        """Replay one card after its facts changed. Other schedulers' caches are now stale:
        drop them (they are rebuilt when next used)."""
        conn.execute("DELETE FROM state WHERE scheduler != ?", (self.scheduler.name,))
        conn.execute("DELETE FROM steps WHERE scheduler != ?", (self.scheduler.name,))
        conn.execute("DELETE FROM caches WHERE scheduler != ?", (self.scheduler.name,))
        rows = [
            (rid, Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind))
            for rid, day, grade, quality, kind in conn.execute(
                "SELECT id, day, grade, quality, kind FROM reviews WHERE card_id = ? ORDER BY id",
                (card_id,),
            )
        ]
        conn.execute(
            "DELETE FROM state WHERE scheduler = ? AND card_id = ?", (self.scheduler.name, card_id)
        )
        conn.execute(
            "DELETE FROM steps WHERE scheduler = ? AND card_id = ?", (self.scheduler.name, card_id)
        )
        return self._write_replay(conn, card_id, rows)

    def _write_replay(
        self, conn: sqlite3.Connection, card_id: str, rows: list[tuple[int, Fact]]
    ) -> CardState | None:
        name = self.scheduler.name
        steps = replay_steps(self.scheduler, [fact for _, fact in rows])
        before: CardState | None = None
        step_rows = []
        for (rid, _), after in zip(rows, steps, strict=True):
            scheduled = after is not None and (before is None or after.last_day != before.last_day)
            step_rows.append(
                (
                    name,
                    rid,
                    card_id,
                    int(scheduled),
                    before.interval if scheduled and before is not None else None,
                    after.interval if scheduled and after is not None else None,
                    after.due.isoformat() if scheduled and after is not None else None,
                    self.scheduler.ease(after.memory) if scheduled and after is not None else None,
                )
            )
            before = after
        conn.executemany(
            """INSERT INTO steps (scheduler, review_id, card_id, scheduled, interval_before,
                 interval, due, ease) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            step_rows,
        )
        state = steps[-1] if steps else None
        if state is not None:
            conn.execute(
                """INSERT INTO state (scheduler, card_id, due, interval, last_day, streak, lapses,
                     reviews, ease, memory) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    name,
                    card_id,
                    state.due.isoformat(),
                    state.interval,
                    state.last_day.isoformat(),
                    state.streak,
                    state.lapses,
                    state.reviews,
                    self.scheduler.ease(state.memory),
                    json.dumps(self.scheduler.to_dict(state.memory)),
                ),
            )
        return state

    def reviews(self, card_id: str | None = None) -> list[Review]:
        sql = """SELECT r.id, r.card_id, r.ts, r.day, r.grade, r.quality, r.response_ms, r.kind,
                        r.source, r.seed, r.typed, r.correct, x.scheduled, x.interval, x.due
                 FROM reviews r LEFT JOIN steps x ON x.review_id = r.id AND x.scheduler = ?"""
        args: tuple = (self.scheduler.name,)
        if card_id is not None:
            sql += " WHERE r.card_id = ?"
            args += (card_id,)
        out = []
        for r in self.conn.execute(sql + " ORDER BY r.id", args):
            out.append(
                Review(
                    id=r[0],
                    card_id=r[1],
                    ts=datetime.fromisoformat(r[2]),
                    day=date.fromisoformat(r[3]),
                    grade=Grade(r[4]),
                    quality=r[5],
                    response_ms=r[6],
                    kind=r[7],
                    source=r[8],
                    seed=r[9],
                    typed=r[10],
                    correct=None if r[11] is None else bool(r[11]),
                    scheduled=bool(r[12]),
                    interval=r[13],
                    due=date.fromisoformat(r[14]) if r[14] else None,
                )
            )
        return out

    # -- card events (suspend, flag) ---------------------------------------------------------

    def add_card_event(self, card_id: str, event: str, when: datetime) -> int:
        """Append one card event (suspend, unsuspend, flag, unflag) to `card_events`."""
        if event not in CARD_EVENTS:
            raise ValueError(f"unknown card event {event!r}; expected one of {CARD_EVENTS}")
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO card_events (card_id, ts, event) VALUES (?, ?, ?)",
                (card_id, when.astimezone(timezone.utc).isoformat(timespec="milliseconds"), event),
            )
            return cur.lastrowid

    def suspended_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute(SUSPENDED_IDS)}

    def flagged_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute(FLAGGED_IDS)}

    def scoped_cards(self, scope: Scope | None = None) -> list[Card]:
        """Every live card in scope (suspended ones included), in file order: what search
        ranks."""
        sql, args = card_scope(scope, "cards")
        rows = self.conn.execute(
            f"SELECT {self._CARD_COLUMNS} FROM cards WHERE retired = 0{sql} ORDER BY path, line",
            args,
        )
        return [self._card_from_row(r) for r in rows]

    # -- authoring ---------------------------------------------------------------------------

    def reattach_history(self, old: str, new: str) -> int:
        """Move the review history of retired id `old` to live card `new`, which has none: the
        repair after an id was changed by hand in a file (or a rename interrupted between the
        file and the database). `new` is replayed from the moved log."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM reviews WHERE card_id = ?", (new,)).fetchone():
                raise ValueError(f"{new!r} already has a review history")
            moved = conn.execute(
                "UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old)
            ).rowcount
            conn.execute("DELETE FROM state WHERE card_id = ?", (old,))
            conn.execute("DELETE FROM steps WHERE card_id = ?", (old,))
            conn.execute("DELETE FROM card_tags WHERE card_id = ?", (old,))
            conn.execute("DELETE FROM cards WHERE id = ? AND retired = 1", (old,))
            self._replay(conn, new)
            return moved

    def rename_card(self, old: str, new: str) -> int:
        """Give card `old` the id `new`: its review log, caches, tags and cards row move over, in
        one transaction. Refuses (ValueError) if `new` is already known (a live or retired card,
        or an id in the log). Returns how many reviews moved."""
        with self.transaction() as conn:
            if new in self.known_ids():
                raise ValueError(f"id {new!r} is already in use (a card or the review history)")
            moved = conn.execute(
                "UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old)
            ).rowcount
            conn.execute("UPDATE state SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE steps SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE card_tags SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE cards SET id = ? WHERE id = ?", (new, old))
            return moved
