from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlprep.app.config import (
    ConfigError,
    Paths,
    Settings,
    bundled_cards_dir,
    card_sources,
    load_settings,
    now,
    study_day,
)
from mlprep.storage.store import MIGRATIONS, SCHEMA_VERSION


def test_mlprep_home_overrides_the_data_dir(isolated_home):
    paths = Paths.from_env()
    assert paths.data_dir == isolated_home
    assert paths.db == isolated_home / "mlprep.db"
    assert paths.user_cards == isolated_home / "cards"


def test_card_sources_order_and_env(monkeypatch, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    monkeypatch.setenv("MLPREP_CARDS", f"{a}:{b}")
    sources = card_sources(Paths.from_env(), [c, a])
    assert sources[0] == bundled_cards_dir()
    assert sources[2:] == [a, b, c]  # duplicates dropped


def test_bundled_deck_is_found():
    assert any(bundled_cards_dir().glob("*.yaml"))


def test_settings_defaults_and_file(isolated_home):
    paths = Paths.from_env()
    assert load_settings(paths) == Settings()
    isolated_home.mkdir(parents=True)
    paths.settings.write_text("new_per_day = 3\nday_starts_at = 0\n")
    assert load_settings(paths) == Settings(new_per_day=3, day_starts_at=0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("new_per_dya = 3\n", "unknown setting(s) new_per_dya"),
        ("new_per_day = 'ten'\n", "new_per_day must be an integer from 0 to 100,000"),
        ("new_per_day = 99999999999999999999\n", "new_per_day must be an integer from 0"),
        ("day_starts_at = 25\n", "day_starts_at must be an integer from 0 to 23, got 25"),
        ("new_per_day = \n", "settings.toml"),
    ],
)
def test_bad_settings(isolated_home, text, message):
    paths = Paths.from_env()
    isolated_home.mkdir(parents=True)
    paths.settings.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(paths)


def test_clock_override(monkeypatch):
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00+00:00")
    assert now() == datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    assert now().tzinfo is not None


def test_study_day_rolls_over_at_the_configured_hour():
    local = datetime(2026, 12, 2, 3, 30).astimezone()
    assert study_day(local, 4).isoformat() == "2026-12-01"
    assert study_day(local + timedelta(hours=1), 4).isoformat() == "2026-12-02"
    assert study_day(local, 0).isoformat() == "2026-12-02"


def test_every_schema_version_has_a_migration():
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_paths_are_paths():
    assert isinstance(Paths.from_env().data_dir, Path)
