"""Lists of cards: `mlprep list` (one line per card at any width: tags are cut, then dropped,
then the deck is cut; ids are never cut or split) and search results (`mlprep search`,
`list --search`, `/` in review), each hit with the text that matched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

    from mlprep.core.search import Hit

__all__ = ["STATUS_STYLES", "build_card_list", "build_search_results"]

STATUS_STYLES = {
    "new": "blue",
    "learning": "red",
    "review": "green",
    "suspended": "yellow",
    "retired": "dim",
}
GAP = 2
MIN_CUT = 6  # a column narrower than this is dropped rather than cut
FLAG = "⚑"


class _Sized:
    """A renderable drawn for the width it is given."""

    def __init__(self, draw: Callable[[int], Any]):
        self.draw = draw

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.draw(options.max_width)


def _cut(value: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    if cell_len(value) <= width:
        return value + " " * (width - cell_len(value))
    return set_cell_size(value, width - 1) + "…"


def _layout(widths: dict[str, int], width: int) -> dict[str, int]:
    """Column widths that fit `width`: tags shrink, then go; then the deck shrinks, then goes."""
    out = dict(widths)

    def total() -> int:
        return sum(out.values()) + GAP * (len(out) - 1)

    for column in ("tags", "deck"):
        if column not in out or total() <= width:
            continue
        room = out[column] - (total() - width)
        if room >= MIN_CUT:
            out[column] = room
        else:
            del out[column]
    return out


def _list_text(rows: Sequence[dict[str, Any]], width: int) -> Any:
    from rich.cells import cell_len
    from rich.text import Text

    def status(row: dict[str, Any]) -> str:
        return row["status"] + (f" {FLAG}" if row.get("flagged") else "")

    cells = [
        {
            "id": row["id"],
            "deck": row["deck"],
            "status": status(row),
            "due": row["due"] or "-",
            "tags": " ".join(row["tags"]),
        }
        for row in rows
    ]
    names = ("id", "deck", "status", "due", "tags")
    widths = {n: max([cell_len(n)] + [cell_len(c[n]) for c in cells]) for n in names}
    if not any(c["tags"] for c in cells):
        del widths["tags"]
    widths = _layout(widths, width)
    shown = [n for n in names if n in widths]
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append((" " * GAP).join(_cut(n, widths[n]) for n in shown).rstrip(), style="bold")
    for row, cell in zip(rows, cells, strict=True):
        text.append("\n")
        for i, name in enumerate(shown):
            if i:
                text.append(" " * GAP)
            value = (
                _cut(cell[name], widths[name]) if name != "id" else cell["id"].ljust(widths["id"])
            )
            if name == shown[-1]:
                value = value.rstrip()
            style = STATUS_STYLES.get(row["status"]) if name == "status" else None
            text.append(value, style=style or ("dim" if name == "tags" else None))
    return text


def build_card_list(rows: Sequence[dict[str, Any]]) -> RenderableType:
    """`mlprep list`: id, deck, status (⚑ = flagged), due date and tags, one line per card."""
    return _Sized(lambda width: _list_text(rows, width))


def _search_text(hits: Sequence[Hit], query: str, width: int) -> Any:
    from rich.text import Text

    text = Text()
    count = len(hits)
    if not count:
        text.append(f"No card matches {query!r}.", style="bold")
        return text
    verb = "card matches" if count == 1 else "cards match"
    text.append(f"{count} {verb} {query!r}, best first:", style="bold")
    for hit in hits:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" {hit.card_id}", style="bold")
        line.append(f"  {hit.deck} · {hit.field}", style="dim")
        shown = Text("   ", no_wrap=True, overflow="ellipsis")
        shown.append(hit.snippet[: hit.start])
        shown.append(hit.snippet[hit.start : hit.end], style="bold reverse")
        shown.append(hit.snippet[hit.end :])
        text.append("\n")
        text.append_text(line)
        text.append("\n")
        text.append_text(shown)
    return text


def build_search_results(hits: Sequence[Hit], query: str) -> RenderableType:
    """Ranked hits, two lines each: the id (deck · where it matched), then the match in
    context, highlighted."""
    from rich.console import Group
    from rich.text import Text

    def draw(width: int) -> Any:
        body = _search_text(hits, query, width)
        lines = body.split("\n")
        out = []
        for line in lines:
            line.no_wrap = True
            line.overflow = "ellipsis"
            out.append(line)
        return Group(*out) if out else Text()

    return _Sized(draw)
