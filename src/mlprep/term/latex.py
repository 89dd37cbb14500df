"""LaTeX math to readable Unicode for the terminal: `(X^TX + \\lambda I)^{-1}` -> `(XᵀX + λI)⁻¹`.

A small recursive converter over the subset cards use (see README, "Card format"). Anything it
does not know loses its backslash rather than leaking raw commands onto the screen."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["latex_to_unicode"]

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
    "infty": "∞", "partial": "∂", "nabla": "∇", "top": "ᵀ", "prime": "′", "emptyset": "∅",
    "ldots": "…", "cdots": "⋯", "dots": "…", "hbar": "ℏ", "star": "⋆", "ast": "∗",
    "lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖", "vert": "|", "Vert": "‖",
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
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

BIG = {"sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}

NAMED = {
    "log", "ln", "exp", "min", "max", "sup", "inf", "lim", "det", "tr", "sin", "cos", "tan",
    "tanh", "arg", "argmin", "argmax", "softmax", "sgn", "sign", "diag", "rank", "Pr", "Var",
    "Cov", "mod", "dim", "ker", "erf", "KL",
}  # fmt: skip

SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "    "}
DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
        "displaystyle", "textstyle", "limits", "nolimits", "middle"}  # fmt: skip
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


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.last_named = False  # the previous token was a named operator such as ln

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
        return name  # unknown: keep the word, drop the backslash


_SCRIPTS = set(SUPERSCRIPT.values()) | set(SUBSCRIPT.values()) | {"′", "*"}
_OPERATOR_CHARS = set(" +−-·×/=<>≤≥,|∣") | set(OPERATORS.values())
# Named operators (ln, Var, ...) are marked while parsing and spaced at the end: −y ln p.
NAMED_START, NAMED_END = "\ue000", "\ue001"


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


def _is_atom(text: str) -> bool:
    """One factor: a number, a symbol with scripts (σ², xᵢ), a bracketed group, or ∂/√ of one."""
    plain = text.strip()
    if plain[:1] in ("∂", "√"):
        plain = plain[1:]
    if not plain:
        return False
    if plain.replace(".", "", 1).isdigit() or _is_group(plain):
        return True
    return all(ch in _SCRIPTS for ch in plain[1:])


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
            if after and (after.isalnum() or after in "√∂∑∏"):
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def latex_to_unicode(math: str) -> str:
    """Convert one math expression (without the surrounding $) to Unicode text."""
    parser = _Parser(math.strip())
    out = []
    while parser.i < len(parser.s):
        out.append(parser.token())
    text = _space_named("".join(out))
    while "  " in text:
        text = text.replace("  ", " ")
    # Precomposed letters (ŷ, x̄ has none) render more reliably than combining accents.
    return unicodedata.normalize("NFC", text)
