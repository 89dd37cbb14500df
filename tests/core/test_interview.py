"""Interview mode: the planner's invariants, the queue it serves, and the command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import app
from mlprep.core.planner import PlanCard, plan_interview
from mlprep.core.scheduling.fsrs import FsrsScheduler, retrievability

TODAY = date(2026, 12, 1)
runner = CliRunner()


def cards(n_new: int, n_seen: int = 0, *, stability: float = 3.0) -> list[PlanCard]:
    out = [PlanCard(f"new-{i}", f"t{i % 3}", None, None, None, 10.0, 30.0) for i in range(n_new)]
    out += [
        PlanCard(
            f"seen-{i}",
            "seen",
            stability * (1 + i % 4),
            5.0,
            TODAY - timedelta(days=1 + i % 5),
            10.0,
            30.0,
        )
        for i in range(n_seen)
    ]
    return out


def test_every_card_is_introduced_when_the_budget_allows():
    plan = plan_interview(cards(60), TODAY, TODAY + timedelta(days=10), 30 * 60, FsrsScheduler())
    introduced = [c for day in plan.days for c in day.new]
    assert sorted(introduced) == sorted(f"new-{i}" for i in range(60))
    assert len(plan.days) == 10 and plan.days[0].day == TODAY
    assert plan.days[-1].day == TODAY + timedelta(days=9)  # nothing planned on the day itself


def test_each_day_stays_within_the_budget_and_is_ordered_by_gain():
    deck = cards(40, 40)
    budget = 5 * 60
    plan = plan_interview(deck, TODAY, TODAY + timedelta(days=7), budget, FsrsScheduler())
    cost = {c.id: c for c in deck}
    for day in plan.days:
        spent = sum(cost[i].new_seconds for i in day.new) + sum(
            cost[i].review_seconds for i in day.reviews
        )
        assert spent == pytest.approx(day.seconds) and spent <= budget
    chosen = set(plan.days[0].new) | set(plan.days[0].reviews)
    assert set(plan.order[: len(chosen)]) == chosen  # the plan first, then today's reserve
    reserve = plan.order[len(chosen) :]
    assert reserve and not set(reserve) & chosen
    assert (
        sum(
            cost[i].review_seconds if i.startswith("seen") else cost[i].new_seconds for i in reserve
        )
        <= 2 * budget
    )
    assert plan.planned_recall > plan.expected_recall


def test_expected_recall_is_the_forgetting_curve_on_the_day():
    deck = cards(2, 4)
    interview = TODAY + timedelta(days=5)
    plan = plan_interview(deck, TODAY, interview, 0.0, FsrsScheduler())
    params = FsrsScheduler().parameters
    expected = [
        retrievability((interview - c.last_day).days, c.stability, params) if c.stability else 0.0
        for c in deck
    ]
    assert plan.expected_recall == pytest.approx(sum(expected) / len(expected))
    assert plan.planned_recall == pytest.approx(plan.expected_recall)  # no budget, no change
    assert plan.unseen == 2 and all(not d.new and not d.reviews for d in plan.days)


def test_spent_time_and_cards_done_today_are_left_out():
    deck = cards(10)
    done = frozenset({"new-0", "new-1"})
    plan = plan_interview(
        deck,
        TODAY,
        TODAY + timedelta(days=3),
        120.0,
        FsrsScheduler(),
        spent_today=60.0,
        done_today=done,
    )
    assert plan.days[0].seconds <= 60.0 and not set(plan.days[0].new) & done


@pytest.fixture
def deck_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "cards:\n" + "".join(f"  - {{id: a{i}, q: q{i}, a: x, tags: [alpha]}}\n" for i in range(6))
    )
    (folder / "b.yaml").write_text(
        "cards:\n" + "".join(f"  - {{id: b{i}, q: q{i}, a: x, tags: [beta]}}\n" for i in range(4))
    )
    empty = tmp_path / "no-bundled"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    return folder


def test_interview_command_sets_shows_and_clears(deck_dir: Path):
    args = ["--cards", str(deck_dir)]
    result = runner.invoke(
        app, ["interview", "2026-12-08", "--minutes", "10", "--tag", "alpha", *args]
    )
    assert result.exit_code == 0, result.output
    assert "Interview on 2026-12-08 · in 7 days · 10 min a day · tag alpha" in result.stdout
    payload = json.loads(runner.invoke(app, ["interview", "--json", *args]).stdout)
    assert (
        payload["date"] == "2026-12-08" and payload["days_left"] == 7 and payload["minutes"] == 10
    )
    assert payload["cards"] == 6 and payload["unseen"] == 6 and payload["expected_recall"] == 0.0
    assert set(payload["topics"]) == {"alpha"} and len(payload["plan"]) == 7
    assert {"day", "new", "reviews", "minutes"} == set(payload["plan"][0])
    due = json.loads(runner.invoke(app, ["due", "--json", *args]).stdout)
    assert due["interview"] == {"date": "2026-12-08", "days_left": 7}
    stats = runner.invoke(app, ["stats", "--json", *args])
    assert json.loads(stats.stdout)["interview"] == {"date": "2026-12-08", "days_left": 7}
    text = runner.invoke(app, ["stats", *args]).stdout
    assert "Interview mode is on: 7 days to 2026-12-08" in text
    cleared = runner.invoke(app, ["interview", "--clear"])
    assert cleared.exit_code == 0 and "off" in cleared.stdout
    assert json.loads(runner.invoke(app, ["due", "--json", *args]).stdout)["interview"] is None
    again = runner.invoke(app, ["interview", *args])
    assert again.exit_code == 1 and "no interview is set" in again.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["interview", "2026-11-30"], "must be after today (2026-12-01)"),
        (["interview", "next week"], "must be YYYY-MM-DD, got 'next week'"),
        (["interview", "2026-12-09", "--tag", "gamma"], "no tag named 'gamma'"),
        (["interview", "--minutes", "5"], "give the interview DATE"),
    ],
)
def test_interview_errors(deck_dir: Path, argv, message):
    result = runner.invoke(app, [*argv, "--cards", str(deck_dir)])
    assert result.exit_code != 0 and message in result.stderr


def test_review_queue_serves_the_plan_then_normal_scheduling_resumes(deck_dir: Path, monkeypatch):
    from mlprep.app.interview import active_interview, interview_queue
    from mlprep.app.library import day_queue
    from mlprep.cli.common import open_library

    runner.invoke(
        app,
        ["interview", "2026-12-08", "--minutes", "2", "--tag", "alpha", "--cards", str(deck_dir)],
    )
    with open_library([deck_dir]) as lib:
        interview = active_interview(lib.settings, lib.today)
        queue, plan = interview_queue(lib, interview)
        planned = [q.card_id for q in queue if q.card_id.startswith("a")]
        assert planned == list(plan.order)
        assert len(plan.days[0].new) == 3  # 3 × 40 s (the default) in 2 minutes
        assert plan.seconds_left_today == 120.0
        assert all(not q.card_id.startswith("b") or q.kind != "new" for q in queue)
    monkeypatch.setenv("MLPREP_NOW", "2026-12-08T09:00")  # the day: normal scheduling again
    with open_library([deck_dir]) as lib:
        assert active_interview(lib.settings, lib.today) is None
        normal = day_queue(lib.store, lib.today, new_per_day=10)
        assert {q.card_id for q in normal} == {f"a{i}" for i in range(6)} | {
            f"b{i}" for i in range(4)
        }


def test_a_session_with_a_time_budget_ends_when_the_logged_time_uses_it(tmp_path: Path):
    from datetime import datetime, timezone

    from mlprep.core.grades import Grade
    from mlprep.core.session import ReviewSession
    from mlprep.storage.store import Store

    deck = tmp_path / "d.yaml"
    deck.write_text("cards:\n" + "".join(f"  - {{id: c{i}, q: q, a: a}}\n" for i in range(6)))
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        from mlprep.app.library import day_queue

        queue = day_queue(store, TODAY, new_per_day=6)
        clock = lambda: datetime(2026, 12, 1, 9, tzinfo=timezone.utc)  # noqa: E731
        session = ReviewSession(store, queue, TODAY, clock, time_budget=25.0)
        session.answer(Grade.GOOD, response_ms=10_000)
        session.answer(Grade.GOOD, response_ms=10_000)
        assert session.current is not None and not session.budget_spent
        session.answer(Grade.GOOD, response_ms=10_000)
        assert session.budget_spent and session.current is None and len(session.queue) == 3
        session.undo()
        assert not session.budget_spent and session.current is not None
