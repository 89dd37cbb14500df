"""LaTeX math to readable Unicode for the terminal: `(X^TX + \\lambda I)^{-1}` -> `(XᵀX + λI)⁻¹`.

A small recursive converter over the subset cards use (see README, "Card format"), including
the environments of everyday ML notation: `cases`, the matrices (`matrix`, `pmatrix`,
`bmatrix`, `Bmatrix`, `vmatrix`, `Vmatrix`, `smallmatrix`, `array`) and the alignments
(`aligned`, `align`, `gathered`, `split`, ...). Display math (`$$...$$`) lays them out on
several lines; inline math writes them on one (`(1 2; 3 4)`, `{ 1 if x > 0; 0 otherwise }`).

A command it does not know is kept as written (`\\foo{bar}`), never silently mangled, and
`unsupported_commands` lists it so that `mlprep check` and `mlprep add` can warn."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ENVIRONMENTS", "latex_to_unicode", "unsupported_commands"]

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
}  # fmt: skip

# Symbols that read like letters: a space after them in the source is not a space in the output.
ORDINARY = {
    **GREEK,
    "infty": "∞", "partial": "∂", "nabla": "∇", "top": "ᵀ", "intercal": "ᵀ", "prime": "′",
    "emptyset": "∅", "varnothing": "∅", "hbar": "ℏ", "star": "⋆", "ast": "∗", "dagger": "†",
    "lvert": "|", "lVert": "‖", "vert": "|", "Vert": "‖",
    "langle": "⟨", "lfloor": "⌊", "lceil": "⌈",
    "|": "‖", "{": "{", "}": "}", "%": "%", "$": "$", "#": "#", "&": "&", "_": "_",
}  # fmt: skip

OPERATORS = {
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "odot": "⊙", "otimes": "⊗",
    "oplus": "⊕", "circ": "∘", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "implies": "⇒",
    "iff": "⇔", "mapsto": "↦", "gets": "←", "ll": "≪", "gg": "≫", "forall": "∀",
    "exists": "∃", "neg": "¬", "land": "∧", "lor": "∨", "wedge": "∧", "vee": "∨",
    "setminus": "∖", "mid": "|", "perp": "⊥", "parallel": "∥", "succ": "≻", "prec": "≺",
}  # fmt: skip

# Dots keep the spaces around them: `\\cdots J` is `⋯ J`, not `⋯J`.
DOTS = {"ldots": "…", "cdots": "⋯", "dots": "…", "vdots": "⋮", "ddots": "⋱"}
# Closing delimiters take no space before them: `\\lVert x \\rVert` is `‖x‖`.
CLOSERS = {"rvert": "|", "rVert": "‖", "rangle": "⟩", "rfloor": "⌋", "rceil": "⌉"}

BIG = {"sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}

NAMED = {
    "log", "ln", "exp", "min", "max", "sup", "inf", "lim", "det", "tr", "sin", "cos", "tan",
    "tanh", "arg", "argmin", "argmax", "softmax", "sgn", "sign", "diag", "rank", "Pr", "Var",
    "Cov", "mod", "dim", "ker", "erf", "KL",
}  # fmt: skip

SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "    "}
DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
        "displaystyle", "textstyle", "limits", "nolimits", "middle", "hline", "nonumber",
        "notag"}  # fmt: skip
FONTS = {"mathbf", "boldsymbol", "bm", "mathrm", "text", "textbf", "textit", "mathit",
         "operatorname", "mathsf", "mathtt", "emph", "textrm", "texttt", "operatorname*"}  # fmt: skip
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
           "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307",
           "ddot": "\u0308"}  # fmt: skip
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙",
              "I": "𝕀", "V": "𝕍"}  # fmt: skip
CALLIGRAPHIC = {"L": "ℒ", "N": "𝒩", "O": "𝒪", "D": "𝒟", "H": "ℋ", "X": "𝒳", "Y": "𝒴",
                "F": "ℱ", "B": "ℬ", "E": "ℰ", "M": "ℳ", "P": "𝒫", "S": "𝒮", "T": "𝒯",
                "A": "𝒜", "C": "𝒞", "G": "𝒢", "R": "ℛ", "U": "𝒰", "W": "𝒲"}  # fmt: skip

SUPERSCRIPT = dict(zip(
    "0123456789+-=()nijkmtTx*′'aeopsrlhuvwdbcfgyzABDEGHIJKLMNOPRUVW",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏᵐᵗᵀˣ*′′ᵃᵉᵒᵖˢʳˡʰᵘᵛʷᵈᵇᶜᶠᵍʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵁⱽᵂ",
    strict=True,
))  # fmt: skip
SUPERSCRIPT.update({"ᵀ": "ᵀ", "−": "⁻", "β": "ᵝ", "γ": "ᵞ", "θ": "ᶿ", "φ": "ᵠ", "χ": "ᵡ"})
SUBSCRIPT = dict(zip(
    "0123456789+-=()aehijklmnoprstuvx",
    "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ",
    strict=True,
))  # fmt: skip
SUBSCRIPT.update({",": ",", "−": "₋", "β": "ᵦ", "γ": "ᵧ", "ρ": "ᵨ", "φ": "ᵩ", "χ": "ᵪ"})

# Environments: the delimiters of each matrix (left, right), the piecewise and aligned ones.
MATRICES = {
    "matrix": ("[", "]", "", ""), "smallmatrix": ("[", "]", "", ""), "array": ("[", "]", "", ""),
    "pmatrix": ("(", ")", "⎛⎜⎝", "⎞⎟⎠"), "bmatrix": ("[", "]", "⎡⎢⎣", "⎤⎥⎦"),
    "Bmatrix": ("{", "}", "⎧⎪⎩", "⎫⎪⎭"), "vmatrix": ("|", "|", "│││", "│││"),
    "Vmatrix": ("‖", "‖", "‖‖‖", "‖‖‖"),
}  # fmt: skip
CASES = {"cases", "dcases", "rcases"}
ALIGNED = {"aligned", "align", "align*", "alignat", "alignat*", "gathered", "gather", "gather*",
           "split", "equation", "equation*", "eqnarray", "eqnarray*", "multline", "multline*"}  # fmt: skip
ENVIRONMENTS = frozenset(MATRICES) | CASES | ALIGNED
# Words that already introduce a `cases` condition: no "if" is added before them inline.
_CONDITION_WORDS = ("if", "otherwise", "else", "for", "when", "where", "unless", "and", "or")
# In display math an environment becomes a block of lines; the line it sits in is joined with
# it afterwards (`_compose`), through these placeholders.
_BLOCK = re.compile("\ue010(\\d+)\ue011")


class _Parser:
    def __init__(self, text: str, display: bool = False, unknown: list[str] | None = None) -> None:
        self.s = text
        self.i = 0
        self.last_named = False  # the previous token was a named operator such as ln
        self.display = display
        self.unknown = [] if unknown is None else unknown  # commands kept as written
        self.blocks: list[list[str]] = []  # display environments, as lines

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def command(self) -> str:
        """Read a control word or symbol after a backslash."""
        start = self.i
        if self.i < len(self.s) and self.s[self.i].isalpha():
            while self.i < len(self.s) and self.s[self.i].isalpha():
                self.i += 1
            if self.peek() == "*":
                self.i += 1
        elif self.i < len(self.s):
            self.i += 1
        return self.s[start : self.i]

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_spaces_before_letter(self) -> None:
        """`\\lambda I` is λI, but `\\theta \\mid D` keeps its space: θ | D."""
        j = self.i
        while j < len(self.s) and self.s[j] == " ":
            j += 1
        if j < len(self.s) and self.s[j].isalnum():
            self.i = j
        elif j < len(self.s) and self.s[j] == "\\":
            word = re.match(r"[A-Za-z]*", self.s[j + 1 :]).group()
            if word in GREEK or word in FONTS or word in ACCENTS or word in ("mathcal", "mathbb"):
                self.i = j

    def raw_group(self) -> str | None:
        """The text of a balanced {group} as written (no conversion), or None if none follows."""
        before = self.i
        self.skip_spaces()
        if self.peek() != "{":
            self.i = before
            return None
        depth, start = 0, self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
                continue
            self.i += 1
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return self.s[start + 1 : self.i - 1]
        return self.s[start + 1 :]

    def argument(self) -> str:
        """One argument: a {group}, a command, or one character."""
        self.skip_spaces()
        c = self.peek()
        if c == "{":
            self.i += 1
            return self.until("}")
        if c == "\\":
            self.i += 1
            return self.expand(self.command())
        self.i += 1
        return c

    def until(self, close: str) -> str:
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == close:
                self.i += 1
                break
            out.append(self.token())
        return "".join(out)

    def script(self, table: dict[str, str], mark: str) -> str:
        arg = self.argument()
        if arg in ("*", "′", "'"):
            return "*" if arg == "*" else "′"
        if arg and all(ch in table for ch in arg):
            return "".join(table[ch] for ch in arg)
        if len(arg) == 1 or (arg.isascii() and arg.isalnum()) or _is_group(arg):
            return f"{mark}{arg}"
        return f"{mark}({arg})"

    def token(self) -> str:
        text = self._token()
        if text.strip():
            self.last_named = text.endswith(NAMED_END)
        return text

    def _token(self) -> str:
        c = self.s[self.i]
        self.i += 1
        if c == "\\":
            return self.expand(self.command())
        if c == "{":
            return self.until("}")
        if c == "}":
            return ""
        if c == "^":
            return self.script(SUPERSCRIPT, "^")
        if c == "_":
            return self.script(SUBSCRIPT, "_")
        if c == "~":
            return " "
        if c == "&":
            return ""
        if c == "-":
            return "−"
        if c == "'":
            return "′"
        return c

    def next_is_factor(self) -> bool:
        """Whether what follows multiplies the previous term (a letter, group or symbol), so
        that a fraction before it needs parentheses: (1/n)∑, (1/2)(p − y)²."""
        j = self.i
        while j < len(self.s) and self.s[j] == " ":
            j += 1
        if j >= len(self.s):
            return False
        c = self.s[j]
        if c == "\\":
            name = re.match(r"[A-Za-z]+|.", self.s[j + 1 :])
            word = name.group() if name else ""
            return word not in OPERATORS and word not in SPACES and word not in ("right", "\\")
        return c.isalnum() or c in "(["

    def expand(self, name: str) -> str:
        if name in DOTS:
            return DOTS[name]
        if name in CLOSERS:
            return CLOSE_MARK + CLOSERS[name]
        if name in ORDINARY:
            if name.isalpha():
                self.skip_spaces_before_letter()
            return ORDINARY[name]
        if name in OPERATORS:
            return OPERATORS[name]
        if name in BIG:
            return BIG[name]
        if name in SPACES:
            return SPACES[name]
        if name == "\\":
            return " "
        if name in DROP:
            self.skip_spaces()
            if self.peek() == ".":
                self.i += 1
            return ""
        if name in ("operatorname", "operatorname*"):
            return NAMED_START + self.argument() + NAMED_END
        if name in FONTS:
            return self.argument()
        if name == "mathbb":
            arg = self.argument()
            return "".join(BLACKBOARD.get(ch, ch) for ch in arg)
        if name == "mathcal":
            arg = self.argument()
            return "".join(CALLIGRAPHIC.get(ch, ch) for ch in arg)
        if name in ACCENTS:
            arg = self.argument()
            return "".join(ch + ACCENTS[name] if ch.isalnum() else ch for ch in arg)
        if name in ("frac", "dfrac", "tfrac"):
            after_operator = self.last_named
            num, den = self.argument(), self.argument()
            text = f"{_numerator(num)}/{_denominator(den)}"
            return f"({text})" if after_operator or self.next_is_factor() else text
        if name == "binom":
            n, k = self.argument(), self.argument()
            return f"C({n}, {k})"
        if name == "sqrt":
            self.skip_spaces()
            index = ""
            if self.peek() == "[":
                self.i += 1
                index = self.until("]")
            arg = self.argument()
            root = {"3": "∛", "4": "∜"}.get(index, "√")
            return root + (arg if _is_atom(arg) else f"({arg})")
        if name in NAMED or name.lower() in NAMED:
            return NAMED_START + name + NAMED_END
        if name in ("overset", "stackrel", "underset"):
            above, base = self.argument(), self.argument()
            if name != "underset" and above == "?" and base == "=":
                return "≟"
            table, mark = (SUBSCRIPT, "_") if name == "underset" else (SUPERSCRIPT, "^")
            if above and all(ch in table for ch in above):
                return base + "".join(table[ch] for ch in above)
            return f"{base}{mark}({above})"
        if name == "begin":
            return self.environment()
        return self.unknown_command(name)

    def unknown_command(self, name: str) -> str:
        """Keep a command we do not know as written, with its {arguments}, and note it."""
        self.unknown.append("\\" + name)
        text = "\\" + name
        while (group := self.raw_group()) is not None:
            text += "{" + group + "}"
        return RAW_START + text + RAW_END

    def environment(self) -> str:
        """`\\begin{env} ... \\end{env}`: a matrix, cases or an alignment."""
        start = self.i - len("\\begin")
        env = self.raw_group()
        if env is None or env.strip() not in ENVIRONMENTS:
            return self._raw_environment(start, env)
        env = env.strip()
        if env in ("array", "alignat", "alignat*"):
            self.raw_group()  # the column spec or the number of columns
        body_start = self.i
        end = _matching_end(self.s, env, body_start)
        if end is None:
            return self._raw_environment(start, env)
        body, self.i = self.s[body_start : end[0]], end[1]
        rows = [[_convert(cell, self.unknown) for cell in row] for row in _cells(body)]
        rows = [row for row in rows if any(cell for cell in row)]
        if not rows:
            return ""
        if not self.display:
            return _inline_environment(env, rows)
        self.blocks.append(_block_environment(env, rows))
        return f"\ue010{len(self.blocks) - 1}\ue011"

    def _raw_environment(self, start: int, env: str | None) -> str:
        """An environment we do not lay out: kept as written, to its `\\end{...}`."""
        name = (env or "").strip()
        self.unknown.append(f"\\begin{{{name}}}" if env is not None else "\\begin")
        end = _matching_end(self.s, name, self.i) if env is not None else None
        stop = end[1] if end is not None else len(self.s)
        self.i = stop
        return RAW_START + self.s[start:stop] + RAW_END


_SCRIPTS = set(SUPERSCRIPT.values()) | set(SUBSCRIPT.values()) | {"′", "*"}
_OPERATOR_CHARS = set(" +−-·×/=<>≤≥,|∣") | set(OPERATORS.values())
# Named operators (ln, Var, ...) are marked while parsing and spaced at the end: −y ln p.
NAMED_START, NAMED_END = "\ue000", "\ue001"
# A closing delimiter eats the spaces before it; raw (unknown) LaTeX is kept byte for byte.
CLOSE_MARK = "\ue002"
RAW_START, RAW_END = "\ue003", "\ue004"
_RAW = re.compile("\ue003(.*?)\ue004", re.S)


def _matching_end(text: str, env: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the `\\end{env}` closing an environment whose body starts at `start`."""
    pattern = re.compile(r"\\(begin|end)\s*\{\s*" + re.escape(env) + r"\s*\}")
    depth = 1
    for match in pattern.finditer(text, start):
        depth += 1 if match.group(1) == "begin" else -1
        if depth == 0:
            return match.start(), match.end()
    return None


