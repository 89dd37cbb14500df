"""What every import shares: the cards it found, what it skipped and why, writing the new cards
to deck files, and the summary it reports.

New cards go to YAML files in the user's deck folder, one per deck. Every file's new text is
made and checked (it must read back as exactly the cards meant) before any file is written;
each write is atomic. A file that exists already gets the new cards appended, every byte of it
kept (`mlprep.decks.yaml_text`). Cards whose id mlprep knows are never written again."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.interop import InteropError

if TYPE_CHECKING:
    from mlprep.app.config import Paths
    from mlprep.app.library import Library
    from mlprep.storage.store import FactImport, ImportedFact

__all__ = [
    "DeckWrite",
    "ImportPlan",
    "ImportSummary",
    "NewCard",
    "Skips",
    "apply_plan",
    "deck_texts",
    "group_by_file",
    "run_import",
    "target_folder",
]


def clean_text(text: str) -> str:
    """Imported text fit for a card file: line breaks as newlines, no control characters."""
    from mlprep.core.text import CONTROL_CHARS

    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")
    return CONTROL_CHARS.sub("", text)


LOCK_NAME = "authoring.lock"  # the lock `mlprep add` takes: imports and adds queue up


@dataclass(frozen=True)
class NewCard:
    """A card found in the imported file, as it would be written to a deck file."""

    id: str
    deck: str
    q: str
    a: str
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Card files may not hold terminal control characters (`mlprep check` refuses them):
        # a NEL (U+0085) or CR from another tool is a line break, any other control is dropped.
        for name in ("q", "a"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))

    def to_yaml(self) -> dict[str, Any]:
        card: dict[str, Any] = {"id": self.id, "q": self.q, "a": self.a}
        if self.tags:
            card["tags"] = list(self.tags)
        return card


@dataclass
class Skips:
    """What was left out, counted by (what, reason); with the lines, for text files."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    lines: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, what: str, reason: str, n: int = 1, line: int | None = None) -> None:
        key = (what, reason)
        self.counts[key] = self.counts.get(key, 0) + n
        if line is not None:
            self.lines.setdefault(key, []).append(line)

    def to_list(self) -> list[dict[str, Any]]:
        out = []
        for (what, reason), count in sorted(self.counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
            item: dict[str, Any] = {"what": what, "reason": reason, "count": count}
            if (what, reason) in self.lines:
                item["lines"] = self.lines[(what, reason)]
            out.append(item)
        return out


@dataclass
class ImportPlan:
    """What an import file holds, sorted against what mlprep knows."""

    file: Path
    format: str  # e.g. "apkg (collection.anki21b)" or "csv"
    source: str  # the `source` of the facts it adds, e.g. "anki:deck.apkg"
    new_cards: list[NewCard] = field(default_factory=list)
    existing: int = 0  # cards mlprep has (from an mlprep export, or imported before)
    retired: int = 0  # cards mlprep had, removed from their files since: not written again
    facts: list[ImportedFact] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)
    notes: int = 0  # notes or rows read
    reviews: int = 0  # review-log entries read


@dataclass(frozen=True)
class DeckWrite:
    path: str
    deck: str
    cards: int
    created: bool


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, with --dry-run, would do); `to_dict` is the --json output."""

    file: str
    format: str
    dry_run: bool
    notes: int
    reviews: int
    writes: tuple[DeckWrite, ...]
    existing: int
    retired: int
    reviews_added: int
    reviews_already: int
    replayed: int
    scheduler: str
    skipped: tuple[dict[str, Any], ...]
    loaded_by_default: bool = True  # False: the folder is not one mlprep loads without --cards
    backup: str | None = None  # the backup taken before the import wrote anything

    @property
    def new_cards(self) -> int:
        return sum(w.cards for w in self.writes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "dry_run": self.dry_run,
            "read": {"notes": self.notes, "reviews": self.reviews},
            "cards": {
                "new": self.new_cards,
                "existing": self.existing,
                "retired": self.retired,
                "files": [
                    {"path": w.path, "deck": w.deck, "cards": w.cards, "created": w.created}
                    for w in self.writes
                ],
            },
            "reviews": {
                "added": self.reviews_added,
                "already": self.reviews_already,
                "replayed_cards": self.replayed,
                "scheduler": self.scheduler,
            },
            "skipped": list(self.skipped),
            "backup": self.backup,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


# -- where cards go ------------------------------------------------------------------------------


def target_folder(paths: Paths, folder: Path | None) -> Path:
    """The folder new cards are written to: `folder`, else the user's deck folder; never the
    bundled deck, which belongs to the installed mlprep."""
    from mlprep.app.config import bundled_cards_dir

    target = folder.expanduser() if folder is not None else paths.user_cards
    bundled = bundled_cards_dir().resolve()
    resolved = target.resolve()
    if resolved == bundled or bundled in resolved.parents:
        raise InteropError(
            f"refusing to write into the bundled deck ({target}); your cards go to "
            f"{paths.user_cards} (the default) or a folder given with --cards DIR"
        )
    if target.exists() and not target.is_dir():
        raise InteropError(f"--cards must be a folder to write into, but {target} is a file")
    return target


def _comment(origin: str) -> str:
    return (
        f"# Cards imported by `mlprep {origin}` on {datetime.now():%Y-%m-%d}.\n"
        "# Edit freely: a later import only appends cards it has not imported yet. Keep each\n"
        "# id: it links the card to its review history (and to the note it came from).\n"
    )


# -- a fast YAML writer for new files --------------------------------------------------------------
# The authoring renderer takes ~1 ms a card (it checks every value by reading it back), and
# PyYAML's dumper ~0.1 ms: too slow for a 10,000-card import. This writer takes ~10 us, in the
# layout `mlprep add` writes; the whole file is then read back and compared (`_same_data`), and
# anything it gets wrong falls back to PyYAML, then to the authoring renderer.

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_NOT_PLAIN = re.compile(r'[#:"\t\n\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]')
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _quoted(value: str) -> str:
    """A double-quoted scalar: JSON's escapes are YAML's, plus \\u for what YAML can't hold raw."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False)
    )


