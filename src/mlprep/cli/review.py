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
    echo_wrapped,
    editor_command,
    fail,
    latex_warnings,
    open_library,
    plural,
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
    more: Annotated[
        bool,
        typer.Option(
            "--more", help="Interview mode: go on past today's plan for another block of minutes."
        ),
    ] = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="No screen: one JSON object per line each way on stdin/stdout, for scripts "
            "and editors (the README has the protocol).",
        ),
    ] = False,
) -> None:
    """Study: due cards first, then new ones across topics.

    Keys: space/enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy (enter = Good); each
    shows its interval and ease change. u undoes the last answer (or suspension); e edits the
    card in $EDITOR; s suspends it; f flags it; / searches; q or Ctrl-C quits (every answer is
    already saved; one the database could not take is kept, saved with the next, and named
    if it never could be). --cram reviews the cards in scope whatever their due dates, logged as cram
    answers that never move a schedule (for the night before an interview). While an interview is set
    (`mlprep interview DATE`), review serves its plan within the daily minutes. With the
    sync_dir setting, the session ends with a sync (`mlprep sync`).

    Example: mlprep review --tag ridge --new 5

    Example: mlprep review --cram --deck optimizers --limit 20

    --jsonl: mlprep writes {"event": "card", ...} and reads {"grade": "good"} (or 1-4),
    {"answer": "3/4"} for a computed card, {"quality": 0-5} with --expert, {"undo": true} or
    {"quit": true}; it answers with recorded, error and done events (protocol 2). An answer
    the database cannot take yet is an unsaved event, then saved with a later one (a saved
    event); done lists any still unsaved (exit 1) and the end-of-session sync. End of input
    ends it.

    Example: echo '{"grade": "good"}' | mlprep review --jsonl --deck optimizers
    """
    if limit is not None and not cram:
        fail("--limit goes with --cram (a normal session follows the daily limits)", 2)
    if more and cram:
        fail("--more goes with interview mode, not --cram", 2)
    if jsonl:
        _review_jsonl(
            cards, scope_of(deck, tag, level), new, max_reviews, expert, cram, limit, more
        )
        return
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
        _run_review(lib, scope, new, max_reviews, expert, cram, limit, more, cards)
        if lib.settings.sync_dir:
            _sync_after_review(lib)


def _sync_after_review(lib: Library) -> None:
    """The sync that ends a review when the sync_dir setting is set, and what it did."""
    from mlprep.term.sync import sync_lines

    result, _ = _end_of_review_sync(lib)
    if result is not None:
        echo_wrapped(" ".join(sync_lines(result)))


def _end_of_review_sync(lib: Library) -> tuple[Any, str | None]:
    """The sync that ends either front end of review when sync_dir is set: (its SyncResult,
    None), or (None, why it failed). Its failure does not fail the review (every answer is
    saved or kept, and named at the end if it never could be): it is a warning, and `mlprep
    sync` tries again."""
    import sqlite3
    from contextlib import suppress

    from mlprep.app.errors import MlprepError
    from mlprep.interop.sync_folder import sync_folder
    from mlprep.storage.safety import StoreError

    with suppress(StoreError):  # answers kept unsaved first: a sync sends what the log holds
        lib.store.save_unsaved()
    try:
        result = sync_folder(lib.store, Path(lib.settings.sync_dir), backup=lib.backup)
    except (MlprepError, StoreError, OSError, sqlite3.Error) as exc:
        message = f"sync with {lib.settings.sync_dir} failed: {exc}; run `mlprep sync` to retry"
        warn(message)
        return None, message
    for message in result.warnings:
        warn(message)
    return result, None


