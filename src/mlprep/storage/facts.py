"""The log's facts as they travel between devices (`mlprep sync`) and into a dump
(`mlprep export json`): every fact with its identity (device, seq), and the merge that takes
in facts from elsewhere.

A merge is a union. Facts are told apart by (device, seq) only, so a fact seen twice (two
files, two syncs) is taken once. Then:
- an undo fact removes the answer it names, wherever it came from, and keeps it out later;
- a rename fact moves the answers of its old id that precede it to its new id;
- the log is put in its canonical order, by (time, device, seq), so that every device that
  holds the same facts replays them in the same order and reaches the same state;
- the cards whose facts changed are replayed.
Nothing here depends on the order in which facts arrive, so merging is deterministic."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlprep.storage.store import parse_ts

if TYPE_CHECKING:
    import sqlite3

    from mlprep.storage.store import Store

__all__ = [
    "AnswerFact",
    "CardRow",
    "Contents",
    "EventFact",
    "LogFact",
    "MergeReport",
    "RenameFact",
    "UndoFact",
    "canonical_key",
    "count_facts",
    "known_facts",
    "merge",
    "read_contents",
    "write_contents",
]

Identity = tuple[str, int]


@dataclass(frozen=True)
class AnswerFact:
    """An answer, with the card it was given to (before any rename moved it)."""

    device: str
    seq: int
    card: str
    ts: str
    day: str
    grade: int
    quality: int
    response_ms: int | None = None
    kind: str = "review"
    source: str = "local"
    seed: int | None = None
    typed: str | None = None
    correct: bool | None = None

    @property
    def identity(self) -> Identity:
        return (self.device, self.seq)


@dataclass(frozen=True)
class UndoFact:
    """An answer taken back: the fact (target_device, target_seq) is removed everywhere."""

    device: str
    seq: int
    ts: str
    target_device: str
    target_seq: int

    @property
    def identity(self) -> Identity:
        return (self.device, self.seq)


@dataclass(frozen=True)
class RenameFact:
    """A card id changed: the answers of `old` that precede this fact now belong to `new`."""

    device: str
    seq: int
    ts: str
    old: str
    new: str

    @property
    def identity(self) -> Identity:
        return (self.device, self.seq)


@dataclass(frozen=True)
class EventFact:
    """A fact about a card that is not an answer (suspend, unsuspend, flag, unflag)."""

    device: str
    seq: int
    ts: str
    card: str
    event: str

    @property
    def identity(self) -> Identity:
        return (self.device, self.seq)


LogFact = AnswerFact | UndoFact | RenameFact | EventFact


def canonical_key(ts: str, device: str | None, seq: int | None) -> tuple[datetime, str, int]:
    """The log's canonical order: time, then device id, then sequence number (a total order,
    since (device, seq) is unique)."""
    return (parse_ts(ts), device or "", seq or 0)


@dataclass
class MergeReport:
    answers_added: int = 0
    answers_removed: int = 0
    undos: int = 0
    renames: int = 0
    events: int = 0
    moved: int = 0  # answers whose card a rename changed
    reordered: int = 0  # facts renumbered into the canonical order
    cards: set[str] = field(default_factory=set)  # cards replayed

    @property
    def changed(self) -> bool:
        return bool(
            self.answers_added
            or self.answers_removed
            or self.undos
            or self.renames
            or self.events
            or self.moved
            or self.reordered
        )


def known_facts(store: Store) -> dict[Identity, LogFact]:
    """Every fact in the database that has an identity, by identity (answers with the card
    they were given to)."""
    conn = store.conn
    out: dict[Identity, LogFact] = {}
    for row in conn.execute(
        """SELECT device, seq, COALESCE(recorded_card, card_id), ts, day, grade, quality,
                  response_ms, kind, source, seed, typed, correct
           FROM reviews WHERE device IS NOT NULL ORDER BY id"""
    ):
        fact = AnswerFact(*row[:12], correct=None if row[12] is None else bool(row[12]))
        out[fact.identity] = fact
    for row in conn.execute(
        "SELECT device, seq, ts, target_device, target_seq FROM undos ORDER BY id"
    ):
        out[(row[0], row[1])] = UndoFact(*row)
    for row in conn.execute("SELECT device, seq, ts, old, new FROM renames ORDER BY id"):
        out[(row[0], row[1])] = RenameFact(*row)
    for row in conn.execute(
        "SELECT device, seq, ts, card_id, event FROM card_events WHERE device IS NOT NULL"
    ):
        out[(row[0], row[1])] = EventFact(*row)
    return out


def merge(store: Store, facts: Iterable[LogFact]) -> MergeReport:
    """Take in facts whose identities the database does not hold yet, in one transaction,
    then bring the log to its canonical order and replay what changed. Also run with no
    facts: it checks the order (a device whose clock went back may have logged out of it)."""
    new = list(facts)
    report = MergeReport()
    with store.transaction() as conn:
        undos = [f for f in new if isinstance(f, UndoFact)]
        renames = [f for f in new if isinstance(f, RenameFact)]
        events = [f for f in new if isinstance(f, EventFact)]
        answers = [f for f in new if isinstance(f, AnswerFact)]
        conn.executemany(
            """INSERT INTO undos (ts, device, seq, target_device, target_seq)
               VALUES (?, ?, ?, ?, ?)""",
            [(u.ts, u.device, u.seq, u.target_device, u.target_seq) for u in undos],
        )
        conn.executemany(
            "INSERT INTO renames (ts, old, new, device, seq) VALUES (?, ?, ?, ?, ?)",
            [(r.ts, r.old, r.new, r.device, r.seq) for r in renames],
        )
        conn.executemany(
            "INSERT INTO card_events (card_id, ts, event, device, seq) VALUES (?, ?, ?, ?, ?)",
            [(e.card, e.ts, e.event, e.device, e.seq) for e in events],
        )
        report.undos, report.renames, report.events = len(undos), len(renames), len(events)
        affected: set[str] = set()
        for u in undos:
            row = conn.execute(
                "SELECT id, card_id FROM reviews WHERE device = ? AND seq = ?",
                (u.target_device, u.target_seq),
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM reviews WHERE id = ?", (row[0],))
                affected.add(row[1])
                report.answers_removed += 1
        undone = set(conn.execute("SELECT target_device, target_seq FROM undos").fetchall())
        kept = [a for a in answers if a.identity not in undone]
        conn.executemany(
            """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind, source,
                 seed, typed, correct, device, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    a.card,
                    a.ts,
                    a.day,
                    a.grade,
                    a.quality,
                    a.response_ms,
                    a.kind,
                    a.source,
                    a.seed,
                    a.typed,
                    None if a.correct is None else int(a.correct),
                    a.device,
                    a.seq,
                )
                for a in kept
            ],
        )
        report.answers_added = len(kept)
        affected.update(a.card for a in kept)
        if kept or renames:
            moved = _apply_renames(conn)
            report.moved = len(moved)
            for old, new in moved:
                affected.update((old, new))
        reordered, cards = _canonical_order(conn, "reviews")
        report.reordered = reordered + _canonical_order(conn, "card_events")[0]
        affected |= cards
        store.replay_cards(conn, affected)
        report.cards = affected
    return report


