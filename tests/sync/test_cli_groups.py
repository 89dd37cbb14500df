"""The `export` and `import` groups: each format is a subcommand with help, an example, and a
README entry; errors inside a group still come out as `Error: ...`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mlprep.cli import GROUPS, app

runner = CliRunner()
README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_subcommand_has_help_an_example_and_a_readme_entry():
    assert [name for name, _, _ in GROUPS] == ["export", "import"]
    for group, _, commands in GROUPS:
        assert commands, group
        result = runner.invoke(app, [group, "--help"])
        assert result.exit_code == 0
        for command in commands:
            name = command.__mlprep_command__[0]
            assert name in result.output
            sub = runner.invoke(app, [group, name, "--help"])
            assert sub.exit_code == 0 and "Example" in sub.output, (group, name)
            assert f"mlprep {group} {name}" in README, (group, name)


def test_a_group_without_a_format_shows_its_help():
    result = runner.invoke(app, ["export"])
    assert "json" in result.output
    assert runner.invoke(app, ["import", "yaml"]).exit_code == 2


def test_errors_inside_a_group_are_converted_once(tmp_path):
    result = runner.invoke(app, ["import", "json", str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'missing.json'}: No such file or directory\n"
