"""`mlprep sync DIR`: several devices, no server, through any folder that a file-sync engine
(git, Syncthing, Dropbox, iCloud Drive) keeps the same on each of them.

Each device appends to its own file, `DIR/<device-id>.jsonl`, and never rewrites it, so the
sync engine never sees two devices change one file (git merges without conflicts). A sync:
1. reads every `*.jsonl` in DIR (a half-written last line, a sync in progress, is left for
   next time with a warning);
2. takes in the facts this database does not hold (a union, told apart by (device, seq); see
   `mlprep.storage.facts` for undo, rename and the canonical order), after a backup;
3. appends to this device's file every fact it holds that no file in DIR has yet.
The file format is documented in docs/data-formats.md."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from json.encoder import encode_basestring as _quote  # what json.dumps escapes with
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.app.errors import MlprepError
from mlprep.storage.facts import (
    AnswerFact,
    EventFact,
    FileCursor,
    LogFact,
    MergeReport,
    RenameFact,
    UndoFact,
    add_runs,
    answer_fact,
    held_facts,
    load_cursors,
    merge,
    merge_runs,
    save_cursors,
    undone_targets,
    unpublished,
)

if TYPE_CHECKING:
    from mlprep.storage.store import Store

__all__ = [
    "FORMAT_VERSION",
    "FolderFacts",
    "SyncFolderError",
    "SyncResult",
    "fact_from_line",
    "fact_to_line",
    "read_folder",
    "sync_folder",
]

FORMAT_VERSION = 1
HEADER_KEY = "mlprep_sync"
DEVICE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
LOCK_NAME = "sync.lock"
LOCK_TIMEOUT = 30.0
NEWLINE = b"\n"

Identity = tuple[str, int]


class SyncFolderError(MlprepError):
    """The sync folder cannot be merged as it is; nothing was changed."""


# -- one line ----------------------------------------------------------------------------------

_OPTIONAL_ANSWER = ("response_ms", "seed", "typed", "correct")


def fact_to_line(fact: LogFact) -> dict[str, Any]:
    """A fact as one JSON object (absent optional fields are left out)."""
    if isinstance(fact, AnswerFact):
        line: dict[str, Any] = {
            "type": "answer",
            "device": fact.device,
            "seq": fact.seq,
            "ts": fact.ts,
            "card": fact.card,
            "day": fact.day,
            "grade": fact.grade,
            "quality": fact.quality,
            "kind": fact.kind,
            "source": fact.source,
        }
        for name in _OPTIONAL_ANSWER:
            value = getattr(fact, name)
            if value is not None:
                line[name] = value
        return line
    base = {"device": fact.device, "seq": fact.seq, "ts": fact.ts}
    if isinstance(fact, UndoFact):
        return {"type": "undo", **base, "undoes": [fact.target_device, fact.target_seq]}
    if isinstance(fact, RenameFact):
        return {"type": "rename", **base, "old": fact.old, "new": fact.new}
    return {"type": "event", **base, "card": fact.card, "event": fact.event}


_KEYS = {
    "answer": {"type", "device", "seq", "ts", "card", "day", "grade", "quality", "kind", "source"},
    "undo": {"type", "device", "seq", "ts", "undoes"},
    "rename": {"type", "device", "seq", "ts", "old", "new"},
    "event": {"type", "device", "seq", "ts", "card", "event"},
}


def _is_int(value: Any) -> bool:
    return type(value) is int  # not bool, which is an int too


def _text(obj: dict[str, Any], key: str, limit: int = 200) -> str:
    value = obj[key]
    if type(value) is not str or not value or len(value) > limit:
        raise ValueError(f"{key!r} must be a non-empty string, got {value!r}")
    return value


@lru_cache(maxsize=256)
def _is_device(value: str) -> bool:
    return DEVICE_PATTERN.fullmatch(value) is not None


def _device(value: Any, what: str = "device") -> str:
    if type(value) is not str or not _is_device(value):
        raise ValueError(f"{what!r} must be a device id ([A-Za-z0-9._-]), got {value!r}")
    return value


def _seq(value: Any, what: str = "seq") -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{what!r} must be a whole number from 1, got {value!r}")
    return value


# The time as mlprep writes it; anything else must still be ISO 8601 with a UTC offset.
_CANONICAL_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")


def _ts(value: Any) -> str:
    if type(value) is str and _CANONICAL_TS.fullmatch(value):
        return value
    try:
        offset = (
            datetime.fromisoformat(value.replace("Z", "+00:00")).utcoffset()
            if type(value) is str
            else None
        )
    except ValueError:
        offset = None
    if offset is None:
        raise ValueError(f"'ts' must be an ISO 8601 time with a UTC offset, got {value!r}")
    return value


@lru_cache(maxsize=4096)
def _day(value: str) -> str:
    date.fromisoformat(value)
    return value


_REQUIRED = {kind: frozenset(keys) for kind, keys in _KEYS.items()}
_ALLOWED = {
    kind: keys | (frozenset(_OPTIONAL_ANSWER) if kind == "answer" else frozenset())
    for kind, keys in _REQUIRED.items()
}


def fact_from_line(obj: Any) -> LogFact:
    """A fact from one parsed line; ValueError says what is wrong with it."""
    if type(obj) is not dict:
        raise ValueError("a fact must be a JSON object")
    kind = obj.get("type")
    if kind == "answer":
        return _answer_from_line(obj)
    if kind not in _REQUIRED:
        raise ValueError(f"unknown fact type {kind!r} (answer, undo, rename, event)")
    keys = obj.keys()
    if not _REQUIRED[kind] <= keys:
        raise ValueError(f"{kind} fact without {', '.join(sorted(_REQUIRED[kind] - keys))}")
    if not keys <= _ALLOWED[kind]:
        unknown = ", ".join(sorted(keys - _ALLOWED[kind]))
        raise ValueError(f"unknown key(s) {unknown} in a {kind} fact")
    device, seq, ts = _device(obj["device"]), _seq(obj["seq"]), _ts(obj["ts"])
    if kind == "undo":
        target = obj["undoes"]
        if type(target) is not list or len(target) != 2:
            raise ValueError(f"'undoes' must be [device, seq], got {target!r}")
        return UndoFact(device, seq, ts, _device(target[0], "undoes"), _seq(target[1], "undoes"))
    if kind == "rename":
        return RenameFact(device, seq, ts, _text(obj, "old"), _text(obj, "new"))
    return EventFact(device, seq, ts, _text(obj, "card"), _text(obj, "event", 40))


_ANSWER_REQUIRED = _REQUIRED["answer"]
_ANSWER_ALLOWED = _ALLOWED["answer"]


def _answer_from_line(obj: dict[str, Any]) -> AnswerFact:
    """`fact_from_line` for an answer, the fact a sync folder is nearly all made of: the same
    checks and messages, written out inline (a call per field cost more than the parse)."""
    keys = obj.keys()
    if not keys >= _ANSWER_REQUIRED:
        missing = ", ".join(sorted(_ANSWER_REQUIRED - keys))
        raise ValueError(f"answer fact without {missing}")
    if not keys <= _ANSWER_ALLOWED:
        unknown = ", ".join(sorted(keys - _ANSWER_ALLOWED))
        raise ValueError(f"unknown key(s) {unknown} in a answer fact")
    device, seq, ts = obj["device"], obj["seq"], obj["ts"]
    if type(device) is not str or not _is_device(device):
        device = _device(device)  # raises
    if type(seq) is not int or seq < 1:
        seq = _seq(seq)  # raises
    if type(ts) is not str or not _CANONICAL_TS.fullmatch(ts):
        ts = _ts(ts)
    day = obj["day"]
    try:
        if type(day) is not str:
            raise ValueError
        _day(day)
    except ValueError:
        raise ValueError(f"'day' must be a date (YYYY-MM-DD), got {day!r}") from None
    grade, quality = obj["grade"], obj["quality"]
    if type(grade) is not int or not 1 <= grade <= 4:
        raise ValueError(f"'grade' must be 1-4, got {grade!r}")
    if type(quality) is not int or not 0 <= quality <= 5:
        raise ValueError(f"'quality' must be 0-5, got {quality!r}")
    get = obj.get
    ms, seed, typed, correct = get("response_ms"), get("seed"), get("typed"), get("correct")
    if ms is not None and (type(ms) is not int or ms < 0):
        raise ValueError(f"'response_ms' must be a whole number of milliseconds, got {ms!r}")
    if seed is not None and type(seed) is not int:
        raise ValueError(f"'seed' must be a whole number, got {seed!r}")
    if typed is not None and type(typed) is not str:
        raise ValueError(f"'typed' must be a string, got {typed!r}")
    if correct is not None and type(correct) is not bool:
        raise ValueError(f"'correct' must be true or false, got {correct!r}")
    card, kind, source = obj["card"], obj["kind"], obj["source"]
    if type(card) is not str or not card or len(card) > 200:
        card = _text(obj, "card")  # raises
    if type(kind) is not str or not kind or len(kind) > 40:
        kind = _text(obj, "kind", 40)  # raises
    if type(source) is not str or not source or len(source) > 100:
        source = _text(obj, "source", 100)  # raises
    return answer_fact(
        device, seq, card, ts, day, grade, quality, ms, kind, source, seed, typed, correct
    )


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one, not one a line


def _dumps(obj: dict[str, Any]) -> str:
    return _ENCODER.encode(obj)


def _line(fact: LogFact) -> str:
    """A fact's line: `_dumps(fact_to_line(fact))`, byte for byte, but an answer of the usual
    types is written straight from its fields with the escaper json uses (`_ENCODER`'s,
    ensure_ascii off): building a dict and encoding it was half of a first sync's writing."""
    if isinstance(fact, AnswerFact) and _plain_types(fact):
        line = (
            f'{{"type":"answer","device":{_quote(fact.device)},"seq":{fact.seq},'
            f'"ts":{_quote(fact.ts)},"card":{_quote(fact.card)},"day":{_quote(fact.day)},'
            f'"grade":{fact.grade},"quality":{fact.quality},"kind":{_quote(fact.kind)},'
            f'"source":{_quote(fact.source)}'
        )
        if fact.response_ms is not None:
            line += f',"response_ms":{fact.response_ms}'
        if fact.seed is not None:
            line += f',"seed":{fact.seed}'
        if fact.typed is not None:
            line += f',"typed":{_quote(fact.typed)}'
        if fact.correct is not None:
            line += ',"correct":true' if fact.correct else ',"correct":false'
        return line + "}"
    return _dumps(fact_to_line(fact))


