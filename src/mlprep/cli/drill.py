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
    plural,
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


@command()
def drill(
    count: Annotated[
        int,
        typer.Option("--count", "-n", help="How many problems.", metavar="N", min=1, max=MAX_COUNT),
    ] = 5,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            "-t",
            "--topic",
            help="Only cards with this tag (--topic: the old name).",
            metavar="TAG",
        ),
    ] = None,
    generator: Annotated[
        str | None,
        typer.Option("--generator", "-g", help="Only this generator.", metavar="NAME"),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed of the (first) problem, to reproduce it.",
            metavar="N",
            min=0,
            max=MAX_SEED,
        ),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            "-l",
            help="Problem size 1-3 (1 = by hand, the default; 2-3 bigger), or a card level "
            "(basic, core, advanced) to drill only those cards.",
            metavar="1..3|LEVEL",
        ),
    ] = None,
    list_generators: Annotated[bool, typer.Option("--list", help="List the generators.")] = False,
    as_json: JsonOption = False,
    answer: Annotated[
        str | None,
        typer.Option(
            "--answer", help="Check this answer and print the verdict as JSON.", metavar="TEXT"
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="With --answer: log and schedule it like an interactive answer."
        ),
    ] = False,
    card_id: Annotated[
        str | None,
        typer.Option("--card", help="The computed card to drill or record against.", metavar="ID"),
    ] = None,
    cards: CardsOption = None,
) -> None:
    """Numeric drills: fresh problems, checked, with worked solutions.

    Interactive by default (due computed cards first). Type answers as 0.75, 3/4, [1, 2] or
    1 2; 3 4 for a matrix; ? shows the solution, u undoes the last answer, q quits. A miss
    allows one more try. After a solution: enter or space for the next problem, u to undo,
    q to quit, as in review. A drill on a card you never answered introduces it: it counts
    against today's new cards (new_per_day), as in review.

    Scripting: --json prints the problem; --answer TEXT checks it (exit 0 correct, 1 wrong,
    3 unreadable); --record also logs and schedules it. --card ID or --tag TAG picks the
    card (an unknown tag is an error, as everywhere).

    Example: mlprep drill --tag optimizers -n 3

    Example: mlprep drill --generator ridge --seed 7 --json
    """
    size, card_level = _split_level(level)
    if list_generators:
        _list_generators(as_json)
        return
    if record and answer is None:
        fail("--record needs --answer TEXT", 2)
    if as_json or answer is not None:
        if card_level is not None:
            fail(
                "a card level (basic, core, advanced) is for drill sessions; scripts pick a card", 2
            )
        _scripted(generator, card_id, seed, size, answer, record, cards, tag)
        return
    if not sys.stdin.isatty():
        fail(
            "an interactive drill needs a terminal, but stdin is not a TTY. For scripts use "
            "`mlprep drill --generator NAME --seed S --json` and `--answer TEXT`.",
            2,
        )
    _session(count, tag, generator, seed, size, card_level, card_id, cards)


def _split_level(level: str | None) -> tuple[int | None, str | None]:
    """`--level` is a problem size (1-3) or a card level (basic, core, advanced)."""
    from mlprep.decks.loader import CARD_LEVELS

    if level is None:
        return None, None
    if level in CARD_LEVELS:
        return None, level
    if level in ("1", "2", "3"):
        return int(level), None
    fail(
        f"--level must be 1, 2 or 3 (problem size) or one of {', '.join(CARD_LEVELS)}; got {level!r}",
        2,
    )


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

    table = Table(title=plural(len(gens), "generator"), title_justify="left")
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
    tag: str | None = None,
) -> None:
    """`--json` / `--answer` / `--record`: one problem, no session. Only a card, a tag or a
    record needs the store; a bare generator and seed is pure computation. A tag is checked
    as every command checks it (an unknown one is an error) and picks the card, due first."""
    from mlprep.app.library import check_scope
    from mlprep.core.grades import Answer, drill_grade
    from mlprep.drills.answers import check_answer

    needs_store = card_id is not None or record or tag is not None
    lib = open_library(cards, quiet=True) if needs_store else None
    try:
        if lib is not None:
            check_scope(lib, scope_of(tag=tag))
        if lib is None:
            if generator is None:
                fail(
                    "say which problem: --generator NAME (see `mlprep drill --list`) or --card ID",
                    2,
                )
            item = DrillItem(generator, {})
        else:
            item = _scripted_item(lib, generator, card_id, record, tag)
        seed = random_seed() if seed is None else seed
        try:
            problem = problem_for(item, seed, level)
        except DrillSetupError as exc:
            fail(str(exc), 2)
        if answer is None:
            typer.echo(json.dumps(problem.public_dict(), indent=2))
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
    lib: Library,
    generator: str | None,
    card_id: str | None,
    record: bool,
    tag: str | None = None,
) -> DrillItem:
    """The card a scripted answer is for: `--card ID`, else the first computed card (due
    first) with the tag and using the generator; without a tag, only `--record` needs a card
    (a bare generator is practice)."""
    if card_id is not None:
        card = lib.store.card(card_id)
        if card is None or not card.is_computed:
            fail(f"no computed card with id {card_id!r} (see `mlprep list`)", 2)
        if generator is not None and generator != card.generator:
            fail(f"card {card_id} uses generator {card.generator!r}, not {generator!r}", 2)
        if tag is not None and tag not in card.tags:
            fail(f"card {card_id} is not tagged {tag!r}", 2)
        return DrillItem(card.generator, card.params, card)
    if generator is None and tag is None:
        fail("say which problem: --generator NAME (see `mlprep drill --list`) or --card ID", 2)
    if not record and tag is None:
        return DrillItem(str(generator), {})
    ids = lib.store.computed_cards(lib.today, tag, generator)
    if not ids:
        using = f" uses generator {generator!r}" if generator else ""
        tagged = f" tagged {tag!r}" if tag else ""
        what = ", so there is nothing to record against" if record else " (see `mlprep list`)"
        fail(f"no computed card{tagged}{using}{what}", 2)
    card = lib.store.card(ids[0])
    return DrillItem(card.generator, card.params, card)


