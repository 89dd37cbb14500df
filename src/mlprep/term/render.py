"""Card text to rich renderables: a small Markdown renderer with LaTeX math as Unicode.

Why not rich.markdown: math must be converted before Markdown sees it (`w^*` and `x_i` would
otherwise turn into emphasis), and markdown-it plus pygments cost ~80 ms of start-up that
`mlprep review` cannot afford. Supported: paragraphs, **bold**, *italic*, `code`, lists,
fenced code, headings, `$inline$` and `$$display$$` math, and simple pipe tables.

Text comes from files and the database, so it is never trusted: terminal control characters
(ESC, CSI, BEL...) are shown as visible escapes (`\\x1b`) before anything is rendered, and text
longer than MAX_SHOWN characters is cut (the loader refuses such cards; this guards the
rest)."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from mlprep.core.text import escape_controls
from mlprep.term.latex import latex_to_unicode
from mlprep.term.output import ascii_only, to_ascii

__all__ = ["MAX_SHOWN", "markdown", "math_to_text", "plain_text", "safe"]

MAX_SHOWN = 50_000  # characters of one text shown; decks/loader.MAX_TEXT is far below

MATH_STYLE = "bold cyan"
CODE_STYLE = "bold magenta"

_INLINE = re.compile(
    r"(?P<math>(?<!\\)\$(?!\$)(?P<m>(?:\\\$|[^$])+?)\$)"
    r"|(?P<code>`(?P<c>[^`]+)`)"
    r"|(?P<bold>\*\*(?P<b>.+?)\*\*)"
    r"|(?P<ital>(?<![\w*])\*(?P<i>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*]))"
    r"|(?P<ital2>(?<!\w)_(?P<i2>[^_\s](?:[^_]*[^_\s])?)_(?!\w))"
)
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def math_to_text(math: str) -> str:
    text = latex_to_unicode(math.replace(r"\$", "$"))
    return to_ascii(text) if ascii_only() else text


def safe(text: str, limit: int = MAX_SHOWN) -> str:
    """Text from a file or the database, fit for the terminal: control characters escaped,
    and cut at `limit` characters with a note saying how much was left out."""
    if len(text) > limit:
        text = text[:limit] + f"\n\n[... {len(text) - limit:,} more characters not shown]"
    text = escape_controls(text)
    return to_ascii(text) if ascii_only() else text


def inline(text: str, base_style: str = "") -> Text:
    """One line of Markdown inline markup as rich Text."""
    text = safe(text)
    out = Text(style=base_style)
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(text[pos : m.start()].replace(r"\$", "$"))
        if m.group("math") is not None:
            out.append(math_to_text(m.group("m")), style=MATH_STYLE)
        elif m.group("code") is not None:
            out.append(m.group("c"), style=CODE_STYLE)
        elif m.group("bold") is not None:
            out.append_text(inline(m.group("b"), "bold"))
        elif m.group("ital") is not None:
            out.append_text(inline(m.group("i"), "italic"))
        else:
            out.append_text(inline(m.group("i2"), "italic"))
        pos = m.end()
    out.append(text[pos:].replace(r"\$", "$"))
    return out


def _table(rows: list[str]) -> RenderableType:
    from rich import box
    from rich.table import Table

    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    header, body = cells[0], [r for r in cells[1:] if not all(set(c) <= set("-: ") for c in r)]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for h in header:
        table.add_column(inline(h))
    for r in body:
        table.add_row(*(inline(c) for c in r))
    return table


def _split_display_math(text: str) -> list[tuple[str, str]]:
    """Split text into ("md", ...) and ("math", ...) parts on $$...$$."""
    parts: list[tuple[str, str]] = []
    pieces = re.split(r"(?<!\\)\$\$", text)
    for index, piece in enumerate(pieces):
        if index % 2 and index < len(pieces) - 1:
            parts.append(("math", piece))
        elif index % 2:  # an unclosed $$: show it as text
            parts.append(("md", "$$" + piece))
        else:
            parts.append(("md", piece))
    return parts


def markdown(text: str) -> RenderableType:
    """Render card Markdown (with math) to one rich renderable."""
    blocks: list[tuple[str, RenderableType]] = []
    for kind, part in _split_display_math(safe(text or "")):
        if kind == "math":
            math = Text(math_to_text(part.strip()), style=MATH_STYLE)
            blocks.append(("math", Padding(math, (0, 0, 0, 4))))
        else:
            blocks.extend(_blocks(part))
    spaced: list[RenderableType] = []
    for index, (kind, block) in enumerate(blocks):
        # A blank line between blocks, except inside a list.
        if index and not (kind == "item" and blocks[index - 1][0] == "item"):
            spaced.append(Text(""))
        spaced.append(block)
    return Group(*spaced)


def _is_table(lines: list[str], i: int) -> bool:
    return (
        lines[i].lstrip().startswith("|")
        and i + 1 < len(lines)
        and set(lines[i + 1].strip()) <= set("|-: ")
        and "-" in lines[i + 1]
    )


def _blocks(text: str) -> list[tuple[str, RenderableType]]:
    out: list[tuple[str, RenderableType]] = []
    paragraph: list[str] = []
    lines = text.split("\n")

    def flush() -> None:
        if paragraph:
            out.append(("text", inline(" ".join(s.strip() for s in paragraph))))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            flush()
            fence, code = _FENCE.match(line).group(1), []  # type: ignore[union-attr]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            out.append(("code", Padding(Text("\n".join(code), style="green"), (0, 0, 0, 2))))
        elif not line.strip():
            flush()
        elif _is_table(lines, i):
            flush()
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.append(("table", _table(rows)))
            continue
        elif m := _LIST.match(line):
            flush()
            indent, marker, body = m.groups()
            bullet = "•" if marker in "-*+" else marker
            item = Text(" " * len(indent) + f"{bullet} ")
            item.append_text(inline(body))
            # continuation lines of the item
            while (
                i + 1 < len(lines)
                and lines[i + 1].startswith("  ")
                and lines[i + 1].strip()
                and not _LIST.match(lines[i + 1])
            ):
                i += 1
                item.append(" ")
                item.append_text(inline(lines[i].strip()))
            out.append(("item", item))
        elif m := _HEADING.match(line):
            flush()
            out.append(("text", inline(m.group(2), "bold underline")))
        else:
            paragraph.append(line)
        i += 1
    flush()
    return out


def plain_text(renderable: Any, width: int = 100) -> str:
    """Render to plain text (for tests, `mlprep show`, and checks on the deck)."""
    import io

    from rich.console import Console

    console = Console(
        file=io.StringIO(), width=width, color_system=None, legacy_windows=False, markup=False
    )
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]
