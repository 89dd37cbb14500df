"""`mlprep add` as the trial used it: questions that differ in one key token are not
near-duplicates, a batch reports its near-duplicates card by card, ids keep Roman numerals,
declining is not an error, Ctrl-C cancels on its own line, half flags ask for the rest."""

from __future__ import annotations

import os
import sys

import pexpect
import pytest
from typer.testing import CliRunner

from mlprep.app.config import Paths
from mlprep.cli import app
from mlprep.decks.ids import near_duplicates, slugify
from mlprep.decks.loader import Card, parse_file
from pty_support import see

runner = CliRunner()


def add(folder, *args, input=None):
    return runner.invoke(app, ["add", "--cards", str(folder), "--deck", "mine", *args], input=input)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "What does L1 regularization do to the weights?",
            "What does L2 regularization do to the weights?",
        ),
        ("What is a type I error?", "What is a type II error?"),
        (
            "How is precision computed from the confusion matrix?",
            "How is recall computed from the confusion matrix?",
        ),
        (
            "What does the encoder of a Transformer output?",
            "What does the decoder of a Transformer output?",
        ),
    ],
)
def test_questions_that_differ_in_a_key_token_are_both_added(tmp_path, first, second):
    folder = tmp_path / "mine"
    assert add(folder, "--q", first, "--a", "One.").exit_code == 0
    result = add(folder, "--q", second, "--a", "Two.")
    assert result.exit_code == 0, result.output
    assert len(parse_file(folder / "mine.yaml").cards) == 2


@pytest.mark.parametrize(
    "variant",
    [
        "What's the bias-variance tradeoff?",  # hyphen, contraction
        "What is the bias–variance trade-offs?",  # plural
        "What is a bias variance trade off",  # glue words and punctuation
    ],
)
def test_real_near_duplicates_are_still_caught(variant):
    existing = [
        Card(id="bv", deck="d", q="What is the bias–variance trade-off?", path="x.yaml", line=3)
    ]
    assert [c.id for c, _ in near_duplicates(variant, existing)] == ["bv"]


def test_a_spelling_variant_of_a_long_word_is_the_same_word():
    existing = [Card(id="l2", deck="d", q="What does L2 regularization do?", path="x.yaml", line=3)]
    assert [c.id for c, _ in near_duplicates("What does L2 regularisation do?", existing)] == ["l2"]
    assert near_duplicates("What does L1 regularisation do?", existing) == []


def test_ids_keep_roman_numerals_and_numbers():
    assert slugify("What is a type I error?") == "type-i-error"
    assert slugify("What is a type II error?") == "type-ii-error"
    assert slugify("What does L1 regularization do?") == "l1-regularization"
    assert slugify("How do I compute the ridge solution?") == "compute-ridge-solution"


def test_a_batch_skips_only_its_near_duplicates_and_names_each(tmp_path):
    folder = tmp_path / "mine"
    first = add(folder, "--q", "Which wiki page lists our team's tricks?", "--a", "Ours.")
    assert first.exit_code == 0, first.output
    batch = (
        "- {q: Which notebook holds my sweep results?, a: One}\n"
        "- {q: Which wiki pages list our team's tricks, a: Two}\n"  # the existing card again
        "- {q: Which dashboard shows my GPU hours?, a: Three}\n"
        "- {q: Which notebook holds my sweep result?, a: Four}\n"  # card 1 of this batch again
    )
    result = add(folder, "--stdin", input=batch)
    assert result.exit_code == 1
    err = result.stderr
    assert "skipped card 2 of 4:" in err and "card wiki-page-lists-our-team-tricks" in err
    assert f"({folder / 'mine.yaml'}:" in err
    assert "skipped card 4 of 4:" in err and "card #1 of this batch" in err
    assert "<new>" not in err
    assert "added 2 of 4 cards; skipped 2 near-duplicates" in err
    questions = [c.q for c in parse_file(folder / "mine.yaml").cards]
    assert questions == [
        "Which wiki page lists our team's tricks?",
        "Which notebook holds my sweep results?",
        "Which dashboard shows my GPU hours?",
    ]


# -- in a terminal -----------------------------------------------------------------------------


@pytest.fixture
def spawn():
    children = []

    def start(*args: str) -> pexpect.spawn:
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
        child = pexpect.spawn(
            sys.executable,
            ["-m", "mlprep", *args],
            env=env,
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


def _exit(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_ctrl_c_at_a_prompt_cancels_on_its_own_line(spawn):
    child = spawn("add")
    child.expect(r"Deck name \[my-cards\]: ")
    child.sendintr()
    child.expect(r"\r\nError: cancelled \(Ctrl-C\): nothing added\.")
    assert _exit(child) == 130


def test_ctrl_d_at_a_prompt_cancels_on_its_own_line(spawn):
    child = spawn("add")
    child.expect(r"Deck name \[my-cards\]: ")
    child.sendeof()
    child.expect(r"\r\nError: cancelled \(Ctrl-D\): nothing added\.")
    assert _exit(child) == 1


def test_a_question_alone_in_a_terminal_asks_for_the_answer(spawn):
    child = spawn("add", "--deck", "half", "--q", "What is gradient clipping?")
    child.expect("Question: What is gradient clipping?")
    child.expect("> ")
    child.sendline("Rescaling the gradient when its norm exceeds a threshold.")
    child.expect("> ")
    child.sendline(".")
    child.expect(r"Tags \(space-separated, optional\): ")
    child.sendline("")
    child.expect(r"Add this card to half.yaml\? \[Y/n\]: ")
    child.sendline("")
    child.expect("Added gradient-clipping to")
    assert _exit(child) == 0
    (card,) = parse_file(Paths.from_env().user_cards / "half.yaml").cards
    assert card.a.startswith("Rescaling the gradient")


def test_stdin_in_a_terminal_says_what_it_waits_for(spawn):
    child = spawn("add", "--stdin", "--deck", "typed")
    child.expect("Reading YAML cards from stdin; end with Ctrl-D")
    child.sendline("- {q: Typed in the terminal?, a: Yes.}")
    child.sendeof()
    child.expect("Added typed-terminal to")
    assert _exit(child) == 0


def test_declining_the_preview_is_not_an_error(spawn):
    child = spawn("add", "--deck", "no")
    child.expect(r"Question \(Markdown; math as \$\.\.\.\$\): ")
    child.sendline("Never added?")
    child.expect("> ")
    child.sendline("No.")
    child.expect("> ")
    child.sendline("")
    child.expect("> ")
    child.sendline("")  # two blank lines end the answer too
    child.expect(r"Tags \(space-separated, optional\): ")
    child.sendline("")
    see(child, "Never added?")
    child.expect(r"Add this card to no.yaml\? \[Y/n\]: ")
    child.sendline("n")
    child.expect_exact("Not added.")
    assert _exit(child) == 0
    assert not (Paths.from_env().user_cards / "no.yaml").exists()
