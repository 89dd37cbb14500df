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
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from mlprep.storage.store import format_ts, parse_ts

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
    "FileCursor",
    "Runs",
    "add_runs",
    "answer_fact",
    "merge_runs",
    "canonical_key",
    "count_facts",
    "held_facts",
    "is_local_meta",
    "load_cursors",
    "merge",
    "save_cursors",
    "undone_targets",
    "unpublished",
    "read_contents",
    "write_contents",
]

Identity = tuple[str, int]


class _Identified:
    """What every fact shares: its identity, (device, seq)."""

    device: str
    seq: int

    @property
    def identity(self) -> Identity:
        return (self.device, self.seq)


@dataclass(frozen=True)
class AnswerFact(_Identified):
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


_new_object = object.__new__


def answer_fact(
    device: str,
    seq: int,
    card: str,
    ts: str,
    day: str,
    grade: int,
    quality: int,
    response_ms: int | None,
    kind: str,
    source: str,
    seed: int | None,
    typed: str | None,
    correct: bool | None,
) -> AnswerFact:
    """`AnswerFact(...)` with every field given, made without the frozen dataclass's
    `__init__`, which sets each of the 13 fields through `object.__setattr__`: that was a
    fifth of reading a 50,000-answer sync file. The fact is the same (equal, hashed, frozen)."""
    fact = _new_object(AnswerFact)
    fact.__dict__.update(
        device=device,
        seq=seq,
        card=card,
        ts=ts,
        day=day,
        grade=grade,
        quality=quality,
        response_ms=response_ms,
        kind=kind,
        source=source,
        seed=seed,
        typed=typed,
        correct=correct,
    )
    return fact


@dataclass(frozen=True)
class UndoFact(_Identified):
    """An answer taken back: the fact (target_device, target_seq) is removed everywhere."""

    device: str
    seq: int
    ts: str
    target_device: str
    target_seq: int


@dataclass(frozen=True)
class RenameFact(_Identified):
    """A card id changed: the answers of `old` that precede this fact now belong to `new`."""

    device: str
    seq: int
    ts: str
    old: str
    new: str


@dataclass(frozen=True)
class EventFact(_Identified):
    """A fact about a card that is not an answer (suspend, unsuspend, flag, unflag)."""

    device: str
    seq: int
    ts: str
    card: str
    event: str


LogFact = AnswerFact | UndoFact | RenameFact | EventFact


def canonical_key(ts: str, device: str | None, seq: int | None) -> tuple[str, str, int]:
    """The log's canonical order: time, then device id, then sequence number (a total order,
    since (device, seq) is unique). Times compare as mlprep writes them (UTC, milliseconds,
    so text order is time order); a time written otherwise is brought to that form first."""
    if len(ts) != 29 or not ts.endswith("+00:00"):
        ts = format_ts(parse_ts(ts))
    return (ts, device or "", seq or 0)


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


# -- what the database holds, by identity ------------------------------------------------------


def _rows_to_facts(kind: str, rows: Iterable[tuple]) -> list[LogFact]:
    out: list[LogFact] = []
    if kind == "answer":
        for row in rows:
            if row[12] is None:
                out.append(answer_fact(*row))
            else:
                out.append(answer_fact(*row[:12], bool(row[12])))
    elif kind == "undo":
        out.extend(UndoFact(*row) for row in rows)
    elif kind == "rename":
        out.extend(RenameFact(*row) for row in rows)
    else:
        out.extend(EventFact(*row) for row in rows)
    return out


# Per kind of fact: its table, and the columns that make the fact (answers with the card they
# were given to, before any rename).
_FACT_COLUMNS = {
    "answer": (
        "reviews",
        "t.device, t.seq, COALESCE(t.recorded_card, t.card_id), t.ts, t.day, t.grade, "
        "t.quality, t.response_ms, t.kind, t.source, t.seed, t.typed, t.correct",
    ),
    "undo": ("undos", "t.device, t.seq, t.ts, t.target_device, t.target_seq"),
    "rename": ("renames", "t.device, t.seq, t.ts, t.old, t.new"),
    "event": ("card_events", "t.device, t.seq, t.ts, t.card_id, t.event"),
}


