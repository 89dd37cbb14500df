"""Every number of the stats report against an independent recount over the raw review log."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from mlprep.core.grades import Answer
from mlprep.core.stats import (
    PassRate,
    TopicRow,
    build_forecast,
    build_heatmap,
    build_streaks,
    heatmap_levels,
    heatmap_thresholds,
    sort_topics,
)
from mlprep.decks.loader import deck_files
from mlprep.storage.reports import compute_report
from mlprep.storage.store import Store

from .stats_expected import assert_same, expected_report, read_log
from .stats_history import FIRST_DAY, LEECH_THRESHOLD, RETIRED, TODAY, card_defs


@pytest.fixture
def store(home: Path):
    s = Store(home / "mlprep.db")
    yield s
    s.close()


def _report(store: Store, today: date = TODAY, **kw):
    kw.setdefault("leech_threshold", LEECH_THRESHOLD)
    return compute_report(store.conn, today, **kw)


def test_the_history_exercises_every_number(store: Store, home: Path):
    """Guard: the synthetic history is rich enough for the recount tests to mean something."""
    report = _report(store)
    counts = report.counts
    assert min(counts.new, counts.learning, counts.young, counts.mature, counts.retired) >= 1
    assert report.retention.young.reviews >= 10 and report.retention.mature.reviews >= 5
    assert 0 < report.retention.all.passed < report.retention.all.reviews
    assert report.forecast.overdue >= 1 and report.forecast.due[0] > report.forecast.overdue
    assert len(report.leeches) >= 2 and "leechy-card" in {leech.id for leech in report.leeches}
    assert report.time.capped >= 10 and report.time.today_ms > 0
    assert {d.generator for d in report.drills} == {"ols", "ridge", "roc_auc"}
    assert {d.level for d in report.heatmap.days} == {0, 1, 2, 3, 4}
    assert any(t.retention.rate is None for t in report.topics)
    log = read_log(home / "mlprep.db")
    assert any(r.response_ms is None for r in log)
    assert any(r.kind == "drill" and r.correct is None for r in log)
    assert any(not r.scheduled for r in log)  # same-day repeats
    assert {r.card_id for r in log} >= RETIRED


CASES = [
    pytest.param(TODAY, {}, id="default"),
    pytest.param(TODAY, {"deck": "alpha"}, id="deck"),
    pytest.param(TODAY, {"tag": "metrics"}, id="tag-with-retired"),
    pytest.param(TODAY, {"tag": "ridge", "deck": "alpha", "days": 7}, id="deck-tag-days"),
    pytest.param(TODAY, {"days": 1}, id="days-1"),
    pytest.param(TODAY, {"days": 365}, id="days-365"),
    pytest.param(TODAY, {"tag": "systems"}, id="mostly-new-topic"),
    pytest.param(TODAY + timedelta(days=1), {}, id="tomorrow-nothing-yet"),
    pytest.param(TODAY + timedelta(days=45), {"days": 60}, id="weeks-away"),
    pytest.param(TODAY - timedelta(days=40), {}, id="time-travel-back"),
    pytest.param(TODAY, {"leech_threshold": 0}, id="leeches-off"),
    pytest.param(TODAY, {"leech_threshold": 10}, id="leech-threshold-10"),
]


@pytest.mark.parametrize(("today", "options"), CASES)
def test_report_matches_an_independent_recount(store: Store, home: Path, today, options):
    report = _report(store, today, **options)
    expected = expected_report(
        home / "mlprep.db",
        today,
        days=options.get("days", 30),
        deck=options.get("deck"),
        tag=options.get("tag"),
        threshold=options.get("leech_threshold", LEECH_THRESHOLD),
    )
    assert_same(report.to_dict(), expected)


def test_facts_known_by_construction(store: Store):
    """Numbers fixed by how the history was built, written down by hand."""
    report = _report(store)
    # Studied every day of the last nine, with a gap before them.
    assert (report.streaks.current, report.streaks.studied_today) == (9, True)
    later = _report(store, TODAY + timedelta(days=1))
    assert (later.streaks.current, later.streaks.studied_today) == (9, False)
    assert _report(store, TODAY + timedelta(days=2)).streaks.current == 0
    # TODAY is a Friday: 25 full weeks plus Monday..Friday, from Monday 2026-05-25.
    assert report.heatmap.start == date(2026, 5, 25) == FIRST_DAY
    assert len(report.heatmap.days) == 25 * 7 + 5
    assert report.time.week_start == date(2026, 11, 16)
    assert report.first_day == FIRST_DAY
    assert report.retention.since == date(2026, 10, 22)
    assert report.counts.total == len(card_defs())
    assert report.counts.retired == len(RETIRED)
    assert len(report.forecast.due) == 30


# -- small hand-computed cases ---------------------------------------------------------------


CARDS = """deck: solo
cards:
  - id: solo-one
    q: One?
    a: One.
    tags: [t1]
  - id: solo-two
    q: Two?
    a: Two.
