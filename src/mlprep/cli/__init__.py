"""The `mlprep` command line: parses options, wires the pieces, turns errors into exit codes.

Command groups live in their own modules (`commands_*.py`) and register on `app`. Heavy
imports (yaml, numpy, sqlite-utils) stay inside the functions that need them."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from mlprep import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from mlprep.app.config import Paths, Settings
    from mlprep.decks.loader import DeckIssue
    from mlprep.storage.store import Store
    from mlprep.term.review import KeyReader

app = typer.Typer(
    name="mlprep",
    help="Spaced-repetition flashcards and numeric drills for ML interview prep.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

CardsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--cards",
        "-c",
        help="Extra card folder or file (repeatable); MLPREP_CARDS adds more.",
        metavar="PATH",
    ),
]
DeckOption = Annotated[str | None, typer.Option("--deck", "-d", help="Only cards of this deck.")]
TagOption = Annotated[str | None, typer.Option("--tag", "-t", help="Only cards with this tag.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `Error: message` on stderr and exit."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


@dataclass
class Library:
    """What most commands need: paths, settings, the clock, and the synced store."""

    paths: Paths
    settings: Settings
    store: Store
    now: datetime
    today: date
    issues: list[DeckIssue]

    def close(self) -> None:
        self.store.close()


def open_library(cards: list[Path] | None = None, *, quiet: bool = False) -> Library:
    """Open the store and sync the deck files into it; warn once per broken file."""
    from mlprep.app.config import ConfigError, Paths, card_sources, load_settings, now, study_day
    from mlprep.decks.loader import deck_files
    from mlprep.storage.store import Store, StoreError

    paths = Paths.from_env()
    try:
        settings = load_settings(paths)
        moment = now()
    except ConfigError as exc:
        fail(str(exc))
    try:
        store = Store(paths.db)
    except StoreError as exc:
        fail(str(exc))
    files, missing = deck_files(card_sources(paths, cards or []))
    for issue in missing:
        if issue.path != str(paths.user_cards):
            warn(f"{issue.path}: {issue.message}")
    report = store.sync(files)
    if not quiet:
        for path in report.broken_files:
            n = sum(i.path == path for i in report.issues)
            warn(
                f"{path} has {n} problem{'s' * (n != 1)}; its broken cards are skipped. "
                f"Run `mlprep check {path}` for details."
            )
    return Library(
        paths, settings, store, moment, study_day(moment, settings.day_starts_at), report.issues
    )


def check_filters(lib: Library, deck: str | None = None, tag: str | None = None) -> None:
    """Fail with the known names when --deck or --tag names nothing (a typo, usually)."""
    store = lib.store
    if deck and deck not in (decks := store.deck_names()):
        fail(f"no deck named {deck!r}; decks: {', '.join(decks) or '(none)'}")
    if tag and tag not in (tags := store.tag_names()):
        fail(f"no tag named {tag!r}; tags: {', '.join(tags) or '(none)'}")


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


@app.command()
def review(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new",
            "-n",
            help="New cards allowed today (default 10, or new_per_day in settings).",
            min=0,
        ),
    ] = None,
    max_reviews: Annotated[
        int | None, typer.Option("--max-reviews", help="Cap on reviews today (0 = no cap).", min=0)
    ] = None,
    expert: Annotated[
        bool, typer.Option("--expert", help="Grade with SM-2 quality 0-5 directly.")
    ] = False,
) -> None:
    """Study: due cards first (most overdue first), then new ones.

    Keys: space/enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy (enter = Good);
    u undoes the last answer; q or Ctrl-C quits (every answer is already saved).

    Example: mlprep review --tag ridge --new 5
    """
    if not sys.stdin.isatty():
        fail(
            "mlprep review needs an interactive terminal, but stdin is not a TTY. "
            "Run it in a terminal, or use `mlprep due --json` in scripts.",
            2,
        )
    lib = open_library(cards)
    try:
        check_filters(lib, deck, tag)
        _run_review(lib, deck, tag, new, max_reviews, expert)
    finally:
        lib.close()


def _run_review(
    lib: Library,
    deck: str | None,
    tag: str | None,
    new: int | None,
    max_reviews: int | None,
    expert: bool,
) -> None:
    from rich.console import Console

    from mlprep.core.session import ReviewSession, build_queue
    from mlprep.term.review import KeyReader, nothing_due_text, run_review, summary_text

    settings = lib.settings
    store = lib.store
    queue = build_queue(
        store,
        lib.today,
        deck=deck,
        tag=tag,
        new_per_day=settings.new_per_day if new is None else new,
        reviews_per_day=settings.reviews_per_day if max_reviews is None else max_reviews,
    )
    console = Console(highlight=False, markup=False)
    if not queue:
        tomorrow = lib.today + timedelta(days=1)
        console.print(
            nothing_due_text(
                store.next_due(lib.today, deck, tag),
                lib.today,
                store.count_due_on(tomorrow, deck, tag),
            )
        )
        return
    from mlprep.app.config import now

    session = ReviewSession(store, queue, lib.today, now, deck=deck, tag=tag)
    keys = KeyReader()
    skipped: list[str] = []
    hooks = _review_hooks(lib, console, keys, skipped)
    summary = run_review(session, console, keys, expert=expert, **hooks)
    console.print(summary_text(summary))
    for problem in skipped:
        warn(f"skipped: {problem}; run `mlprep check`")


def _review_hooks(lib: Library, console: Console, keys: KeyReader, skipped: list[str]) -> dict:
    """The pieces of a review session that other command modules provide."""
    from mlprep.cli.drill import review_computed
    from mlprep.term.leech import leech_notice

    return {
        "show_computed": lambda session, card, header: review_computed(
            session, card, header, console, keys, skipped
        ),
        "on_answered": lambda card_id: leech_notice(
            lib.store, card_id, lib.settings.leech_threshold
        ),
    }


@app.command()
def due(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    as_json: JsonOption = False,
    limit: Annotated[
        int, typer.Option("--next", help="How many upcoming cards to list.", min=0)
    ] = 5,
) -> None:
    """Show today's queue per deck and the next cards due, without starting a session.

    Example: mlprep due --json
    """
    from mlprep.core.session import build_queue

    lib = open_library(cards, quiet=as_json)
    try:
        check_filters(lib, deck, tag)
        store = lib.store
        queue = build_queue(
            store,
            lib.today,
            deck=deck,
            tag=tag,
            new_per_day=lib.settings.new_per_day,
            reviews_per_day=lib.settings.reviews_per_day,
        )
        per_deck: dict[str, dict[str, int]] = {}
        for item in queue:
            counts = per_deck.setdefault(item.deck, {"new": 0, "relearn": 0, "review": 0})
            counts[item.kind] += 1
        total = {k: sum(c[k] for c in per_deck.values()) for k in ("new", "relearn", "review")}
        upcoming = store.upcoming(lib.today, deck, tag, limit)
        tomorrow = store.count_due_on(lib.today + timedelta(days=1), deck, tag)
        next_due = store.next_due(lib.today, deck, tag)
    finally:
        lib.close()
    if as_json:
        payload = {
            "today": lib.today.isoformat(),
            "total": total,
            "decks": dict(sorted(per_deck.items())),
            "due_tomorrow": tomorrow,
            "next_due": next_due.isoformat() if next_due else None,
            "upcoming": [{"id": i, "deck": d, "due": due_day} for i, d, due_day in upcoming],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, markup=False)
    table = Table(title=f"Due on {lib.today.isoformat()}", title_justify="left")
    table.add_column("deck")
    for kind, style in (("new", "blue"), ("relearn", "red"), ("review", "green")):
        table.add_column(kind, justify="right", style=style)
    for name, counts in sorted(per_deck.items()):
        table.add_row(name, str(counts["new"]), str(counts["relearn"]), str(counts["review"]))
    table.add_row("total", *(str(total[k]) for k in ("new", "relearn", "review")), style="bold")
    console.print(table)
    console.print(f"Due tomorrow: {tomorrow}")
    if upcoming:
        console.print("Next up: " + ", ".join(f"{i} ({d})" for i, _, d in upcoming))


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Card files or folders (default: every deck mlprep loads)."),
    ] = None,
    cards: CardsOption = None,
) -> None:
    """Validate card files: YAML syntax, keys, ids, types, duplicates, generators and params.

    Prints every problem as path:line: message and a summary; exits 1 on any problem.

    Example: mlprep check ~/notes/cards
    """
    from collections import Counter

    from mlprep.app.config import Paths, card_sources
    from mlprep.decks.loader import check_generators, load_paths

    if paths:
        sources = list(paths)
    else:
        home = Paths.from_env()
        # Every source is checked; only the default user folder may be missing (no cards yet).
        sources = [s for s in card_sources(home, cards or []) if s.exists() or s != home.user_cards]
    result = load_paths(sources)
    issues = sorted(result.issues + check_generators(result.cards))
    for issue in issues:
        typer.echo(str(issue))
    decks = Counter(c.deck for c in result.cards)
    types = Counter(c.type for c in result.cards)
    tags = Counter(t for c in result.cards for t in c.tags)
    typer.echo(
        f"{len(result.cards)} cards in {len(decks)} decks "
        f"({types['basic']} basic, {types['computed']} computed), {len(tags)} tags"
    )
    if decks:
        typer.echo("decks: " + ", ".join(f"{d} ({n})" for d, n in sorted(decks.items())))
    if tags:
        typer.echo("tags: " + ", ".join(f"{t} ({n})" for t, n in sorted(tags.items())))
    if issues:
        typer.echo(f"{len(issues)} problem{'s' * (len(issues) != 1)} found", err=True)
        raise typer.Exit(1)
    typer.echo("ok: no problems found")


def _register_command_modules() -> None:
    import importlib

    for name in ("drill", "authoring", "stats"):
        importlib.import_module(f"mlprep.cli.{name}")


def main() -> None:
    _register_command_modules()
    app()
