"""Fixtures for the sync, backup and export tests: a deck folder, a sync folder, devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import DECK, Device


@pytest.fixture(autouse=True)
def _no_bundled_deck(tmp_path, monkeypatch):
    """Our small deck only: quicker, and the numbers are about it."""
    empty = tmp_path / "no-bundled-cards"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)


@pytest.fixture
def cards(tmp_path) -> Path:
    folder = tmp_path / "deck"
    folder.mkdir()
    (folder / "sync.yaml").write_text(DECK)
    return folder


@pytest.fixture
def folder(tmp_path) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    return shared


@pytest.fixture
def device(tmp_path, cards):
    def make(name: str) -> Device:
        return Device(tmp_path / f"home-{name}", cards)

    return make
