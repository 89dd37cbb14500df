"""Reading a typed answer and grading it against a problem (never with `eval`).

Accepted syntax (surrounding whitespace ignored):

- numbers: `0.75`, `-1.2e-3`, `+2`, `.5`, fractions `3/4`, `-3/4`, `1 / 8`; Unicode minus and
  other dashes (`−`, `–`, `—`, ...) count as `-`;
- vectors: `[1, 2]`, `(1, 2)`, `1 2`, `1, 2`, `[1/2, -3/4]`, numpy style `[1. 2.]`;
- matrices: `[[1, 2], [3, 4]]`, `1 2; 3 4`, rows on separate lines, `[1 2; 3 4]`, `[1, 2]; [3, 4]`.

numpy is imported on the first parse, not with this module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .format import fmt_array, fmt_num
from .problem import Problem

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CheckResult",
    "InvalidAnswer",
    "MAX_ANSWER_CHARS",
    "check_answer",
    "describe_shape",
    "format_answer",
    "parse_answer",
]

MAX_ANSWER_CHARS = 10_000
MAX_LISTED = 4  # wrong entries named in a "wrong" message

Status = Literal["correct", "wrong", "invalid"]

# Dashes people (and word processors) type for a minus sign.
_MINUS = dict.fromkeys(
    map(ord, "\u2212\u2010\u2011\u2012\u2013\u2014\u2015\u02d7\ufe63\uff0d"), "-"
)

_TOKEN = re.compile(
    r"(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<open>[\[(])"
    r"|(?P<close>[\])])"
    r"|(?P<comma>,)"
    r"|(?P<semi>;)"
    r"|(?P<newline>\n)"
    r"|(?P<slash>/)"
    r"|(?P<space>[^\S\n]+)"
    r"|(?P<word>[+-]?[^\W\d_]+)"
)
_CLOSING = {"[": "]", "(": ")"}
_NOT_FINITE_WORDS = {"nan", "inf", "infinity"}


class InvalidAnswer(ValueError):
    """The text is not a number, vector or matrix we can read; the message says why."""


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int
    glued: bool  # directly follows the previous token, with no whitespace between


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    glued = False
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise InvalidAnswer(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        word = match.group()
        if kind == "space":
            glued = False
        else:
            if kind == "word":
                if word.lstrip("+-").lower() in _NOT_FINITE_WORDS:
                    raise InvalidAnswer("NaN and infinity are not accepted: type a finite number")
                raise InvalidAnswer(f"unexpected word {word!r}: type numbers only")
            if kind == "num" and glued and tokens[-1].kind == "num":
                glued_text = tokens[-1].text + word
                raise InvalidAnswer(
                    f"cannot read {glued_text!r}: separate numbers with a space or comma"
                )
            tokens.append(_Token(kind, word, pos, glued))
            glued = True
        pos = match.end()
    return tokens


def _to_float(token: _Token) -> float:
    try:
        value = float(token.text)
    except ValueError:  # pragma: no cover - the token regex only matches float syntax
        raise InvalidAnswer(f"cannot read {token.text!r} as a number") from None
    if not math.isfinite(value):
        raise InvalidAnswer(f"{token.text!r} is too large")
    return value


class _Parser:
    """Recursive descent over the tokens; builds nested lists of floats."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def number(self) -> float:
        first = self.take()
        value = _to_float(first)
        nxt = self.peek()
        if nxt is None or nxt.kind != "slash":
            return value
        self.take()
        denom_token = self.peek()
        if denom_token is None or denom_token.kind != "num":
            raise InvalidAnswer(f"a fraction needs a number after '/' (after {first.text!r})")
        denom = _to_float(self.take())
        if denom == 0:
            raise InvalidAnswer(f"division by zero in {first.text}/{denom_token.text}")
        after = self.peek()
        if after is not None and after.kind == "slash":
            raise InvalidAnswer("only one '/' per number: write a fraction as a/b")
        result = value / denom
        if not math.isfinite(result):
            raise InvalidAnswer(f"{first.text}/{denom_token.text} is too large")
        return result

    def group(self, closing: str | None, depth: int) -> list[Any]:
        """Items up to `closing` (None: end of text), split into rows by ';' (and by newlines
        at the top level). Returns the rows, each a list of items."""
        rows: list[list[Any]] = [[]]
        after_comma = False
        while True:
            token = self.peek()
            if token is None:
                if closing is not None:
                    raise InvalidAnswer(f"missing {closing!r}")
                break
            kind = token.kind
            if kind == "close":
                if closing is None or token.text != closing:
                    raise InvalidAnswer(f"unmatched {token.text!r} at position {token.pos + 1}")
                self.take()
                break
            if kind == "comma":
                if after_comma or not rows[-1]:
                    raise InvalidAnswer(f"empty entry before ',' at position {token.pos + 1}")
                self.take()
                after_comma = True
                continue
            after_comma = False
            if kind == "num":
                rows[-1].append(self.number())
            elif kind == "open":
                if depth >= 2:
                    raise InvalidAnswer("too many nested brackets: type a number, vector or matrix")
                self.take()
                rows[-1].append(self.group(_CLOSING[token.text], depth + 1))
            elif kind == "semi" or (kind == "newline" and closing is None):
                self.take()
                rows.append([])
            elif kind == "newline":
                self.take()
            else:  # a '/' without a number before it
                raise InvalidAnswer(f"unexpected {token.text!r} at position {token.pos + 1}")
        return _join_rows([row for row in rows if row])


