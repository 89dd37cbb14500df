"""A card as `add` and `show` print it: its panels (as `review` shows them) and its header."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType


def card_panels(card: Any, problem: Any = None) -> list[RenderableType]:
    """The panels `review` shows for a card (a computed card: a sample problem)."""
    from mlprep.term.review import card_panel

    get = card.get if isinstance(card, dict) else lambda key, default=None: getattr(card, key)
    q = get("q") or ""
    if get("type") == "computed" or get("generator"):
        if problem is None:
            return [card_panel(q or "(no lead-in text)", "Question", "blue")]
        from mlprep.term.drill import problem_panel

        return [problem_panel(problem, q, title="Question (sample problem)")]
    return [card_panel(q, "Question", "blue"), card_panel(get("a") or "", "Answer", "green")]


def card_header(card_id: str, deck: str, tags: Any, where: str) -> Any:
    """The card's id, deck and tags on one line (cut to the width), then where it lives: a
    path is never broken in the middle."""
    from rich.console import Group
    from rich.text import Text

    from mlprep.term.render import safe

    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f" {safe(card_id)}", style="bold")
    line.append(" · ")
    line.append(f"deck {safe(deck)}", style="bold")
    if tags:
        line.append(" · tags " + safe(", ".join(tags)), style="dim")
    return Group(line, Text(f" {safe(where)}", style="dim", no_wrap=True, overflow="fold"))


def plain_console() -> Any:
    from rich.console import Console

    # Card text, deck names and paths are the user's: never read them as rich markup.
    return Console(highlight=False, markup=False)
