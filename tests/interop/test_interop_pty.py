"""The commands as a user runs them: the installed `mlprep` in a real pseudo-terminal (the
bundled deck loaded, no test patching), exit statuses included."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect

from pty_support import see

MLPREP = shutil.which("mlprep", path=str(Path(sys.executable).parent)) or "mlprep"


def run(home: Path, *args: str) -> tuple[str, int]:
    env = {**os.environ, "MLPREP_HOME": str(home), "TERM": "xterm"}
    child = pexpect.spawn(MLPREP, list(args), env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    return child.before, child.exitstatus


def test_export_then_import_back_in_a_terminal(home, user_cards, tmp_path):
    package = tmp_path / "all.apkg"
    out, status = run(home, "export", "anki", str(package))
    assert status == 0, out
    words = " ".join(out.split())  # wrapped at the terminal's 80 columns, between words
    assert f"Wrote {package}:" in words and "decks (--json lists them)." in words
    out, status = run(home, "import", "anki", str(package), "--dry-run")
    assert status == 0, out
    assert "New cards: none." in out and "Already mlprep cards:" in out
    assert "Dry run: nothing was written." in out


def test_a_bad_package_exits_1_with_the_error_on_the_terminal(home, tmp_path):
    bad = tmp_path / "bad.apkg"
    bad.write_bytes(b"nope")
    env = {**os.environ, "MLPREP_HOME": str(home), "TERM": "xterm"}
    child = pexpect.spawn(MLPREP, ["import", "anki", str(bad)], env=env, encoding="utf-8")
    see(child, f"Error: {bad} is not an Anki package")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
