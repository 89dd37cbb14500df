"""Card text between mlprep's Markdown and Anki's HTML, math included.

Export: Markdown becomes HTML through markdown-it-py with raw HTML switched off, so nothing a
card file says reaches the HTML unescaped except what Markdown itself produces. Math is taken
out first (Markdown would read `x_i` or `w^*` as emphasis) and put back as MathJax, `\\(...\\)`
and `\\[...\\]`, which Anki and AnkiDroid render.

Import: HTML becomes the Markdown subset mlprep renders (paragraphs, **bold**, *italic*,
`code`, fenced code, lists, simple tables); `<sup>` and `<sub>` become `^` and `_` (`x^2`,
`10^{23}`, `x_i`: never `1023`); other tags are dropped and their text kept, and script and
style elements go with their content. MathJax `\\(...\\)` / `\\[...\\]` and Anki's
`[$]...[/$]`, `[$$]...[/$$]` and `[latex]...[/latex]` become `$...$` / `$$...$$`. A literal `$`
in the text is escaped as `\\$` so it is not read as math. Cloze deletions (`{{c1::text::hint}}`)
become a question with `[...]` (or `[hint]`) and an answer with the text in bold."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

__all__ = [
    "cloze_numbers",
    "clean_text",
    "cloze_sides",
    "deck_slug",
    "has_text",
    "html_to_markdown",
    "markdown_to_html",
    "tag_slug",
]

# Placeholders for math while the rest of the text is converted: private-use characters,
# which neither Markdown nor HTML gives any meaning (any in the input are dropped first).
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")

# -- Markdown -> HTML --------------------------------------------------------------------------

# Left to right, the first that matches wins: code is never searched for math; an escaped
# character is passed over (so `\$5` is a dollar, not the start of math). The math rules are
# those of the terminal renderer (`mlprep.term.render`).
_MD_SPANS = re.compile(
    r"(?P<fence>^[ \t]*(?P<f>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*(?P=f)[ \t]*$|\Z))"
    r"|(?P<code>(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`))"
    r"|(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$"
    r"|(?<!\\)\$(?!\$)(?P<inline>(?:\\\$|[^$])+?)\$"
    r"|(?P<escape>\\.)",
    re.M | re.S,
)

_markdown: Any = None


def _renderer() -> Any:
    global _markdown
    if _markdown is None:
        from markdown_it import MarkdownIt

        # commonmark with raw HTML off: a card's `<script>` is shown as text, never run.
        _markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    return _markdown


def markdown_to_html(text: str) -> str:
    """Card Markdown as HTML for Anki, math as MathJax."""
    text = (text or "").replace(_OPEN, "").replace(_CLOSE, "")
    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        if match.group("display") is not None:
            maths.append("\\[" + html.escape(match.group("display").strip(), quote=False) + "\\]")
        elif match.group("inline") is not None:
            maths.append("\\(" + html.escape(match.group("inline"), quote=False) + "\\)")
        else:
            return match.group(0)
        return f"{_OPEN}{len(maths) - 1}{_CLOSE}"

    out = _renderer().render(_MD_SPANS.sub(hold, text)).strip()
    return _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], out)


# -- HTML -> Markdown --------------------------------------------------------------------------

_HTML_MATH = re.compile(
    r"\\\((?P<inline>.+?)\\\)"
    r"|\\\[(?P<display>.+?)\\\]"
    r"|\[\$\](?P<anki_inline>.+?)\[/\$\]"
    r"|\[\$\$\](?P<anki_display>.+?)\[/\$\$\]"
    r"|\[latex\](?P<latex>.+?)\[/latex\]",
    re.S | re.I,
)
_TAG = re.compile(r"<[^>]*>")

BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "blockquote", "table", "tr", "ul"}
    | {"ol", "dl", "dd", "dt", "figure", "figcaption", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
)
DROP_TAGS = frozenset({"script", "style", "head", "title", "template"})


def _math_text(raw: str) -> str:
    """The source of a math span written in HTML: tags out, entities decoded."""
    text = _TAG.sub(" ", raw)
    return " ".join(html.unescape(text).replace("\xa0", " ").split())


# HTML as tokens: comments, CDATA and declarations (skipped), tags, a lone '<', text. A
# regular expression rather than html.parser: 5x faster on Anki fields, which matters at 100k.
_TOKENS = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[!?][^>]*>?"
    r"|<(?P<end>/?)(?P<tag>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|(?P<text>[^<]+|<)",
    re.S,
)
_ATTRS = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


class _ToMarkdown:
    """HTML to the Markdown subset mlprep renders; see the module docstring."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.drop = 0  # inside script/style
        self.pre = 0
        self.code = 0
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]
        self.links: list[str | None] = []
        self.row: list[str] | None = None
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.scripts: list[tuple[str, list[str]]] = []  # open <sup>/<sub>: tag, its text

    # where text goes: a <sup>/<sub> or a table cell collects its own text
    def _emit(self, text: str) -> None:
        if self.scripts:
            self.scripts[-1][1].append(text)
        elif self.cell is not None:
            self.cell.append(text)
        else:
            self.out.append(text)

    def _break(self, blank: bool = True) -> None:
        if self.cell is not None:
            self.cell.append(" ")
        elif self.lists:
            self.out.append("\n" + "  " * len(self.lists))
        else:
            self.out.append("\n\n" if blank else "\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_TAGS:
            self.drop += 1
            return
        if self.drop:
            return
        values = dict(attrs)
        if tag == "br":
            self._break()
        elif tag in ("b", "strong"):
            self._emit("**")
        elif tag in ("i", "em"):
            self._emit("*")
        elif tag in ("code", "kbd", "tt", "samp") and not self.pre:
            self.code += 1
            self._emit("`")
        elif tag in ("sup", "sub") and not self.pre:
            self.scripts.append((tag, []))
        elif tag == "pre":
            self.pre += 1
            self.out.append("\n\n```\n")
        elif tag in ("ul", "ol"):
            if not self.lists:
                self.out.append("\n\n")
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            depth = max(len(self.lists) - 1, 0)
            marker = "-"
            if self.lists and self.lists[-1][0]:
                marker = f"{self.lists[-1][1]}."
                self.lists[-1][1] += 1
            self.out.append("\n" + "  " * depth + marker + " ")
        elif tag == "a":
            self.links.append(values.get("href"))
        elif tag == "img":
            name = values.get("alt") or values.get("src") or "image"
            self._emit(f"[image: {name}]")
        elif tag == "table":
            self.rows = []
            self.out.append("\n\n")
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in BLOCK_TAGS:
            self._break()
            if tag[0] == "h" and tag[1:].isdigit():
                self.out.append("**")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_TAGS:
            self.drop = max(self.drop - 1, 0)
            return
        if self.drop:
            return
        if tag in ("b", "strong"):
            self._emit("**")
        elif tag in ("i", "em"):
            self._emit("*")
        elif tag in ("code", "kbd", "tt", "samp") and self.code:
            self.code -= 1
            self._emit("`")
        elif tag in ("sup", "sub") and self.scripts and self.scripts[-1][0] == tag:
            self._close_script()
        elif tag == "pre" and self.pre:
            self.pre -= 1
            self.out.append("\n```\n\n")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.out.append("\n\n" if not self.lists else "")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith(("javascript:", "data:")):
                self._emit(f" ({href})")
        elif tag in ("td", "th") and self.cell is not None:
            if self.row is not None:
                self.row.append(" ".join("".join(self.cell).split()).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "table":
            self._flush_table()
        elif tag in BLOCK_TAGS:
            if tag[0] == "h" and tag[1:].isdigit():
                self.out.append("**")
            self._break()

    def _close_script(self) -> None:
        """`x<sup>2</sup>` is `x^2`, `10<sup>23</sup>` is `10^{23}`, `x<sub>i</sub>` is
        `x_i`: the exponent or index stays apart from the text before it (not `1023`)."""
        tag, parts = self.scripts.pop()
        inner = " ".join("".join(parts).split())
        if inner:
            mark = "^" if tag == "sup" else "_"
            self._emit(mark + (inner if len(inner) == 1 else "{" + inner + "}"))

    def _flush_table(self) -> None:
        rows = [r for r in self.rows if r]
        self.rows = []
        if not rows:
            return
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        self.out.append("\n\n" + "\n".join(lines) + "\n\n")

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        data = data.replace("\xa0", " ")
        if self.pre:
            self.out.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        if not self.code:
            text = text.replace("$", "\\$")
        self._emit(text)

    def feed(self, markup: str) -> None:
        pos, end = 0, len(markup)
        while pos < end:
            match = _TOKENS.match(markup, pos)
            assert match is not None  # the last alternative matches any character
            pos = match.end()
            text = match.group("text")
            if text is not None:
                self.handle_data(html.unescape(text) if "&" in text else text)
                continue
            tag = match.group("tag")
            if tag is None:
                continue  # a comment, CDATA or a declaration
            tag = tag.lower()
            if match.group("end"):
                self.handle_endtag(tag)
            elif tag in DROP_TAGS:
                # raw text up to the closing tag, which may hold '<' (a script's `a<b`)
                close = re.compile(f"</{tag}\\s*>", re.I).search(markup, pos)
                pos = close.end() if close else end
            else:
                attrs = [
                    (name.lower(), html.unescape(next((v for v in values if v), "")))
                    for name, *values in _ATTRS.findall(match.group("attrs") or "")
                ]
                self.handle_starttag(tag, attrs)

    def markdown(self) -> str:
        while self.scripts:  # a <sup> or <sub> never closed
            self._close_script()
        if self.rows:
            self._flush_table()
        text = "".join(self.out)
        lines, fenced = [], False
        for line in text.split("\n"):
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced:
                line = re.sub(r"(?<=\S) {2,}", " ", line)  # spaces from dropped tags
            lines.append(line.rstrip())
        # no run of blank lines, no line of spaces only, no space at the start of a paragraph
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        text = re.sub(r"(^|\n\n) +(?=[^ \-\d])", r"\1", text)
        return text.strip()


def _convert(field: str) -> tuple[str, list[str]]:
    """A field as Markdown with math held out as placeholders, and the math."""
    field = (field or "").replace(_OPEN, "").replace(_CLOSE, "")
    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        kind = match.lastgroup or "inline"
        body = _math_text(match.group(kind))
        if kind == "latex" and "$" in body:
            maths.append(body)  # text with its own $...$: kept as written
        elif kind in ("display", "anki_display"):
            maths.append(f"$${body}$$")
        else:
            maths.append(f"${body}$")
        return f"{_OPEN}{len(maths) - 1}{_CLOSE}"

    parser = _ToMarkdown()
    parser.feed(_HTML_MATH.sub(hold, field))
    return parser.markdown(), maths


# Characters no card text needs, which YAML cannot hold as they are.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Text without control characters (tab and newline stay) and with `\n` line ends."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _restore(text: str, maths: list[str]) -> str:
    return clean_text(_PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], text)).strip()


