"""Commands about the cards that exist: `mlprep show`, `list`, `search` and `rename`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlprep.cli.common import (
    LOCK_NAME,
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    card_where,
    clash_message,
    command,
    computed_problems,
    fail,
    in_bundled,
    open_library,
    plural,
    scope_of,
)
from mlprep.term.card import card_header, card_panels, plain_console

if TYPE_CHECKING:
    from mlprep.app.library import Library
    from mlprep.decks.loader import Card
    from mlprep.storage.store import Review, Store


# -- show --------------------------------------------------------------------------------------


def _days(n: int) -> str:
    return plural(n, "day")


def card_status(
    retired: bool, repetitions: int | None, interval: int | None, relearning: bool
) -> str:
    """The state `list` shows: new, learning, review (young or mature in `stats`) or retired."""
    from mlprep.core.grades import card_state

    state = card_state(retired, repetitions, interval, relearning)
    return "review" if state in ("young", "mature") else state


def history_table(reviews: list[Review], eases: list[float | None] | None = None) -> Any:
    """The review log of one card: date, the grade as pressed (its name, never the SM-2
    quality number unless typed with --expert), resulting interval, due date and, SM-2, the
    ease after the answer."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD, title="History", title_justify="left", show_edge=False, pad_edge=False
    )
    show_ease = eases is not None and any(e is not None for e in eases)
    for name in ("date", "grade", "interval", "due", *(("ease",) if show_ease else ())):
        table.add_column(name, justify="right" if name == "ease" else "left")
    for n, review in enumerate(reviews):
        grade = review.grade.label
        if review.quality != review.grade.quality:  # typed as an SM-2 quality (--expert)
            grade += f" (q={review.quality})"
        if review.kind == "cram":
            grade += " (cram)"
        if review.kind == "drill":
            grade += " (drill" + {True: ", right)", False: ", wrong)"}.get(review.correct, ")")
        if review.scheduled and review.interval is not None:
            interval, due = _days(review.interval), str(review.due or "")
        else:
            interval, due = "same-day repeat", ""
        cells = [review.day.isoformat(), grade, interval, due]
        if show_ease:
            ease = eases[n] if review.scheduled else None
            cells.append("" if ease is None else f"{ease:.2f}")
        table.add_row(*cells)
    return table


def ease_after_each(scheduler: Any, facts: list[Any]) -> list[float | None]:
    """The ease after each logged answer (None before the first scheduling one), replayed."""
    from mlprep.core.scheduling import replay_steps

    return [
        None if state is None else scheduler.ease(state.memory)
        for state in replay_steps(scheduler, facts)
    ]


def _status_line(
    status: str,
    state: Any,
    scheduler: Any,
    today: date,
    eases: list[float | None] | None = None,
    marks: tuple[str, ...] = (),
) -> str:
    """The card's status, then on a second line its ease and how it moved."""
    if status == "retired":
        return (
            "Status: retired: no deck file has this id any more. Its history is kept and comes "
            "back with the id."
        )
    mark = "".join(f" · {m}" for m in marks)
    if state is None:
        return f"Status: new: not reviewed yet{mark}."
    days = (state.due - today).days
    when = (
        "today" if days == 0 else (f"in {_days(days)}" if days > 0 else f"{_days(-days)} overdue")
    )
    lines = [
        f"Status: {status}{mark} · interval {_days(state.interval)} · due "
        f"{state.due.isoformat()} ({when})",
        f"{plural(state.reviews, 'review')}, {plural(state.lapses, 'lapse')}",
    ]
    value = scheduler.ease(state.memory)
    if value is not None:
        trail = _changes([scheduler.ease(scheduler.initial()), *(eases or [])])
        moved = " → ".join(f"{e:.2f}" for e in trail if e is not None)
        lines[1] = f"Ease {value:.2f} ({moved}) · " + lines[1]
    return "\n".join(lines)


def _changes(values: list[float | None]) -> list[float | None]:
    """The values where they change (a trend without repeats)."""
    out: list[float | None] = []
    for value in values:
        if value is not None and (not out or out[-1] != value):
            out.append(value)
    return out


def _unknown_id(store: Any, card_id: str) -> str:
    from mlprep.app.library import unknown_card

    return str(unknown_card(store, card_id))


