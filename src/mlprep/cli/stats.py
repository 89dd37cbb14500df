"""`mlprep stats`: the report from `mlprep.storage.reports`, drawn by `mlprep.term.stats`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mlprep.cli.common import (
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    command,
    open_library,
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
            scheduler=lib.store.scheduler.name,
            deck=deck,
            tag=tag,
            days=days,
            leech_threshold=lib.settings.leech_threshold,
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    from rich.console import Console

    from mlprep.term.stats import build_report

    Console(highlight=False).print(build_report(report))
