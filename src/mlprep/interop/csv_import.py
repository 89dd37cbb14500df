"""`mlprep import csv`: cards from a CSV/TSV file, Anki's text export or a plain
`front,back[,tags]` table.

Header lines (Anki writes them, rslib/src/import_export/text/csv/metadata.rs): `#separator:`
(`comma`, `semicolon`, `tab`, `space`, `pipe`, `colon` or the character), `#html:true|false`,
`#tags:` (tags for every row), `#columns:` (column names), `#deck:`, and `#guid column:`,
`#notetype column:`, `#deck column:`, `#tags column:` (1-based). Without `#separator`, a `.tsv`
file or a first row with a tab is tab-separated, else the first of `,` `;` `|` in it.

Columns: the meta columns above, then the fields: the first is the front, the second the back;
further fields are ignored. Without `#tags column`, the column after the two fields (a third
column of a plain file) holds the tags, separated by spaces. Every row must have as many
columns as the first one: a row that does not is an error naming its line, and nothing is
imported.

Text: with `#html:true` (or, without `#html`, when a field looks like HTML) fields are HTML
and become Markdown as Anki notes do; otherwise they are taken as mlprep Markdown as they are,
only MathJax delimiters turned into `$`. Ids: from the GUID column when there is one (the
ids `mlprep import anki` gives; mlprep's own GUIDs map back), else `csv-` and 12 hex digits of
the front's sha256, so importing the file again adds only rows not imported yet.

A header row: without `#columns`, a first row whose cells are all column names, one a front
(`front`, `question`, `q`, `text`) and one a back (`back`, `answer`, `a`, ...), as in
`front,back,tags`, names the columns like `#columns` would and is not imported as a card.
`header=True` takes the first row as column names whatever it holds, `header=False` never
does."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlprep.core.wording import plural
from mlprep.interop import InteropError
from mlprep.interop.importing import ImportPlan, ImportSummary, NewCard, run_import

if TYPE_CHECKING:
    from mlprep.app.library import Library

__all__ = ["CsvFile", "CsvRow", "import_csv", "plan_csv_import", "read_csv"]

SEPARATORS = {
    "comma": ",",
    "semicolon": ";",
    "tab": "\t",
    "space": " ",
    "pipe": "|",
    "colon": ":",
}
SNIFFED = ("\t", ",", ";", "|")
ID_PREFIX = "csv-"
HTML_HINT = re.compile(
    r"<(?:br|div|p|b|i|u|em|strong|span|ul|ol|li|img|a|code|pre|sub|sup|table|font)\b[^>]*>"
    r"|&(?:nbsp|amp|lt|gt|quot);",
    re.I,
)
FRONT_NAMES = ("front", "question", "q", "text")
BACK_NAMES = ("back", "answer", "a", "back extra", "extra")
# Every name a header row may hold (case-insensitive).
COLUMN_NAMES = (*FRONT_NAMES, *BACK_NAMES, "tags", "deck", "guid", "notetype")

EMPTY_FRONT = "the front is empty"
SAME_FRONT = "the same front as an earlier row"
IMAGE_OCCLUSION = "image occlusion notes are not supported"
NO_CLOZE = "a cloze note without any cloze deletion"


@dataclass(frozen=True)
class CsvRow:
    line: int  # where the row starts in the file
    front: str
    back: str
    tags: tuple[str, ...]
    deck: str | None
    guid: str | None
    notetype: str | None


@dataclass
class CsvFile:
    path: Path
    separator: str
    html: bool
    deck: str | None = None
    rows: list[CsvRow] = field(default_factory=list)
    header: tuple[str, ...] = ()  # the column names of a header row, if the file has one
    header_line: int | None = None


def _separator(value: str) -> str | None:
    key = value.strip().lower()
    if key in SEPARATORS:
        return SEPARATORS[key]
    raw = value.rstrip("\r\n")
    return raw[0] if raw and raw[0] in SEPARATORS.values() else None


def _column(value: str, path: Path, line: int, what: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise InteropError(f"{path}:{line}: #{what} must be a column number from 1, got {text!r}")
    return int(text)


def is_header(cells: list[str]) -> bool:
    """Whether a first row names the columns (`front,back`, `Question,Answer,Tags`, `q,a`)."""
    names = [cell.strip().lower() for cell in cells]
    return (
        all(name in COLUMN_NAMES for name in names)
        and any(name in FRONT_NAMES for name in names)
        and any(name in BACK_NAMES for name in names)
    )


def read_csv(path: Path, header: bool | None = None) -> CsvFile:
    """Parse the file; InteropError names the file and line of the first problem. `header`:
    None detects a header row (see the module's docstring), True and False say."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InteropError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InteropError(f"{path} is a folder; give a .csv or .tsv file") from None
    except OSError as exc:
        raise InteropError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InteropError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None
    lines = [line for line in re.split(r"(?<=\n)", text) if line]

    meta: dict[str, tuple[str, int]] = {}
    first = 0
    for n, raw in enumerate(lines):
        body = raw.rstrip("\r\n")
        if n == 0 and body.startswith("tags:"):
            meta["tags"] = (body[len("tags:") :], 1)
        elif body.startswith("#") and ":" in body:
            key, _, value = body[1:].partition(":")
            meta[key.strip().lower()] = (value, n + 1)
        elif not body.startswith("#"):
            break
        first = n + 1

    separator = None
    if "separator" in meta:
        value, line = meta["separator"]
        separator = _separator(value)
        if separator is None:
            raise InteropError(
                f"{path}:{line}: unknown #separator {value.strip()!r}; use one of "
                + ", ".join(SEPARATORS)
            )
    rest = [line for line in lines[first:] if line.strip() and not line.startswith("#")]
    if separator is None:
        sample = rest[0] if rest else ""
        if path.suffix.lower() == ".tsv" or "\t" in sample:
            separator = "\t"
        else:
            separator = next((s for s in SNIFFED if s in sample), ",")

    html_flag = None
    if "html" in meta:
        value, line = meta["html"]
        word = value.strip().lower()
        if word not in ("true", "false"):
            raise InteropError(f"{path}:{line}: #html must be true or false, got {value.strip()!r}")
        html_flag = word == "true"

    columns = {
        name: _column(meta[f"{name} column"][0], path, meta[f"{name} column"][1], f"{name} column")
        for name in ("guid", "notetype", "deck", "tags")
        if f"{name} column" in meta
    }
    labels: list[str] = []
    if "columns" in meta:
        labels = next(csv.reader([meta["columns"][0].strip()], delimiter=separator), [])
    global_tags = tuple(meta["tags"][0].split()) if "tags" in meta else ()
    out = CsvFile(path, separator, bool(html_flag))
    if "deck" in meta and meta["deck"][0].strip():
        out.deck = meta["deck"][0].strip()

    records = list(_records(lines, first, separator, path))
    if not records:
        raise InteropError(f"{path}: no rows to import")
    width = len(records[0][1])
    header_line = None
    if not labels and (header or (header is None and is_header(records[0][1]))):
        header_line, labels = records[0][0], records[0][1]
        out.header = tuple(label.strip() for label in labels)
        out.header_line = header_line
    meta_columns = set(columns.values())
    if any(c > width for c in meta_columns):
        name, col = max(columns.items(), key=lambda kv: kv[1])
        raise InteropError(
            f"{path}:{records[0][0]}: #{name} column is {col}, but the rows have {plural(width, 'column')}"
        )
    fields = [c for c in range(1, width + 1) if c not in meta_columns]
    if labels:
        named = {label.strip().lower(): i + 1 for i, label in enumerate(labels)}
        front = next((named[n] for n in FRONT_NAMES if n in named), None)
        back = next((named[n] for n in BACK_NAMES if n in named), None)
        for name in ("tags", "deck"):
            if name in named and name not in columns:
                columns[name] = named[name]
        fields = [c for c in (front, back) if c] or fields
    if len(fields) < 2:
        raise InteropError(
            f"{path}:{records[0][0]}: expected at least 2 columns (front and back), found "
            f"{width}; if the separator is not {_name(separator)}, say so with a first line "
            "such as #separator:tab"
        )
    if "tags" not in columns and not labels and len(fields) > 2:
        columns["tags"] = fields[2]
    front_col, back_col = fields[0], fields[1]
    for line, record in records:
        if line == header_line:
            continue
        if len(record) != width:
            raise InteropError(
                f"{path}:{line}: expected {plural(width, 'column')} (like line {records[0][0]}), found "
                f'{len(record)}; quote a field that contains {_name(separator)} with "..."'
            )

        def get(name: str, record: list[str] = record) -> str | None:
            return record[columns[name] - 1] if name in columns else None

        out.rows.append(
            CsvRow(
                line=line,
                front=record[front_col - 1],
                back=record[back_col - 1],
                tags=global_tags + tuple((get("tags") or "").split()),
                deck=get("deck") or None,
                guid=get("guid") or None,
                notetype=get("notetype") or None,
            )
        )
    if html_flag is None:
        out.html = any(HTML_HINT.search(r.front) or HTML_HINT.search(r.back) for r in out.rows)
    return out


def _name(separator: str) -> str:
    return next((f"{k} ({v!r})" for k, v in SEPARATORS.items() if v == separator), repr(separator))


def _records(
    lines: list[str], first: int, separator: str, path: Path
) -> Iterator[tuple[int, list[str]]]:
    """(line where it starts, fields) for every record after the header lines; a line
    starting with '#' where a record would start is a comment, as in Anki."""
    state = {"line": first, "start": True, "first": first + 1}

    def feed() -> Iterator[str]:
        for raw in lines[first:]:
            state["line"] += 1
            if state["start"]:
                if raw.startswith("#"):
                    continue
                state["first"], state["start"] = state["line"], False
            yield raw

    # csv.reader asks for one line at a time and no more than a record needs, so `start`
    # is set again exactly when the next record begins.
    reader = csv.reader(feed(), delimiter=separator, quotechar='"', strict=True)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InteropError(f"{path}:{state['first']}: cannot read the row: {exc}") from None
        state["start"] = True
        if record and any(cell.strip() for cell in record):
            yield state["first"], record


def _plain(text: str) -> str:
    """Plain text kept as Markdown; only MathJax delimiters become `$`."""
    from mlprep.interop.markup import clean_text

    text = re.sub(r"\\\((.+?)\\\)", lambda m: f"${m.group(1)}$", text, flags=re.S)
    text = re.sub(r"\\\[(.+?)\\\]", lambda m: f"$${m.group(1)}$$", text, flags=re.S)
    return clean_text(text).strip()


def plan_csv_import(
    parsed: CsvFile, *, live: set[str], known: set[str], deck: str | None = None
) -> ImportPlan:
    """The file's rows sorted against the cards mlprep has; `deck` overrides every row's."""
    from mlprep.interop.anki_import import card_id_for_guid, mlprep_id_of_guid
    from mlprep.interop.markup import (
        cloze_numbers,
        cloze_sides,
        deck_slug,
        has_text,
        html_to_markdown,
        tag_slug,
    )

    plan = ImportPlan(
        file=parsed.path,
        format="csv",
        source=f"csv:{parsed.path.name}",
        notes=len(parsed.rows) + (parsed.header_line is not None),
    )
    if parsed.header_line is not None:
        names = ", ".join(parsed.header)
        plan.skips.add(
            "row", f"column names ({names}); --no-header imports it", line=parsed.header_line
        )
    convert: Callable[[str], str] = html_to_markdown if parsed.html else _plain
    default_deck = deck_slug(deck or parsed.deck or parsed.path.stem)
    planned: dict[str, int] = {}
    existing: set[str] = set()
    retired: set[str] = set()
    for row in parsed.rows:
        row_deck = deck_slug(deck) if deck else deck_slug(row.deck) if row.deck else default_deck
        tags = tuple(dict.fromkeys(t for t in map(tag_slug, row.tags) if t))
        kind = (row.notetype or "").lower()
        if kind.startswith("image occlusion"):
            plan.skips.add("row", IMAGE_OCCLUSION, line=row.line)
            continue
        mapped = mlprep_id_of_guid(row.guid) if row.guid else None
        if mapped is not None:
            base = mapped[0]
        elif row.guid:
            base = card_id_for_guid(row.guid)
        else:
            base = ID_PREFIX + hashlib.sha256(row.front.strip().encode("utf-8")).hexdigest()[:12]
        if "cloze" in kind or (not kind and re.search(r"\{\{c\d+::", row.front)):
            numbers = cloze_numbers(row.front)
            if not numbers:
                plan.skips.add("row", NO_CLOZE, line=row.line)
                continue
            extra = convert(row.back)
            front = row.front if parsed.html else _plain(row.front)
            sides = [cloze_sides(front, n, html=parsed.html) for n in numbers]
            cards = [
                NewCard(f"{base}-c{n}", row_deck, q, a + (f"\n\n{extra}" if extra else ""), tags)
                for n, (q, a) in zip(numbers, sides, strict=True)
            ]
        else:
            q = convert(row.front)
            if not has_text(q):
                plan.skips.add("row", EMPTY_FRONT, line=row.line)
                continue
            cards = [NewCard(base, row_deck, q, convert(row.back), tags)]
        for card in cards:
            if card.id in live:
                existing.add(card.id)
            elif card.id in known:
                retired.add(card.id)
            elif card.id in planned:
                plan.skips.add("row", SAME_FRONT, line=row.line)
            else:
                planned[card.id] = row.line
                plan.new_cards.append(card)
    plan.existing, plan.retired = len(existing), len(retired)
    return plan


def import_csv(
    path: Path,
    *,
    deck: str | None = None,
    folder: Path | None = None,
    cards: list[Path] | None = None,
    dry_run: bool = False,
    warn: Callable[[str], None] | None = None,
    header: bool | None = None,
) -> ImportSummary:
    """Import a CSV/TSV file: it is read (and any problem reported, with its line) before
    mlprep's database or card files are touched. `header`: see `read_csv`."""
    parsed = read_csv(path, header)

    def make_plan(lib: Library) -> ImportPlan:
        store = lib.store
        return plan_csv_import(
            parsed,
            live={card.id for card in store.live_cards()},
            known=store.known_ids(),
            deck=deck,
        )

    return run_import(
        make_plan,
        origin="import csv",
        folder=folder,
        subfolder="",
        cards=cards,
        dry_run=dry_run,
        warn=warn,
    )