@command()
def show(
    card_id: Annotated[str, typer.Argument(help="The card's id.", metavar="ID")],
    cards: CardsOption = None,
) -> None:
    """Show a card as review shows it, then its history and schedule.

    The history lists each answer's date, grade (as pressed), resulting interval, due date
    and ease; then the status, interval and due date, and how the ease moved (or that the card
    is new, suspended or retired).

    Example: mlprep show opt-adam-update
    """
    # Not quiet: a card in a broken file is "no card with id", so say which file is broken,
    # as list and review do.
    lib = open_library(cards)
    try:
        store = lib.store
        card = store.card(card_id)
        reviews = store.reviews(card_id)
        if card is None and not reviews:
            fail(_unknown_id(store, card_id))
        state = store.state(card_id)
        retired = card is None or store.is_retired(card_id)
        relearning = any(r[0] == card_id for r in store.relearning_cards(lib.today))
        recall = _recall_line(store, card_id, lib.today, lib.settings.desired_retention)
        eases = ease_after_each(store.scheduler, store.facts(card_id))
        marks = tuple(
            name
            for name, ids in (
                ("suspended", store.suspended_ids()),
                ("⚑ flagged", store.flagged_ids()),
            )
            if card_id in ids
        )
    finally:
        lib.close()
    status = card_status(
        retired,
        state.streak if state else None,
        state.interval if state else None,
        relearning,
    )
    console = plain_console()
    if card is not None:
        problem = None
        if card.is_computed:
            problem = computed_problems([card.to_dict()])[1][0]
        console.print(
            card_header(card.id, card.deck, card.tags, card_where(card)),
            *card_panels(card, problem),
        )
        if card.is_computed:
            console.print(f"Computed card: generator {card.generator}, params {card.params or {}}")
    else:
        console.print(f" {card_id}  ·  (no card text: the id is only in the review history)")
    if reviews:
        console.print(history_table(reviews, eases))
    console.print(_status_line(status, state, lib.store.scheduler, lib.today, eases, marks))
    if recall:
        console.print(recall)


def _recall_line(store: Store, card_id: str, today: date, desired_retention: float) -> str:
    """The memory model's view of the card: FSRS stability, difficulty, recall today."""
    from mlprep.app.memory import memory_scheduler
    from mlprep.core.memory import recall_on

    found = recall_on(store.facts(card_id), today, memory_scheduler(store, desired_retention))
    if found is None:
        return ""
    memory, recall = found
    return (
        f"Memory (FSRS): stability {memory.stability:.1f} days · difficulty "
        f"{memory.difficulty:.1f} / 10 · recall today {recall:.0%}"
    )


# -- list --------------------------------------------------------------------------------------


SearchOption = Annotated[
    str | None,
    typer.Option(
        "--search",
        "-s",
        help="Only cards whose id, tags, deck, question or answer contain every word of TEXT, "
        "best match first.",
        metavar="TEXT",
    ),
]


