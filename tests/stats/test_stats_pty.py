"""`mlprep stats` in a real pseudo-terminal, 80 columns wide."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from .stats_history import NOW

MLPREP = shutil.which("mlprep", path=str(Path(sys.executable).parent)) or "mlprep"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _screen(home: Path) -> str:
    full_env = {**os.environ, "MLPREP_HOME": str(home), "MLPREP_NOW": NOW, "TERM": "xterm-256color"}
    full_env.pop("COLUMNS", None)
    full_env.pop("LINES", None)
    child = pexpect.spawn(
        MLPREP, ["stats"], env=full_env, encoding="utf-8", timeout=15, dimensions=(50, 80)
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return child.before


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
def test_stats_in_a_real_terminal_at_80_columns(home: Path, no_color: bool, monkeypatch):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    raw = _screen(home)
    plain = ANSI.sub("", raw).replace("\r\n", "\n")
    # stderr shares the terminal: warnings about the bundled deck's files are not ours.
    lines = [line for line in plain.splitlines() if not line.startswith("warning: ")]
    assert max(len(line) for line in lines) <= 80
    # The heatmap: a month header and seven weekday rows of 26 weeks (two columns each).
    rows = [line for line in lines if re.match(r"│ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", line)]
    assert [r[2:5] for r in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert all(re.fullmatch(r"│ \w{3} [·░▒▓█ ]+│", r.rstrip()) for r in rows)
    assert len(rows[0][6:].rstrip(" │")) >= 2 * 26 - 1
    assert any(re.search(r"Jun\s+Jul\s+Aug\s+Sep\s+Oct\s+Nov", line) for line in lines)
    # The forecast: a bar chart with an axis and the totals under it.
    assert "Due in the next 30 days" in plain
    assert any("┤" in line and "█" in line for line in lines)
    assert any(re.search(r"0└─{30,}", line) for line in lines)
    assert re.search(r"today \d+ \(\d+ overdue\) · tomorrow \d+", plain)
    assert "Topics, weakest first" in plain and "True retention" in plain and "leechy-card" in plain
    has_colour = re.search(r"\x1b\[[0-9;]*38;5;\d+m", raw) is not None
    assert has_colour is not no_color
