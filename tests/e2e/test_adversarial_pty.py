"""`mlprep review` in a real terminal when the database cannot be written, the terminal cannot
show Unicode, or the terminal goes away: no answer the screen took is lost, and no traceback.

Adversarial report 2026-12-01: F1 (locked), F6 (disk full), F11 (ASCII), F17 (closed terminal
while SIGHUP is ignored)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
import uuid

import pexpect
import pytest

from pty_support import see

DECK = """deck: e2e
cards:
  - id: e2e-one
    q: First question?
    a: First answer, with $\\lambda \\cdot x^2$.
  - id: e2e-two
    q: Second question?
    a: Second answer.
  - id: e2e-three
    q: Third question?
    a: Third answer.
"""
NOW = {"MLPREP_NOW": "2026-12-01T09:00"}


def log(db) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT card_id, grade FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


def integrity(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def deck(tmp_path):
    path = tmp_path / "e2e.yaml"
    path.write_text(DECK)
    return path


def test_f1_an_answer_given_while_another_program_holds_the_lock_is_kept_then_saved(
    spawn, deck, isolated_home
):
    """The session died with a traceback and the answer was lost."""
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={**NOW, "MLPREP_LOCK_WAIT": "0.5"}
    )
    see(child, "First question")
    holder = sqlite3.connect(isolated_home / "mlprep.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a sqlite3 shell, a backup, another long write
    child.send(" ")
    see(child, "First answer")
    child.send("3")
    see(child, "Not saved yet")
    see(child, "the answer Good to card e2e-one")
    see(child, "locked")
    see(child, "Second question")  # the session goes on
    holder.execute("ROLLBACK")
    holder.close()
    child.send(" ")
    see(child, "Second answer")
    child.send("4")
    see(child, "Saved: the 1 answer kept in memory is in the log now")
    see(child, "Third question")
    child.send("q")
    see(child, "Session done: 2 answers, 2 cards")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert log(isolated_home / "mlprep.db") == [("e2e-one", 3), ("e2e-two", 4)]


def test_f1_answers_still_unsaved_at_the_end_are_named_and_the_exit_code_says_so(
    spawn, deck, isolated_home
):
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={**NOW, "MLPREP_LOCK_WAIT": "0.3"}
    )
    see(child, "First question")
    holder = sqlite3.connect(isolated_home / "mlprep.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        child.send(" ")
        child.send("1")
        see(child, "Not saved yet")
        see(child, "Second question")
        child.send("q")
        see(child, "1 answer could not be saved")
        see(child, "the answer Again to card e2e-one")
        child.expect(pexpect.EOF)
        child.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert child.exitstatus == 1
    assert "Traceback" not in (child.before or "")
    assert log(isolated_home / "mlprep.db") == []


def _mount_tmpfs(target, size: str) -> bool:
    target.mkdir(parents=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    target = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not _mount_tmpfs(target, "6m"):
        pytest.skip("cannot mount a tmpfs here")
    yield target
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _fill(folder) -> None:
    with open(folder / "filler", "wb", buffering=0) as handle:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * chunk)
            except OSError:
                pass


def test_f6_an_answer_on_a_full_disk_is_kept_then_saved_once_there_is_room(spawn, deck, small_disk):
    """The next answer raised 'database or disk is full'; the session ended, answer lost."""
    data = small_disk / "data"
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={**NOW, "MLPREP_HOME": str(data)}
    )
    see(child, "First question")
    # Empty the WAL, so that the next write must grow a file, then take the last free byte.
    conn = sqlite3.connect(data / "mlprep.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _fill(small_disk)
    child.send(" ")
    child.send("3")
    see(child, "Not saved yet")
    see(child, "full")
    see(child, "Second question")
    (small_disk / "filler").unlink()
    child.send(" ")
    child.send("3")
    see(child, "Saved: the 1 answer kept in memory is in the log now")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert log(data / "mlprep.db") == [("e2e-one", 3), ("e2e-two", 3)]
    assert integrity(data / "mlprep.db") == "ok"


def test_f11_review_on_an_ascii_only_terminal(spawn, deck, isolated_home):
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={**NOW, "PYTHONIOENCODING": "ascii"}
    )
    see(child, "new 3")
    child.send(" ")
    see(child, "First answer, with lambda . x2.")
    see(child, "Enter Good . u undo")  # not "? Good": ? is drill's show-the-solution key
    child.send("3")
    see(child, "Second question")
    child.send("q")
    child.expect(pexpect.EOF)
    assert "Traceback" not in child.before
    assert log(isolated_home / "mlprep.db") == [("e2e-one", 3)]


def test_f17_a_terminal_closed_while_sighup_is_ignored_ends_the_session_quietly(
    spawn, deck, isolated_home, tmp_path
):
    """termios.error (EIO) traceback from KeyReader once the terminal was gone."""
    err = tmp_path / "stderr.txt"
    mlprep = shutil.which(
        "mlprep", path=os.path.dirname(os.path.abspath(__import__("sys").executable))
    )
    script = f"trap '' HUP; exec {mlprep} review --cards {deck} --deck e2e 2>{err}"
    env = {**os.environ, **NOW, "MLPREP_HOME": str(isolated_home), "TERM": "xterm"}
    child = pexpect.spawn("bash", ["-c", script], env=env, encoding="utf-8", timeout=15)
    see(child, "First question")
    child.send(" ")
    child.send("3")
    see(child, "Second question")
    pid = child.pid
    child.close(force=False)  # close the master: the terminal is gone, SIGHUP is ignored
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("mlprep kept running after its terminal was closed")
    assert "Traceback" not in err.read_text()
    assert log(isolated_home / "mlprep.db") == [("e2e-one", 3)]
    assert integrity(isolated_home / "mlprep.db") == "ok"
