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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, CardState, Fact, Scheduler, StepFields, replay_fields
from mlprep.decks.loader import Card, DeckIssue, LoadResult, parse_file
from mlprep.storage.safety import (
    SQLITE_CORRUPT,
    SQLITE_ERROR,
    NotSaved,
    StoreCorrupt,
    StoreError,
    Unsaved,
    begin_immediate,
    classify,
    decoding,
    error_code,
    lock_wait,
    restore_hint,
    retry_busy,
    rollback,
    run_write,
)
from mlprep.storage.schema import MIGRATIONS, REQUIRED_COLUMNS, SCHEMA_VERSION

if TYPE_CHECKING:
    from mlprep.storage.backups import BackupPolicy

__all__ = [
    "CARD_EVENTS",
    "DUE",
    "DUE_ON",
    "FLAGGED_IDS",
    "SCHEMA_VERSION",
    "FactImport",
    "ImportedFact",
    "SUSPENDED_IDS",
    "Recorded",
    "Review",
    "Scope",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "SyncReport",
    "card_scope",
    "count_due_on",
]

BUSY_TIMEOUT_MS = 5000  # SQLite's own wait per attempt; `run_write` retries up to lock_wait()
MAX_RENAME_HOPS = 50  # a chain of renames longer than this is a loop in a damaged table


_decoding = decoding


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
    card_id: str = ""  # the id the answer was logged under (a card renamed since: its new id)


@dataclass(frozen=True)
class ImportedFact:
    """An answer given in another tool (an Anki review), to append to the log: `kind` is
    `import`, or `cram` for one that must not move a schedule."""

    card_id: str
    when: datetime
    day: date
    answer: Answer
    response_ms: int | None = None
    kind: str = "import"


@dataclass(frozen=True)
class FactImport:
    """What `Store.import_facts` did (or, in a dry run, would do)."""

    added: int
    already: int  # facts that were in the log already (an earlier import)
    replayed: int  # cards replayed


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


_INSERT_STEPS = """INSERT INTO steps (scheduler, review_id, card_id, scheduled, interval_before,
                     interval, due, ease) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_STATE = """INSERT INTO state (scheduler, card_id, due, interval, last_day, streak, lapses,
                     reviews, ease, memory) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


_ISO_DAYS: dict[date, str] = {}  # date.isoformat() is slow, and a log has few distinct days


def _iso_day(day: date) -> str:
    if len(_ISO_DAYS) > 100_000:
        _ISO_DAYS.clear()
    text = _ISO_DAYS[day] = day.isoformat()
    return text


BULK_STEPS = 20_000  # more cache rows than this at once: the steps index is built afterwards
REPLAY_SCAN_SHARE = 0.5  # replaying this share of the answered cards: read the log in one pass
REPLAY_SCAN_MIN = 1_000  # (counting the answered cards is not worth it for fewer)


