from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlprep.app.library import day_queue as build_queue
from mlprep.core.grades import Answer
from mlprep.core.session import RELEARN_GAP, ReviewSession
from mlprep.storage.store import Store

DAY = date(2026, 3, 2)


class Clock:
    def __init__(self):
        self.t = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)

    def __call__(self):
        self.t += timedelta(seconds=10)
        return self.t


@pytest.fixture
def store(tmp_path: Path):
    f = tmp_path / "deck.yaml"
    f.write_text(
        "cards:\n" + "".join(f"  - {{id: c{i}, q: q{i}, a: a{i}}}\n" for i in range(1, 16))
    )
    with Store(tmp_path / "db.sqlite") as s:
        s.sync([f])
        yield s


def ids(queue):
    return [q.card_id for q in queue]


def test_new_limit_counts_cards_seen_today(store):
    queue = build_queue(store, DAY, new_per_day=4)
    assert ids(queue) == ["c1", "c2", "c3", "c4"]  # file order
    session = ReviewSession(store, queue, DAY, Clock())
    session.answer(Answer.expert(4))
    session.answer(Answer.expert(4))
    assert len(build_queue(store, DAY, new_per_day=4)) == 2
    assert len(build_queue(store, DAY + timedelta(days=1), new_per_day=4)) == 4 + 2


def test_due_before_new_and_review_cap(store):
    clock = Clock()
    s = ReviewSession(store, build_queue(store, DAY, new_per_day=3), DAY, clock)
    for _ in range(3):
        s.answer(Answer.expert(4))
    tomorrow = DAY + timedelta(days=1)
    queue = build_queue(store, tomorrow, new_per_day=2)
    assert [q.kind for q in queue] == ["review"] * 3 + ["new"] * 2
    capped = build_queue(store, tomorrow, new_per_day=0, reviews_per_day=2)
    assert len(capped) == 2


def test_low_grades_come_back_after_a_gap(store):
    session = ReviewSession(store, build_queue(store, DAY, new_per_day=6), DAY, Clock())
    first = session.current.card_id
    session.answer(Answer.expert(1))
    assert ids(session.queue).index(first) == RELEARN_GAP
    assert session.queue[RELEARN_GAP].kind == "relearn"
    for _ in range(RELEARN_GAP):
        session.answer(Answer.expert(4))
    assert session.current.card_id == first
    session.answer(Answer.expert(3))  # Hard still comes back
    assert first in ids(session.queue)
    while session.current.card_id != first:
        session.answer(Answer.expert(4))
    session.answer(Answer.expert(4))
    assert first not in ids(session.queue)
    # Repeats were logged but only the first answer of the day scheduled the card.
    reviews = store.reviews(first)
    assert [r.scheduled for r in reviews] == [True, False, False]
    assert store.state(first).memory.repetitions == 0


def test_relearning_survives_a_new_session_the_same_day(store):
    session = ReviewSession(store, build_queue(store, DAY, new_per_day=2), DAY, Clock())
    failed = session.current.card_id
    session.answer(Answer.expert(1))
    queue = build_queue(store, DAY, new_per_day=2)
    assert queue[0].card_id == failed and queue[0].kind == "relearn"


def test_undo_puts_the_card_back(store):
    session = ReviewSession(store, build_queue(store, DAY, new_per_day=3), DAY, Clock())
    a = session.current.card_id
    session.answer(Answer.expert(1))
    b = session.current.card_id
    session.answer(Answer.expert(4))
    assert session.undo().card_id == b
    assert store.state(b) is None
    assert session.undo().card_id == a
    assert store.state(a) is None and store.reviews() == []
    assert session.undo() is None


def test_preview_shows_intervals_per_grade(store):
    session = ReviewSession(store, build_queue(store, DAY, new_per_day=1), DAY, Clock())
    card = session.current.card_id
    again, good, easy = (Answer.expert(q) for q in (1, 4, 5))
    preview = session.preview(card, [again, good, easy])
    assert preview[again] == "1d ↻" and preview[good] == "1d" and preview[easy] == "1d"
    session.answer(easy)
    # A second look the same day does not reschedule.
    later = session.preview(card, [again, good])
    assert later[good] == "1d" and later[again] == "1d ↻"  # due tomorrow, back today


