"""The merge itself (storage.facts): whatever batches and order the same facts arrive in, the
log and the states come out the same; an undo keeps its answer out whenever each arrives."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.storage.facts import AnswerFact, UndoFact, add_runs, merge, merge_runs
from mlprep.storage.store import Store

START = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def answer(device: str, seq: int, card: str, minutes: int, grade: int = 3) -> AnswerFact:
    moment = START + timedelta(minutes=minutes)
    return AnswerFact(
        device,
        seq,
        card,
        moment.isoformat(timespec="milliseconds"),
        (moment - timedelta(hours=4)).date().isoformat(),
        grade,
        (1, 3, 4, 5)[grade - 1],
    )


def contents(store: Store) -> tuple:
    log = store.conn.execute(
        "SELECT device, seq, card_id, ts, day, grade FROM reviews ORDER BY id"
    ).fetchall()
    states = store.conn.execute(
        "SELECT card_id, due, interval, streak, lapses, reviews FROM state WHERE scheduler = 'sm2' ORDER BY card_id"
    ).fetchall()
    return log, states


facts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["dev-a", "dev-b", "dev-c"]),
        st.sampled_from(["x", "y", "z"]),
        st.integers(0, 5 * 24 * 60),  # minutes over five days
        st.integers(1, 4),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(facts_strategy, st.randoms(use_true_random=False), st.integers(1, 5))
def test_any_batches_in_any_order_give_the_same_log_and_states(tmp_path_factory, raw, rng, k):
    seqs: dict[str, int] = {}
    facts = []
    for device, card, minutes, grade in raw:
        seqs[device] = seqs.get(device, 0) + 1
        facts.append(answer(device, seqs[device], card, minutes, grade))
    # Some answers were taken back on their device.
    for fact in facts[::4]:
        seqs[fact.device] += 1
        facts.append(UndoFact(fact.device, seqs[fact.device], fact.ts, fact.device, fact.seq))
    folder = tmp_path_factory.mktemp("merge")
    with Store(folder / "one.db") as one, Store(folder / "many.db") as many:
        merge(one, facts)
        shuffled = facts[:]
        rng.shuffle(shuffled)
        for i in range(k):
            merge(many, shuffled[i::k])
        assert contents(one) == contents(many)
        log = contents(one)[0]
        undone = {(f.target_device, f.target_seq) for f in facts if isinstance(f, UndoFact)}
        expected = sorted(
            (f.ts, f.device, f.seq)
            for f in facts
            if isinstance(f, AnswerFact) and f.identity not in undone
        )
        assert [(ts, d, s) for d, s, _, ts, _, _ in log] == expected


def test_an_undo_that_arrives_before_its_answer_keeps_it_out(tmp_path: Path):
    first = answer("dev-a", 1, "x", 0)
    with Store(tmp_path / "db") as store:
        report = merge(store, [UndoFact("dev-a", 2, first.ts, "dev-a", 1)])
        assert report.answers_removed == 0 and report.undos == 1
        report = merge(store, [first])
        assert report.answers_added == 0
        assert store.reviews() == [] and store.state("x") is None


def test_runs_of_sequence_numbers():
    runs: dict[str, list[list[int]]] = {}
    add_runs(runs, [("a", 3), ("a", 1), ("a", 2), ("a", 7), ("b", 5)])
    assert runs == {"a": [[1, 3], [7, 7]], "b": [[5, 5]]}
    merge_runs(runs, {"a": [[4, 6], [9, 12]], "c": [[1, 1]]})
    assert runs == {"a": [[1, 7], [9, 12]], "b": [[5, 5]], "c": [[1, 1]]}
    add_runs(runs, [("a", 8), ("a", 8)])
    assert runs["a"] == [[1, 12]]


def test_a_big_rewrite_keeps_the_indexes(tmp_path: Path):
    """Past BULK_ROWS rows, the merge rebuilds the log's indexes after writing it: they must
    all be there again, and the uniqueness of (device, seq) still enforced."""
    import sqlite3

    import pytest

    from mlprep.storage import facts as facts_module

    rng = random.Random(4)
    with Store(tmp_path / "db") as store:
        before = sorted(
            store.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'reviews' AND type = 'index'"
            ).fetchall()
        )
        batch = [answer("dev-a", n, "x", rng.randrange(10_000)) for n in range(1, 301)]
        old = facts_module.BULK_ROWS
        facts_module.BULK_ROWS = 100
        try:
            merge(store, batch[:150])
            merge(store, batch[150:])
        finally:
            facts_module.BULK_ROWS = old
        after = sorted(
            store.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'reviews' AND type = 'index'"
            ).fetchall()
        )
        assert after == before
        times = [r.ts for r in store.reviews()]
        assert times == sorted(times) and len(times) == 300
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO reviews (card_id, ts, day, grade, quality, kind, source, device, seq)"
                " VALUES ('x', 't', 'd', 3, 4, 'review', 'local', 'dev-a', 1)"
            )
