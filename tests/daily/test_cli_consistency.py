"""The QA audit of the command line: one meaning per short flag, right plurals, the same
handling of unknown filters, help examples that paste, and output that fits 80 columns."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from mlprep.cli import app

runner = CliRunner()


def walk_commands():
    """(path, command) of every command and subcommand, e.g. (("import", "csv"), cmd)."""
    root = typer.main.get_command(app)
    todo = [((), root)]
    while todo:
        path, cmd = todo.pop()
        if path:
            yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            todo.append(((*path, name), sub))


def _options(cmd):
    return [p for p in cmd.params if getattr(p, "param_type_name", "") == "option"]


# -- 1. short flags ----------------------------------------------------------------------------


def short_flag_meanings():
    """short flag -> {meaning: [commands]}: the meaning is the option's first long name, and,
    for a folder option, whether it names where new cards are written (`add`, `import`) or
    one more folder to read."""
    meanings: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, cmd in walk_commands():
        for option in _options(cmd):
            names = [*option.opts, *option.secondary_opts]
            long_name = next(n for n in names if n.startswith("--"))
            writes = bool(re.search(r"\bwrite\b.*\binto\b", (option.help or "").lower()))
            for short in (n for n in names if not n.startswith("--")):
                meanings[short][(long_name, "writes into" if writes else "")].append(" ".join(path))
    return meanings


def test_every_short_flag_has_one_meaning_in_every_command():
    # No allow-list: none is needed. A removed alias's long option still works.
    clashes = {short: dict(m) for short, m in short_flag_meanings().items() if len(m) > 1}
    assert not clashes, clashes


def test_the_short_flags_kept_mean_what_they_mean_elsewhere():
    meanings = short_flag_meanings()
    assert set(meanings["-n"]) == {("--count", "")}  # drill's -n N, as in the README
    assert set(meanings["-c"]) == {("--cards", "")}  # an extra folder to read, never a target
    assert sorted(meanings["-l"][("--level", "")]) == ["drill", "due", "review"]
    assert set(meanings["-t"]) == {("--tag", "")}


def test_long_options_whose_short_alias_went_still_work(tmp_path):
    folder = tmp_path / "mine"
    result = runner.invoke(app, ["add", "--cards", str(folder), "--q", "Q one?", "--a", "A."])
    assert result.exit_code == 0, result.output
    assert (folder / "mine.yaml").exists() or list(folder.glob("*.yaml")), result.output
    assert runner.invoke(app, ["add", "-c", str(folder), "--q", "Q?", "--a", "A."]).exit_code == 2
    result = runner.invoke(app, ["search", "gradient", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["search", "gradient", "-n", "1"]).exit_code == 2
    assert runner.invoke(app, ["review", "-n", "1"]).exit_code == 2
    csv = tmp_path / "cards.csv"
    csv.write_text("What is one?,One.\n")
    result = runner.invoke(app, ["import", "csv", str(csv), "--dry-run"])
    assert result.exit_code == 0 and "Dry run: nothing was written." in result.output
    assert runner.invoke(app, ["import", "csv", str(csv), "-n"]).exit_code == 2


# -- 2. plurals --------------------------------------------------------------------------------


def test_plural_says_one_in_the_singular_and_every_other_count_in_the_plural():
    from mlprep.core.wording import noun, plural

    assert [plural(n, "card") for n in (0, 1, 2)] == ["0 cards", "1 card", "2 cards"]
    assert plural(1, "card file") == "1 card file" and plural(2, "card file") == "2 card files"
    assert (
        plural(2, "match", "matches") == "2 matches" and plural(1, "match", "matches") == "1 match"
    )
    assert plural(1051, "answer") == "1,051 answers"
    assert noun(1, "line") == "line" and noun(3, "line") == "lines"


def test_no_message_makes_its_own_plural():
    """Every count message goes through `core.wording.plural` (or `noun`): no `'s' * (n != 1)`
    and no `{n} cards` with a hard-coded plural that reads "1 cards" when n is 1."""
    from pathlib import Path

    import mlprep

    root = Path(mlprep.__file__).parent
    nouns = (
        "card|answer|note|review|deck|tag|file|setting|problem|row|generator|minute|day|week"
        "|time|column|fact|parameter"
    )
    before = "(?:computed |card |other |long-term |new |past )?"
    # `'s' * (n != 1)`, or `{n} cards` / `{n:,} card files` (a count, then a fixed plural).
    hand_made = re.compile(r"['\"]s['\"] \* \(|\{[^{}:]+(?::,)?\} " + before + f"(?:{nouns})s\\b")
    # The JSON Lines loop and the sync folder have no count message.
    skip = ("term/jsonl.py", "interop/sync_folder.py")
    found = []
    for folder in ("cli", "term", "interop", "app", "core"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in skip:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if hand_made.search(line):
                    found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def _decks(folder, counts):
    """Deck files d1.yaml ... in `folder`, file i with counts[i] basic cards."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, n in enumerate(counts, 1):
        (folder / f"d{i}.yaml").write_text(
            f"deck: d{i}\ncards:\n"
            + "".join(f"  - {{id: d{i}-c{k}, q: 'Q {i} {k}?', a: A.}}\n" for k in range(n))
        )