def _plain_types(fact: AnswerFact) -> bool:
    """Whether every field has the type `_line` writes directly (else json decides)."""
    return (
        type(fact.device) is str
        and type(fact.ts) is str
        and type(fact.card) is str
        and type(fact.day) is str
        and type(fact.kind) is str
        and type(fact.source) is str
        and type(fact.seq) is int
        and type(fact.grade) is int
        and type(fact.quality) is int
        and (fact.response_ms is None or type(fact.response_ms) is int)
        and (fact.seed is None or type(fact.seed) is int)
        and (fact.typed is None or type(fact.typed) is str)
        and (fact.correct is None or type(fact.correct) is bool)
    )


# -- one file, the folder ----------------------------------------------------------------------


@dataclass
class FolderFacts:
    """What a read of the folder found: the facts in what had not been read before, by
    identity, where each was read, each file's new cursor, the identities in every file
    (per device, runs of sequence numbers), and what was left for next time."""

    facts: dict[Identity, LogFact] = field(default_factory=dict)
    where: dict[Identity, tuple[Path, int]] = field(default_factory=dict)
    cursors: list[FileCursor] = field(default_factory=list)
    published: dict[str, list[list[int]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def writers(self) -> list[str]:
        return sorted({c.writer for c in self.cursors if c.writer is not None})


def _read_file(path: Path, cursor: FileCursor | None, into: FolderFacts) -> FileCursor:
    """Read `path` from where `cursor` left it (from the start if the bytes read then have
    changed since), up to its last complete line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SyncFolderError(f"{path}: cannot read it: {exc.strerror}") from None
    cut = data.rfind(b"\n") + 1
    complete = memoryview(data)[:cut]
    digest = hashlib.sha256()
    start, number, writer, ranges = 0, 0, None, {}
    if cursor is not None and cursor.offset <= cut:
        digest.update(complete[: cursor.offset])
        if digest.hexdigest() == cursor.digest:
            start, number, writer = cursor.offset, cursor.lines, cursor.writer
            ranges = {d: [list(run) for run in runs] for d, runs in cursor.ranges.items()}
            if writer is None and start:  # not a sync file, and unchanged: skipped before
                digest.update(complete[start:])
                total = number + bytes(complete[start:]).count(NEWLINE)
                return FileCursor(path.name, cut, total, digest.hexdigest(), None, {})
        else:
            digest = hashlib.sha256()
    digest.update(complete[start:])
    lines = bytes(complete[start:]).split(b"\n")[:-1]
    if cut < len(data):
        into.warnings.append(
            f"{path}:{number + len(lines) + 1}: the last line is incomplete (still being "
            f"written or synced?); read up to line {number + len(lines)}, the rest is left "
            "for the next sync"
        )
    identities = []
    total = number + len(lines)
    for line, obj in _parsed(path, lines, number):
        if writer is None:
            if not isinstance(obj, dict) or HEADER_KEY not in obj:
                into.warnings.append(f"{path}: not an mlprep sync file (no header); skipped")
                return FileCursor(path.name, cut, total, _sha256(complete), None, {})
            writer = _header(path, line, obj)
            continue
        try:
            fact = fact_from_line(obj)
        except ValueError as exc:
            raise SyncFolderError(f"{path}:{line}: {exc}; nothing was changed") from None
        identity = fact.identity
        seen = into.facts.get(identity)
        if seen is None:
            into.facts[identity] = fact
            into.where[identity] = (path, line)
        elif seen != fact:
            first, first_line = into.where[identity]
            raise SyncFolderError(
                f"{path}:{line}: fact {identity[0]}#{identity[1]} differs from the one in "
                f"{first}:{first_line}: {_two_writers(identity[0])}"
            )
        identities.append(identity)
    add_runs(ranges, identities)
    return FileCursor(path.name, cut, total, digest.hexdigest(), writer, ranges)


def _parsed(path: Path, lines: list[bytes], before: int) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for each non-blank line. All lines are parsed in one
    call when every one is a single object; else (or on any error) one by one, which names
    the line at fault."""
    numbered = [(before + n, raw) for n, raw in enumerate(lines, start=1) if raw.strip()]
    if all(raw.lstrip()[:1] == b"{" and raw.rstrip()[-1:] == b"}" for _, raw in numbered):
        try:
            objs = json.loads(b"[" + b",".join(raw for _, raw in numbered) + b"]")
        except (UnicodeDecodeError, json.JSONDecodeError):
            objs = None
        if objs is not None and len(objs) == len(numbered):
            yield from zip((n for n, _ in numbered), objs, strict=True)
            return
    for number, raw in numbered:
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            message = getattr(exc, "msg", None) or "not UTF-8"
            raise SyncFolderError(
                f"{path}:{number}: not a JSON line ({message}); nothing was changed"
            ) from None
        yield number, obj


def _sha256(data: Any) -> str:
    return hashlib.sha256(data).hexdigest()


def _header(path: Path, number: int, obj: dict[str, Any]) -> str:
    version = obj[HEADER_KEY]
    if not _is_int(version) or version < 1:
        raise SyncFolderError(f"{path}:{number}: bad header {obj!r}")
    if version > FORMAT_VERSION:
        raise SyncFolderError(
            f"{path} is in sync format {version}, written by a newer mlprep; this one reads "
            f"format {FORMAT_VERSION}. Upgrade mlprep on this device"
        )
    try:
        return _device(obj.get("device"))
    except ValueError as exc:
        raise SyncFolderError(f"{path}:{number}: header: {exc}") from None


def _two_writers(device: str) -> str:
    return (
        f"two data dirs are writing as device {device} (a copied data dir?). Nothing was "
        "changed; keep one of them (the other can start afresh with `mlprep import json`)"
    )


def read_folder(folder: Path, cursors: dict[str, FileCursor] | None = None) -> FolderFacts:
    """The facts in the `*.jsonl` files of `folder` (not its subfolders) that `cursors` say
    were not read yet; SyncFolderError for a file that cannot be read (a bad line, a newer
    format, two different facts under one identity)."""
    if not folder.is_dir():
        raise SyncFolderError(
            f"sync folder {folder} does not exist (or is not a folder); create it, or point "
            "`mlprep sync` at the folder your sync engine shares"
        )
    known = cursors or {}
    out = FolderFacts()
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.startswith(".") or not path.is_file():
            continue
        cursor = _read_file(path, known.get(path.name), out)
        out.cursors.append(cursor)
        merge_runs(out.published, cursor.ranges)
    return out


@contextmanager
def _folder_lock(path: Path) -> Iterator[None]:
    """One sync at a time per data dir (a review's sync and a manual one must not both append
    the same facts or merge the same ones)."""
    from mlprep.decks.files import held_flock

    busy = SyncFolderError(
        f"another mlprep sync has held {path} for {LOCK_TIMEOUT:.0f}s; try again when it is done"
    )
    with open(path, "a+b") as handle, held_flock(handle, LOCK_TIMEOUT, busy):
        yield


def _append(path: Path, device: str, facts: list[LogFact]) -> list[str]:
    """Append `facts` to this device's file in one write, with a header if the file is new;
    a torn last line of our own (an earlier write cut short) is cut off first, since every
    fact in it is still in the database and is written again. Returns warnings."""
    warnings = []
    if path.exists():
        data = path.read_bytes()
        cut = data.rfind(b"\n") + 1
        if cut < len(data):
            os.truncate(path, cut)
            line = data.count(NEWLINE, 0, cut) + 1
            warnings.append(
                f"{path}:{line}: cut off an incomplete last line of "
                "this device's own (an interrupted write); its facts are written again"
            )
        fresh = not data[:cut].strip()
    else:
        fresh = True
    if not facts and not fresh:
        return warnings
    chunks = []
    if fresh:
        chunks.append(_dumps({HEADER_KEY: FORMAT_VERSION, "device": device}))
    chunks.extend(map(_line, facts))
    with open(path, "ab") as handle:
        handle.write(("\n".join(chunks) + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    return warnings


# -- the sync ----------------------------------------------------------------------------------


@dataclass
class SyncResult:
    folder: Path
    device: str
    own_file: Path
    sent: int
    merged: MergeReport
    devices: list[str]  # the other devices whose files were read
    backup: Path | None
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        m = self.merged
        return {
            "folder": str(self.folder),
            "device": self.device,
            "own_file": str(self.own_file),
            "sent": self.sent,
            "received": {
                "answers": m.answers_added,
                "undone": m.answers_removed,
                "undos": m.undos,
                "renames": m.renames,
                "events": m.events,
            },
            "moved_by_renames": m.moved,
            "reordered": m.reordered,
            "cards_replayed": len(m.cards),
            "devices": self.devices,
            "backup": str(self.backup) if self.backup else None,
            "warnings": self.warnings,
        }


def sync_folder(
    store: Store, folder: Path, *, backup: Callable[[str], Path | None] | None = None
) -> SyncResult:
    """Merge `folder` into the database and the database into this device's file there.
    `backup(reason)` is called before the database takes in anything. Raises SyncFolderError
    (nothing changed) for a folder that cannot be merged."""
    folder = folder.expanduser()
    with _folder_lock(store.path.parent / LOCK_NAME), _no_cycle_collection():
        if not folder.is_dir():
            read_folder(folder)  # says what is wrong
        key = str(folder.resolve())
        offered = read_folder(folder, load_cursors(store, key))
        held = held_facts(store, offered.facts)
        for identity, fact in offered.facts.items() if held else ():
            mine = held.get(identity)
            if mine is not None and mine != fact:
                path, line = offered.where[identity]
                raise SyncFolderError(
                    f"{path}:{line}: fact {identity[0]}#{identity[1]} differs from the one "
                    f"this database holds: {_two_writers(identity[0])}"
                )
        undone = undone_targets(store) | {
            (f.target_device, f.target_seq)
            for f in offered.facts.values()
            if isinstance(f, UndoFact)
        }
        store.own_unowned()
        device = store.device_id()
        own = folder / f"{device}.jsonl"
        # Undo facts come in even when the answer they name is not here (it may come later).
        incoming = [
            f
            for i, f in offered.facts.items()
            if i not in held and not (isinstance(f, AnswerFact) and i in undone)
        ]
        made = backup("sync") if incoming and backup is not None else None
        report = merge(store, incoming, (key, offered.cursors))
        outgoing = unpublished(store, offered.published)
        warnings = offered.warnings + _append(own, device, outgoing)
        if outgoing:
            before = next((c for c in offered.cursors if c.name == own.name), None)
            save_cursors(store, key, [_after_append(own, device, before, outgoing)])
    others = [d for d in offered.writers if d != device]
    return SyncResult(folder, device, own, len(outgoing), report, others, made, warnings)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a first sync makes hundreds of thousands of facts,
    rows and tuples, none of them in a cycle, and the collector's repeated passes over all of
    them cost a twentieth of the sync. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _after_append(
    path: Path, device: str, before: FileCursor | None, written: list[LogFact]
) -> FileCursor:
    """This device's file's cursor once `written` was appended: it need not be read again."""
    data = path.read_bytes()
    ranges = {d: [list(r) for r in runs] for d, runs in (before.ranges if before else {}).items()}
    add_runs(ranges, (f.identity for f in written))
    return FileCursor(path.name, len(data), data.count(b"\n"), _sha256(data), device, ranges)
