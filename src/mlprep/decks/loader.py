"""Cards and deck files: the `Card` model, YAML loading with `file:line` errors, discovery.

Loading goes through PyYAML's node graph (`compose`), so every card and key keeps its line, and
through the safe C loader when PyYAML was built with libyaml. Nothing read is ever executed."""

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
    "load_paths",
    "parse_file",
    "parse_text",
]

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
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
_constructor: Any = None


def _scalar(node: Any) -> Any:
    """A node as plain Python data through PyYAML's safe constructor (strings short-cut)."""
    if node.tag == _STR_TAG and isinstance(node.value, str):
        return node.value
    global _constructor
    if _constructor is None:
        import yaml

        _constructor = yaml.constructor.SafeConstructor()
    try:
        return _constructor.construct_object(node, deep=True)
    finally:
        _constructor.constructed_objects.clear()


def _line(node: Any) -> int:
    return node.start_mark.line + 1


def _kind(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    value = _scalar(node)
    return "null" if value is None else type(value).__name__


def _mapping(node: Any, path: str, issues: list[DeckIssue]) -> list[tuple[str, Any, Any]]:
    """(key, key node, value node) for a mapping node; a repeated key is an issue, since YAML
    loaders would silently keep only the last one (a second `cards:` hides the first list)."""
    out = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(_scalar(key_node) if key_node.tag != "tag:yaml.org,2002:merge" else "<<")
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


def _string(node: Any, what: str, path: str, issues: list[DeckIssue]) -> str | None:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node)
        if isinstance(value, str):
            return value
    issues.append(DeckIssue(path, _line(node), f"{what} must be a string, got {_kind(node)}"))
    return None


def _tags(node: Any, path: str, issues: list[DeckIssue]) -> tuple[str, ...] | None:
    import yaml

    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
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
    """Parse and validate one card file's text; every problem becomes a DeckIssue."""
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
        if key == "deck":
            deck = _string(value, "'deck'", path, issues) or deck
        elif key == "tags":
            file_tags = _tags(value, path, issues) or ()
        elif key == "cards":
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
        card = _parse_card(item, path, deck, file_tags, issues)
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
            values[key] = _string(value, f"{key!r}", path, issues)
        elif key == "tags":
            values[key] = _tags(value, path, issues)
        elif key == "params":
            if isinstance(value, yaml.MappingNode):
                values[key] = _scalar(value)
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
    return parse_text(text, str(path), path.stem)


def deck_files(sources: Iterable[Path]) -> tuple[list[Path], list[DeckIssue]]:
    """Card files under the given folders and files; a missing explicit path is an issue."""
    files: list[Path] = []
    issues: list[DeckIssue] = []
    for source in sources:
        if source.is_dir():
            files.extend(
                sorted(
                    p
                    for p in source.rglob("*")
                    if p.suffix in DECK_SUFFIXES
                    and p.is_file()
                    # .github/, .pre-commit-config.yaml...: a deck folder kept in git has them
                    and not any(part.startswith(".") for part in p.relative_to(source).parts)
                )
            )
        elif source.is_file():
            files.append(source)
        else:
            issues.append(DeckIssue(str(source), 0, "no such file or folder"))
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
