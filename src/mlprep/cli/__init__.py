"""The `mlprep` command line: typer only. Each command group has its own module; this one
builds the app from the explicit list below, so importing a command module registers nothing
and no command module imports another. Heavy imports (yaml, numpy, sqlite-utils) stay inside
the functions that need them."""

from __future__ import annotations

from typing import Annotated

import typer

from mlprep import __version__
from mlprep.cli import (
    add,
    cards,
    config,
    drill,
    interop,
    interview,
    marks,
    optimize,
    review,
    stats,
    sync,
)
from mlprep.cli.common import ErrorHandlingGroup

__all__ = ["COMMANDS", "GROUPS", "app", "main"]

app = typer.Typer(
    name="mlprep",
    cls=ErrorHandlingGroup,
    help="Spaced-repetition flashcards and numeric drills for ML interview prep.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Every command, in the order `mlprep --help` lists them.
COMMANDS = (
    review.review,
    review.due,
    interview.interview,
    drill.drill,
    add.add,
    cards.show,
    cards.list_cards,
    cards.search,
    cards.rename,
    marks.suspend,
    marks.unsuspend,
    marks.flag,
    stats.stats,
    optimize.optimize,
    config.config,
    review.check,
    sync.sync,
    sync.backup,
)

for _command in COMMANDS:
    _name, _options = _command.__mlprep_command__
    app.command(_name, **_options)(_command)

# Commands with one subcommand per format (`mlprep export anki`, `mlprep import json`): name,
# help, subcommands. A new format is one more marked function in a group's tuple.
GROUPS = (
    (
        "export",
        "Write your cards or your whole data in another format.",
        (interop.export_anki, *sync.EXPORT_COMMANDS),
    ),
    (
        "import",
        "Read cards, history or a whole data dir from another format.",
        (interop.import_anki, interop.import_csv, *sync.IMPORT_COMMANDS),
    ),
)

for _group, _help, _subcommands in GROUPS:
    _sub = typer.Typer(
        name=_group,
        help=_help,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for _command in _subcommands:
        _name, _options = _command.__mlprep_command__
        _sub.command(_name, **_options)(_command)
    app.add_typer(_sub)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mlprep {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Spaced-repetition flashcards and numeric drills for ML interview prep.

    Start with `mlprep review`. Cards are YAML files; your progress lives in a SQLite file in
    the data dir (MLPREP_HOME overrides it)."""


def main() -> None:
    from mlprep.term.output import fall_back_to_ascii, silence_if_gone

    fall_back_to_ascii()  # an ASCII-only terminal gets ASCII look-alikes, not a traceback
    try:
        app()
    finally:
        silence_if_gone()
