"""CLI polish the trial tripped on: the clock, help text, filters, plurals, paths."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from typer.testing import CliRunner

from mlprep.app.config import now, study_day
from mlprep.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-12-05", "2026-12-05"),
        ("2026-12-05T03:59", "2026-12-04"),
        ("2026-12-05T04:00", "2026-12-05"),
    ],
)
def test_mlprep_now_with_a_date_only_is_that_study_day(monkeypatch, value, day):
    monkeypatch.setenv("MLPREP_NOW", value)
    assert study_day(now(), 4).isoformat() == day
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    assert f"Due on {day}" in result.output


def test_mlprep_now_date_only_is_noon(monkeypatch):
    monkeypatch.setenv("MLPREP_NOW", "2026-12-05")
    assert now().replace(tzinfo=None) == datetime(2026, 12, 5, 12, 0)


def test_check_warns_about_unsupported_latex_with_file_and_line(tmp_path):
    deck = tmp_path / "zoo.yaml"
    deck.write_text(
        "cards:\n"
        "  - id: zoo-one\n"
        "    q: Transpose?\n"
        "    a: |\n"
        "      Known $x^\\top y$.\n"
        "      Unknown $x^\\intercal y + \\foo{bar}$ here.\n"
        "  - id: zoo-two\n"
        "    q: Piecewise $\\begin{cases} 1 & x \\end{cases}$ and $\\begin{tikzcd} a \\end{tikzcd}$\n"
        "    a: fine\n"
    )
    result = runner.invoke(app, ["check", str(deck)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{deck}:6: warning: card zoo-one: unsupported LaTeX \\foo (shown as written)" in out
    assert f"{deck}:8: warning: card zoo-two: unsupported LaTeX \\begin{{tikzcd}}" in out
    assert "intercal" not in out  # supported now
    assert "ok: no problems found (2 LaTeX warnings)" in out


def test_check_says_card_and_deck_in_the_singular(tmp_path):
    deck = tmp_path / "one.yaml"
    deck.write_text("cards:\n  - {id: only, q: q, a: a, tags: [t]}\n")
    result = runner.invoke(app, ["check", str(deck)])
    assert "1 card in 1 deck (1 basic, 0 computed), 1 tag\n" in result.output


def test_the_bundled_deck_has_no_latex_warning():
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "ok: no problems found\n" in result.output


def test_add_warns_about_unsupported_latex_where_the_card_landed(tmp_path):
    folder = tmp_path / "mine"
    result = runner.invoke(
        app,
        [
            "add",
            "--cards",
            str(folder),
            "--deck",
            "zoo",
            "--q",
            "What is $x^\\weird$?",
            "--a",
            "A.",
        ],
    )
    assert result.exit_code == 0, result.output
    path = folder / "zoo.yaml"
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "\\weird" in text)
    assert (
        f"{path}:{line}: warning: card x-weird: unsupported LaTeX \\weird (shown as written)"
        in result.stderr
    )


def _commands():
    return [c.name or c.callback.__name__ for c in app.registered_commands]


def test_help_uses_one_placeholder_style_and_short_ranges():
    for name in _commands():
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, name
        out = result.output
        assert not re.search(r"<(str|int|float|path|int range|float range|text)>", out), (name, out)
        assert "{" not in out.splitlines()[0], (name, out)  # the usage line: `ID`, not `{ID}`
        assert "<=x" not in out and "x>=" not in out and "4611686018427387904" not in out, name
        for line in out.splitlines():
            assert len(line) <= 80, (name, line)


def test_top_level_help_lists_full_one_line_descriptions():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    commands = result.output.split("Commands:")[1].strip().splitlines()
    assert len(commands) == len(_commands()) + len(app.registered_groups)  # export, import
    for line in commands:
        assert not line.rstrip().endswith("..."), line
        assert line.rstrip().endswith("."), line


def test_short_t_is_tag_in_every_command():
    for name in _commands():
        out = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        for line in out.splitlines():
            if line.strip().startswith("-t,"):
                assert line.strip().startswith("-t, --tag"), (name, line)


def test_drill_takes_tag_and_still_topic(tmp_path):
    for flag in ("--tag", "-t", "--topic"):
        # Parsed (no "No such option"); without a terminal the session itself cannot start.
        result = runner.invoke(app, ["drill", flag, "nope"])
        assert result.exit_code == 2 and "needs a terminal" in result.output, result.output