def _scalar(value: str, key_col: int) -> str:
    """`value` after `key: `: plain when it is safely plain, a `|` block when it has lines,
    else double-quoted."""
    if "\n" in value:
        if (
            not value.endswith("\n\n")
            and not value.startswith((" ", "\n"))
            and not _UNPRINTABLE.search(value)
            and "\t" not in value
        ):
            chomp = "" if value.endswith("\n") else "-"
            pad = " " * (key_col + 2)
            body = value[:-1] if value.endswith("\n") else value
            return f"|{chomp}\n" + "\n".join(
                pad + line if line else "" for line in body.split("\n")
            )
        return _quoted(value)
    if (
        value
        and value[0].isalpha()
        and not value.endswith(" ")
        and not _NOT_PLAIN.search(value)
        and value.lower() not in _YAML_WORDS
    ):
        return value
    return _quoted(value)


def _emit(deck: str, cards: Sequence[NewCard]) -> str:
    out = [f"deck: {_scalar(deck, 0)}", "cards:"]
    for n, card in enumerate(cards):
        lines = ["" if n else None, f"  - id: {_scalar(card.id, 4)}"]
        lines += [f"    q: {_scalar(card.q, 4)}", f"    a: {_scalar(card.a, 4)}"]
        if card.tags:
            lines.append("    tags: [" + ", ".join(_scalar(t, 4) for t in card.tags) + "]")
        out += [line for line in lines if line is not None]
    return "\n".join(out) + "\n"


