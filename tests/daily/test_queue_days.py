"""Which cards a day brings: new cards rotate across topics, and one definition of "due
tomorrow" for `due`, the session summary and `stats`."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

from typer.testing import CliRunner

from daily.helpers import DAY, Clock, study_day, write_decks
from mlprep.app.config import bundled_cards_dir
from mlprep.app.library import day_queue
from mlprep.cli import app
from mlprep.core.grades import Answer, Grade
from mlprep.core.session import ReviewSession
from mlprep.decks.loader import deck_files
from mlprep.storage.reports import compute_report
from mlprep.storage.store import Store

runner = CliRunner()


def first_day_of_each_file(store: Store, days: int, new_per_day: int) -> dict[str, date]:
    started: dict[str, date] = {}
    for offset in range(days):
        day = DAY + timedelta(days=offset)
        for item in study_day(store, day, new_per_day):
            if item.kind == "new":
                started.setdefault(item.deck, day)
    return started


def test_every_topic_starts_within_two_days_over_five_days(tmp_path):
    # The trial's situation: 16 topic files, 10 new cards a day. Ordering afresh each day
    # gave the same 10 files every day; the last 6 first appeared after two weeks.
    files = write_decks(tmp_path / "decks", files=16, cards=8)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        started = first_day_of_each_file(store, days=5, new_per_day=10)
        assert sorted(started) == [f"t{n:02d}" for n in range(1, 17)]
        assert max(started.values()) <= DAY + timedelta(days=1)
        # Five days of 10: every file got 3 or 4 of its cards, none was left behind.
        introduced = [
            len({r.card_id for r in store.reviews() if r.card_id.startswith(f"t{n:02d}-")})
            for n in range(1, 17)
        ]
        assert sum(introduced) == 50 and set(introduced) == {3, 4}


def test_new_cards_of_each_day_go_to_the_least_introduced_files(tmp_path):
    files = write_decks(tmp_path / "decks", files=16, cards=8)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        day1 = study_day(store, DAY)
        assert [q.deck for q in day1 if q.kind == "new"] == [f"t{n:02d}" for n in range(1, 11)]
        day2 = [q for q in day_queue(store, DAY + timedelta(days=1)) if q.kind == "new"]
        # t11..t16 have nothing introduced: they go first, then the second card of t01..t04.
        assert [q.card_id for q in day2] == [f"t{n:02d}-1" for n in range(11, 17)] + [
            f"t{n:02d}-2" for n in range(1, 5)
        ]


def test_the_bundled_deck_starts_every_topic_as_early_as_the_limit_allows(tmp_path):
    files, _ = deck_files([bundled_cards_dir()])
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        decks = {c.deck for c in store.live_cards()}
        days = math.ceil(len(decks) / 10)  # F files, N a day: the earliest possible day
        started = first_day_of_each_file(store, days=days, new_per_day=10)
        assert set(started) == decks
        assert max(started.values()) == DAY + timedelta(days=days - 1)


def _store_with_dues(tmp_path) -> Store:
    """Four cards answered on different days so that one each is due yesterday (overdue),
    today, tomorrow and the day after."""
    (files,) = [write_decks(tmp_path / "decks", files=1, cards=4)]
    store = Store(tmp_path / "db.sqlite")
    store.sync(files)
    # Good on a new card: interval 1, so answering on day d makes it due on d + 1.
    for n, offset in enumerate((-2, -1, 0, 1), start=1):
        day = DAY + timedelta(days=offset)
        store.record(f"t01-{n}", Answer.of(Grade.GOOD), Clock(day)(), day)
    return store


def test_due_tomorrow_counts_only_the_cards_that_fall_due_tomorrow(tmp_path):
    with _store_with_dues(tmp_path) as store:
        dues = sorted(store.state(f"t01-{n}").due for n in range(1, 5))
        assert dues == [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1), DAY + timedelta(2)]
        tomorrow = DAY + timedelta(days=1)
        assert store.count_due_on(tomorrow) == 1  # not the overdue and today's cards
        assert store.count_due_on(DAY) == 1
        report = compute_report(store.conn, DAY)
        assert report.forecast.tomorrow == 1 == report.forecast.due[1]
        session = ReviewSession(store, day_queue(store, DAY), DAY, Clock())
        assert session.summary().due_tomorrow == 1


def test_due_summary_and_stats_agree_on_tomorrow(tmp_path, monkeypatch):
    deck = write_decks(tmp_path / "decks", files=1, cards=4)[0]
    home = tmp_path / "home"
    monkeypatch.setenv("MLPREP_HOME", str(home))
    from mlprep.app.config import Paths

    store = Store(Paths.from_env().db)
    store.sync([deck])
    for n, offset in enumerate((-2, -1, 0, 1), start=1):
        day = DAY + timedelta(days=offset)
        store.record(f"t01-{n}", Answer.of(Grade.GOOD), Clock(day)(), day)
    store.close()
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    due = runner.invoke(app, ["due", "--cards", str(deck), "--deck", "t01", "--json"])
    assert json.loads(due.output)["due_tomorrow"] == 1
    text = runner.invoke(app, ["due", "--cards", str(deck), "--deck", "t01"])
    assert "Due tomorrow: 1\n" in text.output
    stats = runner.invoke(app, ["stats", "--cards", str(deck), "--deck", "t01", "--json"])
    assert json.loads(stats.output)["forecast"]["due_tomorrow"] == 1
