"""Finding cards by text: every word of the query must occur in the card's id, tags, deck,
question or answer (case-insensitive, as a substring); cards are ranked by where the words
occur (id and tags weigh most, then the deck, the question, the answer), with a bonus for
the whole query as a phrase and for matches at the start of a word. Pure: cards come in as
plain values, hits go out with the matched text to show."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FIELD_WEIGHTS", "Hit", "SearchDoc", "search"]

# Where a word is found says how much the card is about it.
FIELD_WEIGHTS = {"id": 8.0, "tags": 6.0, "deck": 4.0, "question": 3.0, "answer": 1.0}
PHRASE_BONUS = {"id": 6.0, "tags": 4.0, "deck": 3.0, "question": 5.0, "answer": 2.0}
WORD_START_FACTOR = 1.5  # "adam" at the start of a word beats "adam" inside "madam"
SNIPPET_CHARS = 70


@dataclass(frozen=True)
class SearchDoc:
    card_id: str
    deck: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A card that matched: its score, the field the best match is in, and a one-line
    snippet of that field with the match at `start:end`."""

    card_id: str
    deck: str
    score: float
    field: str
    snippet: str
    start: int
    end: int


def _terms(query: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", query.casefold()) if t]


def _fields(doc: SearchDoc) -> dict[str, str]:
    return {
        "id": doc.card_id,
        "tags": " ".join(doc.tags),
        "deck": doc.deck,
        "question": " ".join(doc.question.split()),
        "answer": " ".join(doc.answer.split()),
    }


def _at_word_start(text: str, index: int) -> bool:
    return index == 0 or not text[index - 1].isalnum()


def _snippet(text: str, start: int, end: int) -> tuple[str, int, int]:
    """About `SNIPPET_CHARS` of `text` around `start:end`, cut at spaces, with ellipses."""
    if len(text) <= SNIPPET_CHARS:
        return text, start, end
    room = max(0, SNIPPET_CHARS - (end - start))
    left = max(0, start - room // 3)
    right = min(len(text), end + room - (start - left))
    if left > 0 and " " in text[left:start]:
        left = text.index(" ", left, start) + 1
    if right < len(text) and " " in text[end:right]:
        right = text.rindex(" ", end, right)
    head, tail = ("…" if left > 0 else ""), ("…" if right < len(text) else "")
    cut = head + text[left:right] + tail
    return cut, start - left + len(head), end - left + len(head)


# The field whose text is shown for a hit: the card's text says most about the match.
SNIPPET_ORDER = ("question", "answer", "tags", "deck", "id")


def _score(terms: list[str], folded: dict[str, str]) -> float | None:
    """The sum over the words of their best field's weight; None if a word is missing."""
    score = 0.0
    for term in terms:
        best = 0.0
        for name, text in folded.items():
            index = text.find(term)
            while index >= 0:
                weight = FIELD_WEIGHTS[name] * (
                    WORD_START_FACTOR if _at_word_start(text, index) else 1.0
                )
                best = max(best, weight)
                index = text.find(term, index + 1)
        if not best:
            return None
        score += best
    if len(terms) > 1:
        phrase = " ".join(terms)
        score += max((PHRASE_BONUS[n] for n, t in folded.items() if phrase in t), default=0.0)
    return score


def search(query: str, docs: Iterable[SearchDoc], limit: int | None = None) -> list[Hit]:
    """The cards that contain every word of `query`, best first (ties by id)."""
    terms = _terms(query)
    if not terms:
        return []
    hits = []
    for doc in docs:
        fields = _fields(doc)
        folded = {name: text.casefold() for name, text in fields.items()}
        score = _score(terms, folded)
        if score is None:
            continue
        shown = None
        for needle in (" ".join(terms), terms[0]):
            for name in SNIPPET_ORDER:
                index = folded[name].find(needle)
                if index >= 0:
                    shown = (name, index, index + len(needle))
                    break
            if shown is not None:
                break
        assert shown is not None  # the first word occurs somewhere
        name, start, end = shown
        snippet, s_start, s_end = _snippet(fields[name], start, end)
        hits.append(Hit(doc.card_id, doc.deck, score, name, snippet, s_start, s_end))
    hits.sort(key=lambda h: (-h.score, h.card_id))
    return hits if limit is None else hits[:limit]
