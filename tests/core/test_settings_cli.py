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


def test_a_date_setting_reads_back_as_a_date(isolated_home, monkeypatch):
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    assert runner.invoke(app, ["config", "interview_date", "2026-12-24"]).exit_code == 0
    assert load_settings(Paths.from_env()).interview_date == date(2026, 12, 24)


def test_values_are_shown_as_typed_and_dates_travel_as_iso_strings(isolated_home, monkeypatch):
    """A date setting crashed `config --json` and `export json` (a date is not JSON), and
    `config` showed Python reprs: datetime.date(2026, 12, 24), None, 'sm2'."""
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    result = runner.invoke(app, ["config", "interview_date", "2026-12-24"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("interview_date = 2026-12-24 (saved in ")
    payload = json.loads(runner.invoke(app, ["config", "--json"]).stdout)
    assert payload["interview_date"] == {"value": "2026-12-24", "source": "settings.toml"}
    assert payload["interview_deck"] == {"value": None, "source": "default"}
    listing = runner.invoke(app, ["config"]).stdout
    assert "datetime" not in listing and "None" not in listing and "'" not in listing
    rows = {line.split()[0]: line.split()[1] for line in listing.splitlines() if line[:1] != " "}
    assert rows["interview_date"] == "2026-12-24" and rows["scheduler"] == "sm2"
    assert rows["interview_deck"] == "(not" and rows["sync_dir"] == "(not"
    # The whole export carries it as a string and an import reads it back as a date.
    out = isolated_home.parent / "all.json"
    result = runner.invoke(app, ["export", "json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["settings"]["interview_date"] == "2026-12-24"
    monkeypatch.setenv("MLPREP_HOME", str(isolated_home.parent / "other-home"))
    result = runner.invoke(app, ["import", "json", str(out)])
    assert result.exit_code == 0, result.output
    assert load_settings(Paths.from_env()).interview_date == date(2026, 12, 24)


def test_a_json_export_with_a_bad_date_setting_is_refused_whole(isolated_home, tmp_path):
    out = tmp_path / "all.json"
    assert runner.invoke(app, ["export", "json", str(out)]).exit_code == 0
    doc = json.loads(out.read_text())
    doc["settings"]["interview_date"] = "next tuesday"
    out.write_text(json.dumps(doc))
    result = runner.invoke(app, ["import", "json", str(out)])
    assert result.exit_code != 0
    assert "interview_date must be a date such as 2026-12-24, got 'next tuesday'" in result.stderr
    assert load_settings(Paths.from_env()).interview_date is None


@pytest.mark.parametrize("day", ["2026-11-01", "2026-12-01"])
def test_config_refuses_an_interview_date_that_is_not_after_today(isolated_home, monkeypatch, day):
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    result = runner.invoke(app, ["config", "interview_date", day])
    assert result.exit_code == 1
    assert "the interview date must be after today (2026-12-01)" in result.stderr
    assert load_settings(Paths.from_env()).interview_date is None
    assert runner.invoke(app, ["config", "interview_date", "2026-12-02"]).exit_code == 0


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
