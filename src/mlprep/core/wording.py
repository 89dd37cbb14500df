"""Counted nouns in messages: `1 card`, `2 cards`, `1,051 answers`. Every message that prints a
count says it through `plural`, so no message reads "1 notes" or "1 card files"."""

from __future__ import annotations

__all__ = ["noun", "plural"]


def noun(n: int, word: str, many: str | None = None) -> str:
    """`word` for one, its plural otherwise (`many` for an irregular one, else `word + "s"`).
    A multi-word noun takes the plural on its last word: `card file` -> `card files`."""
    return word if n == 1 else many or word + "s"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 card`, `0 cards`, `2 cards`, `1,051 answers` (thousands separated)."""
    return f"{n:,} {noun(n, word, many)}"