def held_facts(store: Store, identities: Iterable[Identity]) -> dict[Identity, LogFact]:
    """The facts the database holds among `identities`."""
    conn = store.conn
    # Only identities within the span of sequence numbers held for their device can be held
    # (a device whose facts are all new here costs one query, not one probe per fact).
    spans: dict[str, tuple[int, int] | None] = {}
    probe = []
    for device, seq in identities:
        if device not in spans:
            spans[device] = _held_span(conn, device)
        span = spans[device]
        if span is not None and span[0] <= seq <= span[1]:
            probe.append((device, seq))
    if not probe:
        return {}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_ids (device TEXT, seq INTEGER)")
    conn.execute("DELETE FROM temp.wanted_ids")
    conn.executemany("INSERT INTO temp.wanted_ids VALUES (?, ?)", probe)
    out: dict[Identity, LogFact] = {}
    try:
        for kind, (table, columns) in _FACT_COLUMNS.items():
            # wanted_ids outside (CROSS JOIN keeps that order): one index probe each.
            rows = conn.execute(
                f"""SELECT {columns} FROM temp.wanted_ids w CROSS JOIN {table} t
                    WHERE t.device = w.device AND t.seq = w.seq"""
            ).fetchall()
            for fact in _rows_to_facts(kind, rows):
                out[fact.identity] = fact
    finally:
        conn.execute("DELETE FROM temp.wanted_ids")
    return out


def _held_span(conn: sqlite3.Connection, device: str) -> tuple[int, int] | None:
    low, high = None, None
    for table, _ in _FACT_COLUMNS.values():
        lo, hi = conn.execute(
            f"SELECT MIN(seq), MAX(seq) FROM {table} WHERE device = ?", (device,)
        ).fetchone()
        if lo is not None:
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
    return None if low is None else (low, high)


def _identity_of(fact: LogFact) -> Identity:
    return (fact.device, fact.seq)


def undone_targets(store: Store) -> set[Identity]:
    """Every answer an undo fact in the database names."""
    return set(store.conn.execute("SELECT target_device, target_seq FROM undos").fetchall())


def unpublished(store: Store, published: dict[str, list[list[int]]]) -> list[LogFact]:
    """Every fact with an identity that is not in `published` (per device, runs [lo, hi] of
    sequence numbers), in (device, seq) order."""
    conn = store.conn
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS published (device TEXT, lo INTEGER, hi INTEGER)")
    conn.execute("CREATE INDEX IF NOT EXISTS temp.published_runs ON published (device, lo)")
    conn.execute("DELETE FROM temp.published")
    conn.executemany(
        "INSERT INTO temp.published VALUES (?, ?, ?)",
        [(device, lo, hi) for device, runs in published.items() for lo, hi in runs],
    )
    out: list[LogFact] = []
    kinds = 0
    try:
        for kind, (table, columns) in _FACT_COLUMNS.items():
            rows = conn.execute(
                f"""SELECT {columns} FROM {table} t
                    WHERE t.device IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM temp.published p
                      WHERE p.device = t.device AND p.lo <= t.seq AND t.seq <= p.hi)
                    ORDER BY t.device, t.seq"""
            ).fetchall()
            kinds += bool(rows)
            out += _rows_to_facts(kind, rows)
    finally:
        conn.execute("DELETE FROM temp.published")
    # Each kind comes in (device, seq) order (through its unique index): a sort only when
    # there are several kinds to interleave.
    return sorted(out, key=_identity_of) if kinds > 1 else out


# -- where the reading of a sync folder stands -------------------------------------------------


@dataclass
class FileCursor:
    """How far one file of a sync folder has been read: its first `offset` bytes (`lines`
    complete lines, SHA-256 `digest`), written by `writer` (None: not a sync file), holding
    the identities `ranges` (per device, runs [lo, hi] of sequence numbers)."""

    name: str
    offset: int = 0
    lines: int = 0
    digest: str = ""
    writer: str | None = None
    ranges: dict[str, list[list[int]]] = field(default_factory=dict)