class Store:
    """One open database, scheduling with `scheduler`. Use as a context manager, or close()."""

    def __init__(
        self,
        path: Path,
        scheduler: Scheduler | None = SM2,
        backups: BackupPolicy | None = None,
    ):
        """`scheduler` None: the caller calls `use_scheduler` next (it may depend on what the
        database holds, e.g. fitted FSRS parameters). `backups` None: no automatic backups
        (before a migration)."""
        self.path = path
        self.scheduler: Scheduler = scheduler or SM2
        self.memory: Scheduler | None = None  # the memory model's scheduler, cached too
        self.backups = backups
        # Writes that failed (busy, full, read-only) and are kept to be made before the next.
        self.unsaved: list[Unsaved] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data dir {path.parent}: {exc.strerror}") from None
        self._refuse_truncated()
        timeout_ms = int(min(BUSY_TIMEOUT_MS, lock_wait() * 1000))
        try:
            self.conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise classify(exc, path) from None
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            # Look before writing anything (switching to WAL rewrites the header): a damaged
            # or foreign database is refused byte for byte as it was.
            self._check_before_use()
            self._use_wal()
            # FULL: an answered card must survive a power cut too, not only a crash.
            self.conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
            if scheduler is not None:
                self._ensure_cache()
        except sqlite3.Error as exc:
            self.conn.close()
            raise classify(exc, path) from None
        except StoreError:
            self.conn.close()
            raise

    def _refuse_truncated(self) -> None:
        """SQLite takes a 0-byte file for a new, empty database. That is right for a file
        just made (`touch`), but if backups of this database exist it once held a log: it was
        truncated (a full disk, a sync conflict), and starting afresh would hide the loss."""
        try:
            if self.path.stat().st_size != 0:
                return
        except OSError:
            return  # missing (a new database) or unreadable: connect() says which
        from mlprep.storage.backups import list_backups

        folder = self.backups.folder if self.backups else self.path.parent / "backups"
        backups = list_backups(folder)
        if backups:
            raise StoreCorrupt(
                f"the database {self.path} is empty (0 bytes), but {len(backups)} backup(s) of "
                f"it exist (the newest: {backups[-1].name}): it was emptied, e.g. by a "
                f"full disk or a sync tool. {restore_hint(self.path)}"
            )

    def _use_wal(self) -> None:
        """Switch to WAL once (the mode is kept in the file). The switch needs every other
        connection gone and SQLite answers BUSY at once rather than waiting, so several
        first opens at the same moment retry it."""
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        retry_busy(lambda: self.conn.execute("PRAGMA journal_mode = WAL"), self.path)

    def use_scheduler(self, scheduler: Scheduler, memory: Scheduler | None = None) -> None:
        """Schedule with `scheduler` from now on and keep `memory` (the memory model's FSRS)
        cached beside it, replaying the log for whichever caches are stale."""
        self.scheduler = scheduler
        self.memory = memory
        self._ensure_cache()

    def rebuild_kept(self) -> None:
        """Replay the whole log for every kept scheduler (after the log was rewritten)."""
        for scheduler in self._kept():
            self.rebuild_states(scheduler)

    def _kept(self) -> list[Scheduler]:
        """The schedulers whose caches every write keeps up to date."""
        kept = [self.scheduler]
        if self.memory is not None and self.memory.key != self.scheduler.key:
            kept.append(self.memory)
        return kept

    # -- meta: small facts about this database ---------------------------------------------

    def meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (key, json.dumps(value)),
                )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database, after one last try at the writes kept unsaved (those that
        still fail stay listed in `safety.pending_unsaved()`, for the CLI to name)."""
        if any(not u.done for u in self.unsaved):
            with suppress(StoreError):
                self._save_unsaved()
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Waiting for the lock is
        retried with backoff up to `lock_wait()`; SQLite errors come out as StoreError
        subclasses (StoreBusy, StoreFull, ...). `write` also retries a body that met a busy
        database midway: prefer it for new code."""
        conn = self.conn
        begin_immediate(conn, self.path)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise classify(exc, self.path) from None
            raise

    def write(self, body: Callable[[sqlite3.Connection], Any], action: str = "") -> Any:
        """Run `body(conn)` in one write transaction, retried as a whole while the database is
        busy (up to `lock_wait()`), after the writes kept unsaved. SQLite errors come out as
        StoreError subclasses; `action` names what was being done, for the message."""
        self._save_unsaved()
        return run_write(self.conn, body, self.path, action=action)

    def keep(
        self, description: str, body: Callable[[sqlite3.Connection], Any], action: str = ""
    ) -> Any:
        """`write`, but if it fails the write is kept in memory, to be made before the next one
        (or by `save_unsaved`), and NotSaved is raised naming it (`description`, e.g. 'the
        answer Good to card adam-1'). For facts that must not be lost: answers, synced facts."""
        try:
            return self.write(body, action)
        except StoreError as exc:
            pending = Unsaved(description, body)
            pending.reason = str(exc)
            self.unsaved.append(pending)
            raise NotSaved(pending, exc) from None

    def save_unsaved(self) -> int:
        """Make the writes kept unsaved, in order, in one transaction; how many were made.
        Raises a StoreError if they still cannot be made (they stay kept)."""
        return self._save_unsaved()

    def _save_unsaved(self) -> int:
        pending = [u for u in self.unsaved if not (u.done or u.discarded)]
        if not pending:
            self.unsaved = []
            return 0

        def body(conn: sqlite3.Connection) -> list[Any]:
            return [u.write(conn) for u in pending]

        try:
            results = run_write(self.conn, body, self.path, action="save the kept answers")
        except StoreError as exc:
            for u in pending:
                u.reason = str(exc)
            raise
        for u, result in zip(pending, results, strict=True):
            u.result, u.done = result, True
        self.unsaved = []
        return len(pending)

    def discard(self, pending: Unsaved) -> None:
        """Forget a kept write that was never made (its answer was undone)."""
        if not pending.done:
            pending.discarded = True
            self.unsaved = [u for u in self.unsaved if u is not pending]

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        # A newer or negative version was refused by `_check_before_use`, which runs first.
        version = self.schema_version
        if version == SCHEMA_VERSION:
            return
        if version > 0 and self.backups is not None:
            self.backups.take(self.conn, "migration")
        import sqlite_utils

        db = sqlite_utils.Database(self.conn)

        def migrate(conn: sqlite3.Connection) -> None:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = self.schema_version
            if version == 0:
                self._refuse_foreign_tables(conn)
            try:
                for step in MIGRATIONS[version:]:
                    step(db)
            except sqlite3.OperationalError as exc:
                if error_code(exc) not in (None, SQLITE_ERROR, SQLITE_CORRUPT):
                    raise  # busy, full, read-only: not the tables' fault (retried or said)
                raise StoreCorrupt(
                    f"the database {self.path} says it has schema version {version}, but its "
                    f"tables do not match ({exc}): it is damaged. {restore_hint(self.path)}"
                ) from None
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        run_write(self.conn, migrate, self.path, action="upgrade the database")

    def _check_before_use(self) -> None:
        """Refuse, without writing, a database this version cannot use: a newer schema, a
        negative version, tables under version 0, or missing tables and columns. Read in one
        transaction: another process's first open may commit the tables and the version
        between two reads, which would look like tables under version 0."""

        def check() -> None:
            self.conn.execute("BEGIN")
            try:
                self._check_schema_snapshot()
            finally:
                rollback(self.conn)

        retry_busy(check, self.path)

    def _check_schema_snapshot(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this mlprep knows up to "
                f"{SCHEMA_VERSION}. Upgrade mlprep."
            )
        if version < 0:
            raise StoreCorrupt(
                f"the database {self.path} claims schema version {version}, which no mlprep "
                f"ever wrote: it is damaged. {restore_hint(self.path)}"
            )
        if version == 0:
            self._refuse_foreign_tables(self.conn)
        elif version == SCHEMA_VERSION:
            self._check_schema()

    def _refuse_foreign_tables(self, conn: sqlite3.Connection) -> None:
        """A database at schema version 0 must be empty: tables there are mlprep's own with a
        lost version number (damaged), or another program's (not ours to change)."""
        tables = sorted(
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        )
        if not tables:
            return
        if set(tables) & set(REQUIRED_COLUMNS):
            raise StoreCorrupt(
                f"the database {self.path} holds mlprep's tables but claims schema version 0: "
                f"it is damaged. {restore_hint(self.path)}"
            )
        raise StoreError(
            f"{self.path} is another program's database (tables: {', '.join(tables[:5])}), "
            "not mlprep's; mlprep leaves it alone. Point MLPREP_HOME at another folder"
        )

    def _check_schema(self) -> None:
        """Every table and column this version reads must be there (one query): a missing
        one means the file was edited or damaged, and it is better said now than when the
        next answer is written."""
        present: dict[str, set[str]] = {}
        for table, column in self.conn.execute(
            """SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
               WHERE m.type = 'table'"""
        ):
            present.setdefault(table, set()).add(column)
        missing = []
        for table, columns in REQUIRED_COLUMNS.items():
            if table not in present:
                missing.append(f"table {table}")
            else:
                missing += [f"column {table}.{c}" for c in sorted(columns - present[table])]
        if missing:
            raise StoreCorrupt(
                f"the database {self.path} is damaged: it says schema version "
                f"{self.schema_version}, but {', '.join(missing[:6])} "
                f"{'is' if len(missing) == 1 else 'are'} missing. {restore_hint(self.path)}"
            )

    def _ensure_cache(self) -> None:
        """Replay the whole log for each kept scheduler whose caches are not complete (after a
        migration, a switch of scheduler, or a refit of the memory model)."""
        for scheduler in self._kept():
            key = scheduler.key
            if not self.conn.execute("SELECT 1 FROM caches WHERE scheduler = ?", (key,)).fetchone():
                self.rebuild_states(scheduler)

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
        with _decoding(self.path, "deck_files.issues"):
            for path in current:
                if path not in changed and cached[path][2]:
                    report.issues += [
                        DeckIssue(path, line, msg) for line, msg in json.loads(cached[path][2])
                    ]
        if not changed and not removed:
            return report
        # Parse before taking the write lock: a large deck takes seconds to read, and other
        # mlprep processes (a review recording an answer) must not wait for that.
        order = {p: i for i, p in enumerate(current)}
        changed.sort(key=order.__getitem__)
        parsed: dict[str, LoadResult] = {path: parse_file(Path(path)) for path in changed}

        def write(conn: sqlite3.Connection) -> list[DeckIssue]:
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
            found: list[DeckIssue] = []
            for path in changed:
                result = parsed[path]
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
                found += issues
            self._complete_renames(conn)
            return found

        report.issues += self.write(write, "update the card index")
        report.parsed += changed
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

    def _card_from_row(self, row: tuple) -> Card:
        cid, deck, q, a, kind, gen, params, tags, path, line, level = row
        with _decoding(self.path, f"the card {cid!r}"):
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
            (self.scheduler.key, *args, today.isoformat(), limit),
        )
        return rows.fetchall()

    def scope_cards(self, scope: Scope | None = None, limit: int = -1) -> list[tuple[str, str]]:
        """Every live card in scope, whatever its schedule (cram): the most overdue first, then
        the rest by due date, then new cards in file order."""
        where, args = self._filters(scope)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck FROM cards c LEFT JOIN {self._state_join()}
                WHERE {where} ORDER BY s.due IS NULL, s.due, c.path, c.line LIMIT ?""",
            (self.scheduler.key, *args, limit),
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
                (self.scheduler.key,),
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
                (path, *args, self.scheduler.key, limit),
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
            (self.scheduler.key, *args, today.isoformat()),
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
            (self.scheduler.key, day.isoformat()),
        ).fetchone()[0]

    def count_due_on(self, day: date, scope: Scope | None = None) -> int:
        """Cards that fall due on `day` (see `count_due_on`)."""
        return count_due_on(self.conn, self.scheduler.key, day, scope)

    def upcoming(
        self, after: date, scope: Scope | None = None, limit: int = 5
    ) -> list[tuple[str, str, str]]:
        """The next cards to fall due after `after`: (id, deck, due date)."""
        where, args = self._filters(scope)
        return self.conn.execute(
            f"""SELECT c.id, c.deck, s.due FROM cards c JOIN {self._state_join()}
                WHERE {where} AND NOT {DUE} ORDER BY s.due, c.path, c.line LIMIT ?""",
            (self.scheduler.key, *args, after.isoformat(), limit),
        ).fetchall()

    def next_due(self, after: date, scope: Scope | None = None) -> date | None:
        where, args = self._filters(scope)
        row = self.conn.execute(
            f"""SELECT MIN(s.due) FROM cards c JOIN {self._state_join()}
                WHERE {where} AND NOT {DUE}""",
            (self.scheduler.key, *args, after.isoformat()),
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def answer_seconds(
        self, cap_ms: int = 60_000, recent: int = 5000
    ) -> dict[str, tuple[float, int]]:
        """Measured answer times over the `recent` latest answers, each capped at `cap_ms`:
        the mean seconds of a review of a learned basic card (`review`) and of a computed card
        (`computed`), and of a new card's first day, same-day repeats included (`new`); with
        how many were measured. Recent answers say more about today's pace, and cost less."""
        (last,) = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()
        since = last - recent
        out: dict[str, tuple[float, int]] = {"review": (0.0, 0), "computed": (0.0, 0)}
        for computed, mean, n in self.conn.execute(
            """SELECT c.type = 'computed', AVG(MIN(r.response_ms, ?)) / 1000.0, COUNT(*)
               FROM reviews r JOIN steps x ON x.review_id = r.id AND x.scheduler = ?
               JOIN cards c ON c.id = r.card_id
               WHERE r.id > ? AND x.scheduled = 1 AND x.interval_before IS NOT NULL
                 AND r.response_ms IS NOT NULL GROUP BY 1""",
            (cap_ms, self.scheduler.key, since),
        ):
            out["computed" if computed else "review"] = (mean or 0.0, n)
        # A new card's first day: the answers on the day of its first scheduling answer.
        # The recent rows by rowid (NOT INDEXED: not a walk of the whole card index), and each
        # one's earlier answers looked up by index (NOT IN read every earlier answer).
        first_day: dict[str, tuple[str, int]] = {}
        for card_id, day, total in self.conn.execute(
            """SELECT card_id, day, SUM(MIN(response_ms, ?)) FROM reviews r NOT INDEXED
               WHERE id > ? AND kind != 'cram' AND response_ms IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM reviews p WHERE p.card_id = r.card_id
                               AND p.id <= ? AND p.kind != 'cram')
               GROUP BY card_id, day ORDER BY card_id, day""",
            (cap_ms, since, since),
        ):
            first_day.setdefault(card_id, (day, total))
        totals = [total for _, total in first_day.values()]
        out["new"] = (sum(totals) / len(totals) / 1000.0 if totals else 0.0, len(totals))
        return out

    def seconds_on(self, day: date) -> float:
        """Answer time logged on study day `day` (each answer capped at 60 s), cram included."""
        (total,) = self.conn.execute(
            "SELECT TOTAL(MIN(COALESCE(response_ms, 0), 60000)) FROM reviews WHERE day = ?",
            (day.isoformat(),),
        ).fetchone()
        return total / 1000.0

    def answered_on(self, day: date) -> set[str]:
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT card_id FROM reviews WHERE day = ? AND kind != 'cram'",
                (day.isoformat(),),
            )
        }

    def list_rows(self, scope: Scope | None = None) -> list[tuple]:
        """Every card in scope, retired ones last, with its state: (id, deck, type, tags, path,
        line, retired, streak, interval, due) for `mlprep list`."""
        sql, args = card_scope(scope)
        return self.conn.execute(
            f"""SELECT c.id, c.deck, c.type, c.tags, c.path, c.line, c.retired, s.streak,
                       s.interval, s.due
                FROM cards c LEFT JOIN {self._state_join()} WHERE 1 = 1{sql}
                ORDER BY c.retired, c.deck, c.path, c.line""",
            (self.scheduler.key, *args),
        ).fetchall()

    # -- state and the log -------------------------------------------------------------------

    def state(self, card_id: str) -> CardState | None:
        row = self.conn.execute(
            """SELECT memory, due, interval, last_day, streak, lapses, reviews
               FROM state WHERE scheduler = ? AND card_id = ?""",
            (self.scheduler.key, card_id),
        ).fetchone()
        if row is None:
            return None
        memory, due, interval, last_day, streak, lapses, reviews = row
        with _decoding(self.path, f"the state of card {card_id!r}"):
            return CardState(
                self.scheduler.from_dict(json.loads(memory)),
                date.fromisoformat(due),
                interval,
                date.fromisoformat(last_day),
                streak,
                lapses,
                reviews,
            )

    def memory_rows(self, scope: Scope | None = None) -> list[tuple[str, str, str, str, Any, Any]]:
        """Live cards in scope, in file order, each with the memory model's replayed state:
        (id, deck, tags, type, memory, last day), memory and last day None for a card never
        answered. One query: interview mode plans from it."""
        scheduler = self.memory or self.scheduler
        where, args = self._filters(scope)
        rows = self.conn.execute(
            f"""SELECT c.id, c.deck, c.tags, c.type, s.memory, s.last_day
                FROM cards c LEFT JOIN {self._state_join()}
                WHERE {where} ORDER BY c.path, c.line""",
            (scheduler.key, *args),
        ).fetchall()
        decode, loads, day = scheduler.from_dict, json.loads, date.fromisoformat
        with _decoding(self.path, "the memory model's states"):
            return [
                (cid, deck, tags, kind, None, None)
                if memory is None
                else (cid, deck, tags, kind, decode(loads(memory)), day(last_day))
                for cid, deck, tags, kind, memory, last_day in rows
            ]

    def facts(self, card_id: str) -> list[Fact]:
        """A card's logged answers in order, as the schedulers replay them."""
        with _decoding(self.path, f"the answers to card {card_id!r}"):
            return [
                Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
                for day, grade, quality, kind in self.conn.execute(
                    "SELECT day, grade, quality, kind FROM reviews WHERE card_id = ? ORDER BY id",
                    (card_id,),
                )
            ]

    def all_facts(self, scope: Scope | None = None) -> dict[str, list[Fact]]:
        """Every card's logged answers in order, retired cards included (within `scope`)."""
        out: dict[str, list[Fact]] = {}
        sql, args = card_scope(scope, "k")
        where = f" WHERE card_id IN (SELECT k.id FROM cards k WHERE 1 = 1{sql})" if sql else ""
        with _decoding(self.path, "the review log"):
            for card_id, day, grade, quality, kind in self.conn.execute(
                f"SELECT card_id, day, grade, quality, kind FROM reviews{where} ORDER BY id", args
            ):
                out.setdefault(card_id, []).append(
                    Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
                )
        return out

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
        """Append one answer to the log and replay its card, in one transaction.

        The answer goes to the card as it is called when written: if the card was renamed
        since the session showed it, to its new id. If the database cannot be written (locked
        for longer than `lock_wait()`, full, read-only), the answer is kept in memory and
        written before the next write, and NotSaved says so, naming it. The answer gets this
        device's id and its next sequence number (its identity in `mlprep sync`)."""
        row = (
            format_ts(when),
            today.isoformat(),
            int(answer.grade),
            answer.quality,
            response_ms,
            kind,
            source,
            seed,
            typed,
            None if correct is None else int(correct),
        )

        def write(conn: sqlite3.Connection) -> Recorded:
            target = self._current_id(conn, card_id)
            device, seq = self._next_seq(conn)
            cur = conn.execute(
                """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind,
                     source, seed, typed, correct, device, seq)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (target, *row, device, seq),
            )
            review_id = cur.lastrowid
            state = self._replay(conn, target)
            scheduled = conn.execute(
                "SELECT scheduled FROM steps WHERE scheduler = ? AND review_id = ?",
                (self.scheduler.key, review_id),
            ).fetchone()[0]
            return Recorded(review_id, bool(scheduled), state, target)

        local = when.astimezone().strftime("%Y-%m-%d %H:%M")
        description = f"the answer {answer.grade.label} to card {card_id} ({local})"
        return self.keep(description, write, "record the answer")

    def _current_id(self, conn: sqlite3.Connection, card_id: str) -> str:
        """The id `card_id` has now: itself if a live card has it, else where the rename facts
        took it (the latest rename of each id in the chain, made here or synced in)."""
        if conn.execute("SELECT 1 FROM cards WHERE id = ? AND retired = 0", (card_id,)).fetchone():
            return card_id
        current, seen = card_id, {card_id}
        for _ in range(MAX_RENAME_HOPS):
            row = conn.execute(
                "SELECT new FROM renames WHERE old = ? ORDER BY ts DESC, device DESC, seq DESC",
                (current,),
            ).fetchone()
            if row is None or row[0] in seen:
                break
            current = row[0]
            seen.add(current)
        return current

    def undo(self, review_id: int) -> str | None:
        """Remove one answer (by its id: exactly the fact the caller wrote, whatever else was
        written since) from the log and replay its card from what is left. If the database
        cannot be written, the removal is kept like an unsaved answer (NotSaved). An answer
        with an identity leaves an undo fact naming it, so that the undo reaches the devices
        it was synced to (an answer already in a sync folder cannot be deleted there)."""

        def write(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT card_id, device, seq FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                return None
            if row[1] is not None:
                device, seq = self._next_seq(conn)
                conn.execute(
                    """INSERT INTO undos (ts, device, seq, target_device, target_seq)
                       VALUES (?, ?, ?, ?, ?)""",
                    (_utc_now(), device, seq, row[1], row[2]),
                )
            conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            self._replay(conn, row[0])
            return row[0]

        return self.keep(f"the undo of answer #{review_id}", write, "undo the answer")

    def rebuild_states(self, scheduler: Scheduler | None = None) -> int:
        """Replay the whole log into a scheduler's caches (the active one's by default; they
        are only a cache of the log) and mark them complete."""
        scheduler = scheduler or self.scheduler
        name = scheduler.key

        def write(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM state WHERE scheduler = ?", (name,))
            conn.execute("DELETE FROM steps WHERE scheduler = ?", (name,))
            by_card: dict[str, list[tuple[int, Fact]]] = {}
            with _decoding(self.path, "the review log"):
                for rid, card_id, day, grade, quality, kind in conn.execute(
                    "SELECT id, card_id, day, grade, quality, kind FROM reviews ORDER BY id"
                ):
                    fact = Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
                    by_card.setdefault(card_id, []).append((rid, fact))
                for card_id, rows in by_card.items():
                    self._write_replay(conn, scheduler, card_id, rows)
            conn.execute(
                "INSERT OR REPLACE INTO caches (scheduler, built) VALUES (?, ?)",
                (name, datetime.now(timezone.utc).isoformat(timespec="seconds")),
            )
            return len(by_card)

        return self.write(write, "rebuild the schedule from the log")

    def _replay(self, conn: sqlite3.Connection, card_id: str) -> CardState | None:
        """Replay one card after its facts changed, under every kept scheduler; the active
        one's state is returned. Other schedulers' caches are now stale: drop them (they are
        rebuilt when next used)."""
        kept = self._kept()
        marks = ", ".join("?" * len(kept))
        keys = [s.key for s in kept]
        for table in ("state", "steps", "caches"):
            conn.execute(f"DELETE FROM {table} WHERE scheduler NOT IN ({marks})", keys)
        with _decoding(self.path, f"the answers to card {card_id!r}"):
            rows = [
                (rid, Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind))
                for rid, day, grade, quality, kind in conn.execute(
                    "SELECT id, day, grade, quality, kind FROM reviews WHERE card_id = ? ORDER BY id",
                    (card_id,),
                )
            ]
        states = []
        for scheduler in kept:
            conn.execute(
                "DELETE FROM state WHERE scheduler = ? AND card_id = ?", (scheduler.key, card_id)
            )
            conn.execute(
                "DELETE FROM steps WHERE scheduler = ? AND card_id = ?", (scheduler.key, card_id)
            )
            with _decoding(self.path, f"the answers to card {card_id!r}"):
                states.append(self._write_replay(conn, scheduler, card_id, rows))
        return states[0]

    def _write_replay(
        self,
        conn: sqlite3.Connection,
        scheduler: Scheduler,
        card_id: str,
        rows: list[tuple[int, Fact]],
    ) -> CardState | None:
        step_rows, state_row, state = self._replay_rows(scheduler, card_id, rows)
        conn.executemany(_INSERT_STEPS, step_rows)
        if state_row is not None:
            conn.execute(_INSERT_STATE, state_row)
        return state

    def _replay_rows(
        self, scheduler: Scheduler, card_id: str, rows: list[tuple[int, Fact]]
    ) -> tuple[list[tuple], tuple | None, CardState | None]:
        """One card's replay under `scheduler` as rows of `steps` and its `state` row (None:
        not scheduled), and the state itself."""
        name = scheduler.key
        steps = replay_fields(scheduler, [fact for _, fact in rows])
        before: StepFields | None = None
        step_rows = []
        append, ease = step_rows.append, scheduler.ease
        for (rid, _), after in zip(rows, steps, strict=True):
            if after is not None and (before is None or after.last_day != before.last_day):
                interval_before = before.interval if before is not None else None
                due = _ISO_DAYS.get(after.due) or _iso_day(after.due)
                append(
                    (
                        name,
                        rid,
                        card_id,
                        1,
                        interval_before,
                        after.interval,
                        due,
                        ease(after.memory),
                    )
                )
            else:
                append((name, rid, card_id, 0, None, None, None, None))
            before = after
        last = steps[-1] if steps else None
        if last is None:
            return step_rows, None, None
        state = CardState(*last)
        state_row = (
            name,
            card_id,
            state.due.isoformat(),
            state.interval,
            state.last_day.isoformat(),
            state.streak,
            state.lapses,
            state.reviews,
            scheduler.ease(state.memory),
            json.dumps(scheduler.to_dict(state.memory)),
        )
        return step_rows, state_row, state

    def reviews(self, card_id: str | None = None) -> list[Review]:
        with _decoding(self.path, "the review log"):
            return self._reviews(card_id)

    def _reviews(self, card_id: str | None) -> list[Review]:
        sql = """SELECT r.id, r.card_id, r.ts, r.day, r.grade, r.quality, r.response_ms, r.kind,
                        r.source, r.seed, r.typed, r.correct, x.scheduled, x.interval, x.due
                 FROM reviews r LEFT JOIN steps x ON x.review_id = r.id AND x.scheduler = ?"""
        args: tuple = (self.scheduler.key,)
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

    # -- authoring -----------------------------------------------------------------------

    def reattach_history(self, old: str, new: str, when: datetime | None = None) -> int:
        """Move the review history of retired id `old` to live card `new`: the repair after an
        id was changed by hand in a file (or a rename interrupted between the file and the
        database). If `new` already has answers, they must all come after `old`'s (its
        history then simply continues `old`'s); otherwise ValueError. `new` is replayed from
        the moved log."""

        def write(conn: sqlite3.Connection) -> int:
            return self._move_history(conn, old, new, when)

        return self.write(write, "move the review history")

    def _move_history(
        self, conn: sqlite3.Connection, old: str, new: str, when: datetime | None = None
    ) -> int:
        first_new = conn.execute(
            "SELECT MIN(id) FROM reviews WHERE card_id = ?", (new,)
        ).fetchone()[0]
        last_old = conn.execute("SELECT MAX(id) FROM reviews WHERE card_id = ?", (old,)).fetchone()[
            0
        ]
        if first_new is not None and last_old is not None and last_old > first_new:
            raise ValueError(
                f"{new!r} already has a review history, answered while {old!r} still was"
            )
        self._log_rename(conn, old, new, when)  # travels to the other devices (mlprep sync)
        moved = conn.execute(
            """UPDATE reviews SET recorded_card = COALESCE(recorded_card, card_id),
                 card_id = ? WHERE card_id = ?""",
            (new, old),
        ).rowcount
        conn.execute("DELETE FROM state WHERE card_id = ?", (old,))
        conn.execute("DELETE FROM steps WHERE card_id = ?", (old,))
        conn.execute("DELETE FROM card_tags WHERE card_id = ?", (old,))
        conn.execute("DELETE FROM cards WHERE id = ? AND retired = 1", (old,))
        conn.execute("DELETE FROM planned_renames WHERE old_id = ?", (old,))
        self._replay(conn, new)
        return moved

    def plan_rename(self, old: str, new: str) -> None:
        """Note that `old` is about to become `new`, before the deck file is changed: if the
        process dies between the file and `rename_card`, the next sync completes the move."""

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO planned_renames (old_id, new_id, ts) VALUES (?, ?, ?)",
                (old, new, datetime.now(timezone.utc).isoformat(timespec="seconds")),
            )

        self.write(write, "rename the card")

    def _complete_renames(self, conn: sqlite3.Connection) -> None:
        """Finish renames whose file change was made but whose history move was not (the
        process died in between): NEW is a live card now and OLD is not."""
        planned = conn.execute(
            """SELECT r.old_id, r.new_id FROM planned_renames r
               WHERE EXISTS (SELECT 1 FROM cards c WHERE c.id = r.new_id AND c.retired = 0)
                 AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.id = r.old_id AND c.retired = 0)"""
        ).fetchall()
        for old, new in planned:
            try:
                self._move_history(conn, old, new)
            except ValueError:
                # Answered under both ids: leave it to `mlprep rename OLD NEW` to explain.
                conn.execute("DELETE FROM planned_renames WHERE old_id = ?", (old,))

    def rename_card(self, old: str, new: str, when: datetime | None = None) -> int:
        """Give card `old` the id `new`: its review log, caches, tags and cards row move over, in
        one transaction, and answers still given to `old` (a session that showed it before)
        go to `new`. Refuses (ValueError) if `new` is already known (a live or retired card,
        or an id in the log). Returns how many reviews moved."""

        def write(conn: sqlite3.Connection) -> int:
            live = "SELECT 1 FROM cards WHERE id = ? AND retired = 0"
            planned = conn.execute(
                "SELECT 1 FROM planned_renames WHERE old_id = ? AND new_id = ?", (old, new)
            ).fetchone()
            if conn.execute(live, (new,)).fetchone() and not conn.execute(live, (old,)).fetchone():
                # Another process synced the changed file first: it saw NEW as a new card,
                # and this write completes the move, or its sync already did.
                if planned is not None:
                    return self._move_history(conn, old, new)
                if self._current_id(conn, old) == new:
                    return conn.execute(
                        "SELECT COUNT(*) FROM reviews WHERE card_id = ?", (new,)
                    ).fetchone()[0]
            if new in self.known_ids():
                raise ValueError(f"id {new!r} is already in use (a card or the review history)")
            self._log_rename(conn, old, new, when)
            moved = conn.execute(
                """UPDATE reviews SET recorded_card = COALESCE(recorded_card, card_id),
                     card_id = ? WHERE card_id = ?""",
                (new, old),
            ).rowcount
            conn.execute("UPDATE state SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE steps SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE card_tags SET card_id = ? WHERE card_id = ?", (new, old))
            conn.execute("UPDATE cards SET id = ? WHERE id = ?", (new, old))
            conn.execute("DELETE FROM planned_renames WHERE old_id = ?", (old,))
            return moved

        return self.write(write, "rename the card")

    # -- imports -----------------------------------------------------------------------------

    def cards_in_scope(self, scope: Scope | None = None) -> list[Card]:
        """Every live card in scope, with its text, in file order (for exports)."""
        sql, args = card_scope(scope)
        rows = self.conn.execute(
            f"""SELECT {self._CARD_COLUMNS} FROM cards c WHERE c.retired = 0{sql}
                ORDER BY c.path, c.line""",
            args,
        )
        return [self._card_from_row(r) for r in rows]

    def import_facts(
        self, facts: Iterable[ImportedFact], source: str, *, dry_run: bool = False
    ) -> FactImport:
        """Append answers given elsewhere to the log and replay the cards they touch, in one
        transaction (in a dry run: only count).

        Idempotent: a fact is already in the log when one of the same card at the same
        millisecond came from the same kind of source (`source` up to its first ':', e.g.
        `anki:`), so importing the same or a newer package again adds only what is new. A card's
        log stays in time order, which replay relies on: when an imported answer is older than
        one already logged for its card, that card's facts are written again in time order."""
        facts = list(facts)
        family = source.split(":", 1)[0] + ":"
        if dry_run:
            fresh, already = self._fresh_facts(self.conn, facts, family)
            return FactImport(len(fresh), already, len({card_id for card_id, _ in fresh}))
        with self.transaction() as conn:
            fresh, already = self._fresh_facts(conn, facts, family)
            if not fresh:
                return FactImport(0, already, 0)
            touched = {card_id for card_id, _ in fresh}
            latest = {
                card_id: ts
                for card_id, ts in conn.execute(
                    "SELECT card_id, MAX(ts) FROM reviews GROUP BY card_id"
                )
                if card_id in touched
            }
            conn.executemany(
                """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind,
                     source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        card_id,
                        ts,
                        fact.day.isoformat(),
                        int(fact.answer.grade),
                        fact.answer.quality,
                        fact.response_ms,
                        fact.kind,
                        source,
                    )
                    for (ts, card_id), fact in sorted(
                        ((ts, card_id), fact) for (card_id, ts), fact in fresh.items()
                    )
                ],
            )
            earliest: dict[str, str] = {}
            for card_id, ts in fresh:
                if card_id not in earliest or ts < earliest[card_id]:
                    earliest[card_id] = ts
            for card_id in sorted(touched):
                if card_id in latest and earliest[card_id] < latest[card_id]:
                    self._rewrite_in_time_order(conn, card_id)
            self.replay_cards(conn, touched)
            return FactImport(len(fresh), already, len(touched))

    @staticmethod
    def _fresh_facts(
        conn: sqlite3.Connection, facts: list[ImportedFact], family: str
    ) -> tuple[dict[tuple[str, str], ImportedFact], int]:
        """The facts not yet in the log, by (card id, UTC time stamp), and how many were."""
        seen = set(
            conn.execute(
                "SELECT card_id, ts FROM reviews WHERE substr(source, 1, ?) = ?",
                (len(family), family),
            )
        )
        fresh: dict[tuple[str, str], ImportedFact] = {}
        already = 0
        for fact in facts:
            key = (
                fact.card_id,
                fact.when.astimezone(timezone.utc).isoformat(timespec="milliseconds"),
            )
            if key in seen:
                already += 1
            else:
                fresh.setdefault(key, fact)
        return fresh, already

    def _rewrite_in_time_order(self, conn: sqlite3.Connection, card_id: str) -> None:
        """Write one card's facts again, ordered by time (new ids, every column kept)."""
        columns = [r[1] for r in conn.execute("PRAGMA table_info(reviews)") if r[1] != "id"]
        names = ", ".join(columns)
        conn.execute("DROP TABLE IF EXISTS temp.reorder")
        conn.execute(
            f"CREATE TEMP TABLE reorder AS SELECT id AS old_id, {names} FROM reviews WHERE card_id = ?",
            (card_id,),
        )
        conn.execute("DELETE FROM reviews WHERE card_id = ?", (card_id,))
        conn.execute(
            f"INSERT INTO reviews ({names}) SELECT {names} FROM temp.reorder ORDER BY ts, old_id"
        )
        conn.execute("DROP TABLE temp.reorder")

    def replay_cards(
        self,
        conn: sqlite3.Connection,
        card_ids: Iterable[str],
        known: tuple[int, list[tuple]] | None = None,
    ) -> None:
        """`_replay` for many cards at once, inside an open transaction (an import, a merge of
        another device's facts): the other schedulers' caches are dropped once, the facts read
        in one query, the caches written in two per kept scheduler. `known` (last id, rows):
        the caller just wrote every row of the log after that id and gives them, in order, as
        (id, card_id, day, grade, quality, kind); only the rows before are read."""
        card_ids = sorted(set(card_ids))
        if not card_ids:
            return
        kept = self._kept()
        keys = [k.key for k in kept]
        marks = ", ".join("?" * len(keys))
        conn.execute("DROP TABLE IF EXISTS temp.replay_ids")
        conn.execute("CREATE TEMP TABLE replay_ids (card_id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO temp.replay_ids VALUES (?)", [(c,) for c in card_ids])
        by_card = self._facts_by_card(conn, card_ids, known)
        # Many rows (the first merge of two devices): the steps card index goes first and is
        # built again at the end, rather than kept up to date through the deletes and inserts.
        indexes = []
        if len(keys) * sum(map(len, by_card.values())) > BULK_STEPS:
            indexes = conn.execute(
                """SELECT name, sql FROM sqlite_master
                   WHERE type = 'index' AND tbl_name = 'steps' AND sql IS NOT NULL"""
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        for table in ("state", "steps", "caches"):
            # Looked for first: NOT IN cannot use the index, and scanned all of `steps`.
            others = [
                k
                for (k,) in conn.execute(f"SELECT DISTINCT scheduler FROM {table}")
                if k not in keys
            ]
            if others:
                marks_others = ", ".join("?" * len(others))
                conn.execute(f"DELETE FROM {table} WHERE scheduler IN ({marks_others})", others)
        for table in ("state", "steps"):
            conn.execute(
                f"""DELETE FROM {table} WHERE scheduler IN ({marks})
                    AND card_id IN (SELECT card_id FROM temp.replay_ids)""",
                keys,
            )
        step_rows: list[tuple] = []
        state_rows: list[tuple] = []
        for scheduler in kept:
            for card_id in sorted(by_card):  # the same rows in the same order either way
                steps, state_row, _ = self._replay_rows(scheduler, card_id, by_card[card_id])
                step_rows += steps
                if state_row is not None:
                    state_rows.append(state_row)
        conn.executemany(_INSERT_STEPS, step_rows)
        for _, sql in indexes:
            conn.execute(sql)
        conn.executemany(_INSERT_STATE, state_rows)
        conn.execute("DROP TABLE temp.replay_ids")

    def _facts_by_card(
        self, conn: sqlite3.Connection, card_ids: list[str], known: tuple[int, list[tuple]] | None
    ) -> dict[str, list[tuple[int, Fact]]]:
        """The logged answers of `card_ids` (also in temp.replay_ids), per card in log order:
        read from the log, but for the rows after `known`'s id, given as they were written."""
        upto, given = known if known is not None else (None, [])
        below = "" if upto is None else f" AND r.id <= {int(upto)}"
        # Most of the log (the first merge of two devices): one pass over the table in log
        # order is quicker than a lookup per answer through the card index.
        wanted: set[str] | None = None
        one_pass = len(card_ids) >= REPLAY_SCAN_MIN
        if one_pass:
            answered = conn.execute("SELECT COUNT(DISTINCT card_id) FROM reviews").fetchone()[0]
            one_pass = len(card_ids) >= answered * REPLAY_SCAN_SHARE
        if one_pass:
            wanted = set(card_ids)
            found = conn.execute(
                f"""SELECT r.id, r.card_id, r.day, r.grade, r.quality, r.kind FROM reviews r
                    WHERE 1 = 1{below} ORDER BY r.id"""
            )
        else:
            found = conn.execute(
                f"""SELECT r.id, r.card_id, r.day, r.grade, r.quality, r.kind FROM reviews r
                    JOIN temp.replay_ids t ON t.card_id = r.card_id
                    WHERE 1 = 1{below} ORDER BY r.card_id, r.id"""
            )
        by_card: dict[str, list[tuple[int, Fact]]] = {}
        facts: dict[tuple[str, int, int, str], Fact] = {}  # facts are values: share equal ones
        with _decoding(self.path, "the review log"):
            for rows in (found, given):
                if rows is given and wanted is None:
                    wanted = set(card_ids)
                for rid, card_id, day, grade, quality, kind in rows:
                    if wanted is not None and card_id not in wanted:
                        continue
                    key = (day, grade, quality, kind)
                    fact = facts.get(key)
                    if fact is None:
                        fact = facts[key] = Fact(
                            date.fromisoformat(day), Answer(Grade(grade), quality), kind
                        )
                    card_rows = by_card.get(card_id)
                    if card_rows is None:
                        by_card[card_id] = [(rid, fact)]
                    else:
                        card_rows.append((rid, fact))
        return by_card

    # -- identity across devices (mlprep sync) -----------------------------------------------

    def device_id(self) -> str:
        """This database's device id (made on first use): the first half of every local
        fact's identity (device, seq), and the name of its file in a sync folder."""
        with self.transaction() as conn:
            return self._device(conn)

    def new_device(self) -> None:
        """Forget this database's device id; the next fact gets a fresh one. After a restore or
        an import the copy must not continue the original's sequence numbers: two databases
        writing one device's facts would give different facts the same identity."""
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM meta WHERE key IN ('{DEVICE_KEY}', '{SEQ_KEY}')")

    def _device(self, conn: sqlite3.Connection) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (DEVICE_KEY,)).fetchone()
        if row is not None:
            return row[0]
        device = new_device_id()
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (DEVICE_KEY, device))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '0')", (SEQ_KEY,))
        self._own_unowned(conn, device)
        return device

    def _next_seq(self, conn: sqlite3.Connection) -> tuple[str, int]:
        """This device's id and its next sequence number (never reused: undone facts keep
        theirs, so a number once synced always means the same fact)."""
        device = self._device(conn)
        seq = int(conn.execute("SELECT value FROM meta WHERE key = ?", (SEQ_KEY,)).fetchone()[0])
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (str(seq + 1), SEQ_KEY))
        return device, seq + 1

    def own_unowned(self) -> int:
        """Give every fact without an identity (answers from before v2, rows written by
        something other than `record`) this device's id and the next numbers, in log order.
        Returns how many were stamped."""
        with self.transaction() as conn:
            device = self._device(conn)  # a new id stamps them itself
            return self._own_unowned(conn, device)

    def _own_unowned(self, conn: sqlite3.Connection, device: str) -> int:
        stamped = 0
        for table in ("reviews", "card_events"):
            ids = [
                r[0]
                for r in conn.execute(f"SELECT id FROM {table} WHERE device IS NULL ORDER BY id")
            ]
            if not ids:
                continue
            first = int(
                conn.execute("SELECT value FROM meta WHERE key = ?", (SEQ_KEY,)).fetchone()[0]
            )
            conn.executemany(
                f"UPDATE {table} SET device = ?, seq = ? WHERE id = ?",
                [(device, first + i, rid) for i, rid in enumerate(ids, start=1)],
            )
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = ?", (str(first + len(ids)), SEQ_KEY)
            )
            stamped += len(ids)
        return stamped

    def _log_rename(
        self, conn: sqlite3.Connection, old: str, new: str, when: datetime | None
    ) -> None:
        """A rename fact: on every device it moves the answers of `old` that precede it in the
        log order to `new`. Its time is after every answer it moves here, so that the rule
        moves the same answers everywhere as this rename does now."""
        moment = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
        latest = conn.execute("SELECT MAX(ts) FROM reviews WHERE card_id = ?", (old,)).fetchone()
        if latest[0] is not None:
            moment = max(moment, parse_ts(latest[0]) + timedelta(milliseconds=1))
        device, seq = self._next_seq(conn)
        conn.execute(
            "INSERT INTO renames (ts, old, new, device, seq) VALUES (?, ?, ?, ?, ?)",
            (format_ts(moment), old, new, device, seq),
        )


DEVICE_KEY = "device_id"
SEQ_KEY = "device_seq"


def format_ts(moment: datetime) -> str:
    """A fact's time as the log stores it: UTC, ISO 8601, milliseconds."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_ts(text: str) -> datetime:
    """A logged time back as an aware datetime (a naive one is taken as UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _utc_now() -> str:
    return format_ts(datetime.now(timezone.utc))


def new_device_id() -> str:
    """A fresh device id: the host name (so that a person can tell the files in a sync folder
    apart) and 8 random hex digits (so that two hosts of one name still differ)."""
    import re
    import secrets
    import socket

    host = re.sub(r"[^a-z0-9]+", "-", socket.gethostname().lower()).strip("-")[:24] or "device"
    return f"{host}-{secrets.token_hex(4)}"
