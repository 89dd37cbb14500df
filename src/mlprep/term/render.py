"""Card text to rich renderables: a small Markdown renderer with LaTeX math as Unicode.

Why not rich.markdown: math must be converted before Markdown sees it (`w^*` and `x_i` would
otherwise turn into emphasis), and markdown-it plus pygments cost ~80 ms of start-up that
`mlprep review` cannot afford. Supported: paragraphs, **bold**, *italic*, `code`, lists,
fenced code, headings, `$inline$` and `$$display$$` math, and simple pipe tables.

Line breaks: a blank line starts a paragraph. Inside a paragraph a line break is kept when the
line was broken on purpose (it ends well short of the paragraph's wrapping width, or with two
spaces or a backslash, Markdown's hard break); hand-wrapped prose flows as one paragraph.
Inline math and code never break across lines unless they are wider than the screen.

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

__all__ = ["MAX_SHOWN", "markdown", "math_to_text", "plain_text", "safe", "unsupported_latex"]

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


def math_to_text(math: str, display: bool = False) -> str:
    text = latex_to_unicode(math.replace(r"\$", "$"), display=display)
    return to_ascii(text) if ascii_only() else text


def safe(text: str, limit: int = MAX_SHOWN) -> str:
    """Text from a file or the database, fit for the terminal: control characters escaped,
    and cut at `limit` characters with a note saying how much was left out."""
    if len(text) > limit:
        text = text[:limit] + f"\n\n[... {len(text) - limit:,} more characters not shown]"
    text = escape_controls(text)
    return to_ascii(text) if ascii_only() else text


def unsupported_latex(text: str) -> list[str]:
    """The LaTeX commands in the math of card text (Markdown) that the renderer does not know:
    they are shown as written. `mlprep check` and `mlprep add` warn about them."""
    from mlprep.term.latex import unsupported_commands

    found: list[str] = []
    for kind, part in _split_display_math(text or ""):
        if kind == "math":
            found += unsupported_commands(part)
            continue
        for m in _INLINE.finditer(part):
            if m.group("math") is not None:
                found += unsupported_commands(m.group("m").replace(r"\$", "$"))
    return list(dict.fromkeys(found))


# While a paragraph is wrapped, the spaces inside its math and code stand in as this
# character, so rich's wrapping (which breaks at any whitespace) cannot break them.
_KEEP_SPACE = "\ue00f"
_UNBROKEN = (MATH_STYLE, CODE_STYLE)


class _Wrapped:
    """A paragraph of rich Text wrapped to the width it is given, without breaking inline math
    or code that fits on a line."""

    def __init__(self, text: Text):
        self.text = text

    def _guarded(self, width: int) -> Text:
        plain = list(self.text.plain)
        for span in self.text.spans:
            if span.style in _UNBROKEN and span.end - span.start <= width:
                for i in range(span.start, span.end):
                    if plain[i] == " ":
                        plain[i] = _KEEP_SPACE
        guarded = self.text.copy()
        guarded.plain = "".join(plain)
        return guarded

    def __rich_console__(self, console: Any, options: Any) -> Any:
        lines = self._guarded(options.max_width).wrap(
            console, options.max_width, justify="left", overflow="fold"
        )
        for line in lines:
            fixed = line.copy()
            fixed.plain = line.plain.replace(_KEEP_SPACE, " ")
            yield fixed

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        guarded = self._guarded(options.max_width)
        return Measurement.get(console, options, guarded)


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
            math = Text(math_to_text(part.strip(), display=True), style=MATH_STYLE, no_wrap=True)
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


_DOLLAR = re.compile(r"(?<!\\)\$")
# A paragraph whose lines are all shorter than this was not wrapped by hand: keep its breaks.
SHORT_LINES = 60
# ... and in a wrapped one, a line that ends this far short of the widest line was broken on
# purpose (the next word would have fitted).
DELIBERATE_BREAK = 0.75


def _first_word(line: str) -> str:
    """What an author wrapping by hand would not split: the first word, or the whole inline
    math expression the line starts with."""
    body = line.strip()
    if body.startswith("$") and not body.startswith("$$"):
        close = _DOLLAR.search(body, 1)
        if close is not None:
            return body[: close.end()]
    return body.split()[0] if body else ""


def _kept_breaks(lines: list[str]) -> list[bool]:
    """For each line but the last: is the line break after it meant (kept) or wrapping?"""
    widest = max(len(line.rstrip()) for line in lines)
    keep = []
    for line, following in zip(lines, lines[1:], strict=False):
        if line.endswith(("  ", "\\")) or widest < SHORT_LINES:
            keep.append(True)
            continue
        keep.append(
            len(line.rstrip()) + 1 + len(_first_word(following)) <= DELIBERATE_BREAK * widest
        )
    return keep


def _paragraph(lines: list[str]) -> Text:
    """One paragraph's lines as Text: kept breaks as newlines, wrapped lines joined. A line
    that ends inside inline math is always joined (the math goes on)."""
    keep = _kept_breaks(lines)
    joined, dollars = [], 0
    for n, line in enumerate(lines):
        body = line.strip()
        dollars += len(_DOLLAR.findall(body))
        if n == len(lines) - 1:
            joined.append(body)
            break
        if keep[n] and dollars % 2 == 0:
            joined.append(body[:-1].rstrip() if body.endswith("\\") else body)
            joined.append("\n")
        else:
            joined.append(body + " ")
    return inline("".join(joined))


def _blocks(text: str) -> list[tuple[str, RenderableType]]:
    out: list[tuple[str, RenderableType]] = []
    paragraph: list[str] = []
    lines = text.split("\n")

    def flush() -> None:
        if paragraph:
            out.append(("text", _Wrapped(_paragraph(paragraph))))
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
            item = _Wrapped(item)
            # continuation lines of the item
            while (
                i + 1 < len(lines)
                and lines[i + 1].startswith("  ")
                and lines[i + 1].strip()
                and not _LIST.match(lines[i + 1])
            ):
                i += 1
                item.text.append(" ")
                item.text.append_text(inline(lines[i].strip()))
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
