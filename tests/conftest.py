"""Every test gets its own data dir; nothing reads the real user's cards or database."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "mlprep-home"
    monkeypatch.setenv("MLPREP_HOME", str(home))
    monkeypatch.delenv("MLPREP_CARDS", raising=False)
    monkeypatch.delenv("MLPREP_NOW", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home