def _session(
    count: int,
    tag: str | None,
    generator: str | None,
    seed: int | None,
    level: int | None,
    card_level: str | None,
    card_id: str | None,
    cards: list[Path] | None,
) -> None:
    from rich.console import Console
    from rich.text import Text

    from mlprep.app.config import now
    from mlprep.app.library import check_scope
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.session import RecordFailed
    from mlprep.term.drill import NEXT_HINT, UNDO, ask_and_teach, next_key
    from mlprep.term.review import KeyReader

    lib = open_library(cards)
    console = Console(highlight=False, markup=False)
    tally = {"first": 0, "retry": 0, "missed": 0}
    started = time.monotonic()
    interrupted = False
    try:
        check_scope(lib, scope_of(tag=tag, level=card_level))
        if card_id is not None:
            items = [_scripted_item(lib, generator, card_id, False, tag)]
        else:
            ids = lib.store.computed_cards(lib.today, tag, generator)
            items = [
                DrillItem(c.generator, c.params, c)
                for c in map(lib.store.card, ids)
                if c and (card_level is None or c.level == card_level)
            ]
            if not items and generator is not None:
                items = [DrillItem(generator, {})]  # practice without a card: not recorded
        if not items:
            fail(f"no computed cards{f' tagged {tag!r}' if tag else ''}; see `mlprep drill --list`")
        import readline  # noqa: F401  (line editing for input())

        items = _runnable(items, level)
        seeds: dict[int, int] = {}
        answered: list[tuple[int, int | None, str]] = []  # (position, review id, tally key)
        keys = KeyReader()
        notice: Text | None = None
        position = 0

        def take_back() -> int:
            """Undo the last answer; returns its position, to ask that problem again."""
            back, review_id, kind = answered.pop()
            if review_id is not None:
                lib.store.undo(review_id)
            tally[kind] -= 1
            return back

        with keys.raw():
            while position < count:
                item = items[position % len(items)]
                problem_seed = seeds.setdefault(
                    position, random_seed() if seed is None else seed + position
                )
                problem = problem_for(item, problem_seed, level)
                console.clear()
                label = item.card.id if item.card else "practice (not recorded)"
                console.print(
                    Text(f" drill {position + 1}/{count} · {label} · {problem.topic}", style="bold")
                )
                if notice is not None:
                    console.print(notice)
                    notice = None
                with keys.cooked():
                    outcome = ask_and_teach(
                        problem,
                        item.card.q if item.card else "",
                        console,
                        input,
                        allow_undo=bool(answered),
                        again_note="it comes back in today's review" if item.card else "",
                    )
                if outcome is None:
                    break
                if outcome == UNDO:
                    position = take_back()
                    notice = Text("Undid the last answer: the same problem again.", style="yellow")
                    continue
                kind = (
                    "first"
                    if outcome.grade is Grade.GOOD
                    else "retry"
                    if outcome.correct
                    else "missed"
                )
                tally[kind] += 1
                review_id = None
                if item.card is not None:
                    try:
                        review_id = lib.store.record(
                            item.card.id,
                            Answer.of(outcome.grade),
                            now(),
                            lib.today,
                            response_ms=outcome.response_ms,
                            kind="drill",
                            seed=problem_seed,
                            typed=outcome.typed,
                            correct=outcome.correct,
                        ).review_id
                    except RecordFailed as exc:  # kept in memory; saved with the next one
                        from mlprep.term.unsaved import unsaved_notice

                        notice = unsaved_notice(str(exc), len(lib.store.unsaved))
                answered.append((position, review_id, kind))
                if position + 1 < count:
                    console.print(Text(NEXT_HINT, style="dim"))
                    choice = next_key(keys)
                    if choice == "quit":
                        break
                    if choice == "undo":
                        position = take_back()
                        notice = Text("Undid that answer: the same problem again.", style="yellow")
                        continue
                position += 1
    except KeyboardInterrupt:
        interrupted = True
    finally:
        lib.close()
    if interrupted:
        console.print()  # Ctrl-C left the cursor on the prompt line
    done = sum(tally.values())
    minutes, secs = divmod(int(time.monotonic() - started), 60)
    if not done:
        console.print(Text("Drill done: no problems answered.", style="bold"))
        return
    console.print(
        Text.assemble(
            ("Drill done: ", "bold"),
            f"{plural(done, 'problem')} · {tally['first']} first try · "
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
