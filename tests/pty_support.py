"""Reading a real terminal in tests: rich puts style codes between characters, so match around
them."""

from __future__ import annotations

import re

import pexpect

ANSI = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def see(child: pexpect.spawn, text: str) -> None:
    """Wait until `text` is on screen, whatever style codes lie between its characters."""
    child.expect(ANSI.join(re.escape(ch) for ch in text))
