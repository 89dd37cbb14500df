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


def test_on_the_day_interview_shows_readiness_and_review_is_normal(deck_dir: Path, monkeypatch):
    args = ["--cards", str(deck_dir)]
    runner.invoke(app, ["interview", "2026-12-08", "--minutes", "10", *args])
    monkeypatch.setenv("MLPREP_NOW", "2026-12-08T09:00")
    result = runner.invoke(app, ["interview", *args])
    assert result.exit_code == 0, result.output
    assert "Interview today, 2026-12-08 · all cards" in result.stdout
    assert "Expected recall today: 0%" in result.stdout and "The plan" not in result.stdout
    payload = json.loads(runner.invoke(app, ["interview", "--json", *args]).stdout)
    assert payload["days_left"] == 0 and payload["plan"] == []
    due = runner.invoke(app, ["due", *args]).stdout
    assert "Your interview is today (2026-12-08)" in " ".join(due.split())
    assert json.loads(runner.invoke(app, ["due", "--json", *args]).stdout)["interview"] == {
        "date": "2026-12-08",
        "days_left": 0,
    }
    monkeypatch.setenv("MLPREP_NOW", "2026-12-09T09:00")
    after = runner.invoke(app, ["interview", *args])
    assert after.exit_code == 1 and "no interview is set (or it has passed)" in after.stderr
    assert json.loads(runner.invoke(app, ["due", "--json", *args]).stdout)["interview"] is None


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


def test_a_session_that_runs_out_of_cards_before_its_minutes_plans_again(tmp_path: Path):
    """A learner faster than the plan's times used to finish the queue (plan and reserve)
    with minutes left, and a second `review` found more: the session goes on with a new
    plan until the budget is spent, never serving a card twice."""
    from datetime import datetime, timezone

    from mlprep.core.grades import Grade
    from mlprep.core.queue import QueueItem
    from mlprep.core.session import ReviewSession
    from mlprep.storage.store import Store

    deck = tmp_path / "d.yaml"
    deck.write_text("cards:\n" + "".join(f"  - {{id: c{i}, q: q, a: a}}\n" for i in range(8)))
    plans: list[list[str]] = []

    def replan() -> list[QueueItem]:  # the planner's next best cards, c0.. first
        plans.append([f"c{i}" for i in range(8)])
        return [QueueItem(card_id, "new", "d") for card_id in plans[-1]]

    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        first = [QueueItem("c0", "new", "d"), QueueItem("c1", "new", "d")]
        clock = lambda: datetime(2026, 12, 1, 9, tzinfo=timezone.utc)  # noqa: E731
        session = ReviewSession(store, first, TODAY, clock, time_budget=45.0, refill=replan)
        served = []
        while session.current is not None:
            served.append(session.current.card_id)
            session.answer(Grade.GOOD, response_ms=10_000)
        assert served == ["c0", "c1", "c2", "c3", "c4"]  # 5 × 10 s reach the 45 s
        assert session.budget_spent and len(plans) == 1
        # A refill with nothing new ends the session, and is not asked again.
        done = ReviewSession(store, [], TODAY, clock, time_budget=45.0, refill=lambda: [])
        assert done.current is None and done.current is None


def test_review_in_interview_mode_spends_the_minutes_the_plan_has(deck_dir: Path, monkeypatch):
    """2 minutes at the default 40 s a new card: a plan of 3 cards, and a queue of 9 with the
    reserve. Answering at 10 s a card, the queue ran out after 90 s; now the session plans
    again and uses the whole 2 minutes (12 answers, no card twice), and the header counts
    the plan's cards, not its reserve."""
    (deck_dir / "c.yaml").write_text(
        "cards:\n" + "".join(f"  - {{id: c{i}, q: q{i}, a: x, tags: [gamma]}}\n" for i in range(30))
    )
    args = ["--cards", str(deck_dir)]
    runner.invoke(app, ["interview", "2026-12-08", "--minutes", "2", "--tag", "gamma", *args])
    lines = "".join(json.dumps({"grade": "good", "seconds": 10}) + "\n" for _ in range(40))
    result = runner.invoke(app, ["review", "--jsonl", *args], input=lines)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    recorded = [e["card"] for e in events if e["event"] == "recorded"]
    assert len(recorded) == 12 and len(set(recorded)) == 12
    assert events[-1]["event"] == "done" and events[-1]["reason"] == "finished"
    from mlprep.cli.common import open_library
    from mlprep.cli.review import session_queue
    from mlprep.storage.store import Scope

    monkeypatch.setenv("MLPREP_NOW", "2026-12-02T09:00")
    with open_library([deck_dir]) as lib:
        queue, _, _, plan = session_queue(lib, Scope(), None, None, False, None, False)
    assert plan.planned_today < len(plan.order)  # a reserve follows the plan in the queue


