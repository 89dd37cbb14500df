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

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.app.errors import MlprepError
from mlprep.storage.facts import (
    AnswerFact,
    EventFact,
    LogFact,
    MergeReport,
    RenameFact,
    UndoFact,
    known_facts,
    merge,
)
from mlprep.storage.store import parse_ts

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
    return isinstance(value, int) and not isinstance(value, bool)


def _text(obj: dict[str, Any], key: str, limit: int = 200) -> str:
    value = obj[key]
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{key!r} must be a non-empty string, got {value!r}")
    return value


def _device(value: Any, what: str = "device") -> str:
    if not isinstance(value, str) or not DEVICE_PATTERN.fullmatch(value):
        raise ValueError(f"{what!r} must be a device id ([A-Za-z0-9._-]), got {value!r}")
    return value


def _seq(value: Any, what: str = "seq") -> int:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{what!r} must be a whole number from 1, got {value!r}")
    return value


def fact_from_line(obj: Any) -> LogFact:
    """A fact from one parsed line; ValueError says what is wrong with it."""
    if not isinstance(obj, dict):
        raise ValueError("a fact must be a JSON object")
    kind = obj.get("type")
    if kind not in _KEYS:
        raise ValueError(f"unknown fact type {kind!r} (answer, undo, rename, event)")
    allowed = _KEYS[kind] | (set(_OPTIONAL_ANSWER) if kind == "answer" else set())
    missing = sorted(_KEYS[kind] - obj.keys())
    if missing:
        raise ValueError(f"{kind} fact without {', '.join(missing)}")
    unknown = sorted(obj.keys() - allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} in a {kind} fact")
    device, seq = _device(obj["device"]), _seq(obj["seq"])
    ts = obj["ts"]
    try:
        if not isinstance(ts, str) or parse_ts(ts).tzinfo is None:
            raise ValueError
    except ValueError:
        raise ValueError(f"'ts' must be an ISO 8601 time, got {ts!r}") from None
    if kind == "undo":
        target = obj["undoes"]
        if not isinstance(target, list) or len(target) != 2:
            raise ValueError(f"'undoes' must be [device, seq], got {target!r}")
        return UndoFact(device, seq, ts, _device(target[0], "undoes"), _seq(target[1], "undoes"))
    if kind == "rename":
        return RenameFact(device, seq, ts, _text(obj, "old"), _text(obj, "new"))
    if kind == "event":
        return EventFact(device, seq, ts, _text(obj, "card"), _text(obj, "event", 40))
    day = obj["day"]
    try:
        date.fromisoformat(day)
    except (TypeError, ValueError):
        raise ValueError(f"'day' must be a date (YYYY-MM-DD), got {day!r}") from None
    grade, quality = obj["grade"], obj["quality"]
    if not _is_int(grade) or not 1 <= grade <= 4:
        raise ValueError(f"'grade' must be 1-4, got {grade!r}")
    if not _is_int(quality) or not 0 <= quality <= 5:
        raise ValueError(f"'quality' must be 0-5, got {quality!r}")
    ms, seed, typed, correct = (obj.get(name) for name in _OPTIONAL_ANSWER)
    if ms is not None and (not _is_int(ms) or ms < 0):
        raise ValueError(f"'response_ms' must be a whole number of milliseconds, got {ms!r}")
    if seed is not None and not _is_int(seed):
        raise ValueError(f"'seed' must be a whole number, got {seed!r}")
    if typed is not None and not isinstance(typed, str):
        raise ValueError(f"'typed' must be a string, got {typed!r}")
    if correct is not None and not isinstance(correct, bool):
        raise ValueError(f"'correct' must be true or false, got {correct!r}")
    return AnswerFact(
        device,
        seq,
        _text(obj, "card"),
        ts,
        day,
        grade,
        quality,
        ms,
        _text(obj, "kind", 40),
        _text(obj, "source", 100),
        seed,
        typed,
        correct,
    )


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# -- one file, the folder ----------------------------------------------------------------------


