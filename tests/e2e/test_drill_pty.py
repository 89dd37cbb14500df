"""`mlprep drill` in a real terminal: wrong, invalid-then-retyped, and correct answers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pexpect

from pty_support import see

from .conftest import MLPREP

DECK = """deck: e2e-drills
cards:
  - id: e2e-f1
    type: computed
    generator: f1
    q: Compute the F1 score.
    tags: [metrics]
"""


def f1_from_data(data: dict) -> float:
    """F1 = 2TP / (2TP + FP + FN), counted here independently of the generator."""
    pairs = list(zip(data["y_true"], data["y_pred"], strict=True))
    tp = sum(t == 1 and p == 1 for t, p in pairs)
    fp = sum(t == 0 and p == 1 for t, p in pairs)
    fn = sum(t == 1 and p == 0 for t, p in pairs)
    return 2 * tp / (2 * tp + fp + fn)


def problem(seed: int, deck_path) -> dict:
    out = subprocess.run(
        [MLPREP, "drill", "--generator", "f1", "--seed", str(seed), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_drill_wrong_invalid_correct(spawn, tmp_path, isolated_home):
    deck = tmp_path / "drills.yaml"
    deck.write_text(DECK)
    answers = [f1_from_data(problem(seed, deck)["data"]) for seed in (100, 101, 102)]
    child = spawn("drill", "--cards", str(deck), "--card", "e2e-f1", "--seed", "100", "-n", "3")

    see(child, "drill 1/3")
    see(child, "y_true (")
    child.expect("answer> ")
    child.sendline("5")  # a valid number, but wrong
    see(child, "Not quite")
    see(child, "One more try")
    child.expect("answer> ")
    child.sendline("?")
    see(child, "Worked solution")
    see(child, "⏎/space next · u undo · q quit")
    child.send("\r")  # one key, as in review

    see(child, "drill 2/3")
    child.expect("answer> ")
    child.sendline("zero point five")
    see(child, "Can't read that")
    child.expect("answer> ")
    child.sendline(f"{answers[1]:.4f}")
    see(child, "Correct! (first try)")
    see(child, "⏎/space next")
    child.send(" ")

    see(child, "drill 3/3")
    child.expect("answer> ")
    child.sendline(f"{answers[2]:.3f}")
    see(child, "Correct!")
    see(child, "Drill done: 3 problems · 2 first try · 0 after a retry · 1 missed")
    child.expect(pexpect.EOF)

    conn = sqlite3.connect(isolated_home / "mlprep.db")
    rows = conn.execute(
        "SELECT r.card_id, r.kind, r.seed, r.quality, r.typed, r.correct, x.scheduled "
        "FROM reviews r JOIN steps x ON x.review_id = r.id AND x.scheduler = 'sm2' ORDER BY r.id"
    ).fetchall()
    conn.close()
    assert rows == [
        ("e2e-f1", "drill", 100, 1, "?", 0, 1),
        ("e2e-f1", "drill", 101, 4, f"{answers[1]:.4f}", 1, 0),
        ("e2e-f1", "drill", 102, 4, f"{answers[2]:.3f}", 1, 0),
    ]


def test_drill_needs_a_terminal():
    out = subprocess.run(
        [sys.executable, "-m", "mlprep", "drill"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 2
    assert "needs a terminal" in out.stderr


def test_review_shows_computed_cards_through_the_drill_engine(spawn, tmp_path, isolated_home):
    deck = tmp_path / "drills.yaml"
    deck.write_text(DECK)
    child = spawn("review", "--cards", str(deck), "--deck", "e2e-drills")
    see(child, "Problem · e2e-f1")  # the card's id is on screen
    child.expect(r"seed (\d+)")
    seed = int(child.match.group(1))
    child.expect("answer> ")
    child.sendline(f"{f1_from_data(problem(seed, deck)['data']):.3f}")
    see(child, "Correct! (first try)")
    see(child, "Worked solution")
    see(child, "⏎/space next · u undo · q quit")
    child.send("\r")
    see(child, "Session done: 1 answer, 1 card")
    child.expect(pexpect.EOF)
    conn = sqlite3.connect(isolated_home / "mlprep.db")
    rows = conn.execute("SELECT card_id, kind, seed, quality, correct FROM reviews").fetchall()
    conn.close()
    assert rows == [("e2e-f1", "drill", seed, 4, 1)]