def _dump(deck: str, cards: Sequence[NewCard]) -> str:
    """The same through PyYAML (libyaml when there), should `_emit` get a value wrong."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        {"deck": deck, "cards": [card.to_yaml() for card in cards]},
        Dumper=dumper,
        allow_unicode=True,
        sort_keys=False,
        width=1_000_000,
        default_flow_style=False,
    )


def _same_data(text: str, deck: str, cards: Sequence[NewCard]) -> bool:
    """Whether a new file's text reads back (with the safe loader the deck loader uses) as
    exactly this deck and these cards, and whether the deck loader accepts them."""
    import yaml

    from mlprep.decks.loader import ID_PATTERN

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    ids = [card.id for card in cards]
    return (
        data == {"deck": deck, "cards": [card.to_yaml() for card in cards]}
        and len(set(ids)) == len(ids)
        and all(ID_PATTERN.match(i) for i in ids)
        and all(ID_PATTERN.match(t) for card in cards for t in card.tags)
    )


def _reads_back(text: str, path: Path, cards: Sequence[NewCard], before: int) -> bool:
    """Whether `text`, a file that had `before` cards, ends with exactly `cards`."""
    from mlprep.decks.loader import duplicate_ids, parse_text

    parsed = parse_text(text, str(path), path.stem)
    if parsed.issues or duplicate_ids(parsed.cards) or len(parsed.cards) != before + len(cards):
        return False
    return all(
        (c.id, c.q, c.a, c.type) == (n.id, n.q, n.a, "basic") and set(n.tags) <= set(c.tags)
        for c, n in zip(parsed.cards[before:], cards, strict=True)
    )


def deck_texts(
    files: dict[Path, list[NewCard]], origin: str
) -> list[tuple[Path, str | None, str, str]]:
    """(path, text before or None, text after, deck) for every file to write, each checked to
    read back as exactly its cards. Raises InteropError before anything is written."""
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.files import read_text
    from mlprep.decks.loader import parse_text
    from mlprep.decks.yaml_text import updated_deck_text

    out = []
    for path, cards in files.items():
        deck = cards[0].deck
        try:
            original = read_text(path)
        except AuthoringError as exc:
            raise InteropError(str(exc)) from None
        dicts = [c.to_yaml() for c in cards]
        try:
            if original is None:
                text = None
                for render in (_emit, _dump):  # the fast writer, else PyYAML's
                    candidate = _comment(origin) + render(deck, cards)
                    if _same_data(candidate, deck, cards):
                        text = candidate
                        break
                if text is None:  # the careful renderer, one card at a time
                    start = _comment(origin) + _dump(deck, [])
                    text = updated_deck_text(start, dicts, str(path))
            else:
                before = len(parse_text(original, str(path), path.stem).cards)
                text = updated_deck_text(original, dicts, str(path))
                if not _reads_back(text, path, cards, before):
                    raise AuthoringError("the new cards do not read back as written")
        except AuthoringError as exc:
            raise InteropError(f"cannot add the imported cards to {path}: {exc}") from None
        out.append((path, original, text, deck))
    return out


def _write(texts: Iterable[tuple[Path, str | None, str, str]]) -> None:
    from mlprep.decks.files import read_text, write_atomic

    for path, original, text, _ in texts:
        if read_text(path) != original:
            raise InteropError(f"{path} changed during the import; run the import again")
        write_atomic(path, text)


def group_by_file(
    cards: Iterable[NewCard], file_for: Callable[[str], Path]
) -> dict[Path, list[NewCard]]:
    files: dict[Path, list[NewCard]] = {}
    for card in cards:
        files.setdefault(file_for(card.deck), []).append(card)
    return files


# -- running an import ---------------------------------------------------------------------------


def apply_plan(
    lib: Library,
    plan: ImportPlan,
    files: dict[Path, list[NewCard]],
    *,
    origin: str,
    dry_run: bool,
    sources: list[Path],
) -> ImportSummary:
    """Write the plan's new cards, sync them in, append its facts and replay what they touch
    (with `dry_run`: only count). `sources` are the card folders to sync afterwards. An import
    that changes the database is preceded by a backup (`Library.backup`: none of an empty
    log)."""
    from mlprep.decks.loader import deck_files

    texts = deck_texts(files, origin)
    store = lib.store
    result: FactImport
    backup = None
    if dry_run:
        result = store.import_facts(plan.facts, plan.source, dry_run=True)
    else:
        # New cards, or answers the log does not hold yet (an import again may bring none).
        if texts or store.import_facts(plan.facts, plan.source, dry_run=True).added:
            backup = _backup_first(lib)
        _write(texts)
        store.sync(deck_files(sources)[0])
        result = store.import_facts(plan.facts, plan.source)
    writes = tuple(
        DeckWrite(str(path), deck, len(files[path]), original is None)
        for path, original, _, deck in texts
    )
    return ImportSummary(
        file=str(plan.file),
        format=plan.format,
        dry_run=dry_run,
        notes=plan.notes,
        reviews=plan.reviews,
        writes=writes,
        existing=plan.existing,
        retired=plan.retired,
        reviews_added=result.added,
        reviews_already=result.already,
        replayed=result.replayed,
        scheduler=store.scheduler.name,
        skipped=tuple(plan.skips.to_list()),
        backup=str(backup) if backup is not None else None,
    )


def _backup_first(lib: Library) -> Path | None:
    """The backup before an import: if it cannot be made, the import does not start."""
    import sqlite3

    try:
        return lib.backup("import")
    except (OSError, sqlite3.Error) as exc:
        folder = lib.paths.backups
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InteropError(
            f"cannot back up the database into {folder} before the import ({detail}); "
            "nothing was imported"
        ) from None


def run_import(
    make_plan: Callable[[Library], ImportPlan],
    *,
    origin: str,
    folder: Path | None,
    subfolder: str,
    cards: list[Path] | None,
    dry_run: bool,
    warn: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Under the lock `mlprep add` takes: open the library, plan the import against it, write
    the new cards to `<folder>/<subfolder>/<deck>.yaml` and append the facts."""
    from dataclasses import replace

    from mlprep.app.config import Paths, card_sources
    from mlprep.app.library import open_library
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.files import file_lock

    paths = Paths.from_env()
    target = target_folder(paths, folder)
    extra = [*(cards or []), *([target] if folder is not None else [])]
    base = target / subfolder if subfolder else target
    try:
        with file_lock(paths.data_dir / LOCK_NAME):
            lib = open_library(extra, quiet=True, warn=warn)
            try:
                plan = make_plan(lib)
                files = group_by_file(plan.new_cards, lambda deck: base / f"{deck}.yaml")
                summary = apply_plan(
                    lib,
                    plan,
                    files,
                    origin=origin,
                    dry_run=dry_run,
                    sources=card_sources(paths, extra),
                )
            finally:
                lib.close()
    except AuthoringError as exc:
        raise InteropError(str(exc)) from None
    defaults = [s.resolve() for s in card_sources(paths)]
    resolved = target.resolve()
    loaded = any(resolved == s or s in resolved.parents for s in defaults)
    return replace(summary, loaded_by_default=loaded)
