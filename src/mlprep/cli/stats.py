"""`mlprep stats`: the report from `mlprep.storage.reports`, drawn by `mlprep.term.stats`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from mlprep.cli.common import (
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    command,
    open_library,
    plural,
    scope_of,
)

__all__ = ["stats"]


@command()
def stats(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            help="Window for retention, topic retention and recent drill accuracy.",
            metavar="N",
            min=1,
            max=36500,
        ),
    ] = 30,
    as_json: JsonOption = False,
) -> None:
    """Your progress: heatmap, forecast, retention, topics, ease.

    The heatmap of answers, the due forecast, card counts, true retention, streaks, time,
    the weakest topics, the ease trend, drill accuracy and leeches.

    Retention is the share of answers of already-learned cards graded Hard or better in the
    last --days days, split young/mature by the interval before the answer (21 days). Time
    answering counts each answer up to 60 s, as the session summary does. The ease trend
    (SM-2) is the average ease of your cards week by week; once your log is large enough,
    stats suggests FSRS. A leech is a card that lapsed leech_threshold times (settings.toml,
    default 8). "Due tomorrow" is the cards that fall due tomorrow. --json prints every
    number.

    Example: mlprep stats --tag ridge --days 14
    """
    from mlprep.app.library import check_scope
    from mlprep.storage.reports import compute_report

    with open_library(cards, quiet=as_json) as lib:
        check_scope(lib, scope_of(deck, tag))
        report = compute_report(
            lib.store.conn,
            lib.today,
            scheduler=lib.store.scheduler.key,
            deck=deck,
            tag=tag,
            days=days,
            leech_threshold=lib.settings.leech_threshold,
        )
        bins, parameters = _calibration(lib, scope_of(deck, tag))
        from mlprep.app.interview import active_interview

        interview = active_interview(lib.settings, lib.today)
    days_left = None if interview is None else (interview.date - lib.today).days
    if as_json:
        payload = report.to_dict()
        payload["interview"] = (
            None
            if interview is None
            else {"date": interview.date.isoformat(), "days_left": days_left}
        )
        payload["calibration"] = {
            "parameters": parameters,
            "bins": [b.to_dict() for b in bins if b.reviews],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console

    from mlprep.term.stats import build_report

    console = Console(highlight=False)
    if interview is not None:
        console.print(
            f"Interview mode is on: {plural(days_left, 'day')} to "
            f"{interview.date.isoformat()} (`mlprep interview` shows readiness).",
            markup=False,
        )
    console.print(build_report(report, bins, parameters))


def _calibration(lib: Any, scope: Any) -> tuple[list[Any], str]:
    """The memory model's predicted vs actual recall on past reviews up to today."""
    from mlprep.app.memory import memory_scheduler, saved_fit
    from mlprep.core.memory import calibration, predictions

    facts = {
        card_id: [f for f in card_facts if f.day <= lib.today]
        for card_id, card_facts in lib.store.all_facts(scope).items()
    }
    scheduler = memory_scheduler(lib.store, lib.settings.desired_retention)
    parameters = "fitted" if saved_fit(lib.store) is not None else "default"
    return calibration(predictions(facts, scheduler)), parameters