def _run_review(
    lib: Library,
    scope: Scope,
    new: int | None,
    max_reviews: int | None,
    expert: bool,
    cram: bool,
    limit: int | None,
    more: bool = False,
    cards: list[Path] | None = None,
) -> None:
    from rich.console import Console

    from mlprep.term.review import KeyReader, nothing_due_text, run_review, summary_lines

    store = lib.store
    console = Console(highlight=False, markup=False)
    session, interview, plan = review_session(lib, scope, new, max_reviews, cram, limit, more)
    if interview is not None and plan is not None:
        days, planned = plan.days_left, plan.planned_today
        # The queue holds a reserve after the plan, and is planned again if it runs out
        # first: the session ends when the minutes do, whichever cards that takes.
        console.print(
            f"Interview mode: {plural(days, 'day')} to {interview.date.isoformat()}; "
            f"today's plan: {plural(planned, 'card')} in "
            f"{plan.seconds_left_today / 60:.0f} min (more follow while time is left). "
            f"Expected recall on the day: {plan.expected_recall:.0%} now, "
            f"{plan.planned_recall:.0%} with the plan."
        )
        if not plan.order and not more:
            console.print(
                "Today's plan is done. Run `mlprep review --more` for another "
                f"{plural(interview.minutes, 'minute')} of the next most useful cards."
            )
    if not session.queue:
        if interview is not None:
            return
        if cram:
            console.print("No card in scope to cram.")
            return
        tomorrow = lib.today + timedelta(days=1)
        console.print(
            nothing_due_text(
                store.next_due(lib.today, scope),
                lib.today,
                store.count_due_on(tomorrow, scope),
                new_today=store.new_seen_on(lib.today),
                new_limit=lib.settings.new_per_day if new is None else new,
            )
        )
        return
    keys = KeyReader()
    skipped: list[str] = []
    hooks = review_hooks(lib, console, keys, skipped, cards=cards)
    summary = run_review(session, store.card, console, keys, expert=expert, **hooks)
    console.print(summary_lines(summary))
    if interview is not None and (session.budget_spent or session.current is None):
        console.print(
            "Today's interview plan is done. `mlprep review --more` goes on with the next most "
            "useful cards; `mlprep interview` shows readiness."
        )
    if summary.answered and not cram:
        _refit_if_grown(lib, console)
    for problem in skipped:
        warn(f"skipped: {problem}; run `mlprep check`")


def session_queue(
    lib: Library,
    scope: Scope,
    new: int | None,
    max_reviews: int | None,
    cram: bool,
    limit: int | None,
    more: bool,
) -> tuple[list[Any], Any, Any, Any]:
    """The queue both front ends (keys and --jsonl) serve: cram, interview mode's plan while
    an interview is ahead, or the normal schedule. Returns (queue, policy, interview, plan)."""
    from mlprep.app.interview import active_interview, interview_queue
    from mlprep.app.library import day_queue
    from mlprep.core.queue import CRAM, NORMAL

    settings = lib.settings
    policy = CRAM if cram else NORMAL
    interview = None if cram else active_interview(settings, lib.today)
    if interview is not None:
        extra = interview.minutes if more else 0
        queue, plan = interview_queue(lib, interview, extra_minutes=extra)
        return queue, policy, interview, plan
    queue = day_queue(
        lib.store,
        lib.today,
        scope,
        policy,
        new_per_day=settings.new_per_day if new is None else new,
        reviews_per_day=settings.reviews_per_day if max_reviews is None else max_reviews,
        limit=limit or -1,
    )
    return queue, policy, None, None


def review_session(
    lib: Library,
    scope: Scope,
    new: int | None,
    max_reviews: int | None,
    cram: bool,
    limit: int | None,
    more: bool,
) -> tuple[Any, Any, Any]:
    """The session both front ends run, on `session_queue`'s queue: in interview mode with
    the minutes left today as its budget, and planning again from the answers logged so far
    when the queue runs out first (answers faster than the plan assumed). Returns (session,
    interview, plan)."""
    from mlprep.app.config import now
    from mlprep.app.interview import interview_queue
    from mlprep.core.session import ReviewSession

    queue, policy, interview, plan = session_queue(lib, scope, new, max_reviews, cram, limit, more)
    refill = None
    if interview is not None:
        extra = interview.minutes if more else 0
        refill = lambda: interview_queue(lib, interview, extra_minutes=extra)[0]  # noqa: E731
    session = ReviewSession(
        lib.store,
        queue,
        lib.today,
        now,
        scope=scope,
        policy=policy,
        time_budget=plan.seconds_left_today if plan is not None else None,
        refill=refill,
    )
    return session, interview, plan


