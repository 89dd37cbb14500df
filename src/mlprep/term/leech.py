"""The leech notice `review` shows once, after the answer that made a card a leech
(`mlprep.core.leech.became_leech` decides when)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from mlprep.core.wording import plural

if TYPE_CHECKING:
    from mlprep.decks.loader import Card

__all__ = ["leech_notice"]


def leech_notice(card: Card | None, card_id: str, threshold: int) -> Text:
    """The notice `review` shows after the answer that made `card_id` a leech."""
    text = Text()
    text.append("⚠ Leech: ", style="bold yellow")
    text.append(f"{card_id}", style="bold")
    text.append(f" has now lapsed {plural(threshold, 'time')}. ")
    text.append(
        "Reviewing it again will not fix it: rewrite it (ask one thing, shorten the answer, "
        "add a cue or an example) or split it into smaller cards."
    )
    if card is not None and card.path:
        from mlprep.app.config import display_path

        path = display_path(card.path)
        where = f"{path}:{card.line}" if card.line else path
        text.append(f"\nIt is in {where}. ", style="dim")
    else:
        text.append("\n")
    text.append(
        "When it is on screen, e opens it in your editor and s suspends it; "
        "`mlprep stats` lists all leeches.",
        style="dim",
    )
    return text
