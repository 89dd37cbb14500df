"""`mlprep review`, `due` and `check`: the daily session, today's queue, and card-file checks."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlprep.cli.common import (
    MAX_COUNT,
    CardsOption,
    DeckOption,
    JsonOption,
    LevelOption,
    TagOption,
    command,
    fail,
    open_library,
    scope_of,
    warn,
)

if TYPE_CHECKING:
    from mlprep.app.library import Library
    from mlprep.storage.store import Scope

__all__ = ["check", "due", "review", "review_hooks"]


@command()
def review(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    level: LevelOption = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new",
            "-n",
            help="New cards allowed today (default 10, or new_per_day in settings).",
            min=0,
            max=MAX_COUNT,
            metavar="N",
        ),
    ] = None,
    max_reviews: Annotated[
        int | None,
        typer.Option(
            "--max-reviews",
            help="Cap on reviews today (0 = no cap).",
            min=0,
            max=MAX_COUNT,
            metavar="N",
        ),
    ] = None,
    cram: Annotated[
        bool,
        typer.Option(
            "--cram",
            help="Review every card in scope, due or not; the schedule is left unchanged.",
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help="With --cram: at most N cards.", min=1, max=MAX_COUNT, metavar="N"
        ),
    ] = None,
    expert: Annotated[
        bool, typer.Option("--expert", help="Grade with SM-2 quality 0-5 directly.")
    ] = False,
) -> None:
    """Study: due cards first (most overdue first), then new ones.

    Keys: space/enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy (enter = Good);
    u undoes the last answer; q or Ctrl-C quits (every answer is already saved; one the
    database could not take is kept, saved with the next, and named if it never could be).
    --cram reviews the cards in scope whatever their due dates, logged as cram answers that
    never move a schedule (for the night before an interview).

    Example: mlprep review --tag ridge --new 5
    Example: mlprep review --cram --deck optimizers --limit 20
    """
    if limit is not None and not cram:
        fail("--limit goes with --cram (a normal session follows the daily limits)", 2)
    if not sys.stdin.isatty():
        fail(
            "mlprep review needs an interactive terminal, but stdin is not a TTY. "
            "Run it in a terminal, or use `mlprep due --json` in scripts.",
            2,
        )
    from mlprep.app.library import check_scope

    with open_library(cards) as lib:
        scope = scope_of(deck, tag, level)
        check_scope(lib, scope)
        _run_review(lib, scope, new, max_reviews, expert, cram, limit)


def _run_review(
    lib: Library,
    scope: Scope,
    new: int | None,
    max_reviews: int | None,
    expert: bool,
    cram: bool,
    limit: int | None,
) -> None:
    from rich.console import Console

    from mlprep.app.config import now
    from mlprep.app.library import day_queue
    from mlprep.core.queue import CRAM, NORMAL
    from mlprep.core.session import ReviewSession
    from mlprep.term.review import KeyReader, nothing_due_text, run_review, summary_text

    store = lib.store
    policy = CRAM if cram else NORMAL
    settings = lib.settings
    queue = day_queue(
        store,
        lib.today,
        scope,
        policy,
        new_per_day=settings.new_per_day if new is None else new,
        reviews_per_day=settings.reviews_per_day if max_reviews is None else max_reviews,
        limit=limit or -1,
    )
    console = Console(highlight=False, markup=False)
    if not queue:
        if cram:
            console.print("No card in scope to cram.")
            return
        tomorrow = lib.today + timedelta(days=1)
        console.print(
            nothing_due_text(
                store.next_due(lib.today, scope), lib.today, store.count_due_on(tomorrow, scope)
            )
        )
        return
    session = ReviewSession(store, queue, lib.today, now, scope=scope, policy=policy)
    keys = KeyReader()
    skipped: list[str] = []
    hooks = review_hooks(lib, console, keys, skipped)
    summary = run_review(session, store.card, console, keys, expert=expert, **hooks)
    console.print(summary_text(summary))
    for problem in skipped:
        warn(f"skipped: {problem}; run `mlprep check`")


def review_hooks(lib: Library, console: Any, keys: Any, skipped: list[str]) -> dict[str, Any]:
    """What `run_review` calls out to: computed cards through the drill screens, and the leech
    notice after the answer that made a card a leech (threshold from the settings)."""
    from mlprep.core.leech import became_leech
    from mlprep.term.drill import review_computed
    from mlprep.term.leech import leech_notice

    store = lib.store
    threshold = lib.settings.leech_threshold

    def on_answered(card_id: str) -> Any:
        if not became_leech(store.scheduler, store.facts(card_id), threshold):
            return None
        return leech_notice(store.card(card_id), card_id, threshold)

    return {
        "show_computed": lambda session, card, header: review_computed(
            session, card, header, console, keys, skipped
        ),
        "on_answered": on_answered,
    }


@command()
def due(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    level: LevelOption = None,
    as_json: JsonOption = False,
    limit: Annotated[
        int,
        typer.Option(
            "--next", help="How many upcoming cards to list.", min=0, max=MAX_COUNT, metavar="N"
        ),
    ] = 5,
) -> None:
    """Show today's queue per deck and the next cards due, without starting a session.

    Example: mlprep due --json
    """
    from mlprep.app.library import check_scope, day_queue
    from mlprep.core.queue import NORMAL

    with open_library(cards, quiet=as_json) as lib:
        scope = scope_of(deck, tag, level)
        check_scope(lib, scope)
        store = lib.store
        queue = day_queue(
            store,
            lib.today,
            scope,
            NORMAL,
            new_per_day=lib.settings.new_per_day,
            reviews_per_day=lib.settings.reviews_per_day,
        )
        per_deck: dict[str, dict[str, int]] = {}
        for item in queue:
            counts = per_deck.setdefault(item.deck, {"new": 0, "relearn": 0, "review": 0})
            counts[item.kind] += 1
        total = {k: sum(c[k] for c in per_deck.values()) for k in ("new", "relearn", "review")}
        upcoming = store.upcoming(lib.today, scope, limit)
        tomorrow = store.count_due_on(lib.today + timedelta(days=1), scope)
        next_due = store.next_due(lib.today, scope)
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

    from mlprep.term.render import safe

    console = Console(highlight=False, markup=False)
    table = Table(title=f"Due on {lib.today.isoformat()}", title_justify="left")
    table.add_column("deck")
    for kind, style in (("new", "blue"), ("relearn", "red"), ("review", "green")):
        table.add_column(kind, justify="right", style=style)
    for name, counts in sorted(per_deck.items()):
        table.add_row(safe(name), str(counts["new"]), str(counts["relearn"]), str(counts["review"]))
    table.add_row("total", *(str(total[k]) for k in ("new", "relearn", "review")), style="bold")
    console.print(table)
    console.print(f"Due tomorrow: {tomorrow}")
    if upcoming:
        console.print("Next up: " + ", ".join(f"{i} ({d})" for i, _, d in upcoming))


@command()
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
    from mlprep.core.text import escape_controls
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
        typer.echo(escape_controls(str(issue)))
    decks = Counter(c.deck for c in result.cards)
    types = Counter(c.type for c in result.cards)
    tags = Counter(t for c in result.cards for t in c.tags)
    typer.echo(
        f"{len(result.cards)} cards in {len(decks)} decks "
        f"({types['basic']} basic, {types['computed']} computed), {len(tags)} tags"
    )
    if decks:
        typer.echo(
            escape_controls("decks: " + ", ".join(f"{d} ({n})" for d, n in sorted(decks.items())))
        )
    if tags:
        typer.echo("tags: " + ", ".join(f"{t} ({n})" for t, n in sorted(tags.items())))
    if issues:
        typer.echo(f"{len(issues)} problem{'s' * (len(issues) != 1)} found", err=True)
        raise typer.Exit(1)
    typer.echo("ok: no problems found")
