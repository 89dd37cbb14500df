"""The YAML text of deck files: rendering new cards, reading the layout of a hand-edited file,
and editing it (appending cards, renaming an id) without changing a byte of what is already there.

The functions are pure (text in, text out) and check their own work: every edit is validated with
`deck.parse_text`, and the cards already in the file must come out of the new text exactly as
they went in, or the edit fails. The disk is `mlprep.decks.files`'s job.

How text is appended (the file's own style is reused where it can be detected):

- `cards:` is a block list: the new items go right after the last line of the last card, so
  comments, blank lines and later top-level keys stay where they are.
- `cards: []`, `cards:` or `cards: ~`: only that empty value is replaced by a block list.
- `cards: [...]` with items (a flow list): the new cards are added to it in flow style.
- no `cards:` key (or an empty file): a `cards:` block is appended at the end.
- CRLF line endings, a byte-order mark and a missing final newline are kept.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlprep.decks.errors import AuthoringError, IdClashError
from mlprep.decks.loader import ID_PATTERN, Card, duplicate_ids, parse_text

# Keys of a new card are written in this order; unknown keys (only from snippets) come last.
CARD_KEY_ORDER = ("id", "type", "level", "generator", "params", "q", "a", "tags")
_WIDE = 1_000_000  # no line folding when PyYAML renders a scalar


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


def inline_scalar(value: str) -> str:
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


def ordered_items(card: Mapping[str, Any]) -> list[tuple[str, Any]]:
    known = [(k, card[k]) for k in CARD_KEY_ORDER if k in card]
    return known + [(k, v) for k, v in card.items() if k not in CARD_KEY_ORDER]


def render_entry(key: str, value: Any, key_col: int, style: Style) -> list[str]:
    """Lines for one `key: value` of a card; the first without its indentation."""
    name = inline_scalar(str(key))
    if value is None:
        return [f"{name}: null"]
    if isinstance(value, str):
        if "\n" in value:
            block = _literal(value, key_col, style)
            if block is not None:
                return [f"{name}: {block[0]}", *block[1:]]
            return [f"{name}: {_quoted(value)}"]
        return [f"{name}: {inline_scalar(value)}"]
    if key == "tags" and isinstance(value, list) and value and not style.flow_tags:
        dash = " " * (key_col + style.list_indent) + "- "
        return [f"{name}:", *(dash + _flow(tag) for tag in value)]
    return [f"{name}: {_flow(value)}"]


def render_card(card: Mapping[str, Any], style: Style = Style()) -> str:  # noqa: B008
    """One card as an item of a block `cards:` list, every line ending in `style.newline`."""
    key_col = style.indent + style.offset
    lines: list[str] = []
    for n, (key, value) in enumerate(ordered_items(card)):
        entry = render_entry(key, value, key_col, style)
        prefix = " " * style.indent + "-" + " " * (style.offset - 1) if n == 0 else " " * key_col
        lines += [prefix + entry[0], *entry[1:]]
    if not lines:
        lines = [" " * style.indent + "- {}"]
    return "".join(line + style.newline for line in lines)


def _flow_card(card: Mapping[str, Any]) -> str:
    """One card as a flow mapping, for a `cards: [...]` list."""
    return (
        "{"
        + ", ".join(f"{inline_scalar(str(k))}: {_flow(v)}" for k, v in ordered_items(card))
        + "}"
    )


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
            replacement = f"{quote}{new}{quote}" if quote else inline_scalar(new)
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
