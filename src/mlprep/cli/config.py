"""`mlprep config`: list the settings with their values and sources, or set one."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from mlprep.cli.common import JsonOption, NegativeValuesCommand, command, fail

if TYPE_CHECKING:
    from mlprep.app.config import Paths

__all__ = ["config"]


@command(cls=NegativeValuesCommand)
def config(
    key: Annotated[
        str | None, typer.Argument(help="The setting to show or set.", metavar="KEY")
    ] = None,
    value: Annotated[str | None, typer.Argument(help="Its new value.", metavar="VALUE")] = None,
    as_json: JsonOption = False,
) -> None:
    """List, show or set the settings (settings.toml).

    Each setting is listed with its value, where it comes from and what it means.

    Setting a value checks it and rewrites settings.toml atomically, keeping its comments.

    Example: mlprep config new_per_day 20
    """
    from dataclasses import asdict

    from mlprep.app.config import (
        SETTINGS,
        ConfigError,
        Paths,
        load_settings,
        setting_sources,
        write_setting,
    )

    paths = Paths.from_env()
    try:
        if key is not None and key not in SETTINGS:
            raise ConfigError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
        if value is not None:
            if key == "interview_date":
                _refuse_a_past_interview(paths, SETTINGS[key].parse(value))
            write_setting(paths, key, value)
        settings = asdict(load_settings(paths))
        sources = setting_sources(paths)
    except ConfigError as exc:
        fail(str(exc))
    names = [key] if key else list(SETTINGS)
    if as_json:
        payload = {
            n: {"value": SETTINGS[n].to_json(settings[n]), "source": sources[n]} for n in names
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    if value is not None:
        typer.echo(f"{key} = {SETTINGS[key].show(settings[key])} (saved in {paths.settings})")
        return
    width = max(map(len, names))
    for name in names:
        spec = SETTINGS[name]
        # Value and source, then what it means: one setting fits 80 columns on two lines.
        typer.echo(f"{name.ljust(width)}  {spec.show(settings[name]):<12} ({sources[name]})")
        typer.echo(f"{'':{width}}  {spec.help}")


def _refuse_a_past_interview(paths: Paths, day: date) -> None:
    """The rule `mlprep interview DATE` applies (`app.interview.date_problem`)."""
    from mlprep.app.config import load_settings, now, study_day
    from mlprep.app.interview import date_problem

    problem = date_problem(day, study_day(now(), load_settings(paths).day_starts_at))
    if problem:
        fail(problem)
