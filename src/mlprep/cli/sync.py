"""`mlprep sync`, `mlprep backup`, and the `json` formats of `mlprep export` / `mlprep import`.

`export_json` and `import_json` are subcommands: `mlprep.cli` puts the functions listed in
EXPORT_COMMANDS and IMPORT_COMMANDS into its `export` and `import` groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mlprep.cli.common import (
    CardsOption,
    JsonOption,
    command,
    echo_wrapped,
    fail,
    open_library,
    plural,
    warn,
)

__all__ = ["EXPORT_COMMANDS", "IMPORT_COMMANDS", "backup", "export_json", "import_json", "sync"]


@command()
def sync(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="The shared folder (default: the sync_dir setting).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    cards: CardsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Merge your history with your other devices via a synced folder.

    DIR is a folder that a file-sync engine (git, Syncthing, Dropbox, iCloud Drive) keeps the
    same on each device. Each device appends its own facts to DIR/<device-id>.jsonl and reads the others'; the
    merge is their union, so it is safe to run at any time, in any order, on any device. With
    the sync_dir setting, `mlprep review` syncs by itself when it ends. A backup is taken
    before anything comes in.

    Example: mlprep sync ~/Dropbox/mlprep
    """
    from mlprep.interop.sync_folder import sync_folder
    from mlprep.term.sync import sync_lines

    with open_library(cards, quiet=as_json) as lib:
        if folder is None:
            if not lib.settings.sync_dir:
                fail(
                    "no sync folder: name one (`mlprep sync DIR`) or set one "
                    "(`mlprep config sync_dir DIR`)",
                    2,
                )
            folder = Path(lib.settings.sync_dir)
        result = sync_folder(lib.store, folder, backup=lib.backup)
    for message in result.warnings:
        warn(message)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    for line in sync_lines(result):
        echo_wrapped(line)


@command()
def backup(
    list_: Annotated[bool, typer.Option("--list", help="List the backups, newest first.")] = False,
    restore: Annotated[
        str | None,
        typer.Option(
            "--restore",
            help="Put backup NAME (from --list) in place of the database.",
            metavar="NAME",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the database now, list the backups, or restore one.

    Backups are consistent copies made with SQLite's backup API, kept in <data dir>/backups:
    automatically before a migration, an import or a sync that brings anything in, and once
    a day; the newest backups_kept (setting, default 30) are kept. --restore first backs up
    the database as it is, so a restore can be undone too.

    Example: mlprep backup --list

    Example: mlprep backup --restore 20261201T090000Z-daily
    """
    from mlprep.app.backups import backup_now, restore_backup
    from mlprep.app.config import ConfigError, Paths, load_settings
    from mlprep.storage.backups import list_backups

    if list_ and restore:
        fail("--list and --restore go one at a time", 2)
    paths = Paths.from_env()
    try:
        settings = load_settings(paths)
    except ConfigError as exc:
        fail(str(exc))
    if list_:
        backups = list_backups(paths.backups)
        if as_json:
            typer.echo(json.dumps([b.to_dict() for b in reversed(backups)], indent=2))
        elif not backups:
            typer.echo(f"No backups yet in {paths.backups}.")
        else:
            from rich.console import Console

            from mlprep.term.sync import backup_table

            Console(highlight=False, markup=False).print(backup_table(backups, paths.backups))
        return
    if restore:
        restored = restore_backup(paths, settings, restore)
        if as_json:
            payload = {
                "restored": restored.backup.to_dict(),
                "previous_saved_as": str(restored.safety) if restored.safety else None,
            }
            typer.echo(json.dumps(payload, indent=2))
            return
        typer.echo(f"Restored {restored.backup.name} ({restored.backup.taken.isoformat()}).")
        if restored.safety is not None:
            typer.echo(f"The database as it was is saved as {restored.safety.name}.")
        return
    made = backup_now(paths, settings)
    if as_json:
        typer.echo(json.dumps({"backup": str(made)}, indent=2))
        return
    typer.echo(f"Backed up to {made}")


@command("json")
def export_json(
    file: Annotated[
        Path, typer.Argument(help="The file to write ('-' for standard output).", metavar="FILE")
    ],
    cards: CardsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write everything to one JSON file: cards, card files, log, settings.

    It holds the cards as loaded, your deck folder's files, the whole log, your settings and
    the fitted parameters (the format: docs/data-formats.md).

    `mlprep import json FILE` reads it back into an empty data dir.

    Example: mlprep export json mlprep-2026-12-01.json
    """
    from mlprep.interop.json_dump import export_json as export_

    to_stdout = str(file) == "-"
    if to_stdout and as_json:
        fail("--json prints a summary; it cannot go with FILE '-' (the export itself)", 2)
    with open_library(cards, quiet=to_stdout or as_json) as lib:
        summary, text = export_(lib, None if to_stdout else file)
    if to_stdout:
        typer.echo(text, nl=False)
        return
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    typer.echo(
        f"Exported {plural(summary.cards, 'card')}, {plural(summary.answers, 'answer')} "
        f"(+{plural(summary.other_facts, 'other fact')}), {plural(summary.card_files, 'card file')} "
        f"and {plural(summary.settings, 'setting')} to {file}"
    )


@command("json")
def import_json(
    file: Annotated[Path, typer.Argument(help="A file from `mlprep export json`.", metavar="FILE")],
    as_json: JsonOption = False,
) -> None:
    """Restore a `mlprep export json` file into an empty data dir.

    The log, settings, meta and your card files come back, then every card is replayed to the
    state it had.

    The data dir must hold no answers yet (set MLPREP_HOME for a new one); to bring two data
    dirs together, use `mlprep sync`. The restored data dir is a new sync device.

    Example: mlprep import json mlprep-2026-12-01.json
    """
    from mlprep.app.config import Paths
    from mlprep.interop.json_dump import import_json as import_

    summary = import_(Paths.from_env(), file)
    for message in summary.warnings:
        warn(message)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    same = f" ({summary.card_files_same} already there)" if summary.card_files_same else ""
    typer.echo(
        f"Imported {plural(summary.answers, 'answer')} "
        f"(+{plural(summary.other_facts, 'other fact')}), {plural(summary.cards, 'card')}, "
        f"{plural(summary.card_files_written, 'card file')}{same} and "
        f"{plural(summary.settings, 'setting')} from {file}"
    )


# The subcommands of `mlprep export` and `mlprep import` that this module provides.
EXPORT_COMMANDS = (export_json,)
IMPORT_COMMANDS = (import_json,)
