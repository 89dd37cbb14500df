"""Authoring tests: every test gets its own data dir and never sees the user's cards."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def authoring_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MLPREP_HOME", str(home))
    monkeypatch.delenv("MLPREP_CARDS", raising=False)
    monkeypatch.delenv("MLPREP_NOW", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home