@dataclass
class FolderFacts:
    """What the folder holds: every fact by identity, where it was read first, the files read
    and what was left for next time."""

    facts: dict[Identity, LogFact] = field(default_factory=dict)
    where: dict[Identity, tuple[Path, int]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    writers: dict[Path, str] = field(default_factory=dict)  # file -> the device writing it
    warnings: list[str] = field(default_factory=list)


def _complete_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """The lines that end in a newline, and what follows the last one (a write in progress)."""
    cut = data.rfind(b"\n") + 1
    return data[:cut].split(b"\n")[:-1], data[cut:]


def _read_file(path: Path, into: FolderFacts) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SyncFolderError(f"{path}: cannot read it: {exc.strerror}") from None
    lines, rest = _complete_lines(data)
    if rest:
        into.warnings.append(
            f"{path}:{len(lines) + 1}: the last line is incomplete (still being written or "
            f"synced?); read up to line {len(lines)}, the rest is left for the next sync"
        )
    header_seen = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            message = getattr(exc, "msg", None) or "not UTF-8"
            raise SyncFolderError(
                f"{path}:{number}: not a JSON line ({message}); nothing was changed"
            ) from None
        if not header_seen:
            if not isinstance(obj, dict) or HEADER_KEY not in obj:
                into.warnings.append(f"{path}: not an mlprep sync file (no header); skipped")
                return
            version = obj[HEADER_KEY]
            if not _is_int(version) or version < 1:
                raise SyncFolderError(f"{path}:{number}: bad header {raw.decode()!r}")
            if version > FORMAT_VERSION:
                raise SyncFolderError(
                    f"{path} is in sync format {version}, written by a newer mlprep; this "
                    f"one reads format {FORMAT_VERSION}. Upgrade mlprep on this device"
                )
            try:
                into.writers[path] = _device(obj.get("device"))
            except ValueError as exc:
                raise SyncFolderError(f"{path}:{number}: header: {exc}") from None
            header_seen = True
            into.files.append(path)
            continue
        try:
            fact = fact_from_line(obj)
        except ValueError as exc:
            raise SyncFolderError(f"{path}:{number}: {exc}; nothing was changed") from None
        identity = fact.identity
        seen = into.facts.get(identity)
        if seen is None:
            into.facts[identity] = fact
            into.where[identity] = (path, number)
        elif seen != fact:
            first, line = into.where[identity]
            raise SyncFolderError(
                f"{path}:{number}: fact {identity[0]}#{identity[1]} differs from the one in "
                f"{first}:{line}: {_two_writers(identity[0])}"
            )


def _two_writers(device: str) -> str:
    return (
        f"two data dirs are writing as device {device} (a copied data dir?). Nothing was "
        "changed; keep one of them (the other can start afresh with `mlprep import json`)"
    )


def read_folder(folder: Path) -> FolderFacts:
    """Every fact in the `*.jsonl` files of `folder` (not its subfolders); SyncFolderError
    for a file that cannot be read as a whole (a bad line, a newer format, two different facts
    under one identity)."""
    if not folder.is_dir():
        raise SyncFolderError(
            f"sync folder {folder} does not exist (or is not a folder); create it, or point "
            "`mlprep sync` at the folder your sync engine shares"
        )
    out = FolderFacts()
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.startswith(".") or not path.is_file():
            continue
        _read_file(path, out)
    return out


@contextmanager
def _folder_lock(path: Path) -> Iterator[None]:
    """One sync at a time per data dir (a review's sync and a manual one must not both append
    the same facts or merge the same ones)."""
    import fcntl
    import time

    with open(path, "a+b") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SyncFolderError(
                        f"another mlprep sync has held {path} for {LOCK_TIMEOUT:.0f}s; "
                        "try again when it is done"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _append(path: Path, device: str, facts: list[LogFact]) -> list[str]:
    """Append `facts` to this device's file in one write, with a header if the file is new;
    a torn last line of our own (an earlier write cut short) is cut off first, since every
    fact in it is still in the database and is written again. Returns warnings."""
    warnings = []
    if path.exists():
        data = path.read_bytes()
        lines, rest = _complete_lines(data)
        if rest:
            os.truncate(path, len(data) - len(rest))
            warnings.append(
                f"{path}:{len(lines) + 1}: cut off an incomplete last line of this device's "
                "own (an interrupted write); its facts are written again"
            )
        fresh = not any(line.strip() for line in lines)
    else:
        fresh = True
    if not facts and not fresh:
        return warnings
    chunks = []
    if fresh:
        chunks.append(_dumps({HEADER_KEY: FORMAT_VERSION, "device": device}))
    chunks.extend(_dumps(fact_to_line(f)) for f in facts)
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
    with _folder_lock(store.path.parent / LOCK_NAME):
        store.own_unowned()
        device = store.device_id()
        own = folder / f"{device}.jsonl"
        offered = read_folder(folder)
        known = known_facts(store)
        for identity, fact in offered.facts.items():
            mine = known.get(identity)
            if mine is not None and mine != fact:
                path, line = offered.where[identity]
                raise SyncFolderError(
                    f"{path}:{line}: fact {identity[0]}#{identity[1]} differs from the one "
                    f"this database holds: {_two_writers(identity[0])}"
                )
        undone = {
            (f.target_device, f.target_seq)
            for f in (*known.values(), *offered.facts.values())
            if isinstance(f, UndoFact)
        }

        def wanted(identity: Identity, fact: LogFact) -> bool:
            return not (isinstance(fact, AnswerFact) and identity in undone)

        # Undo facts come in even when the answer they name is not here (it may come later).
        incoming = [f for i, f in offered.facts.items() if i not in known and wanted(i, f)]
        outgoing = sorted(
            (f for i, f in known.items() if i not in offered.facts and wanted(i, f)),
            key=lambda f: f.identity,
        )
        made = backup("sync") if incoming and backup is not None else None
        report = merge(store, incoming)
        warnings = offered.warnings + _append(own, device, outgoing)
    others = sorted({d for p, d in offered.writers.items() if d != device})
    return SyncResult(folder, device, own, len(outgoing), report, others, made, warnings)
