"""Card ids (slugs, unique ids) and the near-duplicate check on questions."""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlprep.decks.errors import IdClashError
from mlprep.decks.loader import Card

MAX_ID_LENGTH = 40
SIMILARITY_THRESHOLD = 0.9  # two long words this similar are one word with a typo

# Words left out of slugs: question words and glue that make ids long but no clearer.
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        """a an the what whats which who whom why how when where is are was were be been being
        does do did of in on to for and or with that this these those it its by as at from can
        could would should will you your we i s t""",
    )
)
# Roman numerals name things ("type I error", "phase II"): a slug keeps one that follows a
# kept word, though "i" is otherwise a stop word ("How do I ...").
_ROMAN = frozenset(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"])
# Words that do not change what a question asks, for the near-duplicate check. Unlike the
# slug's stop words, single letters and numerals stay: L1 vs L2 and type I vs II differ.
_GLUE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "what",
        "whats",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "when",
        "where",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "does",
        "do",
        "did",
        "of",
        "in",
        "on",
        "to",
        "for",
        "and",
        "or",
        "with",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "by",
        "as",
        "at",
        "from",
        "can",
        "could",
        "would",
        "should",
        "will",
        "you",
        "your",
        "we",
        "s",
        "t",
    ]
)
# LaTeX commands that are markup, not meaning (\frac{a}{b} -> "a b", but \lambda -> "lambda").
_LATEX_NOISE = re.compile(
    r"\\(?:frac|dfrac|tfrac|mathbf|mathrm|mathbb|mathcal|boldsymbol|text|operatorname|left|right"
    r"|cdot|quad|qquad|big|Big|bigg|Bigg|hat|bar|tilde|vec|mathit|displaystyle)(?![A-Za-z])"
)


# -- ids ---------------------------------------------------------------------------------------


def slugify(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """A readable id from a question: lowercase words joined by '-', at most `max_length` chars.

    Math delimiters and LaTeX markup go (`\\lambda` stays as `lambda`), accents are folded to
    ASCII, and question words are dropped: "What does $\\lambda$ do in ridge?" ->
    "lambda-do-ridge". Cuts at a word boundary; "card" if nothing is left."""
    text = _LATEX_NOISE.sub(" ", text)
    text = re.sub(r"\\([A-Za-z]+)", r" \1 ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", text.lower())
    kept = [
        w
        for n, w in enumerate(words)
        if w not in _STOP_WORDS
        or (w in _ROMAN and n and words[n - 1] not in _STOP_WORDS and words[n - 1] not in _ROMAN)
    ] or words
    slug = ""
    for word in kept:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and kept:
        slug = kept[0][:max_length]
    return slug or "card"


def unique_id(base: str, taken: set[str] | frozenset[str], max_length: int = MAX_ID_LENGTH) -> str:
    """`base`, or `base-2`, `base-3`, ... (trimmed to `max_length`) if it is taken."""
    if base not in taken:
        return base
    for n in itertools.count(2):
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def _base_id(card: Mapping[str, Any]) -> str:
    q = card.get("q")
    if isinstance(q, str) and q.strip():
        return slugify(q)
    generator = card.get("generator")
    if isinstance(generator, str) and generator:
        return slugify(generator.replace("_", " "), MAX_ID_LENGTH - len("-drill")) + "-drill"
    return "card"


def assign_ids(cards: Sequence[Mapping[str, Any]], taken: Iterable[str]) -> list[dict[str, Any]]:
    """Give every card an id: its own if it has one (IdClashError if taken), else a unique slug.

    `taken` holds every id that must not be reused: all decks plus the review history. The
    returned cards have `id` as their first key."""
    used = set(taken)
    out = []
    for card in cards:
        card_id = card.get("id")
        if card_id is not None:
            if card_id in used:
                raise IdClashError(str(card_id))
        else:
            card_id = unique_id(_base_id(card), used)
        used.add(card_id)
        out.append({"id": card_id, **{k: v for k, v in card.items() if k != "id"}})
    return out


# -- near-duplicates ---------------------------------------------------------------------------


def normalise_question(text: str) -> str:
    """Lowercase letters and digits only: punctuation, whitespace and math delimiters go."""
    return re.sub(r"[\W_]+", "", text.casefold())


def question_tokens(text: str) -> list[str]:
    """The words of a question that say what it asks: lowercase, accents folded, LaTeX markup
    and glue words ("what", "the", "does") dropped; numbers, single letters and Roman
    numerals kept (`L1`, `type I`)."""
    text = _LATEX_NOISE.sub(" ", text)
    text = re.sub(r"\\([A-Za-z]+)", r" \1 ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _GLUE_WORDS]


def _same_word(a: str, b: str, threshold: float = SIMILARITY_THRESHOLD) -> bool:
    """One word written two ways: a plural (`weight`, `weights`; `bias`, `biases`), or a typo
    in a long word. Numbers and short words must match exactly: L1 is not L2, I is not II."""
    if a == b:
        return True
    if not (a.isalpha() and b.isalpha()):
        return False
    short, long = sorted((a, b), key=len)
    if long in (short + "s", short + "es"):
        return True
    if len(short) < 6:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= threshold


def _same_words(a: list[str], b: list[str], threshold: float = SIMILARITY_THRESHOLD) -> bool:
    """Whether two token lists hold the same words (in any order), word for word."""
    if len(a) != len(b):
        return "".join(a) == "".join(b)  # `trade-off` is `tradeoff`
    rest = list(b)
    for word in a:
        match = next(
            (i for i, other in enumerate(rest) if _same_word(word, other, threshold)), None
        )
        if match is None:
            return "".join(a) == "".join(b)
        rest.pop(match)
    return True


def near_duplicates(
    question: str, cards: Iterable[Card], threshold: float = SIMILARITY_THRESHOLD
) -> list[tuple[Card, float]]:
    """Cards that ask the same question: the same text once normalised, or the same words
    (`question_tokens`) in any order, up to plurals and typos in long words. A word that
    differs makes a different question, however similar the text: "L1" vs "L2", "type I" vs
    "type II", "precision" vs "recall". Each comes with its text similarity (difflib ratio of
    the normalised questions, 1.0 for the same text), best first. `threshold` is how similar
    two long words must be to count as one with a typo."""
    wanted = normalise_question(question)
    if not wanted:
        return []
    tokens = question_tokens(question)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)
    found = []
    for card in cards:
        other = normalise_question(card.q or "")
        if not other:
            continue
        if other == wanted:
            found.append((card, 1.0))
            continue
        if not _same_words(tokens, question_tokens(card.q or ""), threshold):
            continue
        matcher.set_seq1(other)
        found.append((card, matcher.ratio()))
    return sorted(found, key=lambda pair: -pair[1])
