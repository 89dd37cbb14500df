"""New cards: building a card from flags, reading a YAML snippet (stdin or the editor),
checking cards before they are written, and the editor's template with its problem marks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlprep.decks.loader import parse_text
from mlprep.decks.yaml_text import Style, inline_scalar, ordered_items, render_card, render_entry

DEFAULT_DECK = "my-cards"


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
        f"deck: {inline_scalar(deck)}",
        "cards:",
    ]
    fields = dict(card)
    if fields.get("type") != "computed":
        fields.setdefault("q", "")
        fields.setdefault("a", "")
        fields.setdefault("tags", [])
    first = True
    for key, value in ordered_items(fields):
        prefix = "  - " if first else "    "
        first = False
        if value in ("", None) and key in ("q", "a"):
            lines += [f"{prefix}{key}: |", "      "] if key == "a" else [f"{prefix}{key}: "]
        else:
            entry = render_entry(key, value, 4, Style())
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
