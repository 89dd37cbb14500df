"""`mlprep add` as real processes: two at once, and interactive runs in a pseudo-terminal
(typed answers, and $EDITOR set to a script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from mlprep.app.config import Paths
from mlprep.decks.loader import parse_file
from pty_support import see


def mlprep_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "TERM": "xterm", "COLUMNS": "100", **extra}


@pytest.fixture
def spawn():
    children: list[pexpect.spawn] = []

    def start(*args: str, **env: str) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "mlprep", *args],
            env=mlprep_env(**env),
            encoding="utf-8",
            timeout=15,
            dimensions=(40, 100),
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_two_concurrent_adds_both_land():
    """Two processes start together on a fresh data dir and write to the same new file."""
    cards = Paths.from_env().user_cards
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mlprep", "add", "--q", q, "--a", "A.", "--deck", "shared"],
            env=mlprep_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for q in ("First concurrent question?", "Second concurrent question?")
    ]
    outputs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    result = parse_file(cards / "shared.yaml")
    assert result.issues == []
    assert sorted(c.id for c in result.cards) == [
        "first-concurrent-question",
        "second-concurrent-question",
    ]


def test_interactive_add(spawn):
    cards = Paths.from_env().user_cards
    cards.mkdir(parents=True)
    (cards / "existing.yaml").write_text("# mine\ncards:\n  - id: old\n    q: Old?\n    a: Old.\n")
    child = spawn("add")
    child.expect(r"1\) existing.yaml \(1 card\)")
    child.expect(r"Deck: a number, or a name for a new file \[1\]: ")
    child.sendline("")
    child.expect(r"Question \(Markdown; math as \$\.\.\.\$\): ")
    child.sendline("What does $\\lambda$ control in ridge?")
    child.expect("a blank line starts a new paragraph")
    child.expect("> ")
    child.sendline("The penalty strength:")
    child.expect("> ")
    child.sendline("")  # a paragraph break, not the end
    child.expect("> ")
    child.sendline("bigger $\\lambda$, smaller $\\|w\\|$.")
    child.expect("> ")
    child.sendline(".")
    child.expect("Tags in use: ")
    child.expect(r"Tags \(space-separated, optional\): ")
    child.sendline("Not_valid")
    child.expect_exact("Not a valid tag: Not_valid")
    child.sendline("ridge, regularization")
    child.expect("Preview")
    child.expect("lambda-control-ridge")  # the id it will get
    see(child, "What does λ control in ridge?")  # rendered as review renders it
    see(child, "bigger λ, smaller ‖w‖.")
    child.expect(r"Add this card to existing.yaml\? \[Y/n\]: ")
    child.sendline("y")
    child.expect("Added lambda-control-ridge to .*existing.yaml:7")
    assert finish(child) == 0
    assert (cards / "existing.yaml").read_text() == (
        "# mine\ncards:\n  - id: old\n    q: Old?\n    a: Old.\n\n"  # one card: default layout
        "  - id: lambda-control-ridge\n    q: What does $\\lambda$ control in ridge?\n"
        "    a: |\n      The penalty strength:\n\n      bigger $\\lambda$, smaller $\\|w\\|$.\n"
        "    tags: [ridge, regularization]\n"
    )


def test_interactive_near_duplicate_can_be_declined(spawn):
    cards = Paths.from_env().user_cards
    cards.mkdir(parents=True)
    original = "cards:\n  - id: old\n    q: Which test question is this one?\n    a: Old.\n"
    (cards / "k.yaml").write_text(original)
    child = spawn("add", "--deck", "k")
    child.expect("Question")
    child.sendline("Which test question is this one")
    child.expect("duplicates the question of card old")
    child.expect(r"Add it anyway\? \[y/N\]: ")
    child.sendline("")
    child.expect_exact("Not added.")  # the user's choice: not an error
    assert finish(child) == 0
    assert (cards / "k.yaml").read_text() == original


EDITOR_SCRIPT = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text()
counter = pathlib.Path(__file__).with_suffix(".count")
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
print("fake editor run", n + 1, flush=True)
good = "deck: edited\\ncards:\\n  - q: Written in the editor?\\n    a: |\\n      Yes.\\n"
bad = "deck: edited\\ncards:\\n  - q: Written in the editor?\\n    a: [unclosed\\n"
if {invalid_first} and n == 0:
    path.write_text(bad)
else:
    if {invalid_first}:
        assert text.startswith("#! mlprep could not add this yet"), text
        assert "YAML syntax error" in text, text
    path.write_text(good)
"""


@pytest.mark.parametrize("invalid_first", [False, True], ids=["valid", "invalid-then-valid"])
def test_editor_add(spawn, tmp_path, invalid_first):
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.format(invalid_first=invalid_first))
    child = spawn("add", "--editor", EDITOR=f"{sys.executable} {script}")
    child.expect("fake editor run 1")
    if invalid_first:
        child.expect(r"The card has problems; reopening the editor \(1 listed at the top\)")
        child.expect("fake editor run 2")
    child.expect("Added written-editor to .*edited.yaml:5")
    assert finish(child) == 0
    card = parse_file(Paths.from_env().user_cards / "edited.yaml").cards[0]
    assert (card.id, card.q, card.a) == ("written-editor", "Written in the editor?", "Yes.\n")
    assert not any((Paths.from_env().data_dir / "drafts").iterdir())


def test_no_terminal_means_no_questions():
    result = subprocess.run(
        [sys.executable, "-m", "mlprep", "add"],
        env=mlprep_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: nothing to add: give --q and --a")
    assert not Path(Paths.from_env().user_cards).exists() or not any(
        Paths.from_env().user_cards.iterdir()
    )