def load_cursors(store: Store, folder: str) -> dict[str, FileCursor]:
    return {
        name: FileCursor(name, offset, lines, digest, writer, json.loads(ranges))
        for name, offset, lines, digest, writer, ranges in store.conn.execute(
            """SELECT name, offset, lines, digest, writer, ranges FROM sync_files
               WHERE folder = ?""",
            (folder,),
        )
    }


def _save_cursors(conn: sqlite3.Connection, folder: str, cursors: Iterable[FileCursor]) -> None:
    conn.executemany(
        """INSERT OR REPLACE INTO sync_files (folder, name, offset, lines, digest, writer, ranges)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            (folder, c.name, c.offset, c.lines, c.digest, c.writer, json.dumps(c.ranges))
            for c in cursors
        ],
    )


def save_cursors(store: Store, folder: str, cursors: Iterable[FileCursor]) -> None:
    with store.transaction() as conn:
        _save_cursors(conn, folder, cursors)


Runs = dict[str, list[list[int]]]  # per device, sorted disjoint runs [lo, hi] of seq numbers


def merge_runs(into: Runs, other: Runs) -> None:
    """Add `other`'s runs to `into`, in place."""
    for device, extra in other.items():
        merged: list[list[int]] = []
        for lo, hi in sorted([*into.get(device, []), *extra]):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        into[device] = merged


def add_runs(runs: Runs, identities: Iterable[Identity]) -> None:
    """Add identities to per-device runs of sequence numbers, in place."""
    seqs: dict[str, list[int]] = {}
    for device, seq in identities:
        seqs.setdefault(device, []).append(seq)
    fresh: Runs = {}
    for device, numbers in seqs.items():
        numbers.sort()
        out: list[list[int]] = []
        for n in numbers:
            if out and n <= out[-1][1] + 1:
                out[-1][1] = max(out[-1][1], n)
            else:
                out.append([n, n])
        fresh[device] = out
    merge_runs(runs, fresh)


# -- the merge ---------------------------------------------------------------------------------


def merge(
    store: Store,
    facts: Iterable[LogFact],
    cursors: tuple[str, Iterable[FileCursor]] | None = None,
) -> MergeReport:
    """Take in facts whose identities the database does not hold yet, in one transaction,
    then bring the log to its canonical order and replay what changed. `cursors` (a folder
    and its files' cursors) are saved in the same transaction. Also worth running with no
    facts: it puts answers logged out of order (a clock that went back) in order."""
    report = MergeReport()
    answers: list[AnswerFact] = []
    undos: list[UndoFact] = []
    renames: list[RenameFact] = []
    events: list[EventFact] = []
    for fact in facts:
        if isinstance(fact, AnswerFact):  # nearly every fact: one pass, answers first
            answers.append(fact)
        elif isinstance(fact, UndoFact):
            undos.append(fact)
        elif isinstance(fact, RenameFact):
            renames.append(fact)
        elif isinstance(fact, EventFact):
            events.append(fact)
    with store.transaction() as conn:
        conn.executemany(
            """INSERT INTO undos (ts, device, seq, target_device, target_seq)
               VALUES (?, ?, ?, ?, ?)""",
            [(u.ts, u.device, u.seq, u.target_device, u.target_seq) for u in undos],
        )
        conn.executemany(
            "INSERT INTO renames (ts, old, new, device, seq) VALUES (?, ?, ?, ?, ?)",
            [(r.ts, r.old, r.new, r.device, r.seq) for r in renames],
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
        report.answers_added = len(kept)
        rewritten = _insert_in_order(
            conn,
            "reviews",
            _ANSWER_COLUMNS,
            [
                (
                    canonical_key(a.ts, a.device, a.seq),
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
                    ),
                )
                for a in kept
            ],
            read_back=_REPLAY_COLUMNS,
        )
        report.reordered = rewritten.count - len(kept)
        affected |= rewritten.cards
        events_rewritten = _insert_in_order(
            conn,
            "card_events",
            _EVENT_COLUMNS,
            [
                (
                    canonical_key(e.ts, e.device, e.seq),
                    (e.card, e.ts, e.event, e.device, e.seq),
                )
                for e in events
            ],
        )
        report.reordered += events_rewritten.count - len(events)
        if kept or renames:
            for old, new_id in _apply_renames(conn):
                affected.update((old, new_id))
                report.moved += 1
        if cursors is not None:
            _save_cursors(conn, *cursors)
        # The rows just written are known here: the replay reads only those before them (none
        # at all after the first merge of two logs), unless a rename moved some since.
        known = rewritten.known if not report.moved else None
        store.replay_cards(conn, affected, known=known)
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


SORTED_KEY = "sorted_upto:"  # + table: the last row of the part of the table known in order
BULK_ROWS = 20_000

# The columns a merge writes for a new fact, in the order `merge` gives their values.
_ANSWER_COLUMNS = (
    "card_id",
    "ts",
    "day",
    "grade",
    "quality",
    "response_ms",
    "kind",
    "source",
    "seed",
    "typed",
    "correct",
    "device",
    "seq",
)
_EVENT_COLUMNS = ("card_id", "ts", "event", "device", "seq")
_REPLAY_COLUMNS = ("day", "grade", "quality", "kind")  # what a replay needs besides the card


@dataclass
class Rewrite:
    """What `_insert_in_order` wrote: how many rows, their cards, and (with `read_back`) the
    rows with ids above `known[0]`, every one of them in order, as (id, card, *read_back)."""

    count: int = 0
    cards: set[str] = field(default_factory=set)
    known: tuple[int, list[tuple]] | None = None


def _insert_in_order(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[str, ...],
    new_rows: list[tuple[tuple, tuple]],
    read_back: tuple[str, ...] = (),
) -> Rewrite:
    """Insert `new_rows` (canonical key, values of `columns`) into `table` (reviews or
    card_events) and keep the table in canonical order by id: from the first row out of place
    on, rows are written again in order, with ids above every id in use (no row takes another's
    id on the way, and an id a session in another process still holds then names nothing
    rather than another fact). Only the tail is read: up to the marker SORTED_KEY + table, the
    table is known to be in order; rows logged since then, and rows before them that sort
    after the earliest of these, are all that can move. Rows already in the table move inside
    SQLite (their id changes, nothing else is read or written again); only the new rows are
    sent. `read_back` columns (also in `columns`) come back with the rows written."""
    # Only what orders a row, its card and `read_back` are read: (key, id, (card, *read_back)).
    extra = "".join(f", {name}" for name in read_back)
    select = f"SELECT id, ts, device, seq, card_id{extra} FROM {table}"
    marker = conn.execute("SELECT value FROM meta WHERE key = ?", (SORTED_KEY + table,)).fetchone()
    upto = 0
    if marker is not None:
        rid, device, seq = json.loads(marker[0])
        row = conn.execute(f"SELECT device, seq FROM {table} WHERE id = ?", (rid,)).fetchone()
        if row is not None and list(row) == [device, seq]:
            upto = rid
    tail = [
        (canonical_key(row[1], row[2], row[3]), row[0], row[4:])
        for row in conn.execute(f"{select} WHERE id > ? ORDER BY id", (upto,))
    ]
    if not tail and not new_rows:
        return Rewrite()
    earliest = min([k for k, _, _ in tail] + [k for k, _ in new_rows])
    displaced = []
    for row in conn.execute(f"{select} WHERE id <= ? ORDER BY id DESC", (upto,)):
        k = canonical_key(row[1], row[2], row[3])
        if k < earliest:
            break
        displaced.append((k, row[0], row[4:]))
    existing = displaced[::-1] + tail
    # A new row is (key, None, values): sorted is stable, so a new row goes after an
    # existing one of the same key, as before.
    wanted = sorted([*existing, *((k, None, values) for k, values in new_rows)], key=itemgetter(0))
    start = 0
    while start < len(existing) and wanted[start] is existing[start]:
        start += 1
    rewrite = wanted[start:]
    done = Rewrite(count=len(rewrite))
    if rewrite:
        top = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
        # A big rewrite (the first merge of two long logs) is quicker with the indexes built
        # again afterwards than kept up to date row by row.
        indexes = []
        if len(rewrite) > BULK_ROWS:
            indexes = conn.execute(
                """SELECT name, sql FROM sqlite_master
                   WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL""",
                (table,),
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        # An existing row is (key, id, (card, *read_back)), a new one (key, None, values).
        wanted_i = [columns.index(name) for name in ("card_id", *read_back)]
        if len(wanted_i) > 1:
            pick = itemgetter(*wanted_i)
        else:
            card_i = wanted_i[0]
            pick = lambda values: (values[card_i],)  # noqa: E731 (a tuple, as itemgetter's)
        moves: list[tuple[int, int]] = []  # (old id, new id) of the rows that move
        fresh: list[tuple[int, tuple]] = []  # (new id, values) of the new rows
        written: list[tuple] = []  # (new id, card, *read_back) of every row written, in order
        new_id = top
        for _, rid, data in rewrite:
            new_id += 1
            if rid is None:
                fresh.append((new_id, data))
                written.append((new_id, *pick(data)))
            else:
                moves.append((rid, new_id))
                written.append((new_id, *data))
        if moves:  # existing[start:] is every row from its first id on: all of them move
            conn.execute("DROP TABLE IF EXISTS temp.moves")
            conn.execute("CREATE TEMP TABLE moves (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
            conn.executemany("INSERT INTO temp.moves VALUES (?, ?)", moves)
            conn.execute(
                f"""UPDATE {table} SET id = (SELECT m.new FROM temp.moves m WHERE m.old = {table}.id)
                    WHERE id IN (SELECT old FROM temp.moves)"""
            )
            conn.execute("DROP TABLE temp.moves")
        if fresh:
            _insert_rows(conn, table, columns, fresh)
        for _, sql in indexes:
            conn.execute(sql)
        done.cards = {row[1] for row in written}
        if read_back:
            done.known = (top, written)
    last = conn.execute(f"SELECT id, device, seq FROM {table} ORDER BY id DESC LIMIT 1").fetchone()
    if last is not None:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (SORTED_KEY + table, json.dumps(list(last))),
        )
    return done


def _insert_rows(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[int, tuple]]
) -> None:
    """Insert (id, values of `columns`) rows. Columns no row has a value for (and whose
    default is NULL, so leaving them out stores the same) are left out: the sqlite3 module
    looks for an adapter (and raises and clears an AttributeError) for every None it binds."""
    defaults = {
        name: default for _, name, _, _, default, _ in conn.execute(f"PRAGMA table_info({table})")
    }
    used = [
        i
        for i, name in enumerate(columns)
        if defaults[name] is not None
        or not all(values[i] is None for _, values in rows)  # stops at a value
    ]
    names = ", ".join(["id", *(columns[i] for i in used)])
    if len(used) == len(columns):
        bound = [(rid, *values) for rid, values in rows]
    else:  # (card_id and ts are never empty: itemgetter gets two or more, a tuple)
        pick = itemgetter(*used)
        bound = [(rid, *pick(values)) for rid, values in rows]
    marks = ", ".join("?" * (len(used) + 1))
    conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", bound)


def is_local_meta(key: str) -> bool:
    """Meta entries that describe this database rather than its contents (its device id and
    counter, how far its log is known in order): not exported, not imported."""
    return key in ("device_id", "device_seq") or key.startswith(SORTED_KEY)


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


def write_contents(store: Store, contents: Contents) -> None:
    """Fill an empty database with `contents`, keeping every row id (so the log keeps its
    order), then replay every card. Cards the deck files do not have (yet) come in retired:
    the next deck sync brings back to life those whose files are there."""
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
            [(k, v) for k, v in contents.meta.items() if not is_local_meta(k)],
        )
    store.rebuild_kept()
