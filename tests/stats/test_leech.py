"""Leeches: `review` says so exactly once, on the answer that reaches the threshold."""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from mlprep.app.config import now
from mlprep.app.library import day_queue as build_queue
from mlprep.cli.common import open_library
from mlprep.cli.review import review_hooks
from mlprep.core.grades import Answer
from mlprep.core.leech import became_leech
from mlprep.core.session import ReviewSession
from mlprep.decks.loader import deck_files
from mlprep.storage.store import Store
from mlprep.term.leech import leech_notice
from mlprep.term.render import plain_text
from mlprep.term.review import run_review

DECK = """deck: leechy
cards:
  - id: hard-card
    q: What is the hard thing?
    a: The hard answer.
"""
START = date(2026, 3, 2)
# Day by day: Good first, then Again / Good alternating, so every Again is a lapse (the card
# had been recalled the day before). Again answers are repeated the same day until Good.
PLAN = ["good"] + ["again", "good"] * 5


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    path = tmp_path / "leechy.yaml"
    path.write_text(DECK)
    return path


def is_new_leech(store: Store, card_id: str, threshold: int) -> bool:
    return became_leech(store.scheduler, store.facts(card_id), threshold)


def notice_for(store: Store, card_id: str, threshold: int):
    if not is_new_leech(store, card_id, threshold):
        return None
    return leech_notice(store.card(card_id), card_id, threshold)


def _clock(day: date):
    moment = datetime.combine(day, time(9)).astimezone()
    return lambda: moment


def test_notice_exactly_once_on_the_lapse_that_reaches_the_threshold(deck: Path, tmp_path):
    store = Store(tmp_path / "db.sqlite")
    store.sync(deck_files([deck])[0])
    notices: list[tuple[int, int, bool]] = []  # (day index, lapses so far, scheduled?)
    lapses = 0
    for i, step in enumerate(PLAN):
        day = START + timedelta(days=i)
        session = ReviewSession(store, build_queue(store, day), day, _clock(day))
        assert session.current is not None and session.current.card_id == "hard-card"
        answers = [1, 4] if step == "again" else [4]
        for quality in answers:
            recorded = session.answer(Answer.expert(quality))
            if quality == 1 and recorded.scheduled and i > 0:
                lapses += 1
            notice = notice_for(store, "hard-card", 3)
            if notice is not None:
                notices.append((i, lapses, recorded.scheduled))
        assert session.current is None
    assert lapses == 5
    assert notices == [(5, 3, True)]  # the third lapse, on day 5; not its same-day repeat
    store.close()


def test_notice_text_suggests_rewriting_or_splitting(deck: Path, tmp_path):
    store = Store(tmp_path / "db.sqlite")
    store.sync(deck_files([deck])[0])
    for i, quality in enumerate([4, 1]):
        day = START + timedelta(days=i)
        store.record("hard-card", Answer.expert(quality), _clock(day)(), day)
    notice = notice_for(store, "hard-card", 1)
    assert notice is not None
    text = " ".join(plain_text(notice, 80).split())
    assert "⚠ Leech: hard-card has now lapsed 1 time. Reviewing it again will not fix it" in text
    assert "rewrite it" in text and "split it into smaller cards" in text
    # A path longer than the line is folded inside: look for it with the breaks taken out.
    assert f"{deck}:3" in "".join(plain_text(notice, 80).split())
    assert notice_for(store, "hard-card", 2) is None
    assert not is_new_leech(store, "hard-card", 0)  # 0 turns leeches off
    assert not is_new_leech(store, "no-such-card", 1)
    store.close()


def test_a_failed_new_card_is_not_a_lapse(deck: Path, tmp_path):
    store = Store(tmp_path / "db.sqlite")
    store.sync(deck_files([deck])[0])
    store.record("hard-card", Answer.expert(1), _clock(START)(), START)
    assert store.state("hard-card").lapses == 0
    assert notice_for(store, "hard-card", 1) is None
    store.close()


class ScriptedKeys:
    """Stands in for ui.KeyReader: returns the scripted keys, then q."""

    def __init__(self, keys: str):
        self.keys = list(keys)

    @contextmanager
    def raw(self):
        yield self

    @contextmanager
    def cooked(self):
        yield self

    def key(self) -> str:
        return self.keys.pop(0) if self.keys else "q"


def test_review_shows_the_notice_once(deck: Path, monkeypatch):
    """The wiring in `mlprep review`: cli.review.review_hooks passes the notice to run_review,
    with the threshold from settings.toml."""
    home = Path(os.environ["MLPREP_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text("leech_threshold = 3\n")
    empty = deck.parent / "no-bundled"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    screens = []
    for i, step in enumerate(PLAN):
        monkeypatch.setenv("MLPREP_NOW", f"{(START + timedelta(days=i)).isoformat()}T09:00")
        lib = open_library([deck])
        try:
            keys = ScriptedKeys(" 1 3" if step == "again" else " 3")
            console = Console(file=io.StringIO(), width=80, color_system=None)
            queue = build_queue(lib.store, lib.today)
            session = ReviewSession(lib.store, queue, lib.today, now)
            hooks = review_hooks(lib, console, keys, [])
            summary = run_review(session, lib.store.card, console, keys, **hooks)
            assert summary.answered == (2 if step == "again" else 1)
            screens.append(console.file.getvalue())  # type: ignore[attr-defined]
        finally:
            lib.close()
    shown = [i for i, out in enumerate(screens) if "Leech:" in out]
    assert shown == [5]
    assert screens[5].count("Leech:") == 1
    assert "split it into smaller cards" in " ".join(screens[5].split())