def html_to_markdown(field: str) -> str:
    """An Anki field (HTML) as card Markdown; an image becomes `[image: NAME]` (media are not
    imported)."""
    return _restore(*_convert(field))


_IMAGE = re.compile(r"\[image: [^\]]*\]")


def has_text(markdown: str) -> bool:
    """Whether converted text says anything besides naming images."""
    return bool(_IMAGE.sub("", markdown).strip())


_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


def cloze_numbers(field: str) -> list[int]:
    """The cloze numbers used in a field, in order (`{{c2::..}}` -> 2)."""
    return sorted({int(n) for n in re.findall(r"\{\{c(\d+)::", field or "") if int(n) > 0})


def cloze_sides(field: str, number: int, *, html: bool = True) -> tuple[str, str]:
    """Question and answer Markdown of cloze `number`: on the question side it is `[...]` (or
    `[hint]`), on the answer side its text in bold; the other clozes show their text. With
    `html=False` the field is Markdown already."""
    text, maths = _convert(field) if html else (field, [])

    def side(answer: bool) -> str:
        def one(match: re.Match[str]) -> str:
            body, hint = match.group(2), match.group(3)
            if int(match.group(1)) != number:
                return body
            if answer:
                return f"**{body.strip()}**"
            return f"[{hint.strip()}]" if hint and hint.strip() else "[...]"

        return _restore(_CLOZE.sub(one, text), maths)

    return side(False), side(True)


# -- names ---------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def tag_slug(tag: str) -> str | None:
    """An Anki tag as an mlprep tag (`[a-z0-9][a-z0-9-]*`): `ML::Linear_Models` ->
    `ml-linear-models`; None if nothing is left."""
    return _slug(tag) or None


def deck_slug(name: str) -> str:
    """An Anki deck name as an mlprep deck and file name: `Machine Learning::Stats` ->
    `machine-learning-stats`."""
    return _slug(name) or "anki"
