"""`mlprep suspend`, `unsuspend` and `flag`: card events in the log. A suspended card leaves
every queue (review, cram, drill) until unsuspended; a flag only marks a card for later
(`mlprep list --flagged`). `s` and `f` in review do the same."""

from __future__ import annotations

from typing import Annotated

import typer

from mlprep.cli.common import CardsOption, command, open_library

__all__ = ["flag", "suspend", "unsuspend"]

IdsArgument = Annotated[list[str], typer.Argument(help="Card ids.", metavar="ID...")]


# What each event says it did, and what it says when the card is already in that state
# ({id} is the card): a sentence that reads as an outcome, never as an error.
DONE = {
    "suspend": "{id}: suspended; `mlprep unsuspend {id}` brings it back.",
    "unsuspend": "{id}: unsuspended; it comes back in review.",
    "flag": "{id}: flagged; `mlprep list --flagged` lists it.",
    "unflag": "{id}: flag removed.",
}
NOTHING = {
    "suspend": "{id} was already suspended; nothing to do.",
    "unsuspend": "{id} was not suspended; nothing to do.",
    "flag": "{id} was already flagged; nothing to do.",
    "unflag": "{id} was not flagged; nothing to do.",
}


def _apply(ids: list[str], cards: object, event: str, holds: str) -> None:
    """Append `event` for each id whose mark is not already in that state."""
    from mlprep.app.library import unknown_card

    with open_library(cards) as lib:  # type: ignore[arg-type]
        store = lib.store
        known = store.known_ids()
        for card_id in ids:
            if card_id not in known:
                raise unknown_card(store, card_id)
        marked = store.suspended_ids() if holds == "suspend" else store.flagged_ids()
        for card_id in dict.fromkeys(ids):
            already = (card_id in marked) == (event == holds)
            if already:
                typer.echo(NOTHING[event].format(id=card_id))
                continue
            store.add_card_event(card_id, event, lib.now)
            typer.echo(DONE[event].format(id=card_id))


@command()
def suspend(ids: IdsArgument, cards: CardsOption = None) -> None:
    """Take cards out of every queue until unsuspended.

    Suspended cards leave review, cram and drill queues and the forecasts.
    The card keeps its history and schedule; `mlprep list --suspended` lists them. In review,
    `s` suspends the card on screen (and `u` undoes it).

    Example: mlprep suspend bv-bias-definition
    """
    _apply(ids, cards, "suspend", "suspend")


@command()
def unsuspend(ids: IdsArgument, cards: CardsOption = None) -> None:
    """Bring suspended cards back into the queues.

    They come back with the schedule they had.

    Example: mlprep unsuspend bv-bias-definition
    """
    _apply(ids, cards, "unsuspend", "suspend")


@command()
def flag(
    ids: IdsArgument,
    cards: CardsOption = None,
    off: Annotated[bool, typer.Option("--off", help="Remove the flag instead.")] = False,
) -> None:
    """Flag cards for later; --off removes the flag.

    A flag marks a card to fix or look at again.

    Flags change nothing in the queues. `mlprep list --flagged` lists them; `f` in review
    flags the card on screen.

    Example: mlprep flag opt-adam-update --off
    """
    if off:
        _apply(ids, cards, "unflag", "flag")
    else:
        _apply(ids, cards, "flag", "flag")