def test_measured_answer_seconds_by_kind_and_over_the_recent_answers(tmp_path: Path):
    """Reviews of learned basic and computed cards, and a new card's first day (its same-day
    repeats included, cram not), each answer capped at 60 s; `recent` keeps the latest."""
    from datetime import datetime, timezone

    from mlprep.core.grades import Answer, Grade
    from mlprep.storage.store import Store

    deck = tmp_path / "d.yaml"
    deck.write_text(
        "cards:\n"
        + "".join(f"  - {{id: b{i}, q: q, a: a}}\n" for i in range(4))
        + "  - {id: k0, type: computed, generator: ridge}\n"
    )
    log = [  # (day, card, grade, ms, kind): ids 1-12 in this order
        (1, "b0", Grade.GOOD, 5000, "review"),
        (1, "b1", Grade.AGAIN, 8000, "review"),
        (1, "b1", Grade.GOOD, 70_000, "review"),  # a same-day repeat, capped at 60 s
        (1, "k0", Grade.GOOD, 30_000, "drill"),
        (2, "b2", Grade.GOOD, 9000, "cram"),  # cram: neither a review nor a first day
        (2, "b0", Grade.GOOD, 4000, "review"),
        (3, "b2", Grade.GOOD, 11_000, "review"),  # b2's first day
        (3, "b1", Grade.GOOD, None, "review"),  # not timed
        (3, "k0", Grade.GOOD, 50_000, "drill"),
        (4, "b1", Grade.HARD, 3000, "review"),
        (4, "b3", Grade.GOOD, 7000, "review"),
        (5, "b3", Grade.GOOD, 6000, "review"),
    ]
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        for n, (day, card, grade, ms, kind) in enumerate(log):
            when = datetime(2026, 11, day, 9, n, tzinfo=timezone.utc)
            store.record(
                card, Answer.of(grade), when, date(2026, 11, day), response_ms=ms, kind=kind
            )
        everything = store.answer_seconds()
        assert everything["review"] == pytest.approx(((4000 + 3000 + 6000) / 3000, 3))
        assert everything["computed"] == pytest.approx((50.0, 1))
        firsts = [5000, 8000 + 60_000, 30_000, 11_000, 7000]  # b0, b1, k0, b2, b3
        assert everything["new"] == pytest.approx((sum(firsts) / 5000, 5))
        # ids 6-12: b0, b1 and k0 began before; b2 only crammed before
        latest = store.answer_seconds(recent=7)
        assert latest["review"] == pytest.approx(((4000 + 3000 + 6000) / 3000, 3))
        assert latest["computed"] == pytest.approx((50.0, 1))
        assert latest["new"] == pytest.approx(((11_000 + 7000) / 2000, 2))
        assert store.answer_seconds(recent=0) == {
            "review": (0.0, 0),
            "computed": (0.0, 0),
            "new": (0.0, 0),
        }


