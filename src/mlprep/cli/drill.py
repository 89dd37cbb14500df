"""`mlprep drill`: numeric problems generated fresh each time, checked with numpy."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from mlprep.app.drilling import DrillItem, DrillSetupError, problem_for, random_seed
from mlprep.cli.common import (
    MAX_COUNT,
    CardsOption,
    JsonOption,
    command,
    fail,
    open_library,
    scope_of,
    warn,
)

if TYPE_CHECKING:
    from pathlib import Path

    from mlprep.app.library import Library

# Exit codes of `mlprep drill --answer`: 0 correct, 1 wrong, 3 unreadable or wrong shape;
# 2 is a usage error (unknown generator or card), never a verdict.
EXIT_WRONG, EXIT_INVALID = 1, 3
MAX_SEED = 2**62  # seeds are logged as SQLite integers; leave room for seed + index
PUBLIC_KEYS = ("generator", "seed", "params", "topic", "prompt", "data", "answer", "rtol", "atol")


@command()
def drill(
    count: Annotated[
        int, typer.Option("--count", "-n", help="How many problems.", min=1, max=MAX_COUNT)
    ] = 5,
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
    from mlprep.core.grades import Answer, drill_grade
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
            grade = drill_grade(result.correct, attempts=1)
            lib.store.record(
                item.card.id,
                Answer.of(grade),
                lib.now,
                lib.today,
                kind="drill",
                seed=seed,
                typed=answer,
                correct=result.correct,
            )
            payload["recorded"] = {
                "card": item.card.id,
                "grade": grade.label.lower(),
                "quality": grade.quality,
            }
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
    from mlprep.app.library import check_scope
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.session import RecordFailed
    from mlprep.term.drill import ask_and_teach

    lib = open_library(cards)
    console = Console(highlight=False, markup=False)
    try:
        check_scope(lib, scope_of(tag=topic))
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
            outcome = ask_and_teach(problem, item.card.q if item.card else "", console, input)
            if outcome is None:
                break
            done += 1
            tally[
                "first" if outcome.grade is Grade.GOOD else "retry" if outcome.correct else "missed"
            ] += 1
            if item.card is not None:
                try:
                    lib.store.record(
                        item.card.id,
                        Answer.of(outcome.grade),
                        now(),
                        lib.today,
                        response_ms=outcome.response_ms,
                        kind="drill",
                        seed=problem_seed,
                        typed=outcome.typed,
                        correct=outcome.correct,
                    )
                except RecordFailed as exc:  # kept in memory; saved with the next one
                    from mlprep.term.unsaved import unsaved_notice

                    console.print(unsaved_notice(str(exc), len(lib.store.unsaved)))
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
