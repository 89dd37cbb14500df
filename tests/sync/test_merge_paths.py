"""The merge's shortcuts against the long way round. A merge moves the rows already in the log
inside SQLite (only their ids change) and sends only the new ones; past BULK_ROWS it drops the
log's indexes and builds them again; its replay reads the whole log in one pass when it
replays most cards, writes the steps cache with its card index built afterwards
past BULK_STEPS, and drops other schedulers' caches after looking them up. Whatever path a
merge takes, the log must be what the facts say (computed here from the facts alone) and the
caches what a full replay of that log gives (`rebuild_states`, which takes none of these
shortcuts)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, make_scheduler
from mlprep.storage import facts as facts_module
from mlprep.storage import store as store_module
from mlprep.storage.facts import AnswerFact, EventFact, RenameFact, UndoFact, merge
from mlprep.storage.store import Store

START = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
LOG = """SELECT id, device, seq, card_id, COALESCE(recorded_card, card_id), ts, day, grade,
                quality, response_ms, kind, source, seed, typed, correct FROM reviews ORDER BY id"""


def when(minutes: int) -> tuple[str, str]:
    moment = START + timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds"), (
        moment - timedelta(hours=4)
    ).date().isoformat()


def caches(store: Store) -> tuple:
    conn = store.conn
    return (
        conn.execute(
            """SELECT scheduler, card_id, due, interval, last_day, streak, lapses, reviews, ease,
                      memory FROM state ORDER BY scheduler, card_id"""
        ).fetchall(),
        conn.execute(
            """SELECT scheduler, review_id, card_id, scheduled, interval_before, interval, due,
                      ease FROM steps ORDER BY scheduler, review_id"""
        ).fetchall(),
    )


def indexes(store: Store) -> list[tuple]:
    return sorted(
        store.conn.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
    )


def expected_log(facts: list) -> list[tuple]:
    """The log the facts make, from the format's rules: every answer no undo names, in
    (time, device, seq) order, on the card the renames before it in that order lead to."""
    undone = {(f.target_device, f.target_seq) for f in facts if isinstance(f, UndoFact)}
    renames = sorted(
        (f.ts, f.device, f.seq, f.old, f.new) for f in facts if isinstance(f, RenameFact)
    )
    out = []
    for a in sorted(
        (f for f in facts if isinstance(f, AnswerFact) and f.identity not in undone),
        key=lambda f: (f.ts, f.device, f.seq),
    ):
        card = a.card
        for ts, device, seq, old, new in renames:
            if card == old and (a.ts, a.device, a.seq) < (ts, device, seq):
                card = new
        out.append(
            (a.device, a.seq, card, a.card, a.ts, a.day, a.grade, a.quality, a.response_ms)
            + (a.kind, a.source, a.seed, a.typed, None if a.correct is None else int(a.correct))
        )
    return out


facts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["dev-a", "dev-b", "dev-c"]),
        st.sampled_from(["x", "y", "z", "w"]),
        st.integers(0, 6 * 24 * 60),  # minutes over six days
        st.integers(1, 4),
        st.sampled_from(["review", "review", "cram", "drill"]),
        st.none() | st.integers(0, 9000),
        st.none() | st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


def make_facts(raw, undo_every: int, renames: bool) -> list:
    seqs: dict[str, int] = {}
    facts: list = []
    for device, card, minutes, grade, kind, ms, correct in raw:
        seqs[device] = seqs.get(device, 0) + 1
        ts, day = when(minutes)
        quality = (1, 3, 4, 5)[grade - 1]
        facts.append(
            AnswerFact(device, seqs[device], card, ts, day, grade, quality, ms, kind)
            if correct is None
            else AnswerFact(
                device,
                seqs[device],
                card,
                ts,
                day,
                grade,
                quality,
                ms,
                kind,
                seed=7,
                typed="42",
                correct=correct,
            )
        )
    if undo_every:
        for fact in list(facts)[::undo_every]:
            seqs[fact.device] += 1
            facts.append(UndoFact(fact.device, seqs[fact.device], fact.ts, fact.device, fact.seq))
    if renames:
        seqs["dev-a"] = seqs.get("dev-a", 0) + 1
        ts, _ = when(3 * 24 * 60)
        facts.append(RenameFact("dev-a", seqs["dev-a"], ts, "x", "x2"))
    seqs["dev-b"] = seqs.get("dev-b", 0) + 1
    ts, _ = when(60)
    facts.append(EventFact("dev-b", seqs["dev-b"], ts, "y", "suspend"))
    return facts


@settings(max_examples=60, deadline=None)
@given(
    facts_strategy,
    st.randoms(use_true_random=False),
    st.integers(1, 4),  # batches
    st.sampled_from([0, 3, 5]),  # every n-th answer undone (0: none)
    st.booleans(),  # a rename
    st.booleans(),  # bulk paths (tiny thresholds) or row-by-row ones
    st.sampled_from([0.0, 1e9]),  # always read the log in one pass, or never
    st.booleans(),  # the memory model kept beside SM-2
)
def test_every_path_gives_the_log_the_facts_make_and_the_caches_a_full_replay_gives(
    tmp_path_factory, raw, rng, batches, undo_every, renames, bulk, scan_share, memory
):
    facts = make_facts(raw, undo_every, renames)
    rng.shuffle(facts)
    saved = (
        facts_module.BULK_ROWS,
        store_module.BULK_STEPS,
        store_module.REPLAY_SCAN_SHARE,
        store_module.REPLAY_SCAN_MIN,
    )
    try:
        facts_module.BULK_ROWS = store_module.BULK_STEPS = 2 if bulk else 10**9
        store_module.REPLAY_SCAN_SHARE = scan_share
        store_module.REPLAY_SCAN_MIN = 0
        with Store(tmp_path_factory.mktemp("paths") / "db") as store:
            if memory:
                store.use_scheduler(SM2, make_scheduler("fsrs"))
            shape = indexes(store)
            for i in range(batches):
                merge(store, facts[i::batches])
            log = store.conn.execute(LOG).fetchall()
            ids = [row[0] for row in log]
            assert ids == sorted(set(ids))
            assert [row[1:] for row in log] == expected_log(facts)
            assert indexes(store) == shape
            merged = caches(store)
            store.rebuild_kept()  # the long way round: every card replayed from the log
            assert caches(store) == merged
            assert {k for (k,) in store.conn.execute("SELECT scheduler FROM caches")} == {
                s.key for s in store._kept()
            }
    finally:
        (
            facts_module.BULK_ROWS,
            store_module.BULK_STEPS,
            store_module.REPLAY_SCAN_SHARE,
            store_module.REPLAY_SCAN_MIN,
        ) = saved


def test_rows_before_the_first_one_out_of_place_keep_their_ids(tmp_path: Path):
    """Only the part of the log from the first row a merge puts elsewhere is written again:
    answers logged here since the last merge that still come first keep their ids."""
    with Store(tmp_path / "db") as store:
        merge(store, [AnswerFact("dev-a", n, "x", *when(n), 3, 4) for n in range(1, 6)])
        for n in range(6, 11):  # answered here after that merge, one a minute
            moment = START + timedelta(minutes=n)
            store.record("y", Answer.of(Grade.GOOD), moment, moment.date())
        before = store.conn.execute("SELECT id, seq FROM reviews ORDER BY id").fetchall()
        # Another device's answer from between minutes 8 and 9.
        ts = (START + timedelta(minutes=8, seconds=30)).isoformat(timespec="milliseconds")
        report = merge(store, [AnswerFact("dev-b", 1, "z", ts, "2026-12-01", 3, 4)])
        after = store.conn.execute("SELECT id, seq FROM reviews ORDER BY id").fetchall()
        assert after[:8] == before[:8]  # minutes 1-8: untouched
        assert [seq for _, seq in after[8:]] == [1, *(seq for _, seq in before[8:])]
        assert min(rid for rid, _ in after[8:]) > max(rid for rid, _ in before)  # new ids
        assert report.answers_added == 1 and report.reordered == 2


def test_other_schedulers_caches_are_dropped_and_the_active_ones_kept(tmp_path: Path):
    facts = [AnswerFact("dev-a", n, "xy"[n % 2], *when(n * 600), 3, 4) for n in range(1, 9)]
    with Store(tmp_path / "db") as store:
        merge(store, facts[:4])
        fsrs = make_scheduler("fsrs")
        store.rebuild_states(fsrs)  # a cache of a scheduler no longer in use
        assert (
            store.conn.execute(
                "SELECT COUNT(*) FROM steps WHERE scheduler = ?", (fsrs.key,)
            ).fetchone()[0]
            == 4
        )
        merge(store, facts[4:])
        for table in ("state", "steps", "caches"):
            kinds = {k for (k,) in store.conn.execute(f"SELECT scheduler FROM {table}")}
            assert kinds == {"sm2"}, table
        merged = caches(store)
        store.rebuild_states()
        assert caches(store) == merged


def test_a_big_replay_keeps_the_steps_index_and_its_uniqueness(tmp_path: Path):
    facts = [AnswerFact("dev-a", n, f"c{n % 7}", *when(n * 300), 3, 4) for n in range(1, 61)]
    with Store(tmp_path / "db") as store:
        shape = indexes(store)
        saved = store_module.BULK_STEPS
        store_module.BULK_STEPS = 10
        try:
            merge(store, facts)
        finally:
            store_module.BULK_STEPS = saved
        assert indexes(store) == shape
        assert store.conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 60
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO steps (scheduler, review_id, card_id, scheduled) "
                "SELECT scheduler, review_id, card_id, 0 FROM steps LIMIT 1"
            )


def test_new_rows_store_none_as_null_even_where_a_column_has_a_default():
    """Columns left out of the INSERT (no new row has a value) must store what binding None
    would: NULL. So a column with another default is always bound."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT DEFAULT 'dflt', c TEXT)")
    facts_module._insert_rows(
        conn, "t", ("a", "b", "c"), [(1, ("x", None, None)), (2, ("y", None, "z"))]
    )
    assert conn.execute("SELECT id, a, b, c FROM t ORDER BY id").fetchall() == [
        (1, "x", None, None),
        (2, "y", None, "z"),
    ]
    facts_module._insert_rows(conn, "t", ("a", "b", "c"), [(3, ("w", None, None))])
    assert conn.execute("SELECT b, c FROM t WHERE id = 3").fetchone() == (None, None)


def test_a_device_file_lists_its_facts_of_every_kind_in_sequence_order(tmp_path: Path):
    """Answers, undos and events are read from their own tables; the device's file gets
    them interleaved by sequence number, as they were made."""
    from mlprep.interop.sync_folder import sync_folder

    with Store(tmp_path / "db") as store:
        first = store.record("x", Answer.of(Grade.GOOD), START, START.date()).review_id
        store.add_card_event("x", "flag", START + timedelta(minutes=1))
        store.record("y", Answer.of(Grade.GOOD), START + timedelta(minutes=2), START.date())
        store.undo(first)
        store.record("y", Answer.of(Grade.HARD), START + timedelta(minutes=3), START.date())
        folder = tmp_path / "shared"
        folder.mkdir()
        sync_folder(store, folder)
        device = store.device_id()
    lines = (folder / f"{device}.jsonl").read_text().splitlines()[1:]
    import json

    facts = [json.loads(line) for line in lines]
    # The undone answer (#1) is not sent, its undo is; the event got its number when the sync
    # stamped the facts without one (#5).
    assert [f["seq"] for f in facts] == [2, 3, 4, 5]
    assert [f["type"] for f in facts] == ["answer", "undo", "answer", "event"]