@command("list")
def list_cards(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    due: Annotated[
        bool, typer.Option("--due", help="Only cards due today (including same-day relearning).")
    ] = False,
    suspended: Annotated[
        bool, typer.Option("--suspended", help="Only suspended cards (`mlprep unsuspend ID`).")
    ] = False,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only cards flagged with f in review.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List cards with their status, due date and tags.

    Status: new, learning, review, suspended or retired. One line per card at any width (tags are cut first; ids never). learning = failed and not
    yet recalled, or answered below Good today (as in stats); ⚑ = flagged.

    Example: mlprep list --tag ridge --due

    Example: mlprep list --search "bias correction"
    """
    from mlprep.app.library import check_scope

    lib = open_library(cards, quiet=as_json)
    try:
        check_scope(lib, scope_of(deck, tag))
        rows = _list_rows(lib, deck, tag)
        docs = lib.store.scoped_cards(scope_of(deck, tag)) if search else []
    finally:
        lib.close()
    if due:
        today = lib.today.isoformat()
        rows = [
            r
            for r in rows
            if r["status"] in ("learning", "review") and (r["due"] <= today or r["relearning"])
        ]
    if suspended:
        rows = [r for r in rows if r["status"] == "suspended"]
    if flagged:
        rows = [r for r in rows if r["flagged"]]
    if search:
        ranked = {hit.card_id: n for n, hit in enumerate(_search(search, docs))}
        rows = sorted((r for r in rows if r["id"] in ranked), key=lambda r: ranked[r["id"]])
    for row in rows:
        del row["relearning"]
    if as_json:
        import json

        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(
            "No cards match."
            if (deck or tag or due or search or suspended or flagged)
            else "No cards yet."
        )
        return
    from collections import Counter

    from mlprep.term.listing import build_card_list

    console = plain_console()
    console.print(build_card_list(rows))
    counts = Counter(r["status"] for r in rows)
    summary = ", ".join(
        f"{counts[s]} {s}"
        for s in ("new", "learning", "review", "suspended", "retired")
        if counts[s]
    )
    marked = sum(r["flagged"] for r in rows)
    more = f", {marked} flagged" if marked else ""
    console.print(f"{plural(len(rows), 'card')}: {summary}{more}")


def _search(query: str, cards: list[Card]) -> list[Any]:
    from mlprep.core.search import SearchDoc
    from mlprep.core.search import search as rank

    return rank(query, [SearchDoc(c.id, c.deck, c.q, c.a, c.tags) for c in cards])


def _list_rows(lib: Library, deck: str | None, tag: str | None) -> list[dict[str, Any]]:
    store = lib.store
    scope = scope_of(deck, tag)
    relearning = {r[0] for r in store.relearning_cards(lib.today, scope)}
    suspended = store.suspended_ids()
    flagged = store.flagged_ids()
    out = []
    for (
        card_id,
        card_deck,
        kind,
        tags,
        path,
        line,
        retired,
        reps,
        interval,
        due_day,
    ) in store.list_rows(scope):
        status = card_status(bool(retired), reps, interval, card_id in relearning)
        if status != "retired" and card_id in suspended:
            status = "suspended"
        out.append(
            {
                "id": card_id,
                "deck": card_deck,
                "type": kind,
                "status": status,
                "due": due_day if status in ("learning", "review") else None,
                "tags": tags.split() if tags else [],
                "path": path,
                "line": line,
                "flagged": card_id in flagged,
                "relearning": card_id in relearning,
            }
        )
    return out


@command()
def search(
    words: Annotated[
        list[str], typer.Argument(help="Words to find (all of them).", metavar="WORD...")
    ],
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Show at most N cards.", metavar="N", min=1)
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """Find cards by the words of their id, tags, text or deck.

    Cards are ranked best first by where the words occur: id, tags, deck, question, answer.
    Every word must occur (case-insensitive; part of a word counts). Each card is shown with
    the text that matched; `/` in review searches the same way.

    Example: mlprep search adam bias correction
    """
    from mlprep.app.library import check_scope

    text = " ".join(words)

    with open_library(cards, quiet=as_json) as lib:
        check_scope(lib, scope_of(deck, tag))
        hits = _search(text, lib.store.scoped_cards(scope_of(deck, tag)))
    shown = hits[:limit]
    if as_json:
        import json
        from dataclasses import asdict

        typer.echo(json.dumps([asdict(hit) for hit in shown], indent=2))
        return
    from mlprep.term.listing import build_search_results

    plain_console().print(build_search_results(shown, text))
    if len(hits) > len(shown):
        typer.echo(f"... and {len(hits) - len(shown)} more (--limit N shows more)")


# -- rename ------------------------------------------------------------------------------------


@command()
def rename(
    old: Annotated[str, typer.Argument(help="The card's current id.", metavar="OLD")],
    new: Annotated[str, typer.Argument(help="Its new id.", metavar="NEW")],
    cards: CardsOption = None,
) -> None:
    """Change a card's id in its YAML file, moving its review history.

    Only the id changes in the file: comments, quoting and layout stay byte for byte. The new
    id must be unused in every deck and in the history. Bundled cards cannot be renamed. If
    the id was already changed by hand in the file, this moves OLD's history to NEW.

    Example: mlprep rename scale-features-ridge ridge-feature-scaling
    """
    from mlprep.app.config import Paths
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.files import check_inside, file_lock, rename_id
    from mlprep.decks.loader import ID_PATTERN

    if not ID_PATTERN.match(new):
        fail(f"new id {new!r} must match [a-z0-9][a-z0-9-]* (lowercase letters, digits and '-')")
    if old == new:
        fail(f"the old and new ids are the same ({old!r})")
    try:
        with file_lock(Paths.from_env().data_dir / LOCK_NAME):
            lib = open_library(cards, quiet=True, fresh=True)
            try:
                store = lib.store
                card = store.card(old)
                known = old in store.known_ids()
                if card is None and not known:
                    fail(_unknown_id(store, old))
                if card is None or store.is_retired(old):
                    target = store.card(new)
                    if target is not None and not store.is_retired(new) and store.reviews(old):
                        # The id was already changed in the file: bring the history along.
                        had = len(store.reviews(new))
                        try:
                            moved = store.reattach_history(old, new)
                        except ValueError:
                            fail(
                                f"{new!r} has answers given while {old!r} still had its own, "
                                "so they are two cards' histories; they are not merged"
                            )
                        joined = (
                            f", before the {plural(had, 'answer')} {new} already had" if had else ""
                        )
                        typer.echo(
                            f"{old} is no longer in any file and {new} is: moved "
                            f"{plural(moved, 'review')} from {old} to {new}{joined}."
                        )
                        return
                    fail(
                        f"card {old!r} is retired: no deck file loaded this time has it, so there "
                        "is nothing to rename (its history stays under that id). If its file is "
                        "in a folder you pass with --cards, pass it here too"
                    )
                if in_bundled(Path(card.path)):
                    fail(
                        f"{old!r} is in the bundled deck ({card_where(card)}); only your own cards "
                        "can be renamed"
                    )
                if new in store.known_ids():
                    fail(clash_message(store, new).replace("with --id", "for NEW"))
                path = Path(card.path)
                check_inside(_source_folder(path, cards), path)
                # Noted first: if this process dies after the file write, the next sync
                # moves the history; answers given meanwhile to OLD follow it to NEW.
                store.plan_rename(old, new)
                rename_id(path, old, new)
                moved = store.rename_card(old, new)
            finally:
                lib.close()
    except AuthoringError as exc:
        fail(str(exc))
    typer.echo(f"Renamed {old} to {new} in {card.path}; moved {plural(moved, 'review')}.")


def _source_folder(path: Path, cards: list[Path] | None) -> Path:
    """The card folder (or the explicit file's folder) that `path` was loaded from."""
    from mlprep.app.config import Paths, card_sources

    for source in card_sources(Paths.from_env(), cards or []):
        if source == path:
            return path.parent
        try:
            path.relative_to(source)
        except ValueError:
            continue
        return source
    return path.parent
