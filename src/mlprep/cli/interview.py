"""`mlprep interview`: set the interview, see readiness, follow the plan."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from mlprep.cli.common import (
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    command,
    fail,
    open_library,
    scope_of,
)

__all__ = ["interview"]


@command()
def interview(
    day: Annotated[
        str | None,
        typer.Argument(
            help="The interview's date (YYYY-MM-DD); omit to see readiness.", metavar="DATE"
        ),
    ] = None,
    minutes: Annotated[
        int | None,
        typer.Option(
            "--minutes",
            "-m",
            help="Study minutes a day (default 30).",
            min=1,
            max=1440,
            metavar="N",
        ),
    ] = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    clear: Annotated[bool, typer.Option("--clear", help="End interview mode now.")] = False,
    cards: CardsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Readiness for an interview and a daily plan to maximise it.

    With a DATE it sets the interview (and the daily minutes and scope); without, it shows
    readiness: days left, the share of in-scope cards you would recall on the day with no more
    study and if you follow the plan, cards never seen, recall per topic (weakest first) and the
    plan ahead. While it is set, `mlprep review` serves the plan.

    Example: mlprep interview 2026-12-18 --minutes 45 --tag transformers
    """
    from mlprep.app.config import ConfigError, Paths, write_settings
    from mlprep.app.interview import current_interview, date_problem, interview_plan
    from mlprep.app.library import check_scope

    paths = Paths.from_env()
    if clear:
        if day or minutes or deck or tag:
            fail("--clear takes no date, minutes or scope", 2)
        keys = ("interview_date", "interview_minutes", "interview_deck", "interview_tag")
        write_settings(paths, dict.fromkeys(keys))
        typer.echo("Interview mode is off; review follows the normal schedule.")
        return
    if day is not None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            fail(f"the interview date must be YYYY-MM-DD, got {day!r}", 2)
        with open_library(cards, quiet=True) as lib:
            check_scope(lib, scope_of(deck, tag))
            problem = date_problem(when, lib.today)
            if problem:
                fail(problem, 2)
        try:
            write_settings(
                paths,
                {
                    "interview_date": when,
                    "interview_minutes": minutes or 30,
                    "interview_deck": deck,
                    "interview_tag": tag,
                },
            )
        except ConfigError as exc:
            fail(str(exc))
    elif minutes or deck or tag:
        fail("give the interview DATE with --minutes, --deck or --tag", 2)
    with open_library(cards, quiet=as_json) as lib:
        current = current_interview(lib.settings, lib.today)
        if current is None:
            fail("no interview is set (or it has passed); set one: mlprep interview YYYY-MM-DD")
        plan = interview_plan(lib, current)
    if as_json:
        payload = {
            "date": plan.date.isoformat(),
            "days_left": plan.days_left,
            "minutes": current.minutes,
            "scope": {"deck": current.deck, "tag": current.tag},
            "cards": plan.cards,
            "expected_recall": plan.expected_recall,
            "planned_recall": plan.planned_recall,
            "unseen": plan.unseen,
            "topics": plan.topics,
            "planned_topics": plan.planned_topics,
            "plan": [d.to_dict() for d in plan.days],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console

    from mlprep.term.interview import readiness

    Console(highlight=False, markup=False).print(
        readiness(plan, current.minutes, current.deck, current.tag)
    )
