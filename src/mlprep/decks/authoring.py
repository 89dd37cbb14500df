"""Writing cards: YAML text for new cards, appended to hand-edited deck files without changing a
byte of what is already there; ids, near-duplicate checks, and the locked, atomic write.

The text functions are pure (text in, text out) and check their own work: every edit is
validated with `deck.parse_text`, and the cards already in the file must come out of the new
text exactly as they went in, or nothing is written. Only the last section touches the disk.

How text is appended (the file's own style is reused where it can be detected):

- `cards:` is a block list: the new items go right after the last line of the last card, so
  comments, blank lines and later top-level keys stay where they are.
- `cards: []`, `cards:` or `cards: ~`: only that empty value is replaced by a block list.
- `cards: [...]` with items (a flow list): the new cards are added to it in flow style.
- no `cards:` key (or an empty file): a `cards:` block is appended at the end.
- CRLF line endings, a byte-order mark and a missing final newline are kept.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlprep.decks.loader import ID_PATTERN, Card, duplicate_ids, parse_text

__all__ = [
    "CARD_KEY_ORDER",
    "DEFAULT_DECK",
    "MAX_ID_LENGTH",
    "SIMILARITY_THRESHOLD",
    "AuthoringError",
    "IdClashError",
    "Snippet",
    "Style",
    "add_cards_to_file",
    "append_cards",
    "check_inside",
    "assign_ids",
    "check_cards",
    "deck_file_for",
    "detect_style",
    "editor_template",
    "file_lock",
    "make_card",
    "near_duplicates",
    "new_deck_text",
    "normalise_question",
    "question_tokens",
    "parse_snippet",
    "read_text",
    "rename_id",
    "rename_id_in_text",
    "render_card",
    "significant_text",
    "slugify",
    "strip_problems",
    "unique_id",
    "updated_deck_text",
    "with_problems",
    "write_atomic",
]

MAX_ID_LENGTH = 40
SIMILARITY_THRESHOLD = 0.9  # two long words this similar are one word with a typo
DEFAULT_DECK = "my-cards"
# Keys of a new card are written in this order; unknown keys (only from snippets) come last.
CARD_KEY_ORDER = ("id", "type", "level", "generator", "params", "q", "a", "tags")
LOCK_TIMEOUT = 30.0
_WIDE = 1_000_000  # no line folding when PyYAML renders a scalar
DECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")

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


class AuthoringError(ValueError):
    """A card cannot be written as asked; the message says why and what to do."""


class IdClashError(AuthoringError):
    """An id is already in use (by a deck, the review history, or another new card)."""

    def __init__(self, card_id: str):
        self.card_id = card_id
        super().__init__(f"id {card_id!r} is already in use")


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


# -- new cards and snippets --------------------------------------------------------------------


def _tidy(text: str) -> str:
    """Trailing spaces and blank edges go; multi-line text ends with one newline (`a: |`)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) > 1:
        return "\n".join(lines) + "\n"
    return lines[0].strip() if lines else ""


