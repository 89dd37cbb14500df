"""SM-2 made legible in `stats`: the ease trend, the cards at the floor, the hint to switch to
FSRS once the log is large enough, and suspended cards counted apart."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

from rich.console import Console

from daily.helpers import DAY, Clock, write_decks
from mlprep.core.grades import Answer, Grade
from mlprep.core.stats import FSRS_HINT_REVIEWS, build_ease_trend
from mlprep.storage.reports import compute_report
from mlprep.storage.store import Store
from mlprep.term.stats import build_ease, build_report


def render(renderable, width=80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_ease_trend_points_are_the_average_by_each_week():
    today = date(2026, 12, 22)
    eases = {
        "a": [(today - timedelta(days=20), 2.5), (today - timedelta(days=5), 2.36)],
        "b": [(today - timedelta(days=10), 1.96), (today, 1.3)],
        "c": [(today, 2.6)],
    }
    trend = build_ease_trend(eases, today, floor=1.3)
    assert [p.day for p in trend.points] == [today - timedelta(days=d) for d in (21, 14, 7, 0)]
    assert [p.cards for p in trend.points] == [0, 1, 2, 3]
    averages = [p.average for p in trend.points]
    assert averages[0] is None and averages[1] == 2.5
    assert abs(averages[2] - (2.5 + 1.96) / 2) < 1e-12
    assert abs(averages[3] - (2.36 + 1.3 + 2.6) / 3) < 1e-12
    assert abs(trend.change - ((2.36 + 1.3 + 2.6) / 3 - 2.5)) < 1e-12
    assert trend.at_floor == 1


def _answer(store: Store, card: str, day: date, grade: Grade) -> None:
    store.record(card, Answer.of(grade), Clock(day)(), day)


def test_stats_show_the_ease_falling_and_the_floor(tmp_path):
    files = write_decks(tmp_path / "decks", files=1, cards=2)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        # t01-1: Again on its first day (2.5 - 0.54), then Hard twice: 1.96, 1.82, 1.68.
        start = DAY - timedelta(days=21)
        for offset, grade in ((0, Grade.AGAIN), (8, Grade.HARD), (15, Grade.HARD)):
            _answer(store, "t01-1", start + timedelta(days=offset), grade)
        report = compute_report(store.conn, DAY)
        points = report.ease.points
        assert [p.cards for p in points] == [1, 1, 1, 1]
        assert [round(p.average, 2) for p in points] == [1.96, 1.96, 1.82, 1.68]
        assert round(report.ease.change, 2) == -0.28 and report.ease.at_floor == 0
        text = render(build_report(report))
        assert "Ease (SM-2)" in text
        assert "1.96 → Nov 17 1.96 → Nov 24 1.82 → today 1.68 (−0.28)" in text
        assert "0 cards at the 1.30 floor now" in text
        assert max(map(len, text.splitlines())) <= 80


def test_fsrs_is_suggested_once_the_log_is_large_enough(tmp_path):
    files = write_decks(tmp_path / "decks", files=1, cards=1)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        _answer(store, "t01-1", DAY - timedelta(days=1), Grade.GOOD)
        _answer(store, "t01-1", DAY, Grade.GOOD)
        report = compute_report(store.conn, DAY)
    assert report.scheduled_reviews == 1  # the first answer of a card does not count
    assert not report.suggest_fsrs and "FSRS" not in render(build_report(report))
    enough = dataclasses.replace(report, scheduled_reviews=FSRS_HINT_REVIEWS)
    below = dataclasses.replace(report, scheduled_reviews=FSRS_HINT_REVIEWS - 1)
    assert enough.suggest_fsrs and not below.suggest_fsrs
    text = render(build_ease(enough))
    assert f"your log has {FSRS_HINT_REVIEWS} reviews" in text
    assert "mlprep config scheduler fsrs" in " ".join(text.split())
    assert max(map(len, text.splitlines())) <= 80
    # Once FSRS is the scheduler there is nothing to suggest.
    assert not dataclasses.replace(enough, scheduler="fsrs").suggest_fsrs
    assert enough.to_dict()["suggest_fsrs"] is True


def test_suspended_cards_leave_the_forecast_and_are_counted_apart(tmp_path):
    files = write_decks(tmp_path / "decks", files=1, cards=2)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync(files)
        for card in ("t01-1", "t01-2"):
            _answer(store, card, DAY, Grade.GOOD)  # both due tomorrow
        tomorrow = DAY + timedelta(days=1)
        assert store.count_due_on(tomorrow) == 2
        store.add_card_event("t01-2", "suspend", Clock()())
        assert store.count_due_on(tomorrow) == 1
        report = compute_report(store.conn, DAY)
        assert report.counts.suspended == 1 and report.counts.young == 1
        assert report.forecast.tomorrow == 1 and report.forecast.total == 1
        assert "suspended" in render(build_report(report))
        store.add_card_event("t01-2", "unsuspend", Clock()())
        assert store.count_due_on(tomorrow) == 2
        assert compute_report(store.conn, DAY).counts.suspended == 0
