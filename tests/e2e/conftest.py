"""Helpers for driving mlprep in a real pseudo-terminal."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

MLPREP = shutil.which("mlprep", path=str(Path(sys.executable).parent)) or "mlprep"


@pytest.fixture
def spawn(isolated_home):
    children = []

    def start(*args: str, env: dict[str, str] | None = None, cols: int = 100) -> pexpect.spawn:
        full_env = {**os.environ, "MLPREP_HOME": str(isolated_home), "TERM": "xterm", **(env or {})}
        child = pexpect.spawn(
            MLPREP, list(args), env=full_env, encoding="utf-8", timeout=15, dimensions=(40, cols)
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)
