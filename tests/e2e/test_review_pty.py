"""`mlprep review` in a real terminal: what the screen shows and what the DB holds."""

from __future__ import annotations

import signal
import sqlite3
import time

import pexpect
import pytest

from pty_support import see

DECK = r"""deck: e2e
cards:
  - id: e2e-ridge
    q: 'Ridge closed form? $w^* = (X^TX + \lambda I)^{-1}X^Ty$'
    a: The **unique** minimiser for $\lambda > 0$.
    tags: [ridge]
  - id: e2e-second
    q: Second question?
    a: Second answer.
  - id: e2e-third
    q: Third question?
    a: Third answer.
"""


@pytest.fixture
def deck(tmp_path):
    path = tmp_path / "e2e.yaml"
    path.write_text(DECK)
    return path


def db_rows(home, sql):
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_answer_three_undo_one_quit(spawn, deck, isolated_home):
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={"MLPREP_NOW": "2026-12-01T09:00"}
    )
    see(child, "new 3")
    see(child, "Ridge closed form")
    # Math is rendered as Unicode, with no raw LaTeX left.
    see(child, "w* = (XᵀX + λI)⁻¹Xᵀy")
    child.send(" ")
    see(child, "The unique minimiser for λ > 0")
    see(child, "[3] Good 1d")
    child.send("3")
    see(child, "Second question")
    child.send(" ")
    see(child, "Second answer")
    child.send("1")
    see(child, "Third question")
    child.send(" ")
    see(child, "Third answer")
    child.send("4")
    # "Second" comes back the same day (relearning).
    see(child, "relearn 1")
    see(child, "Second question")
    child.send("u")  # take back the Easy on the third card
    see(child, "Third question")
    child.send("q")
    see(child, "Session done: 2 answers, 2 cards")
    child.expect(pexpect.EOF)
    rows = db_rows(
        isolated_home,
        "SELECT r.card_id, r.quality, x.scheduled FROM reviews r "
        "JOIN steps x ON x.review_id = r.id AND x.scheduler = 'sm2' ORDER BY r.id",
    )
    assert rows == [("e2e-ridge", 4, 1), ("e2e-second", 1, 1)]
    states = dict(
        db_rows(isolated_home, "SELECT card_id, interval FROM state WHERE scheduler = 'sm2'")
    )
    assert states == {"e2e-ridge": 1, "e2e-second": 1}


def test_nothing_due_message(spawn, deck):
    child = spawn("review", "--cards", str(deck), "--deck", "e2e", "--new", "0")
    see(child, "Nothing is due right now")
    see(child, "Tomorrow: 0 cards due")
    child.expect(pexpect.EOF)


def test_sigkill_mid_session_loses_no_answer(spawn, deck, isolated_home):
    child = spawn("review", "--cards", str(deck), "--deck", "e2e")
    for expected in ("Ridge closed form", "Second question"):
        child.expect(expected)
        child.send(" ")
        child.send("3")
    see(child, "Third question")  # the second answer has been committed before this screen
    child.kill(signal.SIGKILL)
    time.sleep(0.2)
    assert db_rows(isolated_home, "PRAGMA integrity_check") == [("ok",)]
    rows = db_rows(isolated_home, "SELECT card_id, quality FROM reviews ORDER BY id")
    assert rows == [("e2e-ridge", 4), ("e2e-second", 4)]


def test_ctrl_c_quits_cleanly(spawn, deck, isolated_home):
    child = spawn("review", "--cards", str(deck), "--deck", "e2e")
    see(child, "Ridge closed form")
    child.send(" ")
    child.send("3")
    see(child, "Second question")
    child.sendintr()
    see(child, "Session done: 1 answer, 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert db_rows(isolated_home, "SELECT COUNT(*) FROM reviews") == [(1,)]


def test_expert_mode_grades_with_sm2_quality(spawn, deck, isolated_home):
    child = spawn("review", "--cards", str(deck), "--deck", "e2e", "--expert", cols=80)
    see(child, "Ridge closed form")
    child.send(" ")
    # Six keys do not fit one line at 80 columns: whole labels on two lines, each with its
    # interval (↻: a fail comes back today) and SM-2's ease change (q=2: 0.1 − 3·0.14).
    see(child, "[2] q=2 1d↻ −.32")
    see(child, "[5] q=5 1d +.10")
    child.send("2")
    see(child, "Second question")
    child.send("q")
    child.expect(pexpect.EOF)
    assert db_rows(isolated_home, "SELECT card_id, quality FROM reviews") == [("e2e-ridge", 2)]


def test_unknown_tag_in_a_terminal(spawn, deck):
    child = spawn("review", "--cards", str(deck), "--tag", "ridg")
    see(child, "no tag named 'ridg'; tags: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