def _join_rows(rows: list[list[Any]]) -> list[Any]:
    """One row: its items. Several rows: a list of rows, a row holding one bracketed list
    being that list (`[1, 2]; [3, 4]`)."""
    if len(rows) == 1:
        return rows[0]
    return [row[0] if len(row) == 1 and isinstance(row[0], list) else row for row in rows]


def _nested_to_array(value: Any) -> np.ndarray:
    import numpy as np

    if isinstance(value, float):
        return np.asarray(value, dtype=float)
    if not value:
        raise InvalidAnswer("empty answer")
    if all(isinstance(v, float) for v in value):
        return np.asarray(value, dtype=float)
    if not all(isinstance(v, list) for v in value):
        raise InvalidAnswer("mixed numbers and rows: every row of a matrix needs brackets")
    for row in value:
        if not row:
            raise InvalidAnswer("empty row")
        if not all(isinstance(v, float) for v in row):
            raise InvalidAnswer("too many nested brackets: type a number, vector or matrix")
    lengths = sorted({len(row) for row in value})
    if len(lengths) > 1:
        counts = ", ".join(str(len(row)) for row in value)
        raise InvalidAnswer(f"rows have different lengths ({counts}): a matrix needs equal rows")
    return np.asarray(value, dtype=float)


def parse_answer(text: str) -> np.ndarray:
    """Read a typed number, vector or matrix into a 0-, 1- or 2-d float array.

    Raises InvalidAnswer (a ValueError) with a short reason for anything else: empty text,
    unknown characters, unbalanced brackets, ragged rows, NaN/inf, division by zero.
    """
    if not isinstance(text, str):
        raise InvalidAnswer(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(f"answer too long (over {MAX_ANSWER_CHARS} characters)")
    cleaned = text.translate(_MINUS).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidAnswer("empty answer: type a number, e.g. 0.75 or 3/4")
    items = _Parser(_tokenize(cleaned)).group(None, 0)
    if len(items) == 1:  # a lone number, or the outer brackets of a vector/matrix
        items = items[0]
    return _nested_to_array(items)


# --- checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one typed answer; `expected` is the answer as copyable text."""

    status: Status
    message: str
    expected: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "message": self.message, "expected": self.expected}


def describe_shape(shape: tuple[int, ...]) -> str:
    """`()` -> "one number", `(3,)` -> "a vector of 3 numbers", `(2, 3)` -> "a 2×3 matrix"."""
    if len(shape) == 0:
        return "one number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} number{'' if shape[0] == 1 else 's'}"
    return "a " + "×".join(map(str, shape)) + " matrix"