def make_card(
    q: str | None = None,
    a: str | None = None,
    *,
    tags: Iterable[str] = (),
    card_id: str | None = None,
    generator: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A new card as a dict in file order, from what the user typed (text is tidied)."""
    card: dict[str, Any] = {}
    if card_id:
        card["id"] = card_id
    if generator:
        card["type"] = "computed"
        card["generator"] = generator
        if params:
            card["params"] = dict(params)
    if q is not None and q.strip():
        card["q"] = _tidy(q)
    if a is not None and not generator:
        card["a"] = _tidy(a)
    tags = list(dict.fromkeys(tags))
    if tags:
        card["tags"] = tags
    return card


@dataclass
class Snippet:
    """Cards read from a YAML snippet (`mlprep add --stdin` or the editor)."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    deck: str | None = None
    problems: list[str] = field(default_factory=list)


SNIPPET_FORMS = "a card mapping, a list of cards, or a mapping with 'cards:'"


def parse_snippet(text: str) -> Snippet:
    """Read one or more cards: a single card mapping, a list of cards, or a deck-style mapping
    with `cards:` (and optionally `deck:` and file-wide `tags:`). Safe loader only.

    Problems are collected, not raised; the cards are checked later by `check_cards`."""
    import yaml

    out = Snippet()
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        out.problems.append(f"{where}YAML syntax error: {detail}")
        return out
    except yaml.YAMLError as exc:
        out.problems.append(f"YAML error: {exc}")
        return out
    except RecursionError:
        out.problems.append("YAML error: nested too deeply")
        return out
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
        # A typed value that does not construct: `!!int x`, `!!timestamp 2020-99-99`, ...
        reason = str(exc).split(";")[0][:100]
        out.problems.append(f"YAML error: a value cannot be read ({reason})")
        return out
    if _larger_than(data, MAX_SNIPPET_VALUES):
        out.problems.append(
            f"the YAML holds more than {MAX_SNIPPET_VALUES:,} values once its aliases are "
            "expanded; that is not a few cards"
        )
        return out
    file_tags: list[Any] = []
    if data is None:
        out.problems.append(f"nothing to add: expected {SNIPPET_FORMS}")
        return out
    if isinstance(data, dict) and "cards" in data:
        unknown = [str(k) for k in data if k not in ("deck", "tags", "cards")]
        if unknown:
            out.problems.append(
                f"unknown key(s) {', '.join(map(repr, unknown))} next to 'cards:'; "
                "expected deck, tags, cards"
            )
        deck = data.get("deck")
        if deck is not None and not isinstance(deck, str):
            out.problems.append(f"'deck' must be a string, got {type(deck).__name__}")
        else:
            out.deck = deck
        tags = data.get("tags")
        if tags is not None:
            file_tags = tags if isinstance(tags, list) else [tags]
        items = data["cards"]
        if items is None:
            items = []
        if not isinstance(items, list):
            out.problems.append(f"'cards' must be a list, got {type(items).__name__}")
            return out
    elif isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        out.problems.append(f"expected {SNIPPET_FORMS}, got {type(data).__name__}")
        return out
    if not items:
        out.problems.append("nothing to add: the list of cards is empty")
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.problems.append(
                f"card {n}: expected a mapping with q and a, got {type(item).__name__}"
            )
            continue
        prefix = f"card {n}: " if len(items) > 1 else ""
        if not all(isinstance(k, str) for k in item):
            out.problems.append(f"{prefix}every key must be a word")
            continue
        # An empty `q:` or `a:` (null) counts as missing: check_cards says it is empty.
        card = {str(k): v for k, v in item.items() if not (k in ("q", "a") and v is None)}
        own = card.get("tags")
        # `tags: ridge` means one tag, as in a deck file; always hand a list on.
        own = own if isinstance(own, list) else ([] if own is None else [own])
        bad = [t for t in [*file_tags, *own] if not isinstance(t, str)]
        if bad:
            out.problems.append(f"{prefix}a tag must be a word, got {type(bad[0]).__name__}")
            continue
        if "id" in card and not isinstance(card["id"], str):
            out.problems.append(f"{prefix}'id' must be a string, got {type(card['id']).__name__}")
            continue
        if file_tags or own:
            card["tags"] = list(dict.fromkeys([*file_tags, *own]))
        out.cards.append(card)
    return out


MAX_SNIPPET_VALUES = 100_000  # values in one --stdin or editor snippet, aliases expanded


def _larger_than(data: Any, limit: int) -> bool:
    """Whether `data` holds more than `limit` values counting shared (aliased) parts once per
    use; stops at the limit, so an alias bomb costs O(limit)."""
    count = 0
    stack = [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return False


def check_cards(cards: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems with new cards, by the same rules as the deck loader (plus: no empty q or a on
    a basic card, no id twice). Ids may be missing: they are assigned later."""
    problems = []
    seen: set[Any] = set()
    for n, card in enumerate(cards, 1):
        prefix = f"card {n}: " if len(cards) > 1 else ""
        probe = dict(card)
        probe.setdefault("id", "new-card")
        if probe.get("type", "basic") == "basic":
            for key, what in (("q", "question"), ("a", "answer")):
                value = probe.get(key)
                if value is None or isinstance(value, str) and not value.strip():
                    problems.append(f"{prefix}the {what} ({key}) is empty")
                    probe[key] = "-"
        result = parse_text("cards:\n" + render_card(probe), "<new card>", DEFAULT_DECK)
        problems += [prefix + issue.message for issue in result.issues]
        card_id = card.get("id")
        if card_id is not None:
            if card_id in seen:
                problems.append(f"{prefix}id {card_id!r} is used by more than one new card")
            seen.add(card_id)
    return problems


# -- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a deck file is laid out, so that new cards look like the ones already there."""

    newline: str = "\n"
    indent: int = 2  # column of the '-' of each card
    offset: int = 2  # from the '-' to the card's keys
    block_indent: int = 2  # block-scalar text, relative to its key
    list_indent: int = 2  # the '-' of a block tag list, relative to its key
    flow_tags: bool = True  # tags: [a, b] rather than a block list
    blank_between: bool = True  # a blank line between cards


def _dump(value: Any, flow: bool, style: str | None = None) -> str:
    import yaml

    return yaml.safe_dump(
        {"k": value},
        allow_unicode=True,
        width=_WIDE,
        sort_keys=False,
        default_flow_style=flow,
        default_style=style,
    )


def _reads_back(text: str, value: Any) -> bool:
    import yaml

    try:
        return yaml.safe_load(text) == {"k": value}
    except yaml.YAMLError:
        return False


def _quoted(value: str) -> str:
    """A string as one double-quoted line (escapes for every line break and odd character)."""
    out = _dump(value, False, '"')  # '"k": "..."\n'
    return out[out.index(": ") + 2 : -1]


def _inline(value: str) -> str:
    """A one-line string as a plain scalar if that reads back the same, else quoted."""
    out = _dump(value, False)
    if out.startswith("k: ") and out.count("\n") == 1 and _reads_back(out, value):
        return out[3:-1]
    return _quoted(value)


def _flow(value: Any) -> str:
    """Any value as one line of YAML that is also valid inside a flow collection."""
    if isinstance(value, str):
        out = _dump(value, True)
        ok = out.startswith("{k: ") and out.count("\n") == 1 and _reads_back(out, value)
        return out[len("{k: ") : -len("}\n")] if ok else _quoted(value)
    out = _dump(value, True)
    return out[len("{k: ") : -len("}\n")]


def _literal(value: str, key_col: int, style: Style) -> list[str] | None:
    """`|` block-scalar lines for a multi-line string, or None if it would not read back."""
    if value.endswith("\n\n") or any(ch in value for ch in "\r\x85\u2028\u2029\ufeff"):
        return None  # kept trailing newlines, or line breaks YAML would normalise
    chomp = "" if value.endswith("\n") else "-"
    lines = (value[:-1] if chomp == "" else value).split("\n")
    first = next((line for line in lines if line.strip()), "")
    leading = lines[: lines.index(first) + 1] if first else lines
    needs_indicator = any(line.startswith(" ") for line in leading)
    header = "|" + (str(style.block_indent) if needs_indicator else "") + chomp
    pad = " " * style.block_indent
    body = [pad + line if line else "" for line in lines]
    if not _reads_back("k: " + header + "\n" + "".join(line + "\n" for line in body), value):
        return None
    indent = " " * key_col
    return [header, *(indent + line if line else "" for line in body)]


def _ordered(card: Mapping[str, Any]) -> list[tuple[str, Any]]:
    known = [(k, card[k]) for k in CARD_KEY_ORDER if k in card]
    return known + [(k, v) for k, v in card.items() if k not in CARD_KEY_ORDER]


def _entry(key: str, value: Any, key_col: int, style: Style) -> list[str]:
    """Lines for one `key: value` of a card; the first without its indentation."""
    name = _inline(str(key))
    if value is None:
        return [f"{name}: null"]
    if isinstance(value, str):
        if "\n" in value:
            block = _literal(value, key_col, style)
            if block is not None:
                return [f"{name}: {block[0]}", *block[1:]]
            return [f"{name}: {_quoted(value)}"]
        return [f"{name}: {_inline(value)}"]
    if key == "tags" and isinstance(value, list) and value and not style.flow_tags:
        dash = " " * (key_col + style.list_indent) + "- "
        return [f"{name}:", *(dash + _flow(tag) for tag in value)]
    return [f"{name}: {_flow(value)}"]


def render_card(card: Mapping[str, Any], style: Style = Style()) -> str:  # noqa: B008
    """One card as an item of a block `cards:` list, every line ending in `style.newline`."""
    key_col = style.indent + style.offset
    lines: list[str] = []
    for n, (key, value) in enumerate(_ordered(card)):
        entry = _entry(key, value, key_col, style)
        prefix = " " * style.indent + "-" + " " * (style.offset - 1) if n == 0 else " " * key_col
        lines += [prefix + entry[0], *entry[1:]]
    if not lines:
        lines = [" " * style.indent + "- {}"]
    return "".join(line + style.newline for line in lines)


def _flow_card(card: Mapping[str, Any]) -> str:
    """One card as a flow mapping, for a `cards: [...]` list."""
    return "{" + ", ".join(f"{_inline(str(k))}: {_flow(v)}" for k, v in _ordered(card)) + "}"


def _render_items(cards: Sequence[Mapping[str, Any]], style: Style, lead_blank: bool) -> str:
    parts = []
    for n, card in enumerate(cards):
        if style.blank_between and (n or lead_blank):
            parts.append(style.newline)
        parts.append(render_card(card, style))
    return "".join(parts)


def new_deck_text(
    file_name: str, cards: Sequence[Mapping[str, Any]], style: Style = Style()
) -> str:  # noqa: B008
    """A new deck file: a short header comment, then the cards."""
    deck = Path(file_name).stem
    nl = style.newline
    header = (
        f"# {file_name}: your own mlprep cards (deck {deck!r}), started by `mlprep add`.{nl}"
        f"# Edit freely: `mlprep add` appends below and never rewrites what is here;{nl}"
        f"# `mlprep check` validates the file. Keep each id: it links a card to its history.{nl}"
    )
    return header + "cards:" + nl + _render_items(cards, style, lead_blank=False)


# -- reading the layout of a file --------------------------------------------------------------


@dataclass
class _Node:
    """A YAML node with its exact place in the text (from the parser's events)."""

    kind: str  # "scalar", "alias", "seq" or "map"
    start: int
    end: int
    line: int
    col: int
    flow: bool = False
    value: str | None = None
    style: str | None = None
    items: list[Any] = field(default_factory=list)  # seq: nodes; map: (key, value) pairs


def _build(event: Any, events: Iterator[Any]) -> _Node:
    import yaml

    start, end = event.start_mark, event.end_mark
    if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
        kind = "scalar" if isinstance(event, yaml.ScalarEvent) else "alias"
        return _Node(
            kind,
            start.index,
            end.index,
            start.line,
            start.column,
            value=getattr(event, "value", None),
            style=getattr(event, "style", None) or None,  # plain: None (Python) or "" (C)
        )
    is_seq = isinstance(event, yaml.SequenceStartEvent)
    node = _Node("seq" if is_seq else "map", start.index, start.index, start.line, start.column)
    node.flow = bool(event.flow_style)
    children: list[_Node] = []
    for child in events:
        if isinstance(child, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            if node.flow:
                node.end = child.end_mark.index
            break
        children.append(_build(child, events))
    if not node.flow:
        node.end = max((c.end for c in children), default=node.start)
    node.items = children if is_seq else list(zip(children[::2], children[1::2], strict=True))
    return node


def _tree(text: str) -> _Node | None:
    """The root node of a (BOM-less) document, or None for an empty one."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        events = iter(yaml.parse(text, Loader=loader))
        for event in events:
            if isinstance(event, (yaml.NodeEvent, yaml.CollectionStartEvent)):
                return _build(event, events)
            if isinstance(event, yaml.DocumentEndEvent):
                return None
    except yaml.YAMLError as exc:
        raise AuthoringError(f"cannot read the YAML: {exc}") from None
    return None


def _children(node: _Node) -> list[_Node]:
    if node.kind == "seq":
        return list(node.items)
    if node.kind == "map":
        return [n for pair in node.items for n in pair]
    return []


def _keeps_trailing_lines(node: _Node, text: str) -> bool:
    """Whether the node's text ends with a `|+`/`>+` block scalar (it owns the blank lines)."""
    while node.kind in ("seq", "map") and not node.flow and node.items:
        node = max(_children(node), key=lambda n: n.end)
    if node.kind != "scalar" or node.style not in ("|", ">"):
        return False
    header_end = text.find("\n", node.start)
    header = text[node.start : header_end if header_end >= 0 else len(text)]
    match = re.search(r"[|>]([0-9+-]*)", header.split("#")[0])
    return bool(match and "+" in match.group(1))


def _content_end(node: _Node, text: str) -> int:
    """Where a node's own text ends (a block scalar's trailing blank lines are not its text,
    unless it keeps them with `+`)."""
    if node.kind in ("seq", "map") and not node.flow:
        return max((_content_end(c, text) for c in _children(node)), default=node.start)
    if node.kind == "scalar" and node.style in ("|", ">"):
        if _keeps_trailing_lines(node, text):
            return node.end
        end = node.end
        while end > node.start + 1 and text[end - 1] in " \t\r\n":
            end -= 1
        return end
    return node.end


def _line_end(text: str, pos: int) -> int:
    """The start of the line after the one holding text[pos - 1]."""
    if pos > 0 and text[pos - 1] == "\n":
        return pos
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _newline(text: str) -> str:
    nl = text.find("\n")
    return "\r\n" if nl > 0 and text[nl - 1] == "\r" else "\n"


def _cards_pair(root: _Node | None) -> tuple[_Node, _Node] | None:
    if root is None or root.kind != "map":
        return None
    for key, value in root.items:
        if key.kind == "scalar" and key.value == "cards":
            return key, value
    return None


def _style(text: str, root: _Node | None) -> Style:
    """The layout of the cards already in the file, with defaults for what cannot be seen."""
    nl = _newline(text)
    pair = _cards_pair(root)
    if pair is None:
        col = root.col if root is not None and root.kind == "map" else 0
        return Style(newline=nl, indent=col + 2)
    key, value = pair
    style = Style(newline=nl, indent=key.col + 2)
    if value.kind != "seq" or value.flow:
        return style
    items = value.items
    for item in reversed(items):
        match = re.fullmatch(r"( *)-( +)", text[_line_start(text, item.start) : item.start])
        if match and item.kind == "map" and not item.flow:
            style = replace(style, indent=len(match.group(1)), offset=1 + len(match.group(2)))
            break
    found_tags = found_block = False
    for item in reversed(items):
        if item.kind != "map" or item.flow:
            continue
        for k, v in item.items:
            if not found_tags and k.value == "tags" and v.kind == "seq":
                found_tags = True
                style = replace(style, flow_tags=v.flow)
                if not v.flow and v.items:
                    first = v.items[0]
                    match = re.fullmatch(
                        r"( *)-( +)", text[_line_start(text, first.start) : first.start]
                    )
                    if match and 0 <= len(match.group(1)) - k.col <= 8:
                        style = replace(style, list_indent=len(match.group(1)) - k.col)
            if not found_block and v.kind == "scalar" and v.style in ("|", ">"):
                for line in text[v.start : v.end].split("\n")[1:]:
                    if line.strip():
                        width = len(line) - len(line.lstrip(" ")) - k.col
                        if 1 <= width <= 9:
                            found_block = True
                            style = replace(style, block_indent=width)
                        break
    votes = []
    for before, after in itertools.pairwise(items):
        gap = text[_line_end(text, _content_end(before, text)) : _line_start(text, after.start)]
        votes.append(any(not line.strip() for line in gap.split("\n")[:-1]))
    if votes:
        blanks = sum(votes)
        blank = blanks > len(votes) / 2 or (blanks * 2 == len(votes) and votes[-1])
        style = replace(style, blank_between=blank)
    return style


def detect_style(text: str) -> Style:
    """The layout of a deck file's text (defaults where nothing can be detected)."""
    body = text[1:] if text.startswith("\ufeff") else text
    return _style(body, _tree(body))


# -- editing text ------------------------------------------------------------------------------


def _insert(text: str, pos: int, block: str, nl: str) -> str:
    """Insert whole lines at a line start; at the end of a file without a final newline the
    result has none either."""
    if pos == len(text) and text and not text.endswith("\n"):
        return text + nl + block[: -len(nl)]
    return text[:pos] + block + text[pos:]


def append_cards(text: str, cards: Sequence[Mapping[str, Any]]) -> str:
    """The deck text with `cards` appended at the end of its `cards:` list. Pure; every byte
    of `text` survives except an empty `cards:` value (`[]`, `~`, `null`) that is replaced."""
    if not cards:
        return text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    root = _tree(body)
    style = _style(body, root)
    nl = style.newline
    if root is not None and root.kind != "map":
        raise AuthoringError("the file is not a mapping with a 'cards:' list")
    pair = _cards_pair(root)
    if pair is None:
        if root is not None and root.flow:
            raise AuthoringError("the file is a one-line {...} mapping; add a 'cards:' key by hand")
        col = root.col if root is not None else 0
        block = " " * col + "cards:" + nl + _render_items(cards, style, lead_blank=False)
        return bom + _insert(body, len(body), block, nl)
    key, value = pair
    if root is not None and root.flow and not (value.kind == "seq" and value.items):
        raise AuthoringError("the file is a one-line {...} mapping; add the card by hand")
    if value.kind == "seq" and not value.flow:
        pos = _line_end(body, _content_end(value, body))
        lead_blank = not _keeps_trailing_lines(value, body)
        return bom + _insert(body, pos, _render_items(cards, style, lead_blank), nl)
    if value.kind == "seq" and value.items:
        last = value.items[-1]
        sep = "," + nl + " " * last.col if last.line != value.line else ", "
        added = "".join(sep + _flow_card(card) for card in cards)
        end = _content_end(last, body)
        return bom + body[:end] + added + body[end:]
    empty = (value.kind == "seq" and not value.items) or (
        value.kind == "scalar"
        and value.style is None
        and value.value in ("", "~", "null", "Null", "NULL")
    )
    if not empty:
        raise AuthoringError("'cards' must be a list")
    colon = body.index(":", key.end)
    if value.end > value.start:
        body = body[: colon + 1] + body[value.end :]
    pos = _line_end(body, colon + 1)
    return bom + _insert(body, pos, _render_items(cards, style, lead_blank=False), nl)


def _same(card: Card, other: Card) -> bool:
    return replace(card, line=0) == replace(other, line=0)


def _matches(card: Card, new: Mapping[str, Any]) -> bool:
    return (
        card.id == new.get("id")
        and card.q == (new.get("q") or "")
        and card.a == (new.get("a") or "")
        and card.type == (new.get("type") or "basic")
        and card.generator == new.get("generator")
        and card.params == (new.get("params") or {})
        and set(new.get("tags") or ()) <= set(card.tags)
    )


def updated_deck_text(original: str | None, cards: Sequence[Mapping[str, Any]], path: str) -> str:
    """The new text of the deck file at `path` (None: a new file) with `cards` (ids assigned)
    added, validated: the file's cards must be unchanged and the new ones read back exactly."""
    name = Path(path).name
    stem = Path(path).stem
    if original is None:
        text = new_deck_text(name, cards)
        before: list[Card] = []
    else:
        parsed = parse_text(original, path, stem)
        issues = [i for i in parsed.issues if i.message != "missing 'cards:' list"]
        issues += duplicate_ids(parsed.cards)
        if issues:
            listing = "\n".join(f"  {issue}" for issue in sorted(issues))
            raise AuthoringError(
                f"{path} already has problems; fix them first (see `mlprep check {path}`):\n"
                + listing
            )
        before = parsed.cards
        text = append_cards(original, cards)
    after = parse_text(text, path, stem)
    problems = after.issues + duplicate_ids(after.cards)
    if problems:
        listing = "\n".join(f"  {issue}" for issue in sorted(problems))
        raise AuthoringError(
            f"the new card would make {path} invalid, so nothing was written:\n{listing}"
        )
    old, new = after.cards[: len(before)], after.cards[len(before) :]
    if (
        len(after.cards) != len(before) + len(cards)
        or not all(_same(a, b) for a, b in zip(old, before, strict=True))
        or not all(_matches(card, want) for card, want in zip(new, cards, strict=True))
    ):
        raise AuthoringError(
            f"could not append to {path} without changing the cards already in it (an unusual "
            "layout?); nothing was written. Add the card by hand, or to another deck with --deck."
        )
    return text


def rename_id_in_text(text: str, old: str, new: str, path: str = "<deck>") -> str:
    """The text with card id `old` changed to `new`, nothing else touched (quoting kept)."""
    if not ID_PATTERN.match(new):
        raise AuthoringError(f"id {new!r} must match [a-z0-9][a-z0-9-]* (lowercase, digits, '-')")
    stem = Path(path).stem
    before = parse_text(text, path, stem)
    issues = before.issues + duplicate_ids(before.cards)
    if issues:
        listing = "\n".join(f"  {issue}" for issue in sorted(issues))
        raise AuthoringError(
            f"{path} has problems; fix them first (see `mlprep check {path}`):\n{listing}"
        )
    if any(card.id == new for card in before.cards):
        raise IdClashError(new)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    pair = _cards_pair(_tree(body))
    found = []
    if pair is not None and pair[1].kind == "seq":
        for item in pair[1].items:
            if item.kind == "map":
                found += [
                    v
                    for k, v in item.items
                    if k.value == "id" and v.kind == "scalar" and v.value == old
                ]
    if not found:
        raise AuthoringError(f"no card with id {old!r} in {path}")
    node = found[0]
    for written, quote in ((f"'{old}'", "'"), (f'"{old}"', '"'), (old, "")):
        if body[node.start : node.end].endswith(written):
            replacement = f"{quote}{new}{quote}" if quote else _inline(new)
            cut = node.end - len(written)
            body = body[:cut] + replacement + body[node.end :]
            break
    else:
        raise AuthoringError(
            f"the id {old!r} in {path} is written in an unusual way; rename it by hand"
        )
    result = bom + body
    after = parse_text(result, path, stem)
    expected = [replace(c, id=new) if c.id == old else c for c in before.cards]
    if (
        after.issues
        or len(after.cards) != len(expected)
        or not all(map(_same, after.cards, expected))
    ):
        raise AuthoringError(f"could not rename {old!r} in {path} cleanly; nothing was written")
    return result


# -- the editor's template -------------------------------------------------------------------

PROBLEM_MARK = "#!"


def editor_template(
    deck: str, card: Mapping[str, Any], tags_in_use: Sequence[str], folder: str
) -> str:
    """The commented YAML that `mlprep add --editor` opens, pre-filled with `card`'s fields."""
    in_use = ", ".join(tags_in_use) or "(none yet)"
    lines = [
        "# Write your card below, then save and close the editor to add it.",
        "# Lines starting with # are ignored. To cancel, leave the card empty (or delete all).",
        "#",
        "# q: the question, a: the answer (Markdown; math as $...$ or $$...$$), tags: optional.",
        "# id: optional, made from the question when left out. More cards: more `- q:` items.",
        "# Computed card: `- type: computed`, `generator: NAME`, `params: {level: 1}`, optional q.",
        f"# Tags in use: {in_use}",
        f"# deck: the name of a deck file in {folder} (an existing one, or a new one)",
        f"deck: {_inline(deck)}",
        "cards:",
    ]
    fields = dict(card)
    if fields.get("type") != "computed":
        fields.setdefault("q", "")
        fields.setdefault("a", "")
        fields.setdefault("tags", [])
    first = True
    for key, value in _ordered(fields):
        prefix = "  - " if first else "    "
        first = False
        if value in ("", None) and key in ("q", "a"):
            lines += [f"{prefix}{key}: |", "      "] if key == "a" else [f"{prefix}{key}: "]
        else:
            entry = _entry(key, value, 4, Style())
            lines += [prefix + entry[0], *entry[1:]]
    return "\n".join(lines) + "\n"


def significant_text(text: str) -> str:
    """The text without comment lines, blank lines and trailing spaces (to spot "unchanged")."""
    kept = (line.rstrip() for line in text.splitlines())
    return "\n".join(line for line in kept if line.strip() and not line.lstrip().startswith("#"))


def strip_problems(text: str) -> str:
    """The text without the problem report that `with_problems` put at its top."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(PROBLEM_MARK):
        lines.pop(0)
    return "".join(lines)


def with_problems(text: str, problems: Sequence[str]) -> str:
    """The text with its problems listed as comments at the top (replacing older ones)."""
    report = [f"{PROBLEM_MARK} mlprep could not add this yet. Fix it, save and close again:"]
    report += [
        f"{PROBLEM_MARK}   - {line}" for problem in problems for line in problem.splitlines()
    ]
    report.append(f"{PROBLEM_MARK} (to cancel, delete everything; these lines are ignored)")
    return "\n".join(report) + "\n" + strip_problems(text)


# -- choosing the file -------------------------------------------------------------------------


def deck_file_for(
    folder: Path, name: str, files: Sequence[Path], declared: Mapping[Path, str] | None = None
) -> Path:
    """The deck file in `folder` that `name` designates: a file whose name (or path relative to
    `folder`, without `.yaml`) is `name`, else the one file whose `deck:` is `name`, else a new
    `folder/name.yaml`."""
    if not DECK_NAME.match(name) or name in (".", ".."):
        raise AuthoringError(
            f"deck name {name!r} may only use letters, digits, '-', '_' and '.'; "
            "use --cards DIR to choose the folder"
        )
    stem = name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]

    def rel(f: Path) -> str:
        with suppress(ValueError):
            return f.relative_to(folder).with_suffix("").as_posix()
        return f.stem

    matches = [f for f in files if f.name == name or f.stem == stem or rel(f) == stem]
    if not matches and declared:
        matches = [f for f in files if declared.get(f) == stem]
    if len(matches) > 1:
        listing = ", ".join(str(f) for f in matches)
        raise AuthoringError(f"deck {name!r} matches several files ({listing}); give the file name")
    if matches:
        return matches[0]
    return folder / (name if name != stem else f"{stem}.yaml")


# -- the disk ----------------------------------------------------------------------------------


def read_text(path: Path) -> str | None:
    """A deck file's text, byte for byte (CRLF kept), or None if there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthoringError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthoringError(f"{path} is not UTF-8 text ({exc.reason}); not touching it") from None


def _fsync_dir(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_inside(folder: Path, path: Path) -> None:
    """Refuse (AuthoringError, naming the link) to write `path` when it, or a folder between
    `folder` and it, is a symbolic link leading out of `folder`, whether its target exists or
    not: a link planted in a shared deck folder must not make mlprep create or change files
    elsewhere. Links that stay inside the folder are fine."""
    root = folder.resolve()

    def inside(p: Path) -> bool:
        return p == root or root in p.parents

    if inside(path.resolve()):
        return
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        parts = (path.name,)
        folder = path.parent
    current = folder
    for part in parts:
        current = current / part
        if current.is_symlink() and not inside(current.resolve()):
            target = os.readlink(current)
            state = "" if current.exists() else " (which does not exist)"
            raise AuthoringError(
                f"{current} is a symbolic link to {target}{state}, outside the deck folder "
                f"{root}; mlprep does not write through it. Replace the link with a real file, "
                "or add to another deck with --deck"
            )
    raise AuthoringError(f"{path} is outside the deck folder {root}; nothing was written")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically: temp file in the same folder, fsync, rename,
    fsync the folder. A symlink is followed (its target is replaced); permissions are kept."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


@contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock (flock on `path`) while card files are read, changed and written,
    so that concurrent `mlprep add` runs queue instead of overwriting each other."""
    import errno
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 (closed below, after the lock)
    except IsADirectoryError:
        raise AuthoringError(
            f"{path} is a folder, but mlprep uses that path as the lock file that makes two "
            "commands writing cards take turns; remove the folder"
        ) from None
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise AuthoringError(
                f"cannot write the lock file {path}: the data dir {path.parent} is read-only "
                f"({exc.strerror}); mlprep needs to write there (MLPREP_HOME moves it)"
            ) from None
        raise
    with handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AuthoringError(
                        f"another mlprep command has been writing cards for {timeout:.0f}s "
                        f"(lock {path}); try again when it is done"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_checked(path: Path, original: str | None, text: str) -> None:
    """Write unless the file changed since it was read (then the user's edit wins)."""
    if read_text(path) != original:
        raise AuthoringError(
            f"{path} changed while the card was being added; nothing was written, try again"
        )
    write_atomic(path, text)


def add_cards_to_file(path: Path, cards: Sequence[Mapping[str, Any]]) -> list[Card]:
    """Append cards (ids assigned) to the deck file at `path`, creating it if needed; returns
    them as read back from the new file. Call under `file_lock`."""
    original = read_text(path)
    text = updated_deck_text(original, cards, str(path))
    _write_checked(path, original, text)
    added = parse_text(text, str(path), path.stem).cards
    return added[len(added) - len(cards) :]


def rename_id(path: Path, old: str, new: str) -> None:
    """Change a card's id in its deck file, nothing else touched. Call under `file_lock`."""
    original = read_text(path)
    if original is None:
        raise AuthoringError(f"{path} does not exist")
    _write_checked(path, original, rename_id_in_text(original, old, new, str(path)))
