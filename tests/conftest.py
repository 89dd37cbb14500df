"""Every test gets its own data dir; nothing reads the real user's cards or database."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a module that drives a pseudo-terminal (it imports pexpect)."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "pexpect"):
            item.add_marker(pytest.mark.terminal)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "mlprep-home"
    monkeypatch.setenv("MLPREP_HOME", str(home))
    monkeypatch.delenv("MLPREP_CARDS", raising=False)
    monkeypatch.delenv("MLPREP_NOW", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # pytest-xdist's workers export COLUMNS=80; inherited by a program in a pty, it pins rich's
    # width, so the terminal's real size (and a resize) would be ignored there.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    return home
