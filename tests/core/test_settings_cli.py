"""Typed settings and `mlprep config`; card levels in review's queue and drill."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.app.config import Paths, load_settings
from mlprep.app.library import day_queue
from mlprep.cli import app
from mlprep.storage.store import Scope, Store

runner = CliRunner()


def test_config_lists_every_setting_with_value_and_source(isolated_home):
    isolated_home.mkdir(parents=True)
    (isolated_home / "settings.toml").write_text("new_per_day = 15\n")
    result = runner.invoke(app, ["config", "--json"])
    payload = json.loads(result.stdout)
    assert payload["new_per_day"] == {"value": 15, "source": "settings.toml"}
    assert payload["scheduler"] == {"value": "sm2", "source": "default"}
    assert payload["desired_retention"]["value"] == 0.9
    text = runner.invoke(app, ["config"]).stdout
    assert "new_per_day" in text and "(settings.toml)" in text and "(default)" in text


def test_config_set_validates_and_keeps_comments(isolated_home):
    isolated_home.mkdir(parents=True)
    settings = isolated_home / "settings.toml"
    settings.write_text("# my study plan\nnew_per_day = 15  # weekdays\n")
    result = runner.invoke(app, ["config", "desired_retention", "0.85"])
    assert result.exit_code == 0, result.output
    text = settings.read_text()
    assert "# my study plan" in text and "# weekdays" in text and "desired_retention = 0.85" in text
    assert load_settings(Paths.from_env()).desired_retention == 0.85
    assert list(isolated_home.glob(".settings.toml*")) == []  # the temporary file is gone


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "desired_retention",
            "0.5",
            "desired_retention must be a number from 0.7 to 0.99, got 0.5",
        ),
        (
            "desired_retention",
            "high",
            "desired_retention must be a number from 0.7 to 0.99, got 'high'",
        ),
        ("scheduler", "leitner", "scheduler must be one of sm2, fsrs, got 'leitner'"),
        ("new_per_day", "100001", "new_per_day must be an integer from 0 to 100,000, got 100001"),
        ("interview_date", "soon", "interview_date must be a date such as 2026-12-24, got 'soon'"),
        ("colour", "blue", "unknown setting 'colour'"),
    ],
)
def test_config_rejects_bad_values_and_leaves_the_file(isolated_home, key, value, message):
    isolated_home.mkdir(parents=True)
    settings = isolated_home / "settings.toml"
    settings.write_text("new_per_day = 15\n")
    result = runner.invoke(app, ["config", key, value])
    assert result.exit_code == 1 and message in result.stderr
    assert settings.read_text() == "new_per_day = 15\n"


def test_a_date_setting_reads_back_as_a_date(isolated_home):
    assert runner.invoke(app, ["config", "interview_date", "2026-12-24"]).exit_code == 0
    assert load_settings(Paths.from_env()).interview_date == date(2026, 12, 24)


def test_switching_the_scheduler_in_config_is_used_by_the_library(isolated_home):
    from mlprep.cli.common import open_library

    assert runner.invoke(app, ["config", "scheduler", "fsrs"]).exit_code == 0
    with open_library() as lib:
        assert lib.store.scheduler.name == "fsrs"


def test_review_level_filters_the_queue(tmp_path: Path):
    deck = tmp_path / "d.yaml"
    deck.write_text(
        "cards:\n  - {id: b1, q: q, a: a, level: basic}\n  - {id: c1, q: q, a: a}\n"
        "  - {id: x1, q: q, a: a, level: advanced}\n"
    )
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        today = date(2026, 12, 1)
        assert [q.card_id for q in day_queue(store, today, Scope(level="basic"))] == ["b1"]
        assert [q.card_id for q in day_queue(store, today, Scope(level="core"))] == ["c1"]
        assert len(day_queue(store, today)) == 3


def test_drill_level_takes_a_size_or_a_card_level():
    bad = runner.invoke(
        app, ["drill", "--generator", "f1", "--seed", "1", "--json", "--level", "9"]
    )
    assert (
        bad.exit_code == 2
        and "--level must be 1, 2 or 3 (problem size) or one of basic" in bad.stderr
    )
    sized = runner.invoke(
        app, ["drill", "--generator", "f1", "--seed", "1", "--json", "--level", "2"]
    )
    assert sized.exit_code == 0 and json.loads(sized.stdout)["params"] == {"level": 2}
    named = runner.invoke(app, ["drill", "--generator", "f1", "--json", "--level", "basic"])
    assert named.exit_code == 2 and "for drill sessions" in named.stderr
