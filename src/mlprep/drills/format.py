"""Numbers and arrays as short, copyable text (ASCII minus, so answers can be pasted back)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["fmt_array", "fmt_num", "tidy_signs"]


def fmt_num(x: Any, digits: int = 4) -> str:
    """`3.0` -> `3`, `0.333333` -> `0.3333`, `-0.0` -> `0`; `digits` decimals at most."""
    value = float(x)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value != 0 and abs(value) < 0.5 * 10**-digits:
        return f"{value:.3g}"  # eps = 1e-05 must not print as 0
    rounded = round(value, digits)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    text = f"{rounded:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_array(value: Any, digits: int = 4) -> str:
    """A scalar as a number, a vector as `[1, 2.5]`, a matrix as aligned rows `[[1, 2], [3, 4]]`."""
    if not hasattr(value, "ndim"):
        if isinstance(value, (list, tuple)):
            import numpy as np

            value = np.asarray(value, dtype=float)
        else:
            return fmt_num(value, digits)
    if value.ndim == 0:
        return fmt_num(value, digits)
    if value.ndim == 1:
        return "[" + ", ".join(fmt_num(v, digits) for v in value) + "]"
    cells = [[fmt_num(v, digits) for v in row] for row in value]
    width = max((len(c) for row in cells for c in row), default=1)
    rows = ["[" + ", ".join(c.rjust(width) for c in row) + "]" for row in cells]
    return "[" + ",\n ".join(rows) + "]"


# Math spans ($...$, $$...$$) are the LaTeX renderer's to read (`10^{-3}` becomes `10⁻³`
# there); the sign rules below touch only the prose around them.
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_NUMBER = r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
# A negative number (a minus not following a word, a number or a closing bracket).
_SIGN = r"(?<![\w.)\]}])[-−]"
# ... raised to a power: `-2²`, `-2^3` read as −(2²); they must read (−2)².
_NEGATIVE_BASE = re.compile(_SIGN + r"(\d+(?:\.\d+)?)(?=[⁰¹²³⁴⁵⁶⁷⁸⁹]|\^)")
# ... right after a binary operator: `2.7 − -2`, `3 · -2`, `a + -1.5`, `6 / -2`.
_NEGATIVE_OPERAND = re.compile(r"(^|\s)([−+×·/]|-) [-−]" + _NUMBER)
# ... as the left factor of a product: `-2 · 3`.
_NEGATIVE_FACTOR = re.compile(_SIGN + _NUMBER + r"(?= [·×])")
# Any other negative number: the sign becomes the Unicode minus, as in the operators.
_NEGATIVE = re.compile(_SIGN + r"(?=\.?\d)")


def tidy_signs(text: str) -> str:
    """Worked-solution prose with one minus sign, the Unicode one, for every negative number,
    in parentheses where it is multiplied or raised to a power: `2.7 − -2` reads
    `2.7 − (−2)`, `3 · -2 = -6` reads `3 · (−2) = −6`, `-2²` reads `(−2)²`. Math spans are left
    to the LaTeX renderer. Copyable answers (`fmt_num`, the `Answer:` line) keep ASCII; the
    answer parser reads either sign."""
    out, last = [], 0
    for math in _MATH.finditer(text):
        out += [_tidy(text[last : math.start()]), math.group()]
        last = math.end()
    out.append(_tidy(text[last:]))
    return "".join(out)


def _tidy(text: str) -> str:
    text = _NEGATIVE_BASE.sub(r"(−\1)", text)
    text = _NEGATIVE_OPERAND.sub(lambda m: f"{m.group(1)}{m.group(2)} (−{m.group(3)})", text)
    text = _NEGATIVE_FACTOR.sub(r"(−\1)", text)
    return _NEGATIVE.sub("−", text)
