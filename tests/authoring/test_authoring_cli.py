"""`mlprep add`, `show`, `list` and `rename` through typer's CliRunner: output, exact error
text and exit codes."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.app.config import Paths, bundled_cards_dir
from mlprep.cli import app
from mlprep.core.grades import Answer
from mlprep.decks.loader import load_paths
from mlprep.storage.store import Store

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps long paths at 80 columns otherwise


MINE = """\
# my deck, by hand
deck: mine
cards:
  - id: alpha     # three reviews, last one a lapse
    q: Alpha?
    a: Alpha.
    tags: [greek]

  - id: beta
    q: Beta?
    a: Beta.
  - id: gamma
    q: What is the gamma function?
    a: |
      A generalised factorial.
  - id: delta
    q: Delta?
    a: Delta.
  - id: epsilon
    q: Epsilon?
    a: Epsilon.
    tags: [greek]
"""


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def user_cards() -> Path:
    folder = Paths.from_env().user_cards
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def mine(user_cards: Path) -> Path:
    path = user_cards / "mine.yaml"
    path.write_text(MINE)
    return path


def record(card_id: str, *answers: tuple[str, int]) -> None:
    with Store(Paths.from_env().db) as store:
        for day, quality in answers:
            d = date.fromisoformat(day)
            store.record(
                card_id, Answer.expert(quality), datetime(d.year, d.month, d.day, 9).astimezone(), d
            )


@pytest.fixture
def history(mine, monkeypatch):
    """Reviews for the cards of `mine`; today is 2026-03-10."""
    monkeypatch.setenv("MLPREP_NOW", "2026-03-10T09:00")
    assert run("list", "--json").exit_code == 0  # create the DB and sync the deck
    record("alpha", ("2026-03-01", 4), ("2026-03-02", 4), ("2026-03-08", 1))
    record("beta", ("2026-03-01", 4), ("2026-03-02", 4))
    record("delta", ("2026-03-05", 4), ("2026-03-06", 4))
    record("epsilon", ("2026-03-01", 4), ("2026-03-02", 4), ("2026-03-10", 3))
    record("ghost", ("2026-02-01", 4))  # a card no deck file has any more
    return mine


# -- add: flags --------------------------------------------------------------------------------


def test_add_with_flags_creates_a_deck_file(user_cards):
    result = run(
        "add",
        "--q",
        "Why scale features for ridge?",
        "--a",
        "Scale-dependent.",
        "-t",
        "ridge,features",
        "--deck",
        "notes",
    )
    path = user_cards / "notes.yaml"
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Added scale-features-ridge to {path}:5\n"
    assert path.read_text().endswith(
        "cards:\n  - id: scale-features-ridge\n    q: Why scale features for ridge?\n"
        "    a: Scale-dependent.\n    tags: [ridge, features]\n"
    )


def test_add_appends_to_a_hand_written_file_byte_for_byte(mine):
    result = run("add", "--q", "Zeta?", "--a", "Line one\nline two", "--deck", "mine")
    assert result.exit_code == 0, result.output
    text = mine.read_text()
    assert text.startswith(MINE)
    assert (
        text[len(MINE) :]
        == "  - id: zeta\n    q: Zeta?\n    a: |\n      Line one\n      line two\n"
    )


def test_add_default_deck_and_slug_suffix(mine):
    assert run("add", "--q", "Alpha", "--a", "x", "--force").exit_code == 0  # slug "alpha" is taken
    text = (mine.parent / "my-cards.yaml").read_text()
    assert "- id: alpha-2\n" in text


def test_near_duplicate_is_refused_unless_forced(mine):
    result = run("add", "--q", "what is the Gamma function", "--a", "x")
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: "what is the Gamma function" duplicates the question of card gamma ({mine}:12). '
        "Use --force to add it anyway.\n"
    )
    result = run("add", "--q", "What is the gamma functions?", "--a", "x", "--force")
    assert result.exit_code == 0
    assert result.stderr.startswith('warning: "What is the gamma functions?" is 98% similar to')
    assert result.stderr.endswith("; adding it anyway (--force)\n")


def test_id_clash_with_a_deck(mine):
    result = run("add", "--q", "New?", "--a", "x", "--id", "beta")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot add the card:\n"
        f"  id 'beta' is already used by a card in {mine}:9; choose another with --id\n"
    )


def test_id_clash_with_the_bundled_deck():
    bundled = load_paths([bundled_cards_dir()]).cards[0]
    result = run("add", "--q", "New?", "--a", "x", "--id", bundled.id)
    assert result.exit_code == 1
    # A bundled card's place is shown short: bundled:FILE.yaml:LINE, not the package path.
    where = f"bundled:{Path(bundled.path).name}:{bundled.line}"
    assert f"is already used by a card in {where}" in result.stderr


def test_id_clash_with_retired_history(history, mine):
    result = run("add", "--q", "Ghost?", "--a", "x", "--id", "ghost")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot add the card:\n  id 'ghost' belonged to a card that is retired but keeps "
        "its review history, and ids are never reused; choose another with --id\n"
    )
    # A card removed from its file is retired; its id stays taken, and a slug avoids it.
    mine.write_text(MINE.replace("  - id: beta\n    q: Beta?\n    a: Beta.\n", ""))
    result = run("add", "--q", "Beta", "--a", "x", "--id", "beta")
    assert result.exit_code == 1 and "belonged to a card that is retired" in result.stderr
    assert run("add", "--q", "Beta", "--a", "x", "--force").stdout.startswith("Added beta-2 ")
    assert run("add", "--q", "Ghost", "--a", "x").stdout.startswith("Added ghost-2 ")


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--q", "Q?"], 2, "give both --q and --a (or run `mlprep add` in a terminal to be asked)"),
        (
            [],
            2,
            "nothing to add: give --q and --a, or --stdin with YAML, or --editor; or run `mlprep add` in a terminal to be asked for the card",
        ),
        (
            ["--stdin", "--q", "Q"],
            2,
            "--stdin reads whole cards from standard input; it cannot be combined with --q, --a, --id, --generator, --params or --editor",
        ),
        (
            ["--params", "{}"],
            2,
            "--params needs --generator NAME, e.g. --generator ridge --params '{\"level\": 1}'",
        ),
        (
            ["--generator", "ridge", "--a", "x"],
            2,
            "a computed card has no --a: its generator computes the answer",
        ),
        (
            ["--generator", "ridge", "--params", "{level: 1}"],
            2,
            "--params is not valid JSON (Expecting property name enclosed in double quotes); example: --params '{\"level\": 1}'",
        ),
        (
            ["--generator", "ridge", "--params", "[1]"],
            2,
            "--params must be a JSON object, e.g. '{\"level\": 1}'",
        ),
        (
            ["--q", "Q?", "--a", "A", "-t", "Bad_Tag"],
            1,
            "cannot add the card:\n  tag must match [a-z0-9][a-z0-9-]* (e.g. 'ridge'), got 'Bad_Tag'",
        ),
        (
            ["--q", "Q?", "--a", "A", "--id", "Not An Id"],
            1,
            "cannot add the card:\n  id 'Not An Id' must match [a-z0-9][a-z0-9-]* (lowercase, digits, '-')",
        ),
        (["--q", "Q?", "--a", " "], 1, "cannot add the card:\n  the answer (a) is empty"),
        (
            ["--q", "Q?", "--a", "A", "--deck", "../up"],
            1,
            "deck name '../up' may only use letters, digits, '-', '_' and '.'; use --cards DIR to choose the folder",
        ),
        (
            ["--editor"],
            2,
            "--editor needs $VISUAL or $EDITOR to name your editor, e.g. `export EDITOR=nano`",
        ),
    ],
)
def test_add_usage_errors(args, code, message):
    result = run("add", *args)
    assert (result.exit_code, result.stderr) == (code, f"Error: {message}\n")
    assert not Paths.from_env().user_cards.exists() or not any(
        Paths.from_env().user_cards.iterdir()
    )


def test_never_writes_into_the_bundled_deck():
    bundled = bundled_cards_dir()
    before = {p: p.read_bytes() for p in bundled.glob("*.yaml")}
    result = run("add", "--q", "Q?", "--a", "A", "--cards", str(bundled), "--deck", "training")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: refusing to write into the bundled deck ({bundled}): it belongs to the installed "
        f"mlprep. Your cards go to {Paths.from_env().user_cards} (the default) or to a folder "
        "given with --cards DIR.\n"
    )
    assert {p: p.read_bytes() for p in bundled.glob("*.yaml")} == before


def test_cards_option_picks_the_folder(tmp_path, mine):
    folder = tmp_path / "elsewhere"
    result = run("add", "--q", "Elsewhere?", "--a", "Here.", "--cards", str(folder))
    assert result.exit_code == 0
    assert (folder / "my-cards.yaml").is_file()
    # Its ids now count as taken, and its files are offered by name.
    result = run("add", "--q", "Q2?", "--a", "A", "--id", "elsewhere", "--cards", str(folder))
    assert result.exit_code == 1 and "already used by a card in" in result.stderr
    result = run("add", "--cards", str(mine), "--q", "Q?", "--a", "A")
    assert result.stderr == f"Error: --cards must be a folder to write into, but {mine} is a file\n"


def test_a_broken_target_file_is_left_alone(user_cards):
    path = user_cards / "broken.yaml"
    path.write_bytes(b"cards:\n  - id: ok\n    q: Q?\n    a: A.\n    tags: [Bad]\n")
    result = run("add", "--q", "New?", "--a", "A", "--deck", "broken")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} already has problems; fix them first (see `mlprep check {path}`):\n"
        f"  {path}:5: tag must match [a-z0-9][a-z0-9-]* (e.g. 'ridge'), got 'Bad'\n"
    )
    assert path.read_bytes() == b"cards:\n  - id: ok\n    q: Q?\n    a: A.\n    tags: [Bad]\n"


# -- add: stdin and computed cards -------------------------------------------------------------


def test_add_from_stdin(mine):
    snippet = "deck: mine\ncards:\n  - q: From stdin?\n    a: |\n      Yes.\n  - id: own-id\n    q: Second?\n    a: Two.\n"
    result = run("add", "--stdin", "-t", "piped", input=snippet)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Added stdin to {mine}:23\nAdded own-id to {mine}:28\n"
    assert mine.read_text().startswith(MINE)
    assert mine.read_text().endswith("    q: Second?\n    a: Two.\n    tags: [piped]\n")


def test_add_from_stdin_list_form(user_cards):
    result = run("add", "--stdin", input="- q: One?\n  a: One.\n- q: Two?\n  a: Two.\n")
    assert result.exit_code == 0
    assert result.stdout.count("Added") == 2


def test_add_from_stdin_errors_leave_files_alone(mine):
    result = run("add", "--stdin", input="- q: One?\n- q: Two?\n  a: Two.\n  colour: red\n")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot add the cards:\n  card 1: the answer (a) is empty\n"
        "  card 2: unknown key 'colour'; expected one of id, type, q, a, generator, params, tags, level\n"
    )
    result = run("add", "--stdin", input="q: [broken\n")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot read the cards from stdin:\n  line 2: YAML syntax error"
    )
    result = run("add", "--stdin", input="- id: beta\n  q: Again?\n  a: Dup.\n")
    assert result.stderr == (
        f"Error: cannot add the card:\n  id 'beta' is already used by a card in {mine}:9; "
        "choose another with --id\n"
    )
    assert mine.read_text() == MINE
    assert sorted(p.name for p in mine.parent.iterdir()) == ["mine.yaml"]


def test_add_a_computed_card_shows_a_sample(user_cards):
    result = run(
        "add", "--generator", "ridge", "--params", '{"level": 1}', "--deck", "drills", "-t", "ridge"
    )
    assert result.exit_code == 0, result.output
    assert "Question (sample problem)" in result.stdout and "ridge · seed 0" in result.stdout
    assert "Ridge regression" in result.stdout
    added = result.stdout.splitlines()[-1]
    assert added.startswith("Added ridge-drill") and added.endswith("drills.yaml:5")
    assert (
        "    type: computed\n    generator: ridge\n    params: {level: 1}\n    tags: [ridge]\n"
        in (user_cards / "drills.yaml").read_text()
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--generator", "nope"], "cannot add the card:\n  unknown generator 'nope'; known: "),
        (
            ["--generator", "ridge", "--params", '{"level": 9}'],
            "cannot add the card:\n  bad params: ridge: param 'level' must be in [1, 3], got 9",
        ),
        (
            ["--generator", "ridge", "--params", '{"size": 2}'],
            "cannot add the card:\n  bad params: ridge: unknown param 'size'",
        ),
    ],
)
def test_add_computed_card_errors(args, message):
    result = run("add", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")


# -- add: editor (a script stands in for the user's editor) ------------------------------------

EDITOR = """\
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text()
counter = pathlib.Path(__file__).with_suffix(".count")
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
steps = {steps!r}
step = steps[min(n, len(steps) - 1)]
if step == "fail":
    sys.exit(3)
