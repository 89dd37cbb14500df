"""The output streams: readable on a terminal that cannot show Unicode, quiet once it is gone.

With an ASCII-only output encoding (`PYTHONIOENCODING=ascii`, a POSIX locale without UTF-8
coercion) every `·`, `λ` or `ᵀ` would raise UnicodeEncodeError. `fall_back_to_ascii` makes the
streams write the closest ASCII instead (`·` -> `.`, `λ` -> `lambda`, `x²` -> `x2`, `é` -> `e`,
else `?`); rich already draws its boxes in ASCII for such an encoding."""

from __future__ import annotations

import codecs
import os
import sys
from contextlib import suppress
from typing import Any

__all__ = ["ERRORS", "ascii_for", "ascii_only", "fall_back_to_ascii", "silence_if_gone", "to_ascii"]

ERRORS = "mlprep-ascii"
_state = {"ascii_only": False}

_ASCII = {
    "·": ".", "•": "*", "…": "...", "—": "--", "–": "-", "−": "-", "→": "->", "←": "<-",
    "⇒": "=>", "⇔": "<=>", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "×": "x", "÷": "/",
    "±": "+-", "∞": "inf", "√": "sqrt", "‘": "'", "’": "'", "“": '"', "”": '"', "↻": "(again)",
    "∑": "sum", "∏": "prod", "∫": "int", "∂": "d", "∇": "nabla", "∈": " in ", "⊙": "(.)",
    "⊗": "(x)", "ℝ": "R", "𝔼": "E", "ℓ": "l", "⟨": "<", "⟩": ">", "‖": "||", "█": "#",
    "▇": "#", "▆": "#", "▅": "=", "▄": "=", "▃": "-", "▂": "_", "▁": "_", "░": ".", "✓": "ok",
    "✗": "x", "␛": "ESC", "λ": "lambda", "Λ": "Lambda", "⏎": "Enter", "▒": "+",
}  # fmt: skip


def ascii_for(char: str) -> str:
    """The closest ASCII text for one character (`?` if there is none)."""
    if char in _ASCII:
        return _ASCII[char]
    import unicodedata

    name = unicodedata.name(char, "")
    if name.startswith("GREEK"):
        word = name.split()[-1].lower()
        return word.capitalize() if "CAPITAL" in name else word
    if unicodedata.combining(char):
        return ""  # an accent: m̂ reads as m
    folded = unicodedata.normalize("NFKD", char)
    if folded != char:  # ² -> 2, é -> e, ₋ -> − -> -
        return "".join(c if c.isascii() else ascii_for(c) for c in folded)
    return "?"


def to_ascii(text: str) -> str:
    """`text` with every non-ASCII character replaced by its closest ASCII text."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else ascii_for(ch) for ch in text)


def ascii_only() -> bool:
    """Whether stdout cannot show Unicode (set by `fall_back_to_ascii`): card text is then
    converted before it is laid out, so tables and panels stay aligned."""
    return _state["ascii_only"]


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ascii_for(ch) for ch in text), error.end


codecs.register_error(ERRORS, _replace)


def _can_encode(stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "·λᵀ…".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fall_back_to_ascii() -> None:
    """Make stdout and stderr write ASCII look-alikes where their encoding cannot."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not _can_encode(stream) and hasattr(stream, "reconfigure"):
            with suppress(Exception):
                stream.reconfigure(errors=ERRORS)
                if stream is sys.stdout:
                    _state["ascii_only"] = True


def silence_if_gone() -> None:
    """Flush stdout; if the terminal is gone (EIO, EPIPE), send what is left to /dev/null so
    that Python's own flush at exit does not print an error into the void."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        with suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
