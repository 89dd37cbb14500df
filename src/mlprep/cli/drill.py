"""`mlprep drill`: numeric problems generated fresh each time, checked with numpy.

Also provides `review_computed`, which shows a computed card inside `mlprep review`."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlprep.cli import CardsOption, JsonOption, app, check_filters, fail, open_library, warn

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console, RenderableType

    from mlprep.cli import Library
    from mlprep.core.session import ReviewSession
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem
    from mlprep.term.drill import Outcome
    from mlprep.term.review import KeyReader

# Exit codes of `mlprep drill --answer`: 0 correct, 1 wrong, 3 unreadable or wrong shape;
# 2 is a usage error (unknown generator or card), never a verdict.
EXIT_WRONG, EXIT_INVALID = 1, 3
MAX_SEED = 2**62  # seeds are logged as SQLite integers; leave room for seed + index
PUBLIC_KEYS = ("generator", "seed", "params", "topic", "prompt", "data", "answer", "rtol", "atol")


def random_seed() -> int:
    return int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class DrillItem:
    generator: str
    params: dict[str, Any]
    card: Card | None = None


class DrillSetupError(ValueError):
    """A computed card names an unknown generator or params it rejects."""


def problem_for(item: DrillItem, seed: int, level: int | None = None) -> Problem:
    """Generate the item's problem, or raise DrillSetupError saying which card is broken.

    Sync does not run the generators (start-up stays fast), so a user's computed card can
    reach here with a bad generator name or params: `mlprep check` reports the same."""
    from mlprep.drills import ParamsError, UnknownGeneratorError, get_generator

    params = dict(item.params)
    if level is not None:
        params["level"] = level
    try:
        return get_generator(item.generator).generate(seed, params)
    except (UnknownGeneratorError, ParamsError) as exc:
        where = f" (card {item.card.id} at {item.card.path}:{item.card.line})" if item.card else ""
        raise DrillSetupError(f"{exc}{where}") from None


@app.command()
def drill(
    count: Annotated[int, typer.Option("--count", "-n", help="How many problems.", min=1)] = 5,
    topic: Annotated[
        str | None, typer.Option("--topic", "-t", help="Only cards with this tag.")
    ] = None,
    generator: Annotated[
        str | None, typer.Option("--generator", "-g", help="Only this generator.")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Seed of the (first) problem, to reproduce it.", min=0, max=MAX_SEED
        ),
    ] = None,
    level: Annotated[
        int | None,
        typer.Option("--level", help="1 = by hand (default), 2-3 = bigger.", min=1, max=3),
    ] = None,
    list_generators: Annotated[bool, typer.Option("--list", help="List the generators.")] = False,
    as_json: JsonOption = False,
    answer: Annotated[
        str | None,
        typer.Option("--answer", help="Check this answer and print the verdict as JSON."),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="With --answer: log and schedule it like an interactive answer."
        ),
    ] = False,
    card_id: Annotated[
        str | None, typer.Option("--card", help="The computed card to drill or record against.")
    ] = None,
    cards: CardsOption = None,
) -> None:
    """Numeric drills: a fresh problem each time, checked with numpy, with a worked solution.

    Interactive by default (due computed cards first). Type answers as 0.75, 3/4, [1, 2] or
    1 2; 3 4 for a matrix; ? shows the solution, q quits. A miss allows one more try.

    Scripting: --json prints the problem; --answer TEXT checks it (exit 0 correct, 1 wrong,
    3 unreadable); --record also logs and schedules it.

    Example: mlprep drill --topic optimizers -n 3

    Example: mlprep drill --generator ridge --seed 7 --json
    """
    if list_generators:
        _list_generators(as_json)
        return
    if record and answer is None:
        fail("--record needs --answer TEXT", 2)
    if as_json or answer is not None:
        _scripted(generator, card_id, seed, level, answer, record, cards)
        return
    if not sys.stdin.isatty():
        fail(
            "an interactive drill needs a terminal, but stdin is not a TTY. For scripts use "
            "`mlprep drill --generator NAME --seed S --json` and `--answer TEXT`.",
            2,
        )
    _session(count, topic, generator, seed, level, card_id, cards)


def _list_generators(as_json: bool) -> None:
    from mlprep.drills import all_generators

    gens = all_generators()
    if as_json:
        payload = [
            {
                "name": g.name,
                "topic": g.topic,
                "description": g.description,
                "params": list(g.params),
            }
            for g in gens
        ]
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(gens)} generators", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("topic", style="cyan")
    table.add_column("description")
    for g in gens:
        table.add_row(g.name, g.topic, g.description)
    Console(highlight=False, markup=False).print(table)


def _scripted(
    generator: str | None,
    card_id: str | None,
    seed: int | None,
    level: int | None,
    answer: str | None,
    record: bool,
    cards: list[Path] | None,
) -> None:
    """`--json` / `--answer` / `--record`: one problem, no session. Only a card or a record
    needs the store; a bare generator and seed is pure computation."""
    from mlprep.drills.answers import check_answer

    needs_store = card_id is not None or record
    lib = open_library(cards, quiet=True) if needs_store else None
    try:
        if lib is None:
            if generator is None:
                fail(
                    "say which problem: --generator NAME (see `mlprep drill --list`) or --card ID",
                    2,
                )
            item = DrillItem(generator, {})
        else:
            item = _scripted_item(lib, generator, card_id, record)
        seed = random_seed() if seed is None else seed
        try:
            problem = problem_for(item, seed, level)
        except DrillSetupError as exc:
            fail(str(exc), 2)
        if answer is None:
            data = problem.to_dict()
            typer.echo(json.dumps({k: data[k] for k in PUBLIC_KEYS}, indent=2))
            return
        result = check_answer(problem, answer)
        payload = result.to_dict()
        if lib is not None and record and result.status != "invalid":
            quality = 4 if result.correct else 1
            lib.store.record(
                item.card.id,
                quality,
                lib.now,
                lib.today,
                kind="drill",
                seed=seed,
                typed=answer,
                correct=result.correct,
            )
            payload["recorded"] = {"card": item.card.id, "quality": quality}
        typer.echo(json.dumps(payload, indent=2))
    finally:
        if lib is not None:
            lib.close()
    if result.status == "wrong":
        raise typer.Exit(EXIT_WRONG)
    if result.status == "invalid":
        raise typer.Exit(EXIT_INVALID)


def _scripted_item(
    lib: Library, generator: str | None, card_id: str | None, record: bool
) -> DrillItem:
    """The card a scripted answer is for: `--card ID`, or with `--record` the first computed
    card using the generator."""
    if card_id is not None:
        card = lib.store.card(card_id)
        if card is None or not card.is_computed:
            fail(f"no computed card with id {card_id!r} (see `mlprep list`)", 2)
        if generator is not None and generator != card.generator:
            fail(f"card {card_id} uses generator {card.generator!r}, not {generator!r}", 2)
        return DrillItem(card.generator, card.params, card)
    if generator is None:
        fail("say which problem: --generator NAME (see `mlprep drill --list`) or --card ID", 2)
    ids = lib.store.computed_cards(lib.today, generator=generator) if record else []
    if not ids:
        fail(
            f"no computed card uses generator {generator!r}, so there is nothing to record against",
            2,
        )
    card = lib.store.card(ids[0])
    return DrillItem(card.generator, card.params, card)


def _session(
    count: int,
    topic: str | None,
    generator: str | None,
    seed: int | None,
    level: int | None,
    card_id: str | None,
    cards: list[Path] | None,
) -> None:
    from rich.console import Console
    from rich.text import Text

    from mlprep.app.config import now

    lib = open_library(cards)
    console = Console(highlight=False, markup=False)
    try:
        check_filters(lib, tag=topic)
        if card_id is not None:
            items = [_scripted_item(lib, generator, card_id, False)]
        else:
            ids = lib.store.computed_cards(lib.today, topic, generator)
            items = [DrillItem(c.generator, c.params, c) for c in map(lib.store.card, ids) if c]
            if not items and generator is not None:
                items = [DrillItem(generator, {})]  # practice without a card: not recorded
        if not items:
            fail(
                f"no computed cards{f' tagged {topic!r}' if topic else ''}; see `mlprep drill --list`"
            )
        import readline  # noqa: F401  (line editing for input())

        tally = {"first": 0, "retry": 0, "missed": 0}
        started = time.monotonic()
        done = 0
        items = _runnable(items, level)
        for index in range(count):
            item = items[index % len(items)]
            problem_seed = random_seed() if seed is None else seed + index
            problem = problem_for(item, problem_seed, level)
            console.clear()
            label = item.card.id if item.card else "practice (not recorded)"
            console.print(
                Text(f" drill {index + 1}/{count} · {label} · {problem.topic}", style="bold")
            )
            outcome = _ask_and_teach(problem, item.card.q if item.card else "", console, input)
            if outcome is None:
                break
            done += 1
            tally[
                "first" if outcome.quality == 4 else "retry" if outcome.correct else "missed"
            ] += 1
            if item.card is not None:
                lib.store.record(
                    item.card.id,
                    outcome.quality,
                    now(),
                    lib.today,
                    response_ms=outcome.response_ms,
                    kind="drill",
                    seed=problem_seed,
                    typed=outcome.typed,
                    correct=outcome.correct,
                )
            if index + 1 < count:
                try:
                    if input("enter: next problem · q: quit ").strip().lower() in ("q", "quit"):
                        break
                except EOFError:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        lib.close()
    minutes, secs = divmod(int(time.monotonic() - started), 60)
    console.print(
        Text.assemble(
            ("Drill done: ", "bold"),
            f"{done} problem{'s' * (done != 1)} · {tally['first']} first try · "
            f"{tally['retry']} after a retry · {tally['missed']} missed · {minutes}m {secs:02d}s",
        )
    )


def _runnable(items: list[DrillItem], level: int | None) -> list[DrillItem]:
    """The items whose generator and params work; warn once about each broken card."""
    good = []
    for item in items:
        try:
            problem_for(item, 0, level)
        except DrillSetupError as exc:
            warn(f"skipped: {exc}; run `mlprep check`")
        else:
            good.append(item)
    if not good:
        fail("no runnable computed card; run `mlprep check` for details")
    return good


def _ask_and_teach(
    problem: Problem, lead_in: str, console: Console, read_line: Callable[[str], str]
) -> Outcome | None:
    """Show the problem, read answers, then always show the worked solution."""
    from rich.text import Text

    from mlprep.drills.answers import format_answer
    from mlprep.term.drill import ask, problem_panel, solution_panel

    console.print(problem_panel(problem, lead_in))
    console.print(Text("Type ? to see the solution, q to quit.", style="dim"))
    outcome = ask(problem, read_line, console.print)
    if outcome is not None:
        console.print(solution_panel(problem, format_answer(problem)))
    return outcome


def review_computed(
    session: ReviewSession,
    card: Card,
    header: RenderableType,
    console: Console,
    keys: KeyReader,
    skipped: list[str],
) -> bool:
    """Show a computed card inside `mlprep review`; False means the user quit. A broken card
    is left out and described in `skipped`, for the caller to report after the session."""
    import readline  # noqa: F401

    from rich.text import Text

    item = DrillItem(card.generator or "", card.params, card)
    problem_seed = random_seed()
    try:
        problem = problem_for(item, problem_seed)
    except DrillSetupError as exc:
        session.queue.pop(0)  # a broken computed card must not end the session
        skipped.append(str(exc))
        return True
    console.clear()
    console.print(header)
    with keys.cooked():
        outcome = _ask_and_teach(problem, card.q, console, input)
    if outcome is None:
        return False
    session.answer(
        outcome.quality,
        response_ms=outcome.response_ms,
        kind="drill",
        seed=problem_seed,
        typed=outcome.typed,
        correct=outcome.correct,
    )
    console.print(Text("any key: next card · u undo · q quit", style="dim"))
    key = keys.key()
    if key == "u":
        session.undo()
    return key not in ("q", "\x03")
