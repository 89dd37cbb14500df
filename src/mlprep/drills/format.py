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


# A negative number right after a binary operator: `2.7 − -2`, `3 · -2`, `a + -1.5`.
_NEGATIVE_OPERAND = re.compile(r"(^|\s)([−+×·/]|-) [-−](\d+(?:\.\d+)?(?:e[+-]?\d+)?)")


def tidy_signs(text: str) -> str:
    """Worked-solution prose with a negative operand in parentheses and a Unicode minus:
    `2.7 − -2` reads `2.7 − (−2)`. Copyable answers keep ASCII (`fmt_num`)."""
    return _NEGATIVE_OPERAND.sub(lambda m: f"{m.group(1)}{m.group(2)} (−{m.group(3)})", text)
