"""Cards and deck files: the `Card` model, YAML loading with `file:line` errors, discovery.

Loading goes through PyYAML's node graph (`compose`), so every card and key keeps its line, and
through the safe C loader when PyYAML was built with libyaml. Nothing read is ever executed.

A file can break only itself: every value that fails to construct (`!!int x`, an unknown tag, a
5000-digit integer, an unhashable key), every value too large (alias expansion in `params`,
a 50 MB question) and every terminal control character in card text is a `path:line` issue
of that card or file, never an exception."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CARD_KEYS",
    "FILE_KEYS",
    "ID_PATTERN",
    "Card",
    "DeckIssue",
    "LoadResult",
    "check_generators",
    "deck_files",
    "duplicate_ids",
    "json_problem",
    "load_paths",
    "parse_file",
    "parse_text",
]

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
# Limits on what one card may hold: far above any real card (the bundled deck's longest answer
# is under 1,000 characters), low enough that showing a card stays instant.
MAX_TEXT = 20_000  # characters of q or a
MAX_NAME = 200  # characters of an id, deck name, tag, generator or level
MAX_TAGS = 100  # tags on one card
MAX_PARAMS = 1_000  # values in a card's params, counted with YAML aliases expanded
FILE_KEYS = ("deck", "tags", "cards")
CARD_KEYS = ("id", "type", "q", "a", "generator", "params", "tags", "level")
CARD_TYPES = ("basic", "computed")
CARD_LEVELS = ("basic", "core", "advanced")  # how deep a card goes; a user can start with basic
DEFAULT_LEVEL = "core"
DECK_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Card:
    id: str
    deck: str
    q: str
    a: str = ""
    type: str = "basic"
    generator: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    path: str = ""
    line: int = 0
    level: str = DEFAULT_LEVEL

    @property
    def is_computed(self) -> bool:
        return self.type == "computed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deck": self.deck,
            "type": self.type,
            "q": self.q,
            "a": self.a,
            "generator": self.generator,
            "params": dict(self.params),
            "tags": list(self.tags),
            "level": self.level,
            "path": self.path,
            "line": self.line,
        }


@dataclass(frozen=True, order=True)
class DeckIssue:
    """One problem in a card file, printed as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path  # 0: the file as a whole
        return f"{where}: {self.message}"


@dataclass
class LoadResult:
    cards: list[Card] = field(default_factory=list)
    issues: list[DeckIssue] = field(default_factory=list)


def _loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR_TAG = "tag:yaml.org,2002:str"
_YAML_TAG = "tag:yaml.org,2002:"
_constructor: Any = None


class NodeError(ValueError):
    """A YAML value that cannot be read as data (a failed `!!int`, an unknown tag...)."""

    def __init__(self, node: Any, message: str):
        super().__init__(message)
        self.line = _line(node)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _scalar(node: Any) -> Any:
    """A node as plain Python data through PyYAML's safe constructor (strings short-cut).
    NodeError if it cannot be constructed."""
    if node.tag == _STR_TAG and isinstance(node.value, str):
        return node.value
    global _constructor
    import yaml

    if _constructor is None:
        _constructor = yaml.constructor.SafeConstructor()
    try:
        return _constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        if "could not determine a constructor" in str(exc.problem or ""):
            raise NodeError(
                node,
                f"the YAML tag {_tag_name(node.tag)!r} is not allowed in card files (only plain "
                "strings, numbers, lists and mappings)",
            ) from None
        raise NodeError(node, f"cannot read this value: {exc.problem or exc}") from None
    except RecursionError:
        raise NodeError(node, "this value is nested too deeply") from None
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
        reason = str(exc).split(";")[0]
        reason = reason if len(reason) <= 100 else reason[:97] + "..."
        shown = node.value if isinstance(node.value, str) else ""
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise NodeError(
            node,
            f"cannot read the value {shown!r} as {_tag_name(node.tag)}: {reason}"
            if shown
            else f"cannot read this {_tag_name(node.tag)} value: {reason}",
        ) from None
    finally:
        _constructor.constructed_objects.clear()
        _constructor.recursive_objects.clear()


def _line(node: Any) -> int:
    return node.start_mark.line + 1


