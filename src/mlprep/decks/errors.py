"""The errors of writing cards: one place, so every authoring module raises the same kinds."""

from __future__ import annotations


class AuthoringError(ValueError):
    """A card cannot be written as asked; the message says why and what to do."""


class IdClashError(AuthoringError):
    """An id is already in use (by a deck, the review history, or another new card)."""

    def __init__(self, card_id: str):
        self.card_id = card_id
        super().__init__(f"id {card_id!r} is already in use")
