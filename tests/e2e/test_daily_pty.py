"""In a real terminal: the screen is redrawn on resize, Ctrl-C and Ctrl-D leave the summary on
its own line, drills take one key after a solution (as review does), u works at a drill
prompt inside review, and a drill that is undone comes back as the same problem."""

from __future__ import annotations

import re
import sqlite3

import pexpect
import pytest

from pty_support import see

DECK = """deck: term
cards:
  - id: term-basic
    q: What is the first basic question?
    a: The first basic answer.
  - id: term-f1
    type: computed
    generator: f1
    q: Compute it.
"""


@pytest.fixture
def deck(tmp_path):
    path = tmp_path / "term.yaml"
    path.write_text(DECK)
    return path


def rows(home, sql):
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


NOW = {"MLPREP_NOW": "2026-12-01T09:00"}


def test_a_resize_redraws_the_review_screen(spawn, deck):
    child = spawn("review", "--cards", str(deck), "--deck", "term", env=NOW, cols=100)
    see(child, "first basic question")
    child.send(" ")
    see(child, "The first basic answer.")
    child.setwinsize(40, 60)  # SIGWINCH
    # Drawn again at 60 columns, without a key: the hint line is cut to fit now.
    see(child, "/ search ·…")
    child.send("q")
    child.expect(pexpect.EOF)


def test_ctrl_d_at_the_question_leaves_the_summary_on_its_own_line(spawn, deck):
    child = spawn("review", "--cards", str(deck), "--deck", "term", env=NOW)
    see(child, "first basic question")
    child.sendcontrol("d")
    child.expect(r"\r\n(\x1b\[[0-9;]*m)*Session done: no cards answered")
    child.expect(pexpect.EOF)


def test_ctrl_c_at_a_drill_prompt_leaves_the_summary_on_its_own_line(spawn, deck):
    child = spawn("drill", "--cards", str(deck), "--card", "term-f1", env=NOW)
    child.expect("answer> ")
    child.sendintr()
    # The cursor was after "answer> ": a newline first, then the summary.
    child.expect(r"(\^C)?\r\n(\x1b\[[0-9;]*m)*Drill done: no problems answered\.")
    assert "answer>" not in child.before
    child.expect(pexpect.EOF)


def test_drill_takes_one_key_after_a_solution(spawn, deck, isolated_home):
    child = spawn("drill", "--cards", str(deck), "--card", "term-f1", "-n", "3", env=NOW)
    child.expect("answer> ")
    child.sendline("?")
    see(child, "Graded Again: it comes back in today's review.")
    see(child, "⏎/space next · u undo · q quit")
    child.send("q")  # at once, no Enter needed
    see(child, "Drill done: 1 problem · 0 first try · 0 after a retry · 1 missed")
    child.expect(pexpect.EOF)
    assert rows(isolated_home, "SELECT card_id, quality FROM reviews") == [("term-f1", 1)]


def test_u_after_a_drill_solution_takes_it_back_and_asks_the_same_problem(
    spawn, deck, isolated_home
):
    child = spawn("drill", "--cards", str(deck), "--card", "term-f1", "-n", "2", env=NOW)
    child.expect(r"seed (\d+)")
    seed = child.match.group(1)
    child.expect("answer> ")
    child.sendline("?")
    see(child, "⏎/space next")
    child.send("u")
    see(child, "Undid that answer: the same problem again.")
    child.expect(rf"seed {seed}")
    child.expect("answer> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert rows(isolated_home, "SELECT COUNT(*) FROM reviews") == [(0,)]


def test_u_at_a_drill_prompt_in_review_undoes_the_previous_card(spawn, deck, isolated_home):
    child = spawn("review", "--cards", str(deck), "--deck", "term", env=NOW)
    see(child, "first basic question")
    child.send(" ")
    child.send("3")
    see(child, "Problem · term-f1")
    child.expect(r"seed (\d+)")
    seed = child.match.group(1)
    child.expect("answer> ")
    child.sendline("u")  # not "unexpected word 'u'"
    see(child, "Undid Good on term-basic.")
    see(child, "first basic question")
    assert rows(isolated_home, "SELECT COUNT(*) FROM reviews") == [(0,)]
    child.send(" ")
    child.send("3")
    # The drill comes back as the problem it was (same seed), not a new one.
    child.expect(rf"seed {seed}")
    child.expect("answer> ")
    child.sendline("?")
    see(child, "Graded Again: it comes back later today.")
    see(child, "⏎/space next · u undo · q quit")
    child.send("u")
    see(child, "Undid Again on term-f1: the same problem again.")
    child.expect(rf"seed {seed}")
    child.expect("answer> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert rows(isolated_home, "SELECT card_id, quality FROM reviews") == [("term-basic", 4)]


def test_search_with_slash_in_review(spawn, deck):
    child = spawn("review", "--cards", str(deck), "--deck", "term", env=NOW)
    see(child, "first basic question")
    child.send("/")
    child.expect("search: ")
    child.sendline("basic answer")
    see(child, "term-basic")
    see(child, "any key: back to the card")
    child.send("x")
    see(child, "first basic question")
    child.send("q")
    child.expect(pexpect.EOF)
    assert re.search("Session done", child.before)