def _cells(body: str) -> list[list[str]]:
    """Rows (split on `\\\\`) of cells (split on `&`) at the top level of an environment."""
    rows: list[list[str]] = [[]]
    cell, depth, i = [], 0, 0
    nested = re.compile(r"\\(begin|end)\s*\{")
    while i < len(body):
        c = body[i]
        if c == "\\":
            if body.startswith("\\\\", i) and depth == 0:
                rows[-1].append("".join(cell))
                rows.append([])
                cell = []
                i += 2
                spacing = re.match(r"\s*\[[^\]]*\]", body[i:])  # \\[2pt]
                if spacing:
                    i += spacing.end()
                continue
            if m := nested.match(body, i):
                depth += 1 if m.group(1) == "begin" else -1
            cell.append(body[i : i + 2])
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "&" and depth == 0:
            rows[-1].append("".join(cell))
            cell = []
        else:
            cell.append(c)
        i += 1
    rows[-1].append("".join(cell))
    return [row for row in rows if any(cell.strip() for cell in row)]


def _convert(math: str, unknown: list[str]) -> str:
    """One cell of an environment, converted on one line."""
    parser = _Parser(math.strip(), display=False, unknown=unknown)
    out = []
    while parser.i < len(parser.s):
        out.append(parser.token())
    return _finish("".join(out))


