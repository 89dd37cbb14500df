"""The export and import groups: every subcommand has help with an example and is in the
README; the groups list their formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import GROUPS, app

runner = CliRunner()
SUBCOMMANDS = [
    (group, command.__mlprep_command__[0]) for group, _, commands in GROUPS for command in commands
]


def test_the_groups_hold_the_formats():
    assert SUBCOMMANDS == [
        ("export", "anki"),
        ("export", "json"),
        ("import", "anki"),
        ("import", "csv"),
        ("import", "json"),
    ]


@pytest.mark.parametrize(("group", "name"), SUBCOMMANDS)
def test_every_subcommand_has_help_with_an_example_and_is_in_the_readme(group, name):
    result = runner.invoke(app, [group, name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Example: mlprep {group} {name} " in result.output
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"mlprep {group} {name}" in readme


@pytest.mark.parametrize("group", ["export", "import"])
def test_a_group_alone_lists_its_formats(group):
    result = runner.invoke(app, [group])
    assert "anki" in result.output
    assert runner.invoke(app, ["--help"]).output.count(f"  {group}  ") == 1