def _kind(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    try:
        value = _scalar(node)
    except NodeError:
        return f"an unreadable {_tag_name(node.tag)} value"
    return "null" if value is None else type(value).__name__


def _size_over(node: Any, limit: int) -> bool:
    """Whether the node graph holds more than `limit` values once YAML aliases are expanded
    (a billion-laughs bomb expands 600 bytes into 10^9 values). Stops counting at the limit,
    so it costs O(limit) whatever the bomb."""
    import yaml

    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return False


def json_problem(value: Any, where: str = "params") -> str | None:
    """Why `value` cannot be stored as JSON (a date, bytes, a set, a non-string key), or None."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, list):
        for n, item in enumerate(value):
            if problem := json_problem(item, f"{where}[{n}]"):
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has the key {key!r}, which is not a string"
            if problem := json_problem(item, f"{where}.{key}"):
                return problem
        return None
    kind = {"date": "a date", "datetime": "a date-time", "bytes": "binary data", "set": "a set"}
    name = kind.get(type(value).__name__, type(value).__name__)
    hint = " (quote it: '2020-01-01')" if "date" in name else ""
    return (
        f"{where} is {name}{hint}; params may only hold strings, numbers, true/false, lists "
        "and mappings"
    )


def _controls(text: str, what: str, node: Any, path: str, issues: list[DeckIssue]) -> None:
    """An issue for each line of `text` with a terminal control character (ESC, CSI, BEL...):
    card text must not drive the terminal it is shown on."""
    from mlprep.core.text import control_name, find_controls

    base = _line(node)
    literal = getattr(node, "style", None) == "|"  # its lines are the file's lines
    for offset, char in find_controls(text):
        issues.append(
            DeckIssue(
                path,
                base + 1 + offset if literal else base,
                f"{what} contains the control character {control_name(char)}; card text may "
                "not hold escape sequences (they could change your terminal) or bidirectional "
                "overrides (they show the text other than it reads)",
            )
        )


def _mapping(node: Any, path: str, issues: list[DeckIssue]) -> list[tuple[str, Any, Any]]:
    """(key, key node, value node) for a mapping node; a repeated key is an issue, since YAML
    loaders would silently keep only the last one (a second `cards:` hides the first list).
    Keys that are not plain scalars (lists, mappings, aliases to them) or cannot be read are
    issues too, and never constructed (an alias bomb as a key must not expand)."""
    import yaml

    out = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            key = "<<"
        elif not isinstance(key_node, yaml.ScalarNode):
            issues.append(
                DeckIssue(path, _line(key_node), f"a key must be a word, got {_kind(key_node)}")
            )
            continue
        else:
            try:
                key = str(_scalar(key_node))
            except NodeError as exc:
                issues.append(DeckIssue(path, exc.line, str(exc)))
                continue
        if key in seen:
            issues.append(
                DeckIssue(
                    path, _line(key_node), f"duplicate key {key!r} (first at line {seen[key]})"
                )
            )
            continue
        seen[key] = _line(key_node)
        out.append((key, key_node, value_node))
    return out


def _string(
    node: Any, what: str, path: str, issues: list[DeckIssue], limit: int = MAX_NAME
) -> str | None:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node)
        if isinstance(value, str):
            if len(value) > limit:
                issues.append(
                    DeckIssue(
                        path,
                        _line(node),
                        f"{what} is {len(value):,} characters long; the limit is {limit:,}",
                    )
                )
                return None
            before = len(issues)
            _controls(value, what, node, path, issues)
            return value if len(issues) == before else None
    issues.append(DeckIssue(path, _line(node), f"{what} must be a string, got {_kind(node)}"))
    return None


def _tags(node: Any, path: str, issues: list[DeckIssue]) -> tuple[str, ...] | None:
    import yaml

    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if len(items) > MAX_TAGS:
        issues.append(
            DeckIssue(path, _line(node), f"{len(items):,} tags; the limit is {MAX_TAGS} per card")
        )
        return None
    tags = []
    for item in items:
        value = _scalar(item) if isinstance(item, yaml.ScalarNode) else None
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            issues.append(
                DeckIssue(
                    path,
                    _line(item),
                    f"tag must match [a-z0-9][a-z0-9-]* (e.g. 'ridge'), got {_scalar(item)!r}"
                    if isinstance(item, yaml.ScalarNode)
                    else f"tag must be a string, got {_kind(item)}",
                )
            )
            return None
        tags.append(value)
    return tuple(tags)


def parse_text(text: str, path: str, default_deck: str) -> LoadResult:
    """Parse and validate one card file's text; every problem becomes a DeckIssue (even one
    this code did not foresee: a file can break only itself)."""
    try:
        return _parse_text(text, path, default_deck)
    except RecursionError:
        return LoadResult(issues=[DeckIssue(path, 1, "YAML error: nested too deeply")])
    except MemoryError:
        return LoadResult(issues=[DeckIssue(path, 1, "YAML error: too large to read")])
    except Exception as exc:
        return LoadResult(
            issues=[DeckIssue(path, 1, f"cannot read this file ({type(exc).__name__}: {exc})")]
        )


def _parse_text(text: str, path: str, default_deck: str) -> LoadResult:
    import yaml

    result = LoadResult()
    issues = result.issues
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        issues.append(DeckIssue(path, line, f"YAML syntax error: {detail}"))
        return result
    except yaml.YAMLError as exc:
        issues.append(DeckIssue(path, 1, f"YAML error: {exc}"))
        return result
    if root is None:
        return result  # an empty file is a valid, empty deck
    if not isinstance(root, yaml.MappingNode):
        issues.append(
            DeckIssue(
                path,
                _line(root),
                f"a card file must be a mapping with a 'cards:' list, got {_kind(root)}",
            )
        )
        return result

    deck, file_tags, cards_node = default_deck, (), None
    for key, key_node, value in _mapping(root, path, issues):
        try:
            if key == "deck":
                deck = _string(value, "'deck'", path, issues) or deck
            elif key == "tags":
                file_tags = _tags(value, path, issues) or ()
        except NodeError as exc:
            issues.append(DeckIssue(path, exc.line, str(exc)))
            continue
        if key in ("deck", "tags"):
            continue
        if key == "cards":
            cards_node = value
        else:
            issues.append(
                DeckIssue(
                    path,
                    _line(key_node),
                    f"unknown key {key!r}; expected one of {', '.join(FILE_KEYS)}",
                )
            )
    if cards_node is None:
        issues.append(DeckIssue(path, _line(root), "missing 'cards:' list"))
        return result
    if not isinstance(cards_node, yaml.SequenceNode):
        if not (isinstance(cards_node, yaml.ScalarNode) and _scalar(cards_node) is None):
            issues.append(
                DeckIssue(
                    path, _line(cards_node), f"'cards' must be a list, got {_kind(cards_node)}"
                )
            )
        return result
    for item in cards_node.value:
        try:
            card = _parse_card(item, path, deck, file_tags, issues)
        except NodeError as exc:  # this card alone is broken
            issues.append(DeckIssue(path, exc.line, str(exc)))
            continue
        if card is not None:
            result.cards.append(card)
    return result


def _parse_card(
    node: Any, path: str, deck: str, file_tags: tuple[str, ...], issues: list[DeckIssue]
) -> Card | None:
    import yaml

    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        issues.append(
            DeckIssue(path, line, f"each card must be a mapping with id, q, a; got {_kind(node)}")
        )
        return None
    before = len(issues)
    values: dict[str, Any] = {}
    for key, key_node, value in _mapping(node, path, issues):
        if key not in CARD_KEYS:
            issues.append(
                DeckIssue(
                    path,
                    _line(key_node),
                    f"unknown key {key!r}; expected one of {', '.join(CARD_KEYS)}",
                )
            )
        elif key in ("id", "type", "q", "a", "generator", "level"):
            limit = MAX_TEXT if key in ("q", "a") else MAX_NAME
            values[key] = _string(value, f"{key!r}", path, issues, limit)
        elif key == "tags":
            values[key] = _tags(value, path, issues)
        elif key == "params":
            if isinstance(value, yaml.MappingNode):
                if _size_over(value, MAX_PARAMS):
                    issues.append(
                        DeckIssue(
                            path,
                            _line(value),
                            f"'params' holds more than {MAX_PARAMS:,} values (counting YAML "
                            "aliases as copies); a generator needs a few",
                        )
                    )
                    continue
                params = _scalar(value)
                problem = json_problem(params)
                if problem:
                    issues.append(DeckIssue(path, _line(value), problem))
                    continue
                values[key] = params
                values["params_line"] = _line(value)
            else:
                issues.append(
                    DeckIssue(path, _line(value), f"'params' must be a mapping, got {_kind(value)}")
                )
    card_id = values.get("id")
    kind = values.get("type") or "basic"
    if "id" not in values:
        issues.append(DeckIssue(path, line, "card is missing 'id'"))
    elif card_id is not None and not ID_PATTERN.match(card_id):
        issues.append(
            DeckIssue(
                path, line, f"id {card_id!r} must match [a-z0-9][a-z0-9-]* (lowercase, digits, '-')"
            )
        )
    level = values.get("level") or DEFAULT_LEVEL
    if level not in CARD_LEVELS:
        issues.append(
            DeckIssue(path, line, f"level must be one of {', '.join(CARD_LEVELS)}, got {level!r}")
        )
    if kind not in CARD_TYPES:
        issues.append(DeckIssue(path, line, f"type must be 'basic' or 'computed', got {kind!r}"))
    elif kind == "basic":
        for key in ("q", "a"):
            if key not in values:
                issues.append(DeckIssue(path, line, f"card {card_id or '?'!s} is missing {key!r}"))
        for key in ("generator", "params"):
            if key in values:
                issues.append(
                    DeckIssue(path, line, f"{key!r} is only for cards with type: computed")
                )
    else:
        if not values.get("generator"):
            issues.append(
                DeckIssue(path, line, f"computed card {card_id or '?'} is missing 'generator'")
            )
    if len(issues) > before:
        return None
    return Card(
        id=card_id,
        deck=deck,
        q=values.get("q") or "",
        a=values.get("a") or "",
        type=kind,
        generator=values.get("generator"),
        params=values.get("params") or {},
        tags=tuple(dict.fromkeys((*file_tags, *(values.get("tags") or ())))),
        path=path,
        line=line,
        level=level,
    )


def parse_file(path: Path) -> LoadResult:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return LoadResult(issues=[DeckIssue(str(path), 1, f"not UTF-8 text: {exc.reason}")])
    except OSError as exc:
        return LoadResult(issues=[DeckIssue(str(path), 1, f"cannot read: {exc.strerror}")])
    except MemoryError:
        return LoadResult(issues=[DeckIssue(str(path), 1, "cannot read: the file is too large")])
    return parse_text(text, str(path), path.stem)


def deck_files(sources: Iterable[Path]) -> tuple[list[Path], list[DeckIssue]]:
    """Card files under the given folders and files; a missing explicit path is an issue."""
    from mlprep.core.text import CONTROL_CHARS, escape_controls

    files: list[Path] = []
    issues: list[DeckIssue] = []
    for source in sources:
        if source.is_dir():
            found = sorted(
                p
                for p in source.rglob("*")
                if p.suffix in DECK_SUFFIXES
                and p.is_file()
                # .github/, .pre-commit-config.yaml...: a deck folder kept in git has them
                and not any(part.startswith(".") for part in p.relative_to(source).parts)
            )
        elif source.is_file():
            found = [source]
        else:
            what = "not a regular file (a pipe or a device?)" if source.exists() else ""
            issues.append(DeckIssue(str(source), 0, what or "no such file or folder"))
            continue
        for path in found:
            if CONTROL_CHARS.search(str(path)):
                # Its name would be printed in every message about it: it is not loaded.
                issues.append(
                    DeckIssue(
                        escape_controls(str(path)),
                        0,
                        "the file name contains terminal control characters; rename it",
                    )
                )
            else:
                files.append(path)
    return files, issues


def duplicate_ids(cards: Iterable[Card]) -> list[DeckIssue]:
    first: dict[str, Card] = {}
    issues = []
    for card in cards:
        if card.id in first:
            other = first[card.id]
            issues.append(
                DeckIssue(
                    card.path,
                    card.line,
                    f"duplicate id {card.id!r} (first at {other.path}:{other.line})",
                )
            )
        else:
            first[card.id] = card
    return issues


def check_generators(cards: Iterable[Card]) -> list[DeckIssue]:
    """Computed cards name a registered generator and params it accepts (imports the drills)."""
    from mlprep.drills import ParamsError, UnknownGeneratorError, get_generator

    issues = []
    for card in cards:
        if not card.is_computed:
            continue
        try:
            get_generator(card.generator or "").validate_params(card.params)
        except UnknownGeneratorError as exc:
            issues.append(DeckIssue(card.path, card.line, str(exc)))
        except ParamsError as exc:
            issues.append(DeckIssue(card.path, card.line, f"bad params: {exc}"))
    return issues


def load_paths(sources: Iterable[Path]) -> LoadResult:
    """Parse every card file under `sources` and validate across files (no generator check)."""
    files, issues = deck_files(sources)
    result = LoadResult(issues=issues)
    for path in files:
        part = parse_file(path)
        result.cards.extend(part.cards)
        result.issues.extend(part.issues)
    result.issues.extend(duplicate_ids(result.cards))
    return result