def _is_condition(text: str) -> bool:
    word = re.match(r"[A-Za-z]+", text)
    return bool(word) and word.group().lower() in _CONDITION_WORDS


def _inline_environment(env: str, rows: list[list[str]]) -> str:
    if env in CASES:
        parts = []
        for row in rows:
            value, condition = row[0], " ".join(c for c in row[1:] if c)
            if condition and not _is_condition(condition) and not condition.startswith(","):
                condition = "if " + condition
            parts.append(f"{value} {condition}".strip())
        return "{ " + "; ".join(parts) + " }"
    if env in MATRICES:
        left, right = MATRICES[env][:2]
        return left + "; ".join(" ".join(row) for row in rows) + right
    return "; ".join(" ".join(c for c in row if c) for row in rows)


def _width(text: str) -> int:
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def _block_environment(env: str, rows: list[list[str]]) -> list[str]:
    """An environment as lines of text, its columns aligned."""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(_width(row[c]) for row in rows) for c in range(columns)]
    height = len(rows)
    if env in CASES:
        lines = [
            (_pad(row[0], widths[0]) + "   " + " ".join(c for c in row[1:] if c)).rstrip()
            for row in rows
        ]
        return [
            _brace_line(n, height, "⎧⎪⎩", "{", "⎨") + " " + line for n, line in enumerate(lines)
        ]
    if env in MATRICES:
        left, right, tall_left, tall_right = MATRICES[env]
        body = [
            "  ".join(_pad(row[c], widths[c], right=True) for c in range(columns)) for row in rows
        ]
        if not tall_left:
            return body if env != "array" else body
        return [
            _brace_line(n, height, tall_left, left)
            + line
            + _brace_line(n, height, tall_right, right)
            for n, line in enumerate(body)
        ]
    # Alignments: columns alternately right- and left-aligned (rl rl ...), as LaTeX sets them.
    return [
        " ".join(
            _pad(row[c], widths[c], right=c % 2 == 0) for c in range(columns) if widths[c]
        ).rstrip()
        for row in rows
    ]


