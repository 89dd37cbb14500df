"""Reading an Anki collection (the SQLite file inside an .apkg or .colpkg) into plain rows.

The SQL is here because `storage/` is the one package that speaks SQL; what the rows mean
(notes to cards, the review log to facts) is `mlprep.interop`'s business. Two layouts exist:
schema 11 (`collection.anki2` / `collection.anki21`: decks, note types and settings as JSON in
the `col` row) and schema 18 (`collection.anki21b`: `decks`, `notetypes`, `fields` and `config`
tables, names with `\\x1f` between deck levels). Read-only: the file is never changed."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "SCHEMA_MAX",
    "SCHEMA_MIN",
    "AnkiCard",
    "AnkiCollection",
    "AnkiCollectionError",
    "AnkiNote",
    "AnkiNotetype",
    "AnkiRevlog",
    "AnkiTooNewError",
    "read_collection",
]

# The schema versions Anki itself opens (rslib/src/storage/upgrades/mod.rs).
SCHEMA_MIN = 11
SCHEMA_MAX = 18


class AnkiCollectionError(ValueError):
    """The file is not an Anki collection mlprep can read (the message says why)."""


class AnkiTooNewError(AnkiCollectionError):
    """The collection was written by an Anki newer than the formats mlprep knows."""


class AnkiNotetype(NamedTuple):
    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]


class AnkiNote(NamedTuple):
    id: int
    guid: str
    notetype_id: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


class AnkiCard(NamedTuple):
    id: int
    note_id: int
    deck_id: int  # the home deck: a card in a filtered deck is listed under its original deck
    ord: int  # which template (or cloze number - 1) of its note


class AnkiRevlog(NamedTuple):
    """One row of Anki's review log (rslib/src/revlog/mod.rs)."""

    id: int  # the time of the answer, ms since the epoch
    card_id: int
    ease: int  # the button: 1 Again .. 4 Easy; 0 = no answer (manual rescheduling)
    interval: int  # days if positive, seconds if negative
    last_interval: int
    factor: int  # ease x 1000 after the answer; 0 for cramming and resets
    time_ms: int  # time taken to answer
    type: int  # 0 learning, 1 review, 2 relearning, 3 filtered, 4 manual, 5 rescheduled


@dataclass(frozen=True)
class AnkiCollection:
    schema: int
    scheduler_version: int  # 1 for collections still on Anki's v1 scheduler (3 buttons in learning)
    decks: dict[int, str]  # id -> full name, levels joined by "::"
    notetypes: dict[int, AnkiNotetype]
    notes: list[AnkiNote]
    cards: list[AnkiCard]
    revlog: list[AnkiRevlog]


def _unicase(a: str, b: str) -> int:
    """Anki's `unicase` collation, needed to read tables declared with it."""
    x, y = a.casefold(), b.casefold()
    return (x > y) - (x < y)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise AnkiCollectionError("a note type's settings are truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def proto_varint_field(data: bytes, number: int) -> int | None:
    """The value of varint field `number` of a protobuf message (None when absent); other
    fields are skipped by their wire type."""
    pos = 0
    found = None
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            if field == number:
                found = value
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise AnkiCollectionError(f"unexpected protobuf wire type {wire}")
    return found


def _json(text: str | bytes, what: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise AnkiCollectionError(f"its {what} are not valid JSON") from None


def _scheduler_version(value: object) -> int:
    """`schedVer` as Anki reads it: absent means 1; a value it cannot read, the current 2."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 2


def _schema11(conn: sqlite3.Connection) -> tuple[dict, dict, int]:
    conf, models, decks = conn.execute("SELECT conf, models, decks FROM col").fetchone()
    conf, models, decks = (
        _json(conf, "settings"),
        _json(models, "note types"),
        _json(decks, "decks"),
    )
    if not (isinstance(conf, dict) and isinstance(models, dict) and isinstance(decks, dict)):
        raise AnkiCollectionError("its settings, note types or decks are not JSON objects")
    deck_names = {int(k): str(v.get("name", k)) for k, v in decks.items() if isinstance(v, dict)}
    notetypes = {}
    for key, model in models.items():
        if not isinstance(model, dict):
            continue
        fields = sorted(model.get("flds") or [], key=lambda f: f.get("ord", 0))
        notetypes[int(key)] = AnkiNotetype(
            int(key),
            str(model.get("name", "")),
            model.get("type") == 1,
            tuple(str(f.get("name", "")) for f in fields),
        )
    return deck_names, notetypes, _scheduler_version(conf.get("schedVer", 1))


def _schema18(conn: sqlite3.Connection) -> tuple[dict, dict, int]:
    deck_names = {
        deck_id: name.replace("\x1f", "::")
        for deck_id, name in conn.execute("SELECT id, name FROM decks")
    }
    fields: dict[int, list[tuple[int, str]]] = {}
    for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
        fields.setdefault(ntid, []).append((ord_, name))
    notetypes = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = proto_varint_field(bytes(config or b""), 1)  # Notetype.Config.kind: 1 = cloze
        names = tuple(n for _, n in sorted(fields.get(ntid, [])))
        notetypes[ntid] = AnkiNotetype(ntid, name, kind == 1, names)
    row = conn.execute("SELECT val FROM config WHERE key = 'schedVer'").fetchone()
    version = _json(bytes(row[0]), "settings") if row else 1
    return deck_names, notetypes, _scheduler_version(version)


def read_collection(path: Path) -> AnkiCollection:
    """Every deck, note type, note, card and review of the collection at `path`. Raises
    AnkiCollectionError (AnkiTooNewError for a newer schema) when it cannot be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise AnkiCollectionError(f"cannot open the collection: {exc}") from None
    try:
        conn.create_collation("unicase", _unicase)
        try:
            row = conn.execute("SELECT ver FROM col").fetchone()
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                raise AnkiCollectionError("it holds no Anki collection (no `col` table)") from None
            raise AnkiCollectionError(
                f"its collection is not a readable database ({exc})"
            ) from None
        schema = row[0] if row else None
        if not isinstance(schema, int) or schema < SCHEMA_MIN:
            raise AnkiCollectionError(f"unknown collection schema version {schema!r}")
        if schema > SCHEMA_MAX:
            raise AnkiTooNewError(
                f"its collection has schema version {schema}, newer than the {SCHEMA_MAX} "
                "mlprep reads"
            )
        decks, notetypes, scheduler_version = (_schema11 if schema < 15 else _schema18)(conn)
        notes = [
            AnkiNote(nid, guid, mid, tuple(tags.split()), tuple(flds.split("\x1f")))
            for nid, guid, mid, tags, flds in conn.execute(
                "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"
            )
        ]
        cards = [
            AnkiCard._make(row)
            for row in conn.execute(
                "SELECT id, nid, CASE WHEN odid != 0 THEN odid ELSE did END, ord FROM cards ORDER BY id"
            )
        ]
        revlog = [
            AnkiRevlog._make(row)
            for row in conn.execute(
                "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"
            )
        ]
    except sqlite3.DatabaseError as exc:
        raise AnkiCollectionError(f"its collection cannot be read ({exc})") from None
    finally:
        conn.close()
    return AnkiCollection(schema, scheduler_version, decks, notetypes, notes, cards, revlog)
