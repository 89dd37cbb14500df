import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import app

runner = CliRunner()

DECK = """deck: tiny
cards:
  - id: tiny-one
    q: What is $\\lambda$?
    a: The ridge penalty weight.
    tags: [ridge]
  - id: tiny-two
    q: Two?
    a: Two.
    tags: [metrics]
"""


@pytest.fixture
def deck_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(DECK)
    return path


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("mlprep ")


def test_every_command_has_help_with_an_example():
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"{name} --help has no example"


def test_every_command_is_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"mlprep {name}" in readme, name


def test_check_clean_file(deck_file):
    result = runner.invoke(app, ["check", str(deck_file)])
    assert result.exit_code == 0
    assert "2 cards in 1 deck (2 basic, 0 computed), 2 tags" in result.output
    assert "ok: no problems found" in result.output


def test_check_reports_problems_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cards:\n  - id: x\n    q: only a question\n  - id: y\n    q: q\n    a: a\n    oops: 1\n"
    )
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: card x is missing 'a'" in result.output
    assert f"{bad}:7: unknown key 'oops'" in result.output


def test_check_unknown_generator_and_bad_params(tmp_path):
    bad = tmp_path / "comp.yaml"
    bad.write_text(
        "cards:\n"
        "  - {id: g1, type: computed, generator: no_such_thing}\n"
        "  - {id: g2, type: computed, generator: ridge, params: {level: 9}}\n"
    )
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: unknown generator 'no_such_thing'" in result.output
    assert f"{bad}:3: bad params" in result.output and "level" in result.output


def test_bundled_deck_is_clean():
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output


def test_due_json(deck_file):
    result = runner.invoke(app, ["due", "--json", "--cards", str(deck_file), "--deck", "tiny"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == {"new": 2, "relearn": 0, "review": 0}
    assert data["decks"] == {"tiny": {"new": 2, "relearn": 0, "review": 0}}
    assert data["next_due"] is None


def test_due_table_and_broken_file_warning(deck_file, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("cards:\n  - id: [\n")
    result = runner.invoke(
        app, ["due", "--cards", str(deck_file), "--cards", str(broken), "--deck", "tiny"]
    )
    assert result.exit_code == 0
    assert "tiny" in result.output
    assert f"warning: {broken} has 1 problem; its broken cards are skipped." in result.output
    assert "mlprep check" in result.output


def test_review_without_a_terminal_exits_2(deck_file):
    result = runner.invoke(app, ["review", "--cards", str(deck_file)], input="")
    assert result.exit_code == 2
    assert "needs an interactive terminal" in result.output


def test_bad_settings_file_is_an_error(isolated_home, deck_file):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.toml").write_text("new_per_day = -3\n")
    result = runner.invoke(app, ["due", "--cards", str(deck_file)])
    assert result.exit_code == 1
    assert "new_per_day must be an integer from 0 to 100,000, got -3" in result.output


def test_bad_clock_is_an_error(monkeypatch, deck_file):
    monkeypatch.setenv("MLPREP_NOW", "yesterday")
    result = runner.invoke(app, ["due", "--cards", str(deck_file)])
    assert result.exit_code == 1 and "MLPREP_NOW='yesterday'" in result.output


def test_unchanged_decks_start_without_yaml_or_numpy(deck_file):
    code = (
        "import sys\n"
        "from mlprep.cli import main\n"
        f"sys.argv = ['mlprep', 'due', '--cards', {str(deck_file)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'yaml' in sys.modules, 'numpy' in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # first run syncs
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "LOADED False False" in out.stdout


def test_python_dash_m(deck_file):
    out = subprocess.run(
        [sys.executable, "-m", "mlprep", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("mlprep ")


@pytest.mark.parametrize("command", [["due"], ["stats"]])  # review: see tests/e2e
def test_an_unknown_deck_or_tag_is_named_with_the_known_ones(command, deck_file):
    result = runner.invoke(app, [*command, "--cards", str(deck_file), "--tag", "ridg"])
    assert result.exit_code == 1
    assert "no tag named 'ridg'; tags: " in result.output and "ridge" in result.output
    result = runner.invoke(app, [*command, "--cards", str(deck_file), "--deck", "tinny"])
    assert "no deck named 'tinny'; decks: " in result.output and "tiny" in result.output


def test_check_reports_missing_sources(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("MLPREP_CARDS", str(missing))
    result = runner.invoke(app, ["check", "--cards", "~/definitely-not-here-mlprep"])
    assert result.exit_code == 1
    assert f"{missing}: no such file or folder" in result.output
    assert "definitely-not-here-mlprep: no such file or folder" in result.output