def _brace_line(n: int, height: int, tall: str, single: str, middle: str | None = None) -> str:
    """The delimiter piece on line `n` of a `height`-line block: top, extension or bottom."""
    if height == 1:
        return single
    if n == 0:
        return tall[0]
    if n == height - 1:
        return tall[2]
    if middle is not None and n == (height - 1) // 2 and height % 2:
        return middle
    return tall[1]


def _compose(text: str, blocks: list[list[str]]) -> str:
    """Join a line of text with the blocks (environments) inside it, each block's middle line
    on the text's line."""
    parts = _BLOCK.split(text)
    pieces: list[list[str]] = []
    baselines: list[int] = []
    for index, part in enumerate(parts):
        lines = blocks[int(part)] if index % 2 else [part]
        pieces.append(lines)
        baselines.append((len(lines) - 1) // 2)
    above = max(baselines)
    below = max(len(lines) - 1 - b for lines, b in zip(pieces, baselines, strict=True))
    out = []
    for row in range(-above, below + 1):
        line = []
        for lines, base in zip(pieces, baselines, strict=True):
            width = max(_width(x) for x in lines)
            k = row + base
            line.append(_pad(lines[k], width) if 0 <= k < len(lines) else " " * width)
        out.append("".join(line).rstrip())
    return "\n".join(out)


def _balanced_close(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start`, or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] in "([":
            depth += 1
        elif text[index] in ")]":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _is_group(text: str) -> bool:
    return bool(text) and text[0] in "([" and _balanced_close(text, 0) == len(text) - 1


def _top_level(text: str) -> str:
    """`text` without what is inside brackets."""
    out, depth = [], 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


# A script without a Unicode form is written `_L`, `^(ab)`: still part of one factor.
_ASCII_SCRIPTS = re.compile(
    r"(?:[_^](?:[A-Za-z0-9]+|\([^()]*\))|["
    + "".join(
        sorted(
            re.escape(ch) for ch in set(SUPERSCRIPT.values()) | set(SUBSCRIPT.values()) | {"′", "*"}
        )
    )
    + "])*"
)


def _is_atom(text: str) -> bool:
    """One factor: a number, a symbol with scripts (σ², xᵢ, h_L), a bracketed group, or ∂/√ of
    one."""
    plain = text.strip()
    if plain[:1] in ("∂", "√"):
        plain = plain[1:]
    if not plain:
        return False
    if plain.replace(".", "", 1).isdigit() or _is_group(plain):
        return True
    return _ASCII_SCRIPTS.fullmatch(plain[1:]) is not None


def _numerator(text: str) -> str:
    plain = text.strip()
    if any(ch in _OPERATOR_CHARS for ch in _top_level(plain)):
        return f"({plain})"
    return plain


def _denominator(text: str) -> str:
    """`1/2σ²` is ambiguous, so a denominator keeps parentheses unless it is one factor or a
    one-letter function of a group (`Q(x)`)."""
    plain = text.strip()
    if _is_atom(plain):
        return plain
    head = plain.find("(")
    if head > 0 and _is_atom(plain[:head]) and _is_group(plain[head:]):
        return plain
    return f"({plain})"


def _space_named(text: str) -> str:
    """Put spaces around named operators where they touch a letter or number."""
    out = []
    for index, ch in enumerate(text):
        if ch == NAMED_START:
            before = out[-1] if out else ""
            if before and (before.isalnum() or before in ")]′*" or before in _SCRIPTS):
                out.append(" ")
        elif ch == NAMED_END:
            after = text[index + 1 : index + 2]
            # `\\max_k` is maxₖ, `\\log_2 p` is log₂ p: a script stays on its operator.
            if after and after not in _SCRIPTS and (after.isalnum() or after in "√∂∑∏"):
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _finish(text: str) -> str:
    """Spacing rules applied to a converted expression; raw LaTeX comes through untouched."""
    raws: list[str] = []

    def keep(match: re.Match[str]) -> str:
        raws.append(match.group(1))
        return f"\ue005{len(raws) - 1}\ue006"

    text = _RAW.sub(keep, text)
    text = _space_named(text)
    text = re.sub(" *" + CLOSE_MARK, "", text)
    while "  " in text:
        text = text.replace("  ", " ")
    text = re.sub("\ue005(\\d+)\ue006", lambda m: raws[int(m.group(1))], text)
    # Precomposed letters (ŷ, x̄ has none) render more reliably than combining accents.
    return unicodedata.normalize("NFC", text)


def latex_to_unicode(math: str, display: bool = False) -> str:
    """Convert one math expression (without the surrounding $) to Unicode text. `display`
    ($$...$$) lays environments out on several lines; inline math keeps them on one."""
    parser = _Parser(math.strip(), display=display)
    out = []
    while parser.i < len(parser.s):
        out.append(parser.token())
    text = _finish("".join(out))
    if parser.blocks:
        text = _compose(text, parser.blocks)
    return text


def unsupported_commands(math: str) -> list[str]:
    """The commands and environments of `math` that the converter does not know (shown as
    written), each once, in order of appearance."""
    parser = _Parser(math.strip(), display=True)
    while parser.i < len(parser.s):
        parser.token()
    return list(dict.fromkeys(parser.unknown))