def format_answer(problem: Problem) -> str:
    """The expected answer as text that `parse_answer` reads back and `check_answer` accepts:
    4 decimals, more where the tolerance is tighter than that rounding."""
    import numpy as np

    answer = np.asarray(problem.answer, dtype=float)
    if problem.exact:
        return fmt_array(np.round(answer) + 0.0, 0)
    tol = float(np.min(problem.atol + problem.rtol * np.abs(answer))) if answer.size else 1.0
    digits = 4
    while digits < 12 and 10.0**-digits > tol * (1 + 1e-9):  # rounding error <= tol / 2
        digits += 1
    return fmt_array(np.round(answer, digits) + 0.0, digits)


def _fit_shape(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | str:
    """`value` reshaped to `shape` when the typed shape means the same thing (a 1-element
    vector for a number, a 1×n or n×1 matrix for a vector), else the reason it does not fit."""
    if value.shape == shape:
        return value
    size = math.prod(shape)
    got = describe_shape(value.shape)
    want = describe_shape(shape)
    if len(shape) <= 1 and value.size == size and max(value.shape, default=1) == size:
        return value.reshape(shape)
    if len(shape) == 2 and value.ndim == 1 and min(shape) == 1 and value.size == size:
        return value.reshape(shape)
    if len(shape) == 1 and value.ndim <= 1:
        return f"expected {want}, got {value.size}"
    if len(shape) == 2 and value.shape == shape[::-1]:
        return f"expected {want}, got {got} (looks transposed?)"
    if len(shape) == 2 and value.size == size:
        return f"expected {want} (rows separated by ';' or new lines), got {got}"
    return f"expected {want}, got {got}"


def _position(index: tuple[int, ...]) -> str:
    """A 1-based position that cannot be read as a value: `#2` in a vector, `(row 1, col 2)`
    in a matrix."""
    if len(index) == 1:
        return f"#{index[0] + 1}"
    return f"(row {index[0] + 1}, col {index[1] + 1})"


def _wrong_message(given: np.ndarray, answer: np.ndarray, off: np.ndarray) -> str:
    """Which entries are outside the tolerance, by position counted from 1, each with the
    value typed there: `2 of 3 entries are off: #1 (you typed 1), #3 (you typed 0.5)`."""
    import numpy as np

    if answer.ndim == 0:
        return f"{fmt_num(given, 6)} is not within the tolerance of the expected value"
    bad = [tuple(int(i) for i in idx) for idx in np.argwhere(off)]
    listed = ", ".join(
        f"{_position(idx)} (you typed {fmt_num(given[idx], 6)})" for idx in bad[:MAX_LISTED]
    )
    more = f" and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
    if len(bad) == 1:
        return f"1 of {answer.size} entries is off: {listed}"
    return f"{len(bad)} of {answer.size} entries are off: {listed}{more}"


def check_answer(problem: Problem, text: str) -> CheckResult:
    """Grade `text` against `problem`: correct iff every |x - ans| <= atol + rtol*|ans|, or,
    for an `exact` problem, every typed value is a whole number equal to the answer.

    Unreadable text, NaN/inf and a shape that does not fit are "invalid" (may be retyped),
    never "wrong". Never raises for any text.
    """
    import numpy as np

    expected = format_answer(problem)
    try:
        value = parse_answer(text)
    except InvalidAnswer as exc:
        return CheckResult("invalid", str(exc), expected)
    fitted = _fit_shape(value, tuple(problem.shape))
    if isinstance(fitted, str):
        return CheckResult("invalid", fitted, expected)
    answer = np.asarray(problem.answer, dtype=float)
    if problem.exact:
        if not np.all(fitted == np.round(fitted)):
            return CheckResult(
                "invalid", "expected whole numbers: this answer is checked exactly", expected
            )
        off = fitted != answer
    else:
        with np.errstate(all="ignore"):
            off = ~(np.abs(fitted - answer) <= problem.atol + problem.rtol * np.abs(answer))
    if not off.any():
        return CheckResult("correct", "correct", expected)
    return CheckResult("wrong", _wrong_message(fitted, answer, off), expected)
