"""Other tools' formats: `mlprep export anki`, `mlprep import anki`, `mlprep import csv`.

The subcommands of `export` and `import` are named after the format, so that further formats
(`export json`, `import json`) are siblings; `mlprep.cli` registers them from its GROUPS list.
The work is in `mlprep.interop`; this module parses options and prints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlprep.cli.common import (
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    command,
    echo_wrapped,
    open_library,
    plural,
    scope_of,
    warn,
)
from mlprep.core.wording import noun

if TYPE_CHECKING:
    from mlprep.interop.importing import ImportSummary

DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would be imported; write nothing."),
]
# `export anki` names the decks it wrote up to this many; more are counted (the bundled deck
# alone has 32 decks, a 773-character line).
NAMED_DECKS = 6

IntoOption = Annotated[
    Path | None,
    typer.Option(
        "--cards",
        help="Folder to write the new cards into (default: your deck folder).",
        metavar="DIR",
    ),
]


@command("anki")
def export_anki(
    file: Annotated[Path, typer.Argument(help="The package to write.", metavar="FILE.apkg")],
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    instances: Annotated[
        int,
        typer.Option(
            "--instances",
            "-k",
            help="Fixed problems per computed card (each a note).",
            metavar="K",
        ),
    ] = 5,
    as_json: JsonOption = False,
) -> None:
    """Write cards to an Anki package (.apkg): Anki, AnkiDroid, AnkiMobile.

    One note per card, in decks mlprep::DECK, tags kept, Markdown as HTML and math as MathJax.
    A computed card becomes K notes, each a fixed problem with its answer and worked solution
    (tagged mlprep-computed). Each note's GUID comes from the card id, so importing a newer
    export into Anki updates the notes, and `mlprep import anki` maps your Anki reviews back.

    Example: mlprep export anki ~/ml.apkg --deck optimizers
    """
    from mlprep.app.library import check_scope
    from mlprep.interop.anki_export import export_anki as write_package

    lib = open_library(cards, quiet=as_json)
    try:
        scope = scope_of(deck, tag)
        check_scope(lib, scope)
        summary = write_package(lib, file, scope, instances)
    finally:
        lib.close()
    for problem in summary.skipped:
        warn(f"computed card skipped: {problem}")
    if as_json:
        import json

        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    parts = [plural(summary.basic, "card")]
    if summary.computed:
        parts.append(
            f"{plural(summary.computed, 'computed card')} × {plural(summary.instances, 'problem')}"
        )
    decks = plural(len(summary.decks), "deck")
    if len(summary.decks) <= NAMED_DECKS:
        decks += ": " + ", ".join(summary.decks)
    else:
        decks += " (--json lists them)"
    echo_wrapped(
        f"Wrote {summary.path}: {plural(summary.notes, 'note')} ({', '.join(parts)}) in {decks}."
    )
    echo_wrapped(
        "Open it with Anki (File > Import) or AnkiDroid; importing it again updates the notes."
    )


def _print_summary(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(summary.to_json())
        return
    would = summary.dry_run
    read = f"Read {summary.file} ({summary.format}): {plural(summary.notes, 'note' if summary.format != 'csv' else 'row')}"
    if summary.format != "csv":
        read += f", {plural(summary.reviews, 'review')}"
    typer.echo(read + ".")
    if summary.writes:
        verb = "would be written to" if would else "written to"
        typer.echo(f"New cards: {summary.new_cards:,}, {verb}:")
        for w in summary.writes:
            state = "new file" if w.created else "appended"
            typer.echo(f"  {w.path} (deck {w.deck}, {state}): {w.cards:,}")
    else:
        typer.echo("New cards: none.")
    if summary.existing:
        typer.echo(
            f"Already mlprep cards: {summary.existing:,} (exported from mlprep or imported "
            "before; their card files are left as they are)."
        )
    if summary.retired:
        typer.echo(
            f"Removed from your card files since an earlier import: {summary.retired:,} "
            "(not written again; their history is kept)."
        )
    if summary.format != "csv":
        added = "would be added" if would else "added"
        typer.echo(
            f"Reviews: {summary.reviews_added:,} {added} to the log, "
            f"{summary.reviews_already:,} already there; "
            f"{plural(summary.replayed, 'card')} {'to replay' if would else 'replayed'} "
            f"({summary.scheduler})."
        )
    for item in summary.skipped:
        lines = item.get("lines")
        where = ""
        if lines:
            shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
            where = f" ({noun(len(lines), 'line')} {shown})"
        typer.echo(f"Skipped {plural(item['count'], item['what'])}: {item['reason']}{where}.")
    if summary.backup is not None:
        typer.echo(f"Backed up the database first: {summary.backup}")
    if would:
        typer.echo("Dry run: nothing was written.")
    elif summary.writes and not summary.loaded_by_default:
        folder = Path(summary.writes[0].path).parent
        typer.echo(
            f"Note: mlprep loads {folder} only when asked: pass --cards {folder} or add it to "
            "MLPREP_CARDS."
        )


@command("anki")
def import_anki(
    file: Annotated[
        Path, typer.Argument(help="An Anki package: .apkg or .colpkg.", metavar="FILE")
    ],
    into: IntoOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import an Anki package: its notes as cards, its reviews as history.

    New cards go to one YAML file per Anki deck under DIR/anki/ (your deck folder by default),
    HTML turned into Markdown and math into $...$; ids come from the notes' GUIDs, and notes
    exported by mlprep map back to their cards. Every review becomes a fact of kind import (a
    filtered-deck cram stays cram) and the cards are replayed. Importing the same or a newer
    package again adds only what is new. Export from Anki or AnkiDroid with scheduling
    ("Include scheduling information", or a .colpkg) to bring your reviews. The database is
    backed up first (`mlprep backup --list`), unless --dry-run or nothing is new.

    Example: mlprep import anki ~/Downloads/collection.colpkg --dry-run
    """
    from mlprep.interop.anki_import import import_anki as run

    _print_summary(run(file, folder=into, dry_run=dry_run, warn=warn), as_json)


@command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="A .csv or .tsv file.", metavar="FILE")],
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            "-d",
            help="Deck for every card (default: the file's #deck or deck column, else its name).",
            metavar="NAME",
        ),
    ] = None,
    into: IntoOption = None,
    header: Annotated[
        bool | None,
        typer.Option(
            "--header/--no-header",
            help="The first row is column names (default: detected, e.g. front,back).",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import cards from CSV/TSV: Anki's text export or front,back rows.

    Plain rows are front,back[,tags]. Anki's header lines are read (#separator, #html, #tags, #columns, #deck, #guid column,
    #notetype column, #deck column, #tags column). Every row must have as many columns as the
    first; a row that does not is reported with its line and nothing is imported. New cards
    go to DIR/DECK.yaml (your deck folder by default); a file that exists is appended to.
    Importing the file again adds only rows not imported yet. A first row of column names
    (front,back[,tags], question,answer, q,a) is read as such, not imported as a card. The
    database is backed up first (`mlprep backup --list`), unless --dry-run or nothing is new.

    Example: mlprep import csv cards.tsv --deck interview --dry-run
    """
    from mlprep.interop.csv_import import import_csv as run

    summary = run(file, deck=deck, folder=into, dry_run=dry_run, warn=warn, header=header)
    _print_summary(summary, as_json)
