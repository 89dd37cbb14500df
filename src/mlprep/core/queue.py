"""The day's queue, built from rows the storage layer reads: relearning cards first, then due
reviews (most overdue first), then new cards up to what is left of the daily limits. A queue
policy says which cards are candidates: `normal` (the schedule) or `cram` (every card in
scope, whatever its schedule; nothing it logs moves one)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CRAM", "NORMAL", "Counts", "QueueItem", "QueuePolicy", "QueueRows", "build_queue"]


@dataclass(frozen=True)
class QueueItem:
    card_id: str
    kind: str  # "review", "new" or "relearn"
    deck: str = ""


@dataclass(frozen=True)
class Counts:
    new: int
    relearn: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.relearn + self.review


@dataclass(frozen=True)
class QueuePolicy:
    """What a session serves and how it logs: `log_kind` is the kind of every answer."""

    name: str
    log_kind: str
    moves_schedule: bool


NORMAL = QueuePolicy("normal", "review", True)
CRAM = QueuePolicy("cram", "cram", False)


@dataclass(frozen=True)
class QueueRows:
    """What the store read for one queue, limits applied: (card id, deck) rows in order."""

    relearn: list[tuple[str, str]]
    due: list[tuple[str, str]]
    new: list[tuple[str, str]]


def build_queue(rows: QueueRows) -> list[QueueItem]:
    """Relearning cards, then due reviews not already relearning, then new cards."""
    seen = {card_id for card_id, _ in rows.relearn}
    due = [row for row in rows.due if row[0] not in seen]
    return [
        QueueItem(card_id, kind, deck)
        for kind, part in (("relearn", rows.relearn), ("review", due), ("new", rows.new))
        for card_id, deck in part
    ]