def _apply_renames(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Give every answer the card the rename facts say: starting from the card it was given
    to, each rename in canonical order moves it if it is on the rename's old id and precedes
    it. Computed from the facts alone, so every device agrees. Returns the (from, to) moves."""
    renames = sorted(
        (canonical_key(ts, device, seq), old, new)
        for ts, device, seq, old, new in conn.execute(
            "SELECT ts, device, seq, old, new FROM renames"
        )
    )
    if not renames:
        return []
    olds = sorted({old for _, old, _ in renames})
    marks = ", ".join("?" * len(olds))
    moves = []
    updates = []
    for rid, ts, device, seq, card, original in conn.execute(
        f"""SELECT id, ts, device, seq, card_id, COALESCE(recorded_card, card_id) FROM reviews
            WHERE COALESCE(recorded_card, card_id) IN ({marks})""",
        olds,
    ).fetchall():
        key = canonical_key(ts, device, seq)
        target = original
        for rename_key, old, new in renames:
            if target == old and key < rename_key:
                target = new
        if target != card:
            updates.append((target, None if target == original else original, rid))
            moves.append((card, target))
    conn.executemany("UPDATE reviews SET card_id = ?, recorded_card = ? WHERE id = ?", updates)
    return moves


def _canonical_order(conn: sqlite3.Connection, table: str) -> tuple[int, set[str]]:
    """Renumber the rows of `table` (reviews or card_events) from the first one out of
    canonical order, in that order, with ids above every id in use: no row takes another's
    id on the way, and an id a session in another process still holds then names nothing
    rather than another fact. Returns how many rows moved and their cards."""
    rows = conn.execute(f"SELECT id, ts, device, seq, card_id FROM {table} ORDER BY id").fetchall()
    keys = [canonical_key(ts, device, seq) for _, ts, device, seq, _ in rows]
    if all(keys[i] < keys[i + 1] for i in range(len(keys) - 1)):
        return 0, set()
    order = sorted(range(len(rows)), key=keys.__getitem__)
    start = next(i for i, j in enumerate(order) if i != j)
    top = rows[-1][0]
    tail = order[start:]
    conn.executemany(
        f"UPDATE {table} SET id = ? WHERE id = ?",
        [(top + 1 + n, rows[i][0]) for n, i in enumerate(tail)],
    )
    return len(tail), {rows[i][4] for i in tail}


# -- the whole database as data (mlprep export json / import json) ---------------------------


@dataclass(frozen=True)
class CardRow:
    """A card as loaded: its row in the cards table (tags as a tuple, params as a dict)."""

    id: str
    deck: str
    path: str
    line: int | None
    type: str
    q: str | None
    a: str | None
    generator: str | None
    params: dict[str, Any] | None
    tags: tuple[str, ...]
    level: str
    retired: bool


@dataclass
class Contents:
    """Everything the database holds that is not a cache: cards as loaded, the log (answers
    with their row id and the card each belongs to now), undo, rename and card-event facts
    (with their row ids), and the meta table."""

    cards: list[CardRow] = field(default_factory=list)
    answers: list[tuple[int, AnswerFact, str]] = field(default_factory=list)
    undos: list[tuple[int, UndoFact]] = field(default_factory=list)
    renames: list[tuple[int, RenameFact]] = field(default_factory=list)
    events: list[tuple[int, EventFact]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def fact_count(self) -> int:
        return len(self.answers) + len(self.undos) + len(self.renames) + len(self.events)


def read_contents(store: Store) -> Contents:
    """Everything but the caches. Facts without an identity are given one first."""
    store.own_unowned()
    conn = store.conn
    out = Contents()
    for row in conn.execute(
        """SELECT id, deck, path, line, type, q, a, generator, params, tags, level, retired
           FROM cards ORDER BY path, line, id"""
    ):
        params = json.loads(row[8]) if row[8] else None
        tags = tuple(row[9].split()) if row[9] else ()
        out.cards.append(CardRow(*row[:8], params, tags, row[10], bool(row[11])))
    for row in conn.execute(
        """SELECT id, card_id, device, seq, COALESCE(recorded_card, card_id), ts, day, grade,
                  quality, response_ms, kind, source, seed, typed, correct
           FROM reviews ORDER BY id"""
    ):
        correct = None if row[14] is None else bool(row[14])
        out.answers.append((row[0], AnswerFact(*row[2:14], correct=correct), row[1]))
    for rid, *rest in conn.execute(
        "SELECT id, device, seq, ts, target_device, target_seq FROM undos ORDER BY id"
    ):
        out.undos.append((rid, UndoFact(*rest)))
    for rid, *rest in conn.execute("SELECT id, device, seq, ts, old, new FROM renames ORDER BY id"):
        out.renames.append((rid, RenameFact(*rest)))
    for rid, *rest in conn.execute(
        "SELECT id, device, seq, ts, card_id, event FROM card_events ORDER BY id"
    ):
        out.events.append((rid, EventFact(*rest)))
    out.meta = dict(conn.execute("SELECT key, value FROM meta ORDER BY key"))
    return out


def count_facts(store: Store) -> int:
    """How many facts the database holds (0: a data dir an import may fill)."""
    return sum(
        store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("reviews", "undos", "renames", "card_events")
    )


def write_contents(store: Store, contents: Contents, skip_meta: Iterable[str] = ()) -> None:
    """Fill an empty database with `contents`, keeping every row id (so the log keeps its
    order), then replay every card. Cards the deck files do not have (yet) come in retired:
    the next deck sync brings back to life those whose files are there."""
    skip = set(skip_meta)
    with store.transaction() as conn:
        conn.executemany(
            """INSERT OR IGNORE INTO cards (id, deck, path, line, type, q, a, generator, params,
                 tags, level, retired) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)""",
            [
                (
                    c.id,
                    c.deck,
                    c.path,
                    c.line,
                    c.type,
                    c.q,
                    c.a,
                    c.generator,
                    json.dumps(c.params) if c.params else None,
                    " ".join(c.tags),
                    c.level,
                )
                for c in contents.cards
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO card_tags (tag, card_id) VALUES (?, ?)",
            [(tag, c.id) for c in contents.cards for tag in c.tags],
        )
        conn.executemany(
            """INSERT INTO reviews (id, card_id, ts, day, grade, quality, response_ms, kind,
                 source, seed, typed, correct, device, seq, recorded_card)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    rid,
                    card,
                    a.ts,
                    a.day,
                    a.grade,
                    a.quality,
                    a.response_ms,
                    a.kind,
                    a.source,
                    a.seed,
                    a.typed,
                    None if a.correct is None else int(a.correct),
                    a.device,
                    a.seq,
                    None if card == a.card else a.card,
                )
                for rid, a, card in contents.answers
            ],
        )
        conn.executemany(
            """INSERT INTO undos (id, ts, device, seq, target_device, target_seq)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [
                (rid, u.ts, u.device, u.seq, u.target_device, u.target_seq)
                for rid, u in contents.undos
            ],
        )
        conn.executemany(
            "INSERT INTO renames (id, ts, old, new, device, seq) VALUES (?, ?, ?, ?, ?, ?)",
            [(rid, r.ts, r.old, r.new, r.device, r.seq) for rid, r in contents.renames],
        )
        conn.executemany(
            """INSERT INTO card_events (id, card_id, ts, event, device, seq)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [(rid, e.card, e.ts, e.event, e.device, e.seq) for rid, e in contents.events],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(k, v) for k, v in contents.meta.items() if k not in skip],
        )
    store.rebuild_states()