if step == "keep":
    sys.exit(0)
if step == "problems-seen":
    assert text.startswith("#! mlprep could not add this yet"), text
    step = "valid"
cards = {{
    "valid": "deck: edited\\ncards:\\n  - q: Edited question?\\n    a: |\\n      Edited answer.\\n    tags: [ed]\\n",
    "invalid": "deck: edited\\ncards:\\n  - q: Edited question?\\n    tags: [Bad Tag]\\n",
}}
path.write_text(text + "\\n# written by the test editor\\n" + cards[step] if step != "empty" else "")
"""


def editor(tmp_path, monkeypatch, *steps: str) -> Path:
    script = tmp_path / "fake_editor.py"
    script.write_text(EDITOR.format(steps=list(steps)))
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    return script


def drafts() -> list[Path]:
    folder = Paths.from_env().data_dir / "drafts"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_editor_adds_the_card(tmp_path, monkeypatch, user_cards):
    editor(tmp_path, monkeypatch, "valid")
    result = run("add", "--editor")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Added edited-question to {user_cards / 'edited.yaml'}:5\n"
    assert drafts() == []


def test_editor_reopens_with_the_problems_then_adds(tmp_path, monkeypatch, user_cards):
    script = editor(tmp_path, monkeypatch, "invalid", "problems-seen")
    result = run("add", "-e")
    assert result.exit_code == 0, result.output
    assert "The card has problems; reopening the editor (2 listed at the top)." in result.stderr
    assert script.with_suffix(".count").read_text() == "2"
    assert (user_cards / "edited.yaml").is_file()


def test_editor_unchanged_problems_keep_the_draft(tmp_path, monkeypatch, user_cards):
    editor(tmp_path, monkeypatch, "invalid", "keep")
    result = run("add", "-e")
    assert result.exit_code == 1
    [draft] = drafts()
    assert result.stderr.endswith(
        "Error: Nothing added: the text still has the problems listed at its top.\n"
        f"Your text is kept in {draft} (add it later with `mlprep add --stdin < {draft}`).\n"
    )
    assert "tags: [Bad Tag]" in draft.read_text()
    assert not (user_cards / "edited.yaml").exists()


@pytest.mark.parametrize(
    "step, message, kept",
    [
        ("keep", "Error: Nothing added: the card was left empty.\n", False),
        ("empty", "Error: Nothing added: the card was left empty.\n", False),
        ("fail", "Error: the editor {editor!r} exited with status 3; nothing added\n", True),
    ],
)
def test_editor_cancel_and_failure(tmp_path, monkeypatch, step, message, kept):
    script = editor(tmp_path, monkeypatch, step)
    result = run("add", "--editor")
    assert result.exit_code == 1
    assert result.stderr.startswith(message.format(editor=f"{sys.executable} {script}"))
    assert bool(drafts()) == kept


# -- show --------------------------------------------------------------------------------------


def test_show_a_new_card(mine):
    result = run("show", "gamma")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [" gamma · deck mine", f" {mine}:12"]
    assert "│ What is the gamma function?" in result.stdout
    assert "│ A generalised factorial." in result.stdout
    assert lines[-1] == "Status: new: not reviewed yet."


def test_show_history(history):
    result = run("show", "alpha")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert " alpha · deck mine · tags greek\n" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("2026-")]
    # SM-2's ease after each answer: Good keeps 2.50, Again takes 0.54 off (q = 1).
    assert rows == [
        ["2026-03-01", "Good", "1", "day", "2026-03-02", "2.50"],
        ["2026-03-02", "Good", "6", "days", "2026-03-08", "2.50"],
        ["2026-03-08", "Again", "1", "day", "2026-03-09", "1.96"],
    ]
    assert out.splitlines()[-3:-1] == [
        "Status: learning · interval 1 day · due 2026-03-09 (1 day overdue)",
        "Ease 1.96 (2.50 → 1.96) · 3 reviews, 1 lapse",
    ]
    # The memory model's line, recomputed with fsrs-rs-python directly: Good, Good a day
    # later, Again six days after that; today is two days on.
    import fsrs_rs_python as ref

    fsrs = ref.FSRS(ref.DEFAULT_PARAMETERS)
    state = fsrs.next_states(None, 0.9, 0).good.memory
    state = fsrs.next_states(state, 0.9, 1).good.memory
    state = fsrs.next_states(state, 0.9, 6).again.memory
    w20 = ref.DEFAULT_PARAMETERS[20]
    recall = (1 + (0.9 ** (-1 / w20) - 1) * 2 / state.stability) ** -w20
    assert out.splitlines()[-1] == (
        f"Memory (FSRS): stability {state.stability:.1f} days · difficulty "
        f"{state.difficulty:.1f} / 10 · recall today {recall:.0%}"
    )


def test_show_retired_history(history):
    result = run("show", "ghost")
    assert result.exit_code == 0
    assert "2026-02-01" in result.stdout
    assert result.stdout.splitlines()[-2].startswith("Status: retired: no deck file has this id")
    assert result.stdout.splitlines()[-1].startswith("Memory (FSRS): stability")


def test_show_unknown_id(mine):
    result = run("show", "gama")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no card with id 'gama'; did you mean gamma?\n",
    )


# -- list --------------------------------------------------------------------------------------


def test_list_statuses_json(history):
    result = run("list", "--deck", "mine", "--json")
    assert result.exit_code == 0
    rows = {r["id"]: (r["status"], r["due"]) for r in json.loads(result.stdout)}
    assert rows == {
        "alpha": ("learning", "2026-03-09"),  # lapsed: repetitions back to 0
        "beta": ("review", "2026-03-08"),
        "gamma": ("new", None),
        "delta": ("review", "2026-03-12"),
        "epsilon": ("learning", "2026-03-25"),  # graded Hard today: relearning
    }


def test_list_filters(history):
    due = json.loads(run("list", "--deck", "mine", "--due", "--json").stdout)
    assert [r["id"] for r in due] == ["alpha", "beta", "epsilon"]
    tagged = json.loads(run("list", "--tag", "greek", "--json").stdout)
    assert [r["id"] for r in tagged] == ["alpha", "epsilon"]
    # An unknown filter is an error here as in every command (it used to list nothing).
    unknown = run("list", "--deck", "nope", "--json")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: no deck named 'nope'")


def test_list_shows_retired_cards(history, mine):
    mine.write_text(MINE.replace("  - id: delta\n    q: Delta?\n    a: Delta.\n", ""))
    rows = json.loads(run("list", "--deck", "mine", "--json").stdout)
    assert rows[-1] == {
        "id": "delta", "deck": "mine", "type": "basic", "status": "retired", "due": None,
        "tags": [], "path": str(mine), "line": 16, "flagged": False,
    }  # fmt: skip


def test_list_table(history):
    result = run("list", "--deck", "mine")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "deck", "status", "due", "tags"]
    assert lines[1].split() == ["alpha", "mine", "learning", "2026-03-09", "greek"]
    assert lines[3].split() == ["gamma", "mine", "new", "-"]
    assert lines[-1] == "5 cards: 1 new, 2 learning, 2 review"
    assert run("list", "--deck", "mine", "--due", "--tag", "greek", "--search", "zzz").stdout == (
        "No cards match.\n"
    )


# -- rename ------------------------------------------------------------------------------------


def test_rename_moves_the_history(history, mine):
    result = run("rename", "alpha", "alpha-renamed")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Renamed alpha to alpha-renamed in {mine}; moved 3 reviews.\n"
    assert mine.read_text() == MINE.replace("id: alpha ", "id: alpha-renamed ")
    with Store(Paths.from_env().db) as store:
        assert len(store.reviews("alpha-renamed")) == 3 and store.reviews("alpha") == []
        assert store.state("alpha-renamed").lapses == 1 and store.state("alpha") is None
    shown = run("show", "alpha-renamed").stdout
    assert "Ease 1.96" in shown and "greek" in shown
    rows = {r["id"]: r for r in json.loads(run("list", "--deck", "mine", "--json").stdout)}
    assert "alpha" not in rows and rows["alpha-renamed"]["status"] == "learning"
    assert json.loads(run("list", "--tag", "greek", "--json").stdout)[0]["id"] == "alpha-renamed"


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "alpha",
            "beta",
            "id 'beta' is already used by a card in {mine}:9; choose another for NEW",
        ),
        (
            "alpha",
            "ghost",
            "id 'ghost' belonged to a card that is retired but keeps its review history, and ids are never reused; choose another for NEW",
        ),
        (
            "alpha",
            "Bad Id",
            "new id 'Bad Id' must match [a-z0-9][a-z0-9-]* (lowercase letters, digits and '-')",
        ),
        ("alpha", "alpha", "the old and new ids are the same ('alpha')"),
        ("alpah", "x", "no card with id 'alpah'; did you mean alpha?"),
        (
            "ghost",
            "x",
            "card 'ghost' is retired: no deck file loaded this time has it, so there is nothing to rename (its history stays under that id). If its file is in a folder you pass with --cards, pass it here too",
        ),
        ("nothing-like-it", "x", "no card with id 'nothing-like-it'; `mlprep list` shows every id"),
    ],
)
def test_rename_errors(history, mine, old, new, message):
    result = run("rename", old, new)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message.format(mine=mine)}\n")
    assert mine.read_text() == MINE


def test_rename_refuses_retired_and_bundled_cards(history, mine):
    mine.write_text(MINE.replace("  - id: beta\n    q: Beta?\n    a: Beta.\n", ""))
    result = run("rename", "beta", "beta-2")
    assert result.stderr == (
        "Error: card 'beta' is retired: no deck file loaded this time has it, so there is nothing to rename (its history stays under that id). If its file is in a folder you pass with --cards, pass it here too\n"
    )
    bundled = load_paths([bundled_cards_dir()]).cards[0]
    result = run("rename", bundled.id, "my-new-id")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {bundled.id!r} is in the bundled deck "
        f"(bundled:{Path(bundled.path).name}:{bundled.line}); only your own cards "
        "can be renamed\n"
    )


# -- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["add", "show", "list", "rename"])
def test_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"mlprep {command}" in result.stdout.split("Example")[1]


def test_list_shows_deck_names_with_brackets_verbatim(tmp_path):
    deck = tmp_path / "wip.yaml"
    deck.write_text('deck: "[/] draft [wip]"\ncards:\n  - {id: bracket-card, q: Q?, a: A.}\n')
    result = CliRunner().invoke(app, ["list", "--cards", str(deck), "--deck", "[/] draft [wip]"])
    assert result.exit_code == 0, result.output
    assert "[/] draft [wip]" in result.output


def test_stdin_card_with_a_one_word_tags_value():
    result = CliRunner().invoke(
        app, ["add", "--stdin"], input="q: hello there\na: world\ntags: ridge\n"
    )
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["list", "--tag", "ridge", "--json"])
    assert "hello-there" in {row["id"] for row in json.loads(listed.output)}


def test_rename_reattaches_history_after_an_id_was_changed_by_hand(tmp_path):
    deck = Paths.from_env().user_cards
    deck.mkdir(parents=True)
    path = deck / "mine.yaml"
    path.write_text("cards:\n  - id: old-id\n    q: Q?\n    a: A.\n")
    assert CliRunner().invoke(app, ["list"]).exit_code == 0
    from mlprep.storage.store import Store

    with Store(Paths.from_env().db) as store:
        store.record(
            "old-id", Answer.expert(4), datetime(2026, 3, 1, 9).astimezone(), date(2026, 3, 1)
        )
    path.write_text("cards:\n  - id: new-id\n    q: Q?\n    a: A.\n")  # edited by hand
    result = CliRunner().invoke(app, ["rename", "old-id", "new-id"])
    assert result.exit_code == 0, result.output
    assert "moved 1 review from old-id to new-id" in result.output
    with Store(Paths.from_env().db) as store:
        assert [r.card_id for r in store.reviews()] == ["new-id"]
        assert store.state("new-id").memory.repetitions == 1 and store.state("old-id") is None
    assert path.read_text() == "cards:\n  - id: new-id\n    q: Q?\n    a: A.\n"


def test_near_duplicates_within_one_stdin_batch_are_caught():
    snippet = "- {q: Which colour is the test batch question?, a: one}\n- {q: Which colour is the test batch question, a: two}\n"
    result = CliRunner().invoke(app, ["add", "--stdin", "--deck", "batch"], input=snippet)
    assert result.exit_code == 1
    assert "duplicates the question of card #1 of this batch" in result.output
