"""Interop tests: an isolated data dir without the bundled deck, local time = UTC (so study
days are plain UTC dates), and a small deck of the user's own."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

DECK = """\
deck: ml
cards:
  - id: ridge-closed-form
    q: What is the ridge solution $\\hat w$?
    a: |
      $$\\hat w = (X^TX + \\lambda I)^{-1} X^T y$$

      It costs \\$5, and `x_i*` stays code.
    tags: [ridge, linear-models]
  - id: adam-what
    q: What does **Adam** do? <script>alert(1)</script>
    a: Momentum plus RMSProp scaling, with bias correction.
    tags: [optimizers]
  - id: f1-drill
    type: computed
    generator: f1
    q: Compute F1 from the counts.
    tags: [metrics]
"""

STATS = """\
cards:
  - id: p-value
    q: What is a p-value?
    a: The probability, under the null, of data at least as extreme as observed.
"""


@pytest.fixture(autouse=True)
def utc():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture(autouse=True)
def no_bundled(tmp_path, monkeypatch):
    empty = tmp_path / "no-bundled-cards"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    return empty


@pytest.fixture
def home(isolated_home) -> Path:
    return isolated_home


@pytest.fixture
def user_cards(home) -> Path:
    folder = home / "cards"
    folder.mkdir(parents=True)
    (folder / "ml.yaml").write_text(DECK, encoding="utf-8")
    (folder / "stats.yaml").write_text(STATS, encoding="utf-8")
    return folder
