"""`mlprep review --jsonl` when the database cannot take an answer (locked, full, read-only:
simulated on a patched connection): the loop says the answer is kept (`unsaved`), goes on with
the next card, saves the kept answer with the next write and says so (`saved`), and `done`
names what is still unsaved, with exit status 1 and `Error:` on stderr as the interactive
review does. The same failures on real processes: tests/e2e/test_review_jsonl_pipe.py."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlprep.storage.safety import pending_unsaved
from robustness.conftest import cli
from robustness.faults import BUSY, FULL, READONLY, error, install

DAY1 = "2026-12-01T09:00"
DECK = """deck: jf
cards:
  - {id: jf-one, q: One?, a: One.}
  - {id: jf-two, q: Two?, a: Two.}
  - {id: jf-three, q: Three?, a: Three.}
"""
COMPUTED = """deck: jc
cards:
  - id: jc-conv
    type: computed
    generator: conv_params
    q: Count the parameters.
"""
# What each fault's sentence says (safety.classify), to find in the events' messages.
SAYS = {BUSY: "locked by another program", FULL: "is full", READONLY: "is read-only"}
INSERT = "INSERT INTO reviews"
DELETE = "DELETE FROM reviews"


@pytest.fixture(autouse=True)
def no_leftover_unsaved():
    """Kept writes are listed process-wide: none from before, none left for the next test."""
    for pending in pending_unsaved():
        pending.discarded = True
    yield
    for pending in pending_unsaved():
        pending.discarded = True


@pytest.fixture
def deck(home: Path) -> Path:
    path = home / "cards" / "jf.yaml"
    path.write_text(DECK)
    return path


class FailNth:
    """A fault for `install`: the statements starting with `prefix` fail with `message` at
    their `at`-th, ... runs (1-based; `every` from `at` on), as SQLite would: nothing of the
    statement happens."""

    def __init__(self, prefix: str, message: str, at: set[int] | None = None, every: int = 0):
        self.prefix, self.message = prefix, message
        self.at, self.every = at or set(), every
        self.seen = 0

    def __call__(self, sql: str) -> BaseException | None:
        if not sql.lstrip().upper().startswith(self.prefix.upper()):
            return None
        self.seen += 1
        if self.seen in self.at or (self.every and self.seen >= self.every):
            return error(self.message)
        return None


def review(monkeypatch, fault, lines: list, deck: str = "jf"):
    """`review --jsonl --deck DECK` in this process with `fault` on every connection, and no
    wait for a lock (a busy database fails at once)."""
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0")
    install(monkeypatch, fault)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    ran = cli("review", "--jsonl", "--deck", deck, input=text, env={"MLPREP_NOW": DAY1})
    ran.assert_clean()
    return ran, [json.loads(line) for line in ran.out.splitlines()]


def log(home: Path) -> list[tuple]:
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute("SELECT card_id, grade, quality FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


def kinds(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


def item(card: str, grade: str, quality: int, description: str, undo: bool = False) -> dict:
    return {
        "card": card,
        "grade": grade,
        "quality": quality,
        "undo": undo,
        "description": description,
    }


@pytest.mark.parametrize("message", [BUSY, FULL, READONLY])
def test_an_answer_the_database_cannot_take_is_kept_then_saved_with_the_next(
    deck, home, monkeypatch, message
):
    assert cli("due").code == 0  # the deck is indexed before the fault is armed
    fault = FailNth(INSERT, message, at={1})
    ran, events = review(monkeypatch, fault, [{"grade": "good", "seconds": 2}, {"grade": "hard"}])
    assert kinds(events) == ["card", "unsaved", "card", "saved", "recorded", "card", "done"]
    unsaved = events[1]
    described = "the answer Good to card jf-one (2026-12-01 09:00)"
    assert unsaved == {
        "event": "unsaved",
        "card": "jf-one",
        "grade": "good",
        "quality": 4,
        "kind": "review",
        "undo": False,
        "relearn": False,
        "seconds": 2.0,
        "message": unsaved["message"],
        "kept": 1,
    }
    assert unsaved["message"].startswith(f"{described} is not saved yet: ")
    assert SAYS[message] in unsaved["message"]
    # The session goes on: the next card, with the first counted as answered.
    assert (events[2]["card"], events[2]["answered"]) == ("jf-two", 1)
    assert events[3] == {
        "event": "saved",
        "answers": [item("jf-one", "good", 4, described)],
        "kept": 0,
    }
    assert (events[4]["card"], events[4]["grade"], events[4]["due"]) == (
        "jf-two",
        "hard",
        "2026-12-02",
    )
    done = events[-1]
    assert (done["unsaved"], done["summary"]["answered"], done["protocol"]) == ([], 2, 2)
    assert ran.code == 0 and ran.err == ""
    assert log(home) == [("jf-one", 3, 4), ("jf-two", 2, 3)]  # in the order given


def test_answers_still_unsaved_at_the_end_are_in_done_and_the_exit_status_is_1(
    deck, home, monkeypatch
):
    assert cli("due").code == 0
    fault = FailNth(INSERT, BUSY, every=1)
    ran, events = review(monkeypatch, fault, [{"grade": "again"}, {"grade": "easy"}])
    assert kinds(events) == ["card", "unsaved", "card", "unsaved", "card", "done"]
    assert [e["kept"] for e in events if e["event"] == "unsaved"] == [1, 2]
    # jf-one was failed: it comes back in this session, as it would had it been saved.
    assert events[1]["relearn"] is True
    one = "the answer Again to card jf-one (2026-12-01 09:00)"
    two = "the answer Easy to card jf-two (2026-12-01 09:00)"
    assert events[-1]["unsaved"] == [
        item("jf-one", "again", 1, one),
        item("jf-two", "easy", 5, two),
    ]
    assert events[-1]["summary"]["answered"] == 2
    assert ran.code == 1
    assert ran.err.startswith("Error: 2 answers could not be saved (")
    assert f"  {one}\n  {two}\n" in ran.err
    assert log(home) == []


def test_a_kept_answer_is_saved_when_the_session_ends(deck, home, monkeypatch):
    assert cli("due").code == 0
    ran, events = review(monkeypatch, FailNth(INSERT, FULL, at={1}), [{"grade": "good"}])
    assert kinds(events) == ["card", "unsaved", "card", "saved", "done"]
    assert events[3]["answers"][0]["card"] == "jf-one" and events[3]["kept"] == 0
    assert events[-1]["unsaved"] == [] and events[-1]["reason"] == "end of input"
    assert ran.code == 0
    assert log(home) == [("jf-one", 3, 4)]


def test_undoing_a_kept_answer_forgets_it(deck, home, monkeypatch):
    assert cli("due").code == 0
    ran, events = review(
        monkeypatch,
        FailNth(INSERT, BUSY, at={1}),
        [{"grade": "again"}, {"undo": True}, {"grade": "good"}, {"quit": True}],
    )
    assert kinds(events) == ["card", "unsaved", "card", "card", "recorded", "card", "done"]
    back = events[3]
    assert back["card"] == "jf-one" and back["undone"] == {
        "card": "jf-one",
        "grade": "again",
        "quality": 1,
    }
    assert events[-1]["unsaved"] == [] and ran.code == 0
    assert log(home) == [("jf-one", 3, 4)]  # the Again never reaches the log


def test_an_undo_the_database_cannot_take_is_kept_then_made(deck, home, monkeypatch):
    assert cli("due").code == 0
    ran, events = review(
        monkeypatch,
        FailNth(DELETE, READONLY, at={1}),
        [{"grade": "hard"}, {"undo": True}, {"grade": "easy"}, {"quit": True}],
    )
    assert kinds(events) == [
        *["card", "recorded", "card", "unsaved", "card", "saved", "recorded"],
        *["card", "done"],
    ]
    unsaved = events[3]
    assert (unsaved["card"], unsaved["grade"], unsaved["undo"], unsaved["kept"]) == (
        "jf-one",
        "hard",
        True,
        1,
    )
    assert "is not saved yet" in unsaved["message"] and "read-only" in unsaved["message"]
    assert events[4]["card"] == "jf-one" and events[4]["undone"]["grade"] == "hard"
    (saved,) = events[5]["answers"]
    assert (saved["card"], saved["undo"]) == ("jf-one", True)
    assert saved["description"].startswith("the undo of answer #")
    assert ran.code == 0
    assert log(home) == [("jf-one", 4, 5)]  # the Hard is gone, the Easy is there


def test_a_kept_drill_answer_still_shows_its_solution(home, monkeypatch):
    (home / "cards" / "jc.yaml").write_text(COMPUTED)
    assert cli("due").code == 0
    ran, events = review(
        monkeypatch, FailNth(INSERT, FULL, every=1), [{"answer": "-1"}, {"answer": "-2"}], "jc"
    )
    assert kinds(events) == ["card", "card", "unsaved", "card", "done"]  # it relearns
    unsaved = events[2]
    assert (unsaved["grade"], unsaved["kind"], unsaved["attempts"]) == ("again", "drill", 2)
    assert unsaved["verdict"]["status"] == "wrong" and unsaved["expected"]
    assert unsaved["solution"] and "leech" not in unsaved
    assert ran.code == 1 and log(home) == []