def test_memory_rows_are_the_live_unsuspended_cards_in_scope_with_the_memory_models_state(
    tmp_path: Path,
):
    """In file order; the memory model's FSRS memory (not the active SM-2's) for answered
    cards, None for the others; suspended and retired cards left out; --deck and --tag."""
    from datetime import datetime, timezone

    import fsrs_rs_python

    from mlprep.core.grades import Answer, Grade
    from mlprep.core.scheduling import SM2
    from mlprep.storage.store import Scope, Store

    first = tmp_path / "a.yaml"
    first.write_text(
        "deck: one\ncards:\n  - {id: x2, q: q, a: a, tags: [t1, t2]}\n  - {id: x1, q: q, a: a}\n"
        "  - {id: gone, q: q, a: a}\n"
    )
    second = tmp_path / "b.yaml"
    second.write_text(
        "deck: two\ncards:\n  - {id: y1, q: q, a: a, tags: [t2]}\n  - {id: y2, q: q, a: a}\n"
    )
    when = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    with Store(tmp_path / "db.sqlite", None) as store:
        store.use_scheduler(SM2, memory=FsrsScheduler())
        store.sync([first, second])
        store.record("x1", Answer.of(Grade.GOOD), when, date(2026, 11, 20))
        store.record("y1", Answer.of(Grade.AGAIN), when, date(2026, 11, 20))
        store.add_card_event("y2", "suspend", when)
        first.write_text(
            "deck: one\ncards:\n  - {id: x2, q: q, a: a, tags: [t1, t2]}\n  - {id: x1, q: q, a: a}\n"
        )
        store.sync([first, second])  # `gone` is retired
        rows = store.memory_rows()
        assert [r[:4] for r in rows] == [
            ("x2", "one", "t1 t2", "basic"),
            ("x1", "one", "", "basic"),
            ("y1", "two", "t2", "basic"),
        ]
        fsrs = fsrs_rs_python.FSRS(fsrs_rs_python.DEFAULT_PARAMETERS)
        good = fsrs.next_states(None, 0.9, 0).good.memory
        again = fsrs.next_states(None, 0.9, 0).again.memory
        assert rows[0][4:] == (None, None)
        assert rows[1][4].stability == pytest.approx(good.stability)
        assert rows[1][4].difficulty == pytest.approx(good.difficulty)
        assert rows[2][4].stability == pytest.approx(again.stability)
        assert rows[1][5] == rows[2][5] == date(2026, 11, 20)
        assert [r[0] for r in store.memory_rows(Scope(deck="two"))] == ["y1"]
        assert [r[0] for r in store.memory_rows(Scope(tag="t2"))] == ["x2", "y1"]


def test_out_of_scope_cards_due_today_follow_the_plan(deck_dir: Path, monkeypatch):
    """An interview on tag alpha: beta's due cards keep their normal schedule, after the
    plan; an interview on every card has no other part (nothing twice)."""
    from mlprep.app.interview import active_interview, interview_queue
    from mlprep.cli.common import open_library

    monkeypatch.setenv("MLPREP_NOW", "2026-11-25T09:00")
    with open_library([deck_dir]) as lib:  # b0, b1 and a0 answered 6 days before
        from datetime import datetime, timezone

        from mlprep.core.grades import Answer, Grade

        when = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
        for card in ("b0", "b1", "a0"):
            lib.store.record(card, Answer.of(Grade.GOOD), when, date(2026, 11, 25))
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    for tag in ("alpha", None):
        argv = ["interview", "2026-12-08", "--minutes", "30", "--cards", str(deck_dir)]
        assert runner.invoke(app, argv + (["--tag", tag] if tag else [])).exit_code == 0
        with open_library([deck_dir]) as lib:
            queue, plan = interview_queue(lib, active_interview(lib.settings, lib.today))
            ids = [q.card_id for q in queue]
            assert len(ids) == len(set(ids)) and ids[: len(plan.order)] == list(plan.order)
            rest = queue[len(plan.order) :]
            if tag:
                assert not {f"b{i}" for i in range(4)} & set(plan.order)
                assert [(q.card_id, q.kind) for q in rest] == [("b0", "review"), ("b1", "review")]
            else:
                assert rest == [] and {"b0", "b1", "a0"} <= set(plan.order)
            kinds = {q.card_id: q.kind for q in queue}
            assert kinds["a1"] == "new" and kinds.get("a0", "review") == "review"
