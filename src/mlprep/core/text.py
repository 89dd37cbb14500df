"""Text read from files, the database or the environment, made safe to put on a terminal.

A card file can carry any character YAML can escape (`"\\e]52;c;...\\e\\\\"` in a double-quoted
string is an OSC 52 clipboard write). Terminal control characters (C0 except tab and newline,
DEL, C1) are never printed as they are: `escape_controls` shows each one as a visible escape
(`\\x1b`), which both disarms the sequence and lets the user see that something was there.
`find_controls` lists them, for `mlprep check`."""

from __future__ import annotations

import re

__all__ = ["CONTROL_CHARS", "control_name", "escape_controls", "find_controls"]

# Tab and newline are layout; everything else below 0x20, DEL and the C1 block (0x80-0x9f,
# where 0x9b is a one-byte CSI) can drive a terminal.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_NAMES = {"\x1b": "ESC", "\x07": "BEL", "\r": "CR", "\x08": "BS", "\x00": "NUL", "\x9b": "CSI"}


def control_name(char: str) -> str:
    """`ESC (U+001B)` and the like, for messages."""
    name = _NAMES.get(char)
    code = f"U+{ord(char):04X}"
    return f"{name} ({code})" if name else code


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def escape_controls(text: str) -> str:
    """`text` with every terminal control character shown as `\\xNN` (tab and newline kept)."""
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
