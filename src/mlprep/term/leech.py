"""Leeches: cards forgotten again and again. `review` says so once, when the threshold is hit.

A lapse is a failed scheduled answer (quality < 3) of a card that had been learned
(`scheduler.sm2.is_lapse`); `state.lapses` counts them. `mlprep stats` lists every live card at
or over the threshold (see `mlprep.core.stats`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from mlprep.core.scheduling.sm2 import PASSING_QUALITY

if TYPE_CHECKING:
    from mlprep.storage.store import Store

__all__ = ["is_new_leech", "leech_notice"]


def is_new_leech(store: Store, card_id: str, threshold: int) -> bool:
    """True exactly when the card's latest answer is the lapse that brought its lapse count to
    `threshold`: a scheduled answer below 3 of a card whose previous scheduled answer left it
    learned (repetitions > 0). Same-day repeats after it and later answers are not, so the
    user is told once. A threshold of 0 turns leech detection off."""
    if threshold <= 0:
        return False
    conn = store.conn
    latest = conn.execute(
        "SELECT id, scheduled, quality FROM reviews WHERE card_id = ? ORDER BY id DESC LIMIT 1",
        (card_id,),
    ).fetchone()
    if latest is None:
        return False
    review_id, scheduled, quality = latest
    if not scheduled or quality >= PASSING_QUALITY:
        return False
    before = conn.execute(
        """SELECT repetitions FROM reviews WHERE card_id = ? AND scheduled = 1 AND id < ?
           ORDER BY id DESC LIMIT 1""",
        (card_id, review_id),
    ).fetchone()
    if before is None or not before[0]:
        return False
    state = store.state(card_id)
    return state is not None and state.lapses == threshold


def leech_notice(store: Store, card_id: str, threshold: int) -> Text | None:
    """The notice `review` shows after the answer that made `card_id` a leech, else None."""
    if not is_new_leech(store, card_id, threshold):
        return None
    card = store.card(card_id)
    text = Text()
    text.append("⚠ Leech: ", style="bold yellow")
    text.append(f"{card_id}", style="bold")
    text.append(f" has now lapsed {threshold} time{'s' * (threshold != 1)}. ")
    text.append(
        "Reviewing it again will not fix it: rewrite it (ask one thing, shorten the answer, "
        "add a cue or an example) or split it into smaller cards."
    )
    if card is not None and card.path:
        where = f"{card.path}:{card.line}" if card.line else card.path
        text.append(f"\nIt is in {where}. ", style="dim")
    else:
        text.append("\n")
    text.append("`mlprep stats` lists all leeches.", style="dim")
    return text