def _refit_if_grown(lib: Library, console: Any) -> None:
    """Refit the memory model when the log has grown enough since the last fit, and say so."""
    from mlprep.app.memory import fit_and_save, should_refit

    if not should_refit(lib.store):
        return
    report = fit_and_save(lib.store)
    console.print(
        f"Refitted the memory model to your {plural(report.reviews, 'long-term review')} (log loss on "
        f"later answers: defaults {report.default.log_loss:.3f}, fitted "
        f"{report.fitted.log_loss:.3f}); `mlprep optimize` shows the details."
    )


def review_hooks(
    lib: Library, console: Any, keys: Any, skipped: list[str], cards: list[Path] | None = None
) -> dict[str, Any]:
    """What `run_review` calls out to: computed cards through the drill screens, the leech
    notice after the answer that made a card a leech (threshold from the settings), and the
    card actions: edit in $EDITOR (then sync), search, flag."""
    from mlprep.core.leech import became_leech
    from mlprep.term.drill import review_computed
    from mlprep.term.leech import leech_notice
    from mlprep.term.review import ReviewActions

    store = lib.store
    threshold = lib.settings.leech_threshold

    def on_answered(card_id: str) -> Any:
        if not became_leech(store.scheduler, store.facts(card_id), threshold):
            return None
        return leech_notice(store.card(card_id), card_id, threshold)

    def toggle_flag(card_id: str) -> bool:
        from mlprep.app.config import now

        on = card_id not in store.flagged_ids()
        store.add_card_event(card_id, "flag" if on else "unflag", now())
        return on

    def search(query: str) -> Any:
        from mlprep.core.search import SearchDoc
        from mlprep.core.search import search as rank
        from mlprep.term.listing import build_search_results

        docs = [SearchDoc(c.id, c.deck, c.q, c.a, c.tags) for c in store.scoped_cards()]
        return build_search_results(rank(query, docs, limit=12), query)

    return {
        "show_computed": lambda session, card, header, seed=None: review_computed(
            session, card, header, console, keys, skipped, seed=seed
        ),
        "on_answered": on_answered,
        "actions": ReviewActions(
            edit=lambda card: edit_card(lib, keys, card, cards),
            search=search,
            toggle_flag=toggle_flag,
            is_flagged=lambda card_id: card_id in store.flagged_ids(),
        ),
    }


def _review_jsonl(
    cards: list[Path] | None,
    scope: Scope,
    new: int | None,
    max_reviews: int | None,
    expert: bool,
    cram: bool,
    limit: int | None,
    more: bool = False,
) -> None:
    """`review --jsonl`: the interactive review's queue and session, driven by JSON lines on
    stdin instead of keys (term/jsonl.py speaks the protocol). No terminal is needed."""
    from mlprep.app.library import check_scope
    from mlprep.core.leech import became_leech
    from mlprep.term.jsonl import event_writer, line_reader, run_jsonl

    with open_library(cards) as lib:
        check_scope(lib, scope)
        store, settings = lib.store, lib.settings
        session, _, _ = review_session(lib, scope, new, max_reviews, cram, limit, more)
        try:
            outcome = run_jsonl(
                session,
                store.card,
                line_reader(sys.stdin),
                event_writer(sys.stdout),
                expert=expert,
                on_answered=lambda card_id: became_leech(
                    store.scheduler, store.facts(card_id), settings.leech_threshold
                ),
                next_due=lambda: store.next_due(lib.today, scope),
                finish=lambda: _finish_jsonl(lib),
            )
        except BrokenPipeError:  # the client went away; every recorded answer is saved
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
    for problem in outcome.skipped:
        warn(f"skipped: {problem}; run `mlprep check`")


def _finish_jsonl(lib: Library) -> dict[str, Any] | None:
    """The end of `review --jsonl`, before `done`: the interactive review's end-of-session
    sync (`done`'s `sync`: None without sync_dir), then the library closed, which is the
    store's last try at the answers kept unsaved, so that `done` names exactly those that
    `Error:` names on stderr."""
    sync: dict[str, Any] | None = None
    if lib.settings.sync_dir:
        result, failed = _end_of_review_sync(lib)
        sync = {"error": None, **result.to_dict()} if result is not None else None
        if failed is not None:
            sync = {"error": failed, "folder": lib.settings.sync_dir}
    lib.close()
    return sync


