"""The QA audit of the command line: one meaning per short flag, right plurals, the same
handling of unknown filters, help examples that paste, and output that fits 80 columns."""

from __future__ import annotations

import re
from collections import defaultdict

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
