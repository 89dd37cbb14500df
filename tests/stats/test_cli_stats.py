"""`mlprep stats` through the CLI: options, --json against the recount, first-run message."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import app

from .stats_expected import assert_same, expected_calibration, expected_report
from .stats_history import LEECH_THRESHOLD, NOW, TODAY

runner = CliRunner()


def stats(*args: str, now: str = NOW):
    return runner.invoke(app, ["stats", *args], env={"MLPREP_NOW": now, "COLUMNS": "80"})


@pytest.mark.parametrize(
    ("args", "options"),
    [
        pytest.param([], {}, id="default"),
        pytest.param(["--deck", "beta"], {"deck": "beta"}, id="deck"),
        pytest.param(["-t", "kernels", "--days", "14"], {"tag": "kernels", "days": 14}, id="tag"),
        pytest.param(["-d", "alpha", "-t", "ridge"], {"deck": "alpha", "tag": "ridge"}, id="both"),
    ],
)
def test_json_has_every_number_of_the_recount(home: Path, args, options):
    result = stats("--json", *args)
    assert result.exit_code == 0, result.output
    expected = expected_report(home / "mlprep.db", TODAY, threshold=LEECH_THRESHOLD, **options)
    actual = json.loads(result.stdout)
    calibration = actual.pop("calibration")
    assert actual.pop("interview") is None
    assert_same(actual, expected)
    assert calibration["parameters"] == "default"
    bins = expected_calibration(home / "mlprep.db", TODAY, options.get("deck"), options.get("tag"))
    assert len(calibration["bins"]) == len(bins) > 0
    for got, want in zip(calibration["bins"], bins, strict=True):
        assert got["reviews"] == want["reviews"] and got["low"] == pytest.approx(want["low"])
        assert got["predicted"] == pytest.approx(want["predicted"], rel=1e-6)
        assert got["actual"] == pytest.approx(want["actual"])


def test_json_follows_the_clock(home: Path):
    later = TODAY + timedelta(days=3)
    result = stats("--json", now=f"{later.isoformat()}T10:00")
    assert result.exit_code == 0
    actual = json.loads(result.stdout)
    actual.pop("calibration")
    actual.pop("interview")
    assert_same(actual, expected_report(home / "mlprep.db", later))


def test_the_day_rolls_over_at_4_am(home: Path):
    # 02:00 on the 21st is still the study day of the 20th.
    result = stats("--json", now=f"{(TODAY + timedelta(days=1)).isoformat()}T02:00")
    assert json.loads(result.stdout)["today"] == TODAY.isoformat()


def test_leech_threshold_comes_from_the_settings(home: Path):
    (home / "settings.toml").write_text("leech_threshold = 0\n")
    result = stats("--json")
    assert json.loads(result.stdout)["leeches"] == {"threshold": 0, "cards": []}
    text = stats()
    assert "Leeches: detection is off (leech_threshold = 0)." in text.stdout


def test_the_text_report_shows_every_section(home: Path):
    result = stats()
    assert result.exit_code == 0, result.output
    out = result.stdout
    for title in (
        "Answers per day, last 26 weeks",
        "Due in the next 30 days",
        "Cards",
        "True retention, last 30 days",
        "Streaks",
        "Time answering",
        "each answer counted up to 60 s",
        "Topics, weakest first",
        "Drill accuracy per generator",
        "Leeches: lapsed 4+ times",
        "leechy-card",
    ):
        assert title in out, title
    assert re.search(r"current +9 days +incl\. today", out)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_unknown_deck_or_tag_is_an_error(home: Path):
    result = stats("--deck", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no deck named 'nope'; decks: alpha, beta, gamma"
    result = stats("--tag", "nope")
    assert result.exit_code == 1
    # Seven tags do not fit one 80-column line: the first ones, then how many more.
    assert result.stderr == (
        "Error: no tag named 'nope'; tags: drills, kernels, +5 more (see `mlprep check`)\n"
    )


def test_days_must_be_at_least_one(home: Path):
    result = stats("--days", "0")
    assert result.exit_code == 2
    assert "--days" in result.stderr


def test_help_has_an_example():
    result = runner.invoke(app, ["stats", "--help"])
    assert result.exit_code == 0
    assert "Example: mlprep stats --tag ridge --days 14" in result.output
    assert "--json" in result.output and "--days" in result.output


# -- first run -------------------------------------------------------------------------------

DECK = """deck: tiny
cards:
  - id: tiny-one
    q: One?
    a: One.
    tags: [ridge]
  - id: tiny-two
    q: Two?
    a: Two.
"""


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(DECK)
    empty = tmp_path / "no-bundled"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    return path


def test_first_run_gets_a_friendly_message_not_empty_charts(tiny: Path):
    result = stats("--cards", str(tiny))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "No reviews yet. 2 cards are waiting." in out
    assert "Start with mlprep review" in out
    assert "Answers per day" not in out and "Due in the next" not in out


def test_first_run_message_follows_the_filters(tiny: Path):
    result = stats("--cards", str(tiny), "--deck", "tiny", "--tag", "ridge")
    out = " ".join(result.stdout.split())
    assert "No reviews yet in deck tiny tagged ridge. 1 card is waiting." in out
    assert "Start with mlprep review --deck tiny --tag ridge" in out


def test_first_run_json_is_all_zeros(tiny: Path):
    result = stats("--cards", str(tiny), "--json")
    data = json.loads(result.stdout)
    assert data["total_reviews"] == 0 and data["first_day"] is None
    assert data["counts"] == {
        "new": 2,
        "learning": 0,
        "young": 0,
        "mature": 0,
        "suspended": 0,
        "retired": 0,
        "total": 2,
    }
    assert data["retention"]["all"] == {"reviews": 0, "passed": 0, "rate": None}
    assert data["heatmap"]["total"] == 0 and data["forecast"]["total"] == 0
    assert data["streaks"]["current"] == data["streaks"]["longest"] == 0