def edit_card(lib: Library, keys: Any, card: Any, cards: list[Path] | None) -> tuple[Any, str]:
    """`e` in review: open the card's file in $VISUAL/$EDITOR at its line, then sync the
    store and return the card as it is now (None if its id is gone) and what to say."""
    import os
    import subprocess

    from mlprep.app.config import card_sources, display_path
    from mlprep.decks.loader import deck_files

    where = f"{display_path(card.path)}:{card.line}"
    if display_path(card.path) != card.path:
        return card, (
            f"{card.id} is a bundled card ({where}), which mlprep keeps read-only; to change "
            "it, add your own version with `mlprep add` and `mlprep suspend` this one."
        )
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        return card, "e needs $VISUAL or $EDITOR to name your editor, e.g. `export EDITOR=nano`."
    with keys.cooked():
        try:
            status = subprocess.run(editor_command(command, card.path, card.line)).returncode
        except OSError as exc:
            return card, f"cannot run the editor {command!r}: {exc.strerror}"
    files, _ = deck_files(card_sources(lib.paths, cards or []))
    report = lib.store.sync(files)
    problems = [i for i in report.issues if i.path == card.path]
    after = None if lib.store.is_retired(card.id) else lib.store.card(card.id)
    if problems:
        return after, (
            f"{card.path} has {plural(len(problems), 'problem')} now "
            f"(`mlprep check {card.path}`); its broken cards are skipped."
        )
    if after is None:
        return None, f"{card.id} is no longer in its file (its id changed?); its history is kept."
    note = "" if status == 0 else f" (the editor exited with status {status})"
    return after, f"Edited {card.id}{note}: here it is again."


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
    """Show today's queue per deck and the next cards due.

    Nothing is answered: it only counts. "Due tomorrow" counts the cards that fall due
    tomorrow (today's and overdue ones are not in it), as the session summary and stats do.

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
    from mlprep.app.interview import current_interview

    interview = current_interview(lib.settings, lib.today)  # the day itself is day 0
    if as_json:
        payload = {
            "today": lib.today.isoformat(),
            "interview": None
            if interview is None
            else {
                "date": interview.date.isoformat(),
                "days_left": (interview.date - lib.today).days,
            },
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
    if interview is not None:
        days = (interview.date - lib.today).days
        console.print(
            f"Interview mode is on: {plural(days, 'day')} to "
            f"{interview.date.isoformat()}; `mlprep review` serves its plan "
            "(`mlprep interview` shows it)."
            if days
            else f"Your interview is today ({interview.date.isoformat()}): `mlprep interview` "
            "shows readiness; review is back on the normal schedule."
        )
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
    """Validate card files: YAML, ids, generators, params, LaTeX.

    Prints every problem as path:line: message and a summary; exits 1 on any problem. LaTeX
    commands the renderer does not know are warnings (path:line, shown as written, exit 0).

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
    warnings = latex_warnings(result.cards)
    for warning in warnings:
        typer.echo(warning)
    decks = Counter(c.deck for c in result.cards)
    types = Counter(c.type for c in result.cards)
    tags = Counter(t for c in result.cards for t in c.tags)
    typer.echo(
        f"{plural(len(result.cards), 'card')} in {plural(len(decks), 'deck')} "
        f"({types['basic']} basic, {types['computed']} computed), {plural(len(tags), 'tag')}"
    )
    if decks:
        # A no-break space keeps a name and its count on one line.
        listed = ", ".join(f"{d}\xa0({n})" for d, n in sorted(decks.items()))
        echo_wrapped(escape_controls("decks: " + listed), indent="  ")
    if tags:
        listed = ", ".join(f"{t}\xa0({n})" for t, n in sorted(tags.items()))
        echo_wrapped("tags: " + listed, indent="  ")
    if issues:
        typer.echo(f"{plural(len(issues), 'problem')} found", err=True)
        raise typer.Exit(1)
    note = f" ({plural(len(warnings), 'LaTeX warning')})" if warnings else ""
    typer.echo(f"ok: no problems found{note}")