"""


@pytest.fixture
def solo(tmp_path: Path):
    deck = tmp_path / "solo.yaml"
    deck.write_text(CARDS)
    store = Store(tmp_path / "solo.db")
    store.sync(deck_files([deck])[0])
    yield store
    store.close()


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour)).astimezone()


def test_retention_uses_the_interval_before_each_answer(solo: Store):
    d0 = date(2026, 1, 1)
    # Good answers give intervals 1, 6, 15, 38 (EF 2.5); then a miss.
    plan = [(0, 4), (1, 4), (7, 4), (22, 4), (60, 1)]
    for offset, quality in plan:
        solo.record(
            "solo-one",
            Answer.expert(quality),
            _at(d0 + timedelta(days=offset)),
            d0 + timedelta(offset),
        )
    report = compute_report(solo.conn, d0 + timedelta(days=60), days=61)
    # The first answer is a new card's: not counted. Then intervals before: 1, 6, 15 (young,
    # all passed) and 38 (mature, failed).
    assert report.retention.young == PassRate(3, 3)
    assert report.retention.mature == PassRate(1, 0)
    assert report.counts.learning == 1  # failed, not recalled since
    assert report.counts.new == 1
    short = compute_report(solo.conn, d0 + timedelta(days=60), days=38)  # window from day 23
    assert (short.retention.young, short.retention.mature) == (PassRate(), PassRate(1, 0))


def test_time_caps_each_answer_at_60_seconds_and_weeks_start_on_monday(solo: Store):
    sunday = date(2026, 3, 1)
    monday = sunday + timedelta(days=1)
    wednesday = sunday + timedelta(days=3)
    solo.record("solo-one", Answer.expert(4), _at(sunday), sunday, response_ms=30_000)
    solo.record(
        "solo-two", Answer.expert(4), _at(monday), monday, response_ms=90_000
    )  # counts 60 s
    solo.record(
        "solo-one", Answer.expert(4), _at(wednesday), wednesday, response_ms=None
    )  # untimed
    solo.record("solo-two", Answer.expert(4), _at(wednesday), wednesday, response_ms=12_345)
    solo.record(
        "solo-two", Answer.expert(2), _at(wednesday, 10), wednesday, response_ms=60_000
    )  # repeat
    report = compute_report(solo.conn, wednesday)
    assert report.time.today_ms == 12_345 + 60_000
    assert report.time.week_ms == 60_000 + 12_345 + 60_000
    assert report.time.total_ms == 30_000 + 60_000 + 12_345 + 60_000
    assert report.time.capped == 1
    assert report.total_reviews == 5
    # The repeat below Good today puts solo-two in the learning state.
    assert report.counts.learning == 1 and report.counts.young == 1


def test_answers_after_today_are_ignored(solo: Store):
    day = date(2026, 4, 10)
    solo.record("solo-one", Answer.expert(4), _at(day), day)
    solo.record("solo-two", Answer.expert(4), _at(day + timedelta(days=3)), day + timedelta(days=3))
    report = compute_report(solo.conn, day)
    assert report.total_reviews == 1
    assert report.streaks.current == 1
    assert [d.count for d in report.heatmap.days if d.count] == [1]


def test_an_empty_log_gives_an_empty_report(solo: Store):
    report = compute_report(solo.conn, date(2026, 5, 5))
    assert report.is_empty
    assert report.counts.new == 2 and report.counts.total == 2
    assert report.streaks.current == report.streaks.longest == 0
    assert report.forecast.total == 0 and report.drills == () and report.leeches == ()
    assert [t.tag for t in report.topics] == ["(untagged)", "t1"]


def test_days_must_be_positive(solo: Store):
    with pytest.raises(ValueError, match="at least 1"):
        compute_report(solo.conn, date(2026, 5, 5), days=0)


# -- pure pieces -----------------------------------------------------------------------------


def test_heatmap_quartiles_and_levels():
    counts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0]
    # Nearest rank over the 8 study days: 25th -> 2nd value, 50th -> 4th, 75th -> 6th.
    assert heatmap_thresholds(counts) == (2, 4, 6)
    assert heatmap_levels(counts) == [0, 1, 1, 2, 2, 3, 3, 4, 4, 0]
    assert heatmap_levels([0, 5, 5, 5]) == [0, 1, 1, 1]
    assert heatmap_levels([0, 0]) == [0, 0] and heatmap_thresholds([0]) == ()
    assert heatmap_levels([1, 1, 1, 9]) == [1, 1, 1, 4]


def test_heatmap_grid_starts_on_a_monday():
    sunday = date(2026, 6, 7)
    hm = build_heatmap({sunday: 3, date(2026, 6, 1): 1}, sunday, weeks=2)
    assert hm.start == date(2026, 5, 25) and hm.start.weekday() == 0
    assert len(hm.days) == 14 and hm.total == 4 and hm.max_count == 3


def test_streaks():
    d = date(2026, 7, 10)
    days = [d - timedelta(days=i) for i in (1, 2, 3, 6, 7, 8, 9, 10)]
    st = build_streaks(days, d)
    assert (st.current, st.longest, st.studied_today) == (3, 5, False)
    assert (st.longest_start, st.longest_end) == (d - timedelta(days=10), d - timedelta(days=6))
    assert build_streaks(days, d + timedelta(days=1)).current == 0
    assert build_streaks([], d).longest == 0


def test_forecast_puts_overdue_cards_on_today():
    today = date(2026, 8, 1)
    dues = [today - timedelta(days=3), today, today + timedelta(days=2), today + timedelta(30)]
    fc = build_forecast(Counter(dues), today)
    assert fc.due[:3] == (2, 0, 1) and fc.overdue == 1 and fc.total == 3 and len(fc.due) == 30


def test_topics_sort_weakest_first_and_unreviewed_last():
    def row(tag, reviews, passed, lapses):
        return TopicRow(tag, 1, PassRate(reviews, passed), lapses, None, 0, 0)

    rows = [row("a", 0, 0, 9), row("b", 4, 3, 0), row("c", 8, 6, 2), row("d", 2, 0, 0)]
    assert [r.tag for r in sort_topics(rows)] == ["d", "c", "b", "a"]
