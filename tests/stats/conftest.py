"""Fixtures for the stats tests: an isolated data dir and a shared synthetic history."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .stats_history import build_history


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data dir (tests/conftest.py does it too; this keeps the
    package's tests self-contained)."""
    monkeypatch.setenv("MLPREP_HOME", str(tmp_path / "mlprep-home"))
    monkeypatch.delenv("MLPREP_CARDS", raising=False)
    monkeypatch.delenv("MLPREP_NOW", raising=False)


@pytest.fixture(scope="session")
def history(tmp_path_factory) -> dict[str, Path]:
    return build_history(tmp_path_factory.mktemp("history"))


@pytest.fixture
def home(history, tmp_path, monkeypatch) -> Path:
    """A private copy of the history's data dir, set as MLPREP_HOME, with its cards in
    MLPREP_CARDS and the bundled deck left out (so the numbers are about our decks only)."""
    copy = tmp_path / "home"
    shutil.copytree(history["home"], copy)
    empty = tmp_path / "no-bundled-cards"
    empty.mkdir()
    monkeypatch.setenv("MLPREP_HOME", str(copy))
    monkeypatch.setenv("MLPREP_CARDS", str(history["cards"]))
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    return copy