def test_summary(store):
    session = ReviewSession(store, build_queue(store, DAY, new_per_day=3), DAY, Clock())
    session.answer(Answer.expert(4))
    session.answer(Answer.expert(1))
    summary = session.summary()
    assert summary.answered == 2 and summary.accuracy == 0.5
    assert summary.due_tomorrow == 2


def test_new_cards_take_turns_across_files(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("cards:\n" + "".join(f"  - {{id: a{i}, q: q, a: a}}\n" for i in range(1, 4)))
    b.write_text("cards:\n" + "".join(f"  - {{id: b{i}, q: q, a: a}}\n" for i in range(1, 3)))
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([a, b])
        assert ids(build_queue(store, DAY, new_per_day=10)) == ["a1", "b1", "a2", "b2", "a3"]


def test_preview_days_are_numbers_and_none_where_nothing_reschedules(store):
    from mlprep.core.queue import CRAM

    session = ReviewSession(store, build_queue(store, DAY, new_per_day=1), DAY, Clock())
    card = session.current.card_id
    again, hard, good = (Answer.expert(q) for q in (1, 3, 4))
    assert session.preview_days(card, [again, good]) == {again: 1, good: 1}
    session.answer(good)
    assert session.preview_days(card, [again, good]) == {again: None, good: None}  # same day
    tomorrow = DAY + timedelta(days=1)
    later = ReviewSession(store, build_queue(store, tomorrow), tomorrow, Clock())
    # SM-2, n = 1: a pass gives I = 6, a fail I = 1.
    assert later.preview_days(card, [again, hard, good]) == {again: 1, hard: 6, good: 6}
    cram = ReviewSession(store, [], tomorrow, Clock(), policy=CRAM)
    assert cram.preview_days(card, [again, good]) == {again: None, good: None}
    assert (cram.log_kind("drill"), later.log_kind("drill"), later.log_kind()) == (
        "cram",
        "drill",
        "review",
    )


def test_kept_lists_the_answers_and_undos_the_recorder_keeps_until_they_are_saved(
    tmp_path, monkeypatch
):
    """`kept` (and `unsaved`, its descriptions) is what both front ends read to say what is
    not saved yet and, compared before and after a write, what was saved with it."""
    from mlprep.core.session import RecordFailed
    from mlprep.storage.safety import pending_unsaved
    from robustness.faults import READONLY, error, install

    failing = False

    def fault(sql: str):
        return error(READONLY) if failing and sql.startswith("BEGIN") else None

    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0")
    install(monkeypatch, fault)
    # Kept writes are listed process-wide (for the CLI's last word): none may outlive the test.
    monkeypatch.setattr("mlprep.storage.safety._PENDING", [])
    deck = tmp_path / "deck.yaml"
    deck.write_text("cards:\n  - {id: c1, q: q1, a: a1}\n  - {id: c2, q: q2, a: a2}\n")
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        session = ReviewSession(store, build_queue(store, DAY), DAY, Clock())
        session.answer(Answer.expert(4))  # c1, saved
        failing = True
        with pytest.raises(RecordFailed):
            session.answer(Answer.expert(5))  # c2, kept
        (answer,) = session.kept
        assert (answer.card_id, answer.answer.quality, answer.undo) == ("c2", 5, False)
        assert session.unsaved == [answer.description]
        assert session.undo().card_id == "c2"  # never written: forgotten, nothing to write
        assert session.kept == [] and answer.pending.done is False
        with pytest.raises(RecordFailed):
            session.undo()  # c1 was saved: its removal is kept
        (removal,) = session.kept
        assert (removal.card_id, removal.answer.quality, removal.undo, removal.saved) == (
            "c1",
            4,
            True,
            False,
        )
        assert session.current.card_id == "c1"  # undone in the session all the same
        assert session.unsaved == [removal.description]
        assert removal.description.startswith("the undo of answer #")
        failing = False
        assert store.save_unsaved() == 1
        assert removal.saved and session.kept == [] and session.unsaved == []
        assert store.reviews() == [] and pending_unsaved() == []