@pytest.fixture
def no_bundled_deck(tmp_path, monkeypatch):
    empty = tmp_path / "no-bundled-cards"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)


@pytest.mark.parametrize("n", [1, 2])
def test_export_anki_counts_notes_cards_and_decks_in_the_right_number(tmp_path, no_bundled_deck, n):
    _decks(tmp_path / "deck", [n])
    out = tmp_path / "one.apkg"
    result = runner.invoke(app, ["export", "anki", str(out), "--cards", str(tmp_path / "deck")])
    assert result.exit_code == 0, result.output
    notes, cards = ("1 note", "1 card") if n == 1 else ("2 notes", "2 cards")
    assert f"Wrote {out}: {notes} ({cards}) in 1 deck" in result.output


def test_export_anki_says_one_problem_per_computed_card(tmp_path, no_bundled_deck):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "c.yaml").write_text(
        "deck: c\ncards:\n  - {id: c-r, type: computed, generator: ridge, q: Ridge.}\n"
    )
    out = tmp_path / "c.apkg"
    result = runner.invoke(app, ["export", "anki", str(out), "--cards", str(deck), "-k", "1"])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 1 note (0 cards, 1 computed card × 1 problem) in 1 deck" in result.output


@pytest.mark.parametrize("n", [0, 1, 2])
def test_export_and_import_json_count_in_the_right_number(
    tmp_path, monkeypatch, no_bundled_deck, n
):
    from mlprep.app.library import open_library
    from mlprep.core.grades import Answer, Grade

    home = tmp_path / "home"
    monkeypatch.setenv("MLPREP_HOME", str(home))
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T12:00")
    _decks(home / "cards", [1] * n)  # n files of one card each, in the user's deck folder
    with open_library() as lib:
        for i in range(1, n + 1):
            lib.store.record(f"d{i}-c0", Answer.of(Grade.GOOD), lib.now, lib.today)
    for name, value in [("new_per_day", "7"), ("backups_kept", "3")][:n]:
        assert runner.invoke(app, ["config", name, value]).exit_code == 0
    dump = tmp_path / "dump.json"
    result = runner.invoke(app, ["export", "json", str(dump)])
    assert result.exit_code == 0, result.output
    words = {
        0: ("0 cards", "0 answers", "0 card files", "0 settings"),
        1: ("1 card", "1 answer", "1 card file", "1 setting"),
        2: ("2 cards", "2 answers", "2 card files", "2 settings"),
    }[n]
    cards, answers, files, settings = words
    assert result.output == (
        f"Exported {cards}, {answers} (+0 other facts), {files} and {settings} to {dump}\n"
    )
    monkeypatch.setenv("MLPREP_HOME", str(tmp_path / "restored"))
    result = runner.invoke(app, ["import", "json", str(dump)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Imported {answers} (+0 other facts), {cards}, {files} and {settings} from {dump}\n"
    )


# -- 3. unknown filters ------------------------------------------------------------------------


def _error(result) -> str:
    return next(line for line in result.output.splitlines() if line.startswith("Error:"))


def test_drill_scripts_reject_an_unknown_tag_as_list_does():
    expected = runner.invoke(app, ["list", "--tag", "nope"])
    assert expected.exit_code != 0 and _error(expected).startswith("Error: no tag named 'nope'; ")
    for args in (
        ["--tag", "nope", "--json"],
        ["--tag", "nope", "--generator", "ridge", "--json"],
        ["--tag", "nope", "--generator", "ridge", "--answer", "1"],
        ["--topic", "nope", "--generator", "ridge", "--json"],
    ):
        result = runner.invoke(app, ["drill", *args])
        assert result.exit_code == expected.exit_code, (args, result.output)
        assert _error(result) == _error(expected), args
        assert '"generator"' not in result.output  # no problem printed


def test_drill_scripts_take_the_card_from_a_known_tag(tmp_path, no_bundled_deck):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "d.yaml").write_text(
        "deck: d\ncards:\n"
        "  - {id: d-ols, type: computed, generator: ols, tags: [fit], q: OLS.}\n"
        "  - {id: d-plain, q: Plain?, a: A., tags: [other]}\n"
    )
    result = runner.invoke(app, ["drill", "--cards", str(deck), "--tag", "fit", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["generator"] == "ols"
    result = runner.invoke(
        app, ["drill", "--cards", str(deck), "--tag", "other", "--generator", "ols", "--json"]
    )
    assert result.exit_code == 2
    assert (
        _error(result)
        == "Error: no computed card tagged 'other' uses generator 'ols' (see `mlprep list`)"
    )
    result = runner.invoke(
        app, ["drill", "--cards", str(deck), "--tag", "other", "--card", "d-ols", "--json"]
    )
    assert result.exit_code == 2 and _error(result) == "Error: card d-ols is not tagged 'other'"


# -- 4. signs in worked solutions --------------------------------------------------------------


def test_tidy_signs_parenthesises_powers_and_products_and_uses_one_minus():
    from mlprep.drills.format import tidy_signs

    assert tidy_signs("$x_2^2$ = -2² = `4`") == "$x_2^2$ = (−2)² = `4`"
    assert tidy_signs("-1.5^2 = `2.25`") == "(−1.5)^2 = `2.25`"
    assert tidy_signs("3 · -2 = `-6`") == "3 · (−2) = `−6`"
    assert tidy_signs("-2 × 3 = -6") == "(−2) × 3 = −6"
    assert (
        tidy_signs("6 / -2 = -3 and [[1, -2], [-3, 4]]") == "6 / (−2) = −3 and [[1, −2], [−3, 4]]"
    )
    # Not negative numbers: exponents, dates, ranges, names; math is the renderer's.
    untouched = "1e-05, 2026-12-01, levels 1-3, t-1, x_2-1, $10^{-3}$ and $$a - -2$$"
    assert tidy_signs(untouched) == untouched


def _solution_text(problem):
    import io

    from rich.console import Console

    from mlprep.drills.answers import format_answer
    from mlprep.term.drill import solution_panel

    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(solution_panel(problem, format_answer(problem)))
    return console.file.getvalue()


def test_feature_row_solution_reads_minus_two_squared_in_parentheses():
    from mlprep.drills import generate

    problem = generate("feature_row", 0, {})
    x1, x2 = (float(v) for v in problem.data["x"])
    assert x2 < 0 < x1  # the seed the audit used: x = (3, -2)
    screen = _solution_text(problem)
    sq, product = int(x2 * x2), int(x1 * x2)
    assert f"(−{int(-x2)})² = {sq}" in screen
    assert f"{int(x1)} · (−{int(-x2)}) = −{-product}" in screen
    steps = screen.split("Answer:")[0]
    assert not re.search(r"(?<![\w.)\]}])-\d", steps), steps  # no ASCII minus left in the steps


def test_no_solution_step_of_any_generator_has_an_ascii_minus_or_a_bare_negative_power():
    from mlprep.drills import all_generators, generate
    from mlprep.drills.format import _MATH, tidy_signs

    for gen in all_generators():
        for level in (1, 2, 3):
            params = {"level": level} if "level" in gen.params else {}
            for seed in range(4):
                for step in generate(gen.name, seed, params).solution:
                    prose = _MATH.sub("", tidy_signs(step))
                    assert not re.search(r"(?<![\w.)\]}])-\d", prose), (gen.name, step)
                    assert not re.search(r"(?<![\w.)\]}(])−\d+(\.\d+)?[²³^]", prose), (
                        gen.name,
                        step,
                    )


# -- 5. integer answers are checked exactly ----------------------------------------------------

# Counts by what they are (README's generator table): parameters, FLOPs, bytes, monomials,
# shapes, pixels, users. The scan below finds any other whole-number answer too.
COUNTS = {
    "ab_sample_size",
    "attention_flops",
    "conv_output_shape",
    "conv_params",
    "kv_cache_bytes",
    "lora_params",
    "monomial_count",
    "receptive_field",
    "transformer_params",
    "zero_memory",
}


def _samples(gen):
    from mlprep.drills import generate

    levels = (1, 2, 3) if "level" in gen.params else (None,)
    for level in levels:
        for seed in range(8):
            yield generate(gen.name, seed, {} if level is None else {"level": level})


def test_every_whole_number_answer_is_checked_exactly_and_the_prompt_says_so():
    import numpy as np

    from mlprep.drills import all_generators

    names = {g.name for g in all_generators()}
    assert names >= COUNTS
    for gen in all_generators():
        problems = list(_samples(gen))
        whole = all(
            np.all(np.asarray(p.answer, float) == np.round(np.asarray(p.answer, float)))
            for p in problems
        )
        # A generator that asks for decimals ("2 decimals if not exact") may land on a whole
        # number by chance; one that never does and never asks for decimals has integer answers.
        asks_decimals = any("decimal" in p.answer_format for p in problems)
        if gen.name in COUNTS or (whole and not asks_decimals):
            for p in problems:
                assert p.exact and p.atol == 0 and p.rtol == 0, gen.name
                assert "exact" in p.prompt.lower(), (gen.name, p.prompt)


def test_monomial_count_accepts_only_the_count():
    import math

    from mlprep.drills import generate
    from mlprep.drills.answers import check_answer

    problem = next(
        p
        for seed in range(200)
        if (p := generate("monomial_count", seed, {"level": 1})).data["d"] == 4 and p.data["p"] == 4
    )
    assert math.comb(8, 4) == 70
    assert check_answer(problem, "70").status == "correct"
    assert check_answer(problem, "69").status == "wrong"
    assert check_answer(problem, "71").status == "wrong"
    for near in ("69.6", "70.5", "70.4"):
        result = check_answer(problem, near)
        assert result.status == "invalid" and "whole numbers" in result.message, near


# -- 6. help examples ----------------------------------------------------------------------------


def _help(path, columns):
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, (path, result.output)
    return result.output


def _examples(text):
    """Every example command of a help text: the `Example:` lines, and the indented lines of
    an `Examples:` block."""
    found, in_block = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Example:"):
            found.append(stripped)
            in_block = False
        elif stripped == "Examples:":
            in_block = True
        elif in_block and stripped.startswith("mlprep "):
            found.append(stripped)
        elif in_block and not stripped:
            in_block = False
    return found


def _mlprep_args(example):
    """The arguments given to mlprep in a shell line: after `mlprep`, up to a pipe or a
    redirection (`echo ... | mlprep review --jsonl`, `mlprep add --stdin < cards.yaml`)."""
    import shlex

    words = shlex.split(example.removeprefix("Example:"))
    start = words.index("mlprep") + 1
    args = []
    for word in words[start:]:
        if word in ("|", "<", ">", ";", "&&", "||"):
            break
        args.append(word)
    return args


def test_every_help_example_is_one_command_on_its_own_line_and_parses():
    root = typer.main.get_command(app)
    seen = 0
    for path, cmd in walk_commands():
        if hasattr(cmd, "commands"):
            continue
        text = _help(path, 80)
        for example in _examples(text):
            seen += 1
            # One invocation per line: a merged line would hold a second `mlprep `.
            assert example.count("mlprep ") == 1, (path, example)
            if example.startswith("Example:"):
                assert example.count("Example:") == 1, (path, example)
            args = _mlprep_args(example)
            target, names = root, []
            while hasattr(target, "commands"):
                names.append(args.pop(0))
                assert names[-1] in target.commands, (path, example)
                target = target.commands[names[-1]]
            assert tuple(names) == path, (path, example)  # the example is of this command
            target.make_context(" ".join(path), list(args))  # raises on a usage error
        assert _examples(text), (path, "no example")
    assert seen > 25


def test_a_help_example_parses_only_if_its_options_exist():
    """The check above would catch a broken example: make_context rejects it (typer's own
    click raises its UsageError)."""
    cmd = typer.main.get_command(app).commands["list"]
    for args in (["--tag", "ridge", "--due", "Example:", "mlprep", "list"], ["--no-such"]):
        with pytest.raises(Exception) as raised:
            cmd.make_context("list", args)
        assert "UsageError" in {c.__name__ for c in type(raised.value).__mro__}


# -- 7. full one-line descriptions in every group ----------------------------------------------


@pytest.mark.parametrize("columns", [80, 200])
def test_every_group_lists_its_commands_with_full_one_line_descriptions(columns):
    groups = [((), typer.main.get_command(app))]
    groups += [(p, c) for p, c in walk_commands() if hasattr(c, "commands")]
    assert {p for p, _ in groups} == {(), ("export",), ("import",)}
    for path, group in groups:
        out = _help(path, columns)
        listed = out.split("Commands:")[1].strip().splitlines()
        assert len(listed) == len(group.commands), (path, listed)  # one line each
        for line in listed:
            assert "..." not in line and line.rstrip().endswith("."), (path, line)
            assert len(line) <= 80, (path, line)


# -- 8. normal output fits 80 columns ----------------------------------------------------------


def _fits(result, columns=80):
    for line in result.output.splitlines():
        assert len(line) <= columns, line
    return result.output


def _all_cards():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_export_anki_of_the_whole_deck_counts_its_decks_in_one_short_summary(tmp_path):
    decks = sorted({card["deck"] for card in _all_cards()})
    assert len(decks) > 6
    out = Path(tempfile.mkdtemp(prefix="mlprep-", dir="/tmp")) / "all.apkg"  # a short path
    result = runner.invoke(app, ["export", "anki", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = " ".join(_fits(result).split())
    assert f"in {len(decks)} decks (--json lists them)." in text
    summary = runner.invoke(app, ["export", "anki", str(out), "--json"]).output
    assert json.loads(summary)["decks"] == [f"mlprep::{d}" for d in decks]
    shutil.rmtree(out.parent)


def test_check_wraps_its_deck_and_tag_lists_at_the_terminal_width():
    from collections import Counter

    cards = _all_cards()
    decks = Counter(card["deck"] for card in cards)
    tags = Counter(tag for card in cards for tag in card["tags"])
    result = runner.invoke(app, ["check"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = _fits(result).splitlines()
    for label, counts in (("decks:", decks), ("tags:", tags)):
        start = next(i for i, line in enumerate(lines) if line.startswith(label + " "))
        end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
        block = lines[start:end]
        items = " ".join(line.strip() for line in block).removeprefix(label).strip()
        assert items.split(", ") == [f"{name} ({n})" for name, n in sorted(counts.items())]
        for line in block:  # a line ends after a count, never between a name and its count
            assert line.endswith(("),", ")")), line
    wide = runner.invoke(app, ["check"], env={"COLUMNS": "2000"})
    assert sum(line.startswith("  ") for line in wide.output.splitlines()) == 0


def test_optimize_wraps_its_verdict(monkeypatch):
    from datetime import date

    from mlprep.core.memory import FitReport, Metrics

    report = FitReport(
        parameters=(0.4,) * 21,
        reviews=1234,
        split_day=date(2026, 11, 1),
        default=Metrics(600, 0.41, 0.05, 0.7),
        fitted=Metrics(600, 0.36, 0.03, 0.75),
    )
    monkeypatch.setattr("mlprep.app.memory.fit_and_save", lambda store: report)
    result = runner.invoke(app, ["optimize"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = " ".join(_fits(result).split())
    assert (
        "The fitted parameters predict better than the defaults on later answers. They are "
        "saved and used from now on (forecasts, interview mode, FSRS scheduling)." in text
    )
    assert "Fitted FSRS-6 to 1,234 long-term reviews" in text


def test_sync_wraps_its_summary_at_spaces(tmp_path, monkeypatch):
    # A short path of its own (pytest's are longer than a line), with a long last part.
    folder = Path(tempfile.mkdtemp(prefix="mlprep-", dir="/tmp")) / "a-shared-folder-of-ours"
    folder.mkdir()
    monkeypatch.setenv("MLPREP_HOME", str(tmp_path / "a"))
    assert runner.invoke(app, ["sync", str(folder)]).exit_code == 0
    monkeypatch.setenv("MLPREP_HOME", str(tmp_path / "b"))
    wide = runner.invoke(app, ["sync", str(folder)], env={"COLUMNS": "1000"})
    assert wide.exit_code == 0, wide.output
    assert any(len(line) > 80 for line in wide.output.splitlines())  # the case worth testing
    narrow = runner.invoke(app, ["sync", str(folder)], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    _fits(narrow)
    assert narrow.output.split() == wide.output.split()  # the same words: none split
    assert str(folder) in narrow.output
    shutil.rmtree(folder.parent)


def test_an_unknown_tag_error_fits_one_line_with_the_closest_tag_first(tmp_path):
    tags = sorted({tag for card in _all_cards() for tag in card["tags"]})
    assert "ridge" in tags and len(tags) > 10
    for command in (["list"], ["stats"], ["due"], ["drill", "--json"], ["export", "anki", "x"]):
        result = runner.invoke(app, [*command, "--tag", "ridg"])
        assert result.exit_code != 0, command
        error = _error(result)
        assert len(error) <= 80, error
        assert error.startswith("Error: no tag named 'ridg'; tags: ridge, "), error
        shown = error.split("tags: ")[1].split(", +")[0].split(", ")
        assert f"+{len(tags) - len(shown)} more (see `mlprep check`)" in error, error
    few = runner.invoke(app, ["due", "--level", "nope"])
    assert _error(few) == "Error: no level named 'nope'; levels: advanced, basic, core"


# -- 9. wording ----------------------------------------------------------------------------------


def test_mark_commands_say_what_happened_and_a_repeat_is_nothing_to_do():
    card = "bv-bias-definition"

    def say(*args):
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    assert say("unsuspend", card) == f"{card} was not suspended; nothing to do."
    assert say("suspend", card).startswith(f"{card}: suspended;")
    assert say("unsuspend", card) == f"{card}: unsuspended; it comes back in review."
    assert say("unsuspend", card) == f"{card} was not suspended; nothing to do."
    assert say("flag", "--off", card) == f"{card} was not flagged; nothing to do."
    assert say("flag", card) == f"{card}: flagged; `mlprep list --flagged` lists it."
    assert say("flag", card) == f"{card} was already flagged; nothing to do."
    assert say("flag", "--off", card) == f"{card}: flag removed."
    for text in (say("flag", "--off", card), say("unsuspend", card)):
        assert not re.search(r": not (suspended|flagged)", text)


def test_the_unsaved_notice_says_not_saved_yet_once():
    import io

    from rich.console import Console

    from mlprep.term.unsaved import unsaved_notice

    reason = (
        "the answer Good to card e2e-one is not saved yet: the database /x/mlprep.db is locked "
        "by another program"
    )
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(unsaved_notice(reason, 1))
    text = console.file.getvalue()
    assert text.lower().count("not saved yet") == 1, text
    assert text.startswith(
        "Not saved yet: the answer Good to card e2e-one. The database /x/mlprep.db is locked by "
        "another program\n"
    )
    console.file = io.StringIO()
    console.print(unsaved_notice("the disk is full", 2))  # any other sentence: as it is
    assert console.file.getvalue().startswith("Not saved yet: the disk is full\n")


def test_config_takes_a_negative_value_and_says_the_range():
    result = runner.invoke(app, ["config", "new_per_day", "-1"])
    assert result.exit_code == 1
    assert _error(result) == "Error: new_per_day must be an integer from 0 to 100,000, got -1"
    assert "No such option" not in result.output
    assert runner.invoke(app, ["config", "new_per_day", "-1", "--json"]).exit_code == 1
    result = runner.invoke(app, ["config", "new_per_day", "7", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["new_per_day"]["value"] == 7
    assert runner.invoke(app, ["config", "--nope"]).exit_code == 2  # options are still checked


def test_a_range_error_writes_the_range_as_the_help_does():
    help_text = _help(("review",), 200)
    assert "[0..100000]" in help_text or "0..100000" in help_text
    result = runner.invoke(app, ["review", "--new", "-1"])
    assert result.exit_code == 2
    assert "-1 is not in the range 0..100000." in result.output and "<=x" not in result.output
    result = runner.invoke(app, ["drill", "--seed", "-3", "--generator", "ridge", "--json"])
    assert result.exit_code == 2 and "is not in the range 0..2⁶²." in result.output


# -- 10. a CSV header row ----------------------------------------------------------------------


def _csv_cards(home, name):
    import yaml

    path = home / "cards" / f"{name}.yaml"
    return yaml.safe_load(path.read_text())["cards"] if path.exists() else []


@pytest.mark.parametrize(
    ("first", "tags"),
    [("front,back", None), ("Question,Answer,Tags", "x y"), ("q,a", None), ("FRONT,BACK", None)],
)
def test_import_csv_reads_a_first_row_of_column_names_as_such(isolated_home, tmp_path, first, tags):
    extra = f",{tags}" if tags else ""
    path = tmp_path / "deck.csv"
    path.write_text(f"{first}\nWhat is one?,One.{extra}\nWhat is two?,Two.{extra}\n")
    result = runner.invoke(app, ["import", "csv", str(path)])
    assert result.exit_code == 0, result.output
    cards = _csv_cards(isolated_home, "deck")
    assert [c["q"] for c in cards] == ["What is one?", "What is two?"]
    if tags:
        assert all(c["tags"] == tags.split() for c in cards)
    names = ", ".join(first.split(","))
    assert f"Skipped 1 row: column names ({names}); --no-header imports it (line 1)." in (
        result.output
    )


def test_import_csv_no_header_imports_the_first_row_and_header_forces_it(isolated_home, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("front,back\nWhat is one?,One.\n")
    result = runner.invoke(app, ["import", "csv", str(path), "--no-header"])
    assert result.exit_code == 0, result.output
    assert [c["q"] for c in _csv_cards(isolated_home, "plain")] == ["front", "What is one?"]
    named = tmp_path / "named.csv"
    named.write_text("Term,Meaning\nBias?,Wrong assumptions.\n")  # not column names mlprep knows
    result = runner.invoke(app, ["import", "csv", str(named), "--header"])
    assert result.exit_code == 0, result.output
    assert [c["q"] for c in _csv_cards(isolated_home, "named")] == ["Bias?"]


def test_import_csv_takes_an_ordinary_first_row_as_a_card(isolated_home, tmp_path):
    path = tmp_path / "cards.csv"
    path.write_text("What is a?,The letter a.\nq,a\n")  # q,a later is a card, not a header
    result = runner.invoke(app, ["import", "csv", str(path)])
    assert result.exit_code == 0, result.output
    assert [c["q"] for c in _csv_cards(isolated_home, "cards")] == ["What is a?", "q"]
    assert "Skipped" not in result.output


# -- 11. superscripts and subscripts from Anki and CSV -----------------------------------------


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("E[(X &minus; μ)<sup>2</sup>]", "E[(X − μ)^2]"),
        ("N<sub>A</sub> ≈ 6.022 × 10<sup>23</sup>", "N_A ≈ 6.022 × 10^{23}"),
        ("x<sub>i</sub><sup>2</sup> + e<sup>-x/2</sup>", "x_i^2 + e^{-x/2}"),
        ("w<sub>t+1</sub> = w<sub>t</sub>", "w_{t+1} = w_t"),
        ("x<sub>i<sup>2</sup></sub>", "x_{i^2}"),
        ("x<sup>2</sup> and <code>a<sup>n</sup></code>", "x^2 and `a^n`"),
        ("an empty <sup></sup>one", "an empty one"),
        ("never closed x<sup>2", "never closed x^2"),
    ],
)
def test_html_superscripts_and_subscripts_keep_apart_from_the_text(html, markdown):
    from mlprep.interop.markup import html_to_markdown

    assert html_to_markdown(html) == markdown


def test_import_csv_of_html_fields_keeps_the_exponent(isolated_home, tmp_path):
    path = tmp_path / "stats.csv"
    path.write_text("Variance?,E[(X &minus; μ)<sup>2</sup>]\nAvogadro?,6.022 × 10<sup>23</sup>\n")
    result = runner.invoke(app, ["import", "csv", str(path)])
    assert result.exit_code == 0, result.output
    answers = [c["a"] for c in _csv_cards(isolated_home, "stats")]
    assert answers == ["E[(X − μ)^2]", "6.022 × 10^{23}"]


# -- 12. a card in a broken file ---------------------------------------------------------------


def test_show_and_marks_name_the_broken_file_as_list_does(isolated_home):
    folder = isolated_home / "cards"
    folder.mkdir(parents=True)
    path = folder / "huge.yaml"
    path.write_text(
        "deck: huge\ncards:\n"
        "  - {id: huge-ok, q: 'Fine?', a: 'Fine.'}\n"
        f"  - {{id: huge-q, q: '{'x' * 20_001}', a: 'Too long.'}}\n"
    )
    warning = (
        f"warning: {path} has 1 problem; its broken cards are skipped. "
        f"Run `mlprep check {path}` for details."
    )
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and warning in listed.stderr
    for command in (["show", "huge-q"], ["suspend", "huge-q"], ["flag", "huge-q"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, command
        assert warning in result.stderr, (command, result.stderr)
        assert "Error: no card with id 'huge-q'" in result.stderr
    shown = runner.invoke(app, ["show", "huge-ok"])
    assert shown.exit_code == 0 and warning in shown.stderr and "Fine?" in shown.stdout
