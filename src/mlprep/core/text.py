"""Text read from files, the database or the environment, made safe to put on a terminal.

A card file can carry any character YAML can escape (`"\\e]52;c;...\\e\\\\"` in a double-quoted
string is an OSC 52 clipboard write). Terminal control characters (C0 except tab and newline,
DEL, C1) are never printed as they are: `escape_controls` shows each one as a visible escape
(`\\x1b`), which both disarms the sequence and lets the user see that something was there.
`find_controls` lists them, for `mlprep check`.

Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are treated
the same way: they make text show in an order other than the one it is read and stored in
("Trojan Source", CVE-2021-42574), so a card could look right and say something else. The
marks U+200E/U+200F, which right-to-left text legitimately needs, are left alone."""

from __future__ import annotations

import re

__all__ = ["CONTROL_CHARS", "control_name", "escape_controls", "find_controls"]

# Tab and newline are layout; everything else below 0x20, DEL and the C1 block (0x80-0x9f,
# where 0x9b is a one-byte CSI) can drive a terminal.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_NAMES = {
    "\x1b": "ESC",
    "\x07": "BEL",
    "\r": "CR",
    "\x08": "BS",
    "\x00": "NUL",
    "\x9b": "CSI",
    "\u202a": "LRE, left-to-right embedding",
    "\u202b": "RLE, right-to-left embedding",
    "\u202c": "PDF, pop directional formatting",
    "\u202d": "LRO, left-to-right override",
    "\u202e": "RLO, right-to-left override",
    "\u2066": "LRI, left-to-right isolate",
    "\u2067": "RLI, right-to-left isolate",
    "\u2068": "FSI, first strong isolate",
    "\u2069": "PDI, pop directional isolate",
}


def control_name(char: str) -> str:
    """`ESC (U+001B)` and the like, for messages."""
    name = _NAMES.get(char)
    code = f"U+{ord(char):04X}"
    return f"{name} ({code})" if name else code


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character shown as `\\xNN` or `\\uNNNN` (tab and newline
    kept)."""
    if not CONTROL_CHARS.search(text):
        return text
    return CONTROL_CHARS.sub(_visible, text)


def find_controls(text: str) -> list[tuple[int, str]]:
    """(line offset within `text`, character) of each control character, at most one per line."""
    found = []
    last_line = -1
    for match in CONTROL_CHARS.finditer(text):
        line = text.count("\n", 0, match.start())
        if line != last_line:
            found.append((line, match.group()))
            last_line = line
    return found
