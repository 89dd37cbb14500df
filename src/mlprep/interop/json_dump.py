"""`mlprep export json` / `mlprep import json`: everything in one documented JSON file (the
format: docs/data-formats.md), and back into an empty data dir to the same state.

The file holds what is not derived: the cards as loaded (live and retired), your own deck
folder's files byte for byte, the whole log (answers, undo, rename and card-event facts with
their identities), the settings you set, and the meta table (fitted parameters and the like).
Scheduling states are not in it: they are replayed from the log on import."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlprep.app.errors import MlprepError
from mlprep.core.wording import plural
from mlprep.interop.sync_folder import fact_from_line, fact_to_line
from mlprep.storage.facts import (
    AnswerFact,
    CardRow,
    Contents,
    EventFact,
    RenameFact,
    UndoFact,
    count_facts,
    is_local_meta,
    read_contents,
    write_contents,
)

if TYPE_CHECKING:
    from mlprep.app.config import Paths
    from mlprep.app.library import Library

__all__ = [
    "FORMAT",
    "VERSION",
    "Dump",
    "DumpError",
    "build_document",
    "export_json",
    "import_json",
    "parse_document",
    "render_document",
]

FORMAT = "mlprep-export"
VERSION = 1
DECK_SUFFIXES = (".yaml", ".yml")


class DumpError(MlprepError):
    """The file is not an export this mlprep can import, or the data dir cannot take it."""


@dataclass
class Dump:
    contents: Contents
    settings: dict[str, Any] = field(default_factory=dict)
    card_files: list[tuple[str, str]] = field(default_factory=list)  # (relative path, text)
    user_cards: str | None = None  # where the card files were, to move the cards' paths
    warnings: list[str] = field(default_factory=list)


# -- writing -------------------------------------------------------------------------------------


def _card_dict(card: CardRow) -> dict[str, Any]:
    return {
        "id": card.id,
        "deck": card.deck,
        "path": card.path,
        "line": card.line,
        "type": card.type,
        "q": card.q,
        "a": card.a,
        "generator": card.generator,
        "params": card.params,
        "tags": list(card.tags),
        "level": card.level,
        "retired": card.retired,
    }


def build_document(
    dump: Dump, *, exported: datetime, device: str | None, data_dir: Path, version: str
) -> dict[str, Any]:
    c = dump.contents
    log = []
    for rid, answer, card in c.answers:
        line = {"id": rid, **fact_to_line(answer), "card": card}
        if card != answer.card:
            line["recorded_card"] = answer.card
        log.append(line)
    return {
        "format": FORMAT,
        "version": VERSION,
        "mlprep": version,
        "exported": exported.isoformat(timespec="seconds"),
        "device": device,
        "data_dir": str(data_dir),
        "user_cards": dump.user_cards,
        "settings": dump.settings,
        # Not the device id and counter: an imported copy is a device of its own (see
        # Store.new_device), so it never writes facts under the original's identity.
        "meta": {k: v for k, v in c.meta.items() if not is_local_meta(k)},
        "card_files": [{"path": p, "text": t} for p, t in dump.card_files],
        "cards": [_card_dict(card) for card in c.cards],
        "log": log,
        "undos": [{"id": rid, **fact_to_line(f)} for rid, f in c.undos],
        "renames": [{"id": rid, **fact_to_line(f)} for rid, f in c.renames],
        "events": [{"id": rid, **fact_to_line(f)} for rid, f in c.events],
    }


def render_document(doc: dict[str, Any]) -> str:
    """JSON with one card, fact or file per line: readable, greppable and diffable."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    parts = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {one(item)}" for item in value)
            parts.append(f"  {one(key)}: [\n{items}\n  ]")
        else:
            parts.append(f"  {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _user_card_files(folder: Path) -> list[tuple[str, str]]:
    """Your deck folder's card files, as the loader finds them, text kept byte for byte."""
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.suffix not in DECK_SUFFIXES or not path.is_file():
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise DumpError(f"{path} is not UTF-8 text; nothing was exported") from None
        out.append((rel.as_posix(), text))
    return out


@dataclass(frozen=True)
class ExportSummary:
    path: str | None
    cards: int
    answers: int
    other_facts: int
    card_files: int
    settings: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def export_json(lib: Library, target: Path | None) -> tuple[ExportSummary, str | None]:
    """Write the export to `target` atomically, or return its text when `target` is None."""
    from mlprep import __version__
    from mlprep.app.config import SETTINGS, setting_sources
    from mlprep.decks.files import write_atomic

    paths = lib.paths
    sources = setting_sources(paths)
    settings = {
        name: SETTINGS[name].to_json(getattr(lib.settings, name))
        for name, source in sources.items()
        if source == "settings.toml"
    }
    dump = Dump(
        read_contents(lib.store),
        settings,
        _user_card_files(paths.user_cards),
        str(paths.user_cards),
    )
    doc = build_document(
        dump,
        exported=lib.now,
        device=lib.store.device_id(),
        data_dir=paths.data_dir,
        version=__version__,
    )
    text = render_document(doc)
    c = dump.contents
    summary = ExportSummary(
        None if target is None else str(target),
        len(c.cards),
        len(c.answers),
        len(c.undos) + len(c.renames) + len(c.events),
        len(dump.card_files),
        len(settings),
    )
    if target is None:
        return summary, text
    write_atomic(target, text)
    return summary, None


# -- reading -------------------------------------------------------------------------------------


class _Problem(ValueError):
    pass


def _require(obj: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise _Problem(f"{where}: no {key!r}")
    value = obj[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise _Problem(f"{where}: {key!r} must be {names}, got {value!r}")
    return value


def _card_row(obj: Any, where: str) -> CardRow:
    if not isinstance(obj, dict):
        raise _Problem(f"{where}: a card must be an object")
    s, n = (str,), (type(None),)
    tags = _require(obj, "tags", (list,), where)
    if not all(isinstance(t, str) and t and " " not in t for t in tags):
        raise _Problem(f"{where}: 'tags' must be a list of words, got {tags!r}")
    card_id = _require(obj, "id", s, where)
    if not card_id:
        raise _Problem(f"{where}: 'id' is empty")
    return CardRow(
        card_id,
        _require(obj, "deck", s, where),
        _require(obj, "path", s, where),
        _require(obj, "line", (int, *n), where),
        _require(obj, "type", s, where),
        _require(obj, "q", (str, *n), where),
        _require(obj, "a", (str, *n), where),
        _require(obj, "generator", (str, *n), where),
        _require(obj, "params", (dict, *n), where),
        tuple(tags),
        _require(obj, "level", s, where),
        _require(obj, "retired", (bool,), where),
    )


def _fact(obj: Any, kind: str, where: str) -> tuple[int, Any, dict[str, Any]]:
    if not isinstance(obj, dict):
        raise _Problem(f"{where}: a fact must be an object")
    rid = _require(obj, "id", (int,), where)
    if rid < 1:
        raise _Problem(f"{where}: 'id' must be a whole number from 1, got {rid!r}")
    rest = {k: v for k, v in obj.items() if k not in ("id", "recorded_card")}
    if rest.get("type") != kind:
        raise _Problem(f"{where}: 'type' must be {kind!r}, got {rest.get('type')!r}")
    return rid, rest, obj


def _relative_card_path(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise _Problem(f"{where}: 'path' must be a string")
    rel = PurePosixPath(text)
    if (
        rel.is_absolute()
        or not rel.parts
        or any(part in ("", ".", "..") or part.startswith(".") for part in rel.parts)
        or rel.suffix not in DECK_SUFFIXES
        or "\\" in text
    ):
        raise _Problem(
            f"{where}: {text!r} is not a card file path inside the deck folder (relative, "
            "no '..', ending in .yaml or .yml)"
        )
    return rel.as_posix()


def parse_document(doc: Any) -> Dump:
    """A parsed export, checked whole: _Problem (a ValueError) says where it is wrong."""
    from mlprep.app.config import SETTINGS, ConfigError

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _Problem(f'not an mlprep export (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Problem(f"'version' must be a whole number, got {version!r}")
    if version > VERSION:
        raise _Problem(
            f"export format {version} was written by a newer mlprep; this one reads format "
            f"{VERSION}. Upgrade mlprep"
        )
    dump = Dump(Contents())
    settings = _require(doc, "settings", (dict,), "settings")
    for name, value in settings.items():
        spec = SETTINGS.get(name)
        if spec is None:
            dump.warnings.append(f"setting {name!r} is unknown to this mlprep; skipped")
            continue
        try:
            value = spec.from_json(value)
        except ConfigError as exc:
            raise _Problem(f"settings: {exc}") from None
        problem = spec.check(value)
        if problem:
            raise _Problem(f"settings: {problem}")
        dump.settings[name] = value
    meta = _require(doc, "meta", (dict,), "meta")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _Problem("meta: every key and value must be a string")
    dump.contents.meta = dict(meta)
    user_cards = doc.get("user_cards")
    dump.user_cards = user_cards if isinstance(user_cards, str) else None
    seen_files = set()
    for i, item in enumerate(_require(doc, "card_files", (list,), "card_files")):
        where = f"card_files[{i}]"
        if not isinstance(item, dict):
            raise _Problem(f"{where}: must be an object")
        rel = _relative_card_path(item.get("path"), where)
        if rel in seen_files:
            raise _Problem(f"{where}: {rel} appears twice")
        seen_files.add(rel)
        dump.card_files.append((rel, _require(item, "text", (str,), where)))
    ids = set()
    for i, item in enumerate(_require(doc, "cards", (list,), "cards")):
        card = _card_row(item, f"cards[{i}]")
        if card.id in ids:
            raise _Problem(f"cards[{i}]: id {card.id!r} appears twice")
        ids.add(card.id)
        dump.contents.cards.append(card)
    identities: dict[tuple[str, int], str] = {}
    sections = (
        ("log", "answer", AnswerFact, dump.contents.answers),
        ("undos", "undo", UndoFact, dump.contents.undos),
        ("renames", "rename", RenameFact, dump.contents.renames),
        ("events", "event", EventFact, dump.contents.events),
    )
    for section, kind, _, into in sections:
        row_ids: set[int] = set()
        for i, item in enumerate(_require(doc, section, (list,), section)):
            where = f"{section}[{i}]"
            rid, rest, raw = _fact(item, kind, where)
            if rid in row_ids:
                raise _Problem(f"{where}: id {rid} appears twice")
            row_ids.add(rid)
            recorded = raw.get("recorded_card")
            if kind == "answer" and recorded is not None:
                if not isinstance(recorded, str) or not recorded:
                    raise _Problem(f"{where}: 'recorded_card' must be a card id")
                rest = {**rest, "card": recorded}
            try:
                fact = fact_from_line(rest)
            except ValueError as exc:
                raise _Problem(f"{where}: {exc}") from None
            if fact.identity in identities:
                raise _Problem(
                    f"{where}: fact {fact.identity[0]}#{fact.identity[1]} appears twice (also "
                    f"{identities[fact.identity]})"
                )
            identities[fact.identity] = where
            if kind == "answer":
                into.append((rid, fact, raw["card"]))
            else:
                into.append((rid, fact))
    return dump


def read_dump(path: Path) -> Dump:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DumpError(f"{path}: not UTF-8 text; nothing was imported") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DumpError(
            f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); nothing was imported"
        ) from None
    try:
        return parse_document(doc)
    except _Problem as exc:
        raise DumpError(f"{path}: {exc}; nothing was imported") from None


@dataclass(frozen=True)
class ImportSummary:
    path: str
    cards: int
    answers: int
    other_facts: int
    card_files_written: int
    card_files_same: int
    settings: int
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _moved_path(path: str, old_folder: str | None, new_folder: Path) -> str:
    """A card's path in the new data dir, if it was in the old user folder."""
    if old_folder and path.startswith(old_folder.rstrip(os.sep) + os.sep):
        return str(new_folder / path[len(old_folder.rstrip(os.sep)) + 1 :])
    return path


def import_json(paths: Paths, source: Path) -> ImportSummary:
    """Restore an export into the data dir of `paths`, which must hold no facts yet. Checks
    the whole file and every card file it would write before writing anything."""
    from dataclasses import replace

    from mlprep.app.config import ConfigError, load_settings, write_setting
    from mlprep.app.library import open_store
    from mlprep.decks.files import write_atomic
    from mlprep.storage.store import StoreError

    dump = read_dump(source)
    try:
        current = load_settings(paths)
    except ConfigError as exc:
        raise DumpError(str(exc)) from None
    held = 0
    if paths.db.exists():  # (a missing database is empty: do not create it just to look)
        try:
            with open_store(paths, current) as store:
                held = count_facts(store)
        except StoreError as exc:
            raise DumpError(str(exc)) from None
    if held:
        raise DumpError(
            f"the data dir {paths.data_dir} already holds {plural(held, 'fact')}; "
            "import json restores into an empty one (set MLPREP_HOME to a new folder), and "
            "`mlprep sync` brings two data dirs together. Nothing was imported"
        )
    writes, same = [], 0
    for rel, text in dump.card_files:
        target = paths.user_cards / rel
        if target.exists():
            if target.read_bytes() == text.encode("utf-8"):
                same += 1
                continue
            raise DumpError(
                f"{target} exists and differs from the card file in {source}; move it away "
                "first. Nothing was imported"
            )
        writes.append((target, text))
    for target, text in writes:
        write_atomic(target, text)
    for name, value in dump.settings.items():
        write_setting(paths, name, str(value))
    settings = load_settings(paths)
    contents = dump.contents
    contents.cards = [
        replace(c, path=_moved_path(c.path, dump.user_cards, paths.user_cards))
        for c in contents.cards
    ]
    with open_store(paths, settings) as store:
        write_contents(store, contents)
        store.new_device()
    return ImportSummary(
        str(source),
        len(contents.cards),
        len(contents.answers),
        len(contents.undos) + len(contents.renames) + len(contents.events),
        len(writes),
        same,
        len(dump.settings),
        dump.warnings,
    )
