"""`mlprep sync DIR`: two data dirs and one folder end with the same log and the same state,
whatever order they sync in; undo and rename travel; a half-written file is read up to its
last complete line; a file that cannot be merged stops the sync with nothing changed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from mlprep.core.grades import Grade

from .helpers import Device, dump_db, rows

DAY1 = "2026-12-01"
DAY2 = "2026-12-02"


def sync(dev: Device, folder: Path, now: str = f"{DAY2}T20:00") -> dict:
    result = dev.run("sync", str(folder), "--json", now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def neutral(log: list[tuple], names: dict[str, str]) -> list[tuple]:
    """A log with device ids replaced by names (ids are random per data dir)."""
    return [(names[r[0]], *r[1:]) for r in log]


def two_days_on_two_devices(a: Device, b: Device) -> None:
    """Same and different cards, the same day, on both devices, before any sync."""
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:05")
    b.answer("c1", Grade.AGAIN, f"{DAY1}T09:02")
    b.answer("c3", Grade.EASY, f"{DAY1}T09:03")
    a.answer("c1", Grade.GOOD, f"{DAY2}T09:00")
    b.answer("c1", Grade.HARD, f"{DAY2}T10:00")
    b.answer("c4", Grade.AGAIN, f"{DAY2}T10:01")


def expected_states() -> dict[str, tuple]:
    """Worked by hand from SM-2 and the shared replay rules (not from the code): the first
    answer of a study day schedules, later ones that day do not move the schedule.
    c1: Good 12-01 09:00 (A) -> n=1, I=1, EF 2.5; Again 09:02 (B) same day: no change;
        Good 12-02 09:00 (A) -> n=2, I=6, due 12-08; Hard 10:00 (B) same day: no change.
    c2: Good 12-01 -> I=1, due 12-02.  c3: Easy 12-01 -> I=1, due 12-02.
    c4: Again 12-02 -> I=1, due 12-03, streak 0, no lapse (nothing passed before)."""
    d1, d2 = date(2026, 12, 1), date(2026, 12, 2)
    return {
        "c1": ((d2 + timedelta(days=6)).isoformat(), 6, 2, 0, 2),
        "c2": ((d1 + timedelta(days=1)).isoformat(), 1, 1, 0, 1),
        "c3": ((d1 + timedelta(days=1)).isoformat(), 1, 1, 0, 1),
        "c4": ((d2 + timedelta(days=1)).isoformat(), 1, 0, 0, 1),
    }


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_devices_end_with_the_same_log_and_state_in_either_order(device, folder, first):
    a, b = device("a"), device("b")
    two_days_on_two_devices(a, b)
    # Before the sync, B's c1 started with its own Again (n=0, I=1), then Hard passed the
    # next day (n=1, I=1): B schedules it differently from the merged log.
    assert b.state("c1") == ("2026-12-03", 1, 1, 0, 2) != expected_states()["c1"]
    order = [a, b] if first == "a" else [b, a]
    for dev in (*order, *order):
        sync(dev, folder)
    assert a.log() == b.log()
    assert a.states() == b.states()
    assert {c: a.state(c) for c in ("c1", "c2", "c3", "c4")} == expected_states()
    # The log is in time order, each answer once.
    times = [r[3] for r in a.log()]
    assert times == sorted(times) and len(times) == 7
    # Both files hold only their own device's facts, one line each, after a header.
    for dev in (a, b):
        lines = (folder / f"{dev.device_id()}.jsonl").read_text().splitlines()
        assert json.loads(lines[0]) == {"mlprep_sync": 1, "device": dev.device_id()}
        assert {json.loads(line)["device"] for line in lines[1:]} == {dev.device_id()}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{d.device_id()}.jsonl" for d in (a, b)
    )


def test_the_merged_log_does_not_depend_on_the_order_of_syncs(tmp_path, cards):
    results = []
    for first in ("a", "b"):
        shared = tmp_path / f"shared-{first}"
        shared.mkdir()
        a, b = Device(tmp_path / f"{first}-a", cards), Device(tmp_path / f"{first}-b", cards)
        two_days_on_two_devices(a, b)
        order = [a, b] if first == "a" else [b, a]
        for dev in (*order, *order):
            sync(dev, shared)
        names = {a.device_id(): "A", b.device_id(): "B"}
        results.append((neutral(a.log(), names), a.states()))
    assert results[0] == results[1]


def test_a_second_sync_changes_nothing(device, folder):
    a, b = device("a"), device("b")
    two_days_on_two_devices(a, b)
    for dev in (a, b, a, b):
        sync(dev, folder)
    before = {dev: (dump_db(dev.db), sorted(folder.iterdir())) for dev in (a, b)}
    files = {p: p.read_bytes() for p in folder.iterdir()}
    for dev in (a, b):
        report = sync(dev, folder)
        assert report["sent"] == 0 and report["received"]["answers"] == 0
        assert report["cards_replayed"] == 0 and report["backup"] is None
    assert {dev: (dump_db(dev.db), sorted(folder.iterdir())) for dev in (a, b)} == before
    assert {p: p.read_bytes() for p in folder.iterdir()} == files


def test_sync_reports_what_it_did(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:01")
    b.answer("c3", Grade.GOOD, f"{DAY1}T09:02")
    first = a.run("sync", str(folder))
    assert first.exit_code == 0
    assert first.output == (
        f"Synced with {folder} as {a.device_id()}: no other device yet.\n"
        f"Nothing new to receive; sent 2 facts to {a.device_id()}.jsonl.\n"
    )
    second = b.run("sync", str(folder))
    assert second.exit_code == 0
    assert f"1 other device ({a.device_id()})" in second.output
    assert f"Received 2 answers; sent 1 fact to {b.device_id()}.jsonl." in second.output
    # c1 and c2 came in; c3's answer moved behind them (time order): three cards replayed.
    # B held an answer, so it was backed up first.
    backup = b.home / "backups" / "20261201T120000Z-sync.db"
    assert f"Replayed 3 cards; backup {backup}." in second.output
    assert backup.exists()


def test_undo_travels_as_an_undo_fact(device, folder):
    a, b = device("a"), device("b")
    keep = a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    taken_back = a.answer("c2", Grade.EASY, f"{DAY1}T09:01")
    sync(a, folder)
    sync(b, folder)
    assert [r[2] for r in b.log()] == ["c1", "c2"]
    a.undo(taken_back, f"{DAY1}T09:02")
    assert keep and a.state("c2") is None
    sync(a, folder)
    report = sync(b, folder)
    assert report["received"] == {
        "answers": 0,
        "undone": 1,
        "undos": 1,
        "renames": 0,
        "events": 0,
    }
    assert [r[2] for r in b.log()] == ["c1"] and b.state("c2") is None
    assert a.log() == b.log() and a.states() == b.states()
    # The answer stays in A's file (never rewritten) and the undo names it.
    lines = [json.loads(x) for x in (folder / f"{a.device_id()}.jsonl").read_text().splitlines()]
    undo = lines[-1]
    assert undo["type"] == "undo" and undo["undoes"] == [a.device_id(), lines[2]["seq"]]
    assert lines[2]["card"] == "c2"
    # A device that sees the answer and its undo for the first time takes in neither.
    c = device("c")
    sync(c, folder)
    assert [r[2] for r in c.log()] == ["c1"]


def test_an_undo_before_any_sync_sends_the_undo_but_not_the_answer(device, folder):
    a = device("a")
    rid = a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.undo(rid, f"{DAY1}T09:01")
    sync(a, folder)
    lines = [json.loads(x) for x in (folder / f"{a.device_id()}.jsonl").read_text().splitlines()]
    assert [line.get("type") for line in lines] == [None, "undo"]
    assert lines[1]["undoes"] == [a.device_id(), 1] and lines[1]["seq"] == 2


def test_a_rename_on_one_device_moves_the_history_on_every_device(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    b.answer("c1", Grade.GOOD, f"{DAY1}T09:30")
    for dev in (a, b, a):
        sync(dev, folder)
    with a.env(f"{DAY1}T10:00"):
        from mlprep.app.library import open_library

        with open_library() as lib:
            assert lib.store.rename_card("c1", "c1-renamed", lib.now) == 2
    # B answers the old id later the same day without knowing of the rename yet: that answer
    # is after the rename, so it stays on c1 everywhere.
    b.answer("c1", Grade.AGAIN, f"{DAY1}T11:00")
    for dev in (a, b, a):
        sync(dev, folder)
    assert a.log() == b.log()
    cards = [(r[2], r[13]) for r in a.log()]
    assert cards == [("c1-renamed", "c1"), ("c1-renamed", "c1"), ("c1", None)]
    assert a.states() == b.states()


def test_facts_from_before_the_device_had_an_id_are_sent(device, folder, tmp_path):
    """A database migrated from v0.1 holds answers without an identity: the first sync gives
    them this device's id and sends them."""
    import shutil

    a = device("a")
    a.home.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "v0.1.db", a.db)
    count = rows(a.db, "SELECT COUNT(*) FROM reviews")[0][0]
    report = sync(a, folder)
    assert report["sent"] == count
    seqs = rows(a.db, "SELECT seq FROM reviews ORDER BY id")
    assert [s for (s,) in seqs] == list(range(1, count + 1))
    b = device("b")
    sync(b, folder)
    assert a.log() == b.log() and a.states() == b.states()


def test_a_clock_that_went_back_is_put_in_time_order_everywhere(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY2}T09:00")
    a.answer("c1", Grade.AGAIN, f"{DAY1}T09:00")  # logged later, dated earlier
    sync(a, folder)
    sync(b, folder)
    sync(a, folder)
    assert a.log() == b.log()
    assert [r[4] for r in a.log()] == [DAY1, DAY2]
    # Again on 12-01 (n=0, I=1), then Good on 12-02 (n=1 after a fail: I=1): due 12-03.
    assert a.state("c1") == ("2026-12-03", 1, 1, 0, 2) == b.state("c1")


def test_conflicted_copies_of_a_file_are_harmless(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    sync(a, folder)
    own = folder / f"{a.device_id()}.jsonl"
    (folder / f"{own.stem} (conflicted copy 2026-12-01).jsonl").write_bytes(own.read_bytes())
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:01")
    sync(a, folder)
    report = sync(b, folder)
    assert report["received"]["answers"] == 2
    assert [r[2] for r in b.log()] == ["c1", "c2"]


# -- files that are half-written or cannot be merged ------------------------------------------


def test_a_half_written_file_is_read_up_to_its_last_complete_line(device, folder):
    a, b = device("a"), device("b")
    for minute, card in enumerate(("c1", "c2", "c3")):
        a.answer(card, Grade.GOOD, f"{DAY1}T09:0{minute}")
    sync(a, folder)
    path = folder / f"{a.device_id()}.jsonl"
    whole = path.read_bytes()
    cut = whole.rindex(b"\n", 0, len(whole) - 1) + 20  # 19 bytes into the last line
    path.write_bytes(whole[:cut])
    result = b.run("sync", str(folder))
    assert result.exit_code == 0
    assert (
        f"warning: {path}:4: the last line is incomplete (still being written or synced?); "
        "read up to line 3, the rest is left for the next sync"
    ) in result.stderr
    assert [r[2] for r in b.log()] == ["c1", "c2"]
    path.write_bytes(whole)  # the sync engine finishes the file
    report = sync(b, folder)
    assert report["received"]["answers"] == 1 and report["warnings"] == []
    assert a.log() == b.log()


def test_an_interrupted_write_of_our_own_is_cut_off_and_written_again(device, folder):
    a = device("a")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:01")
    sync(a, folder)
    path = folder / f"{a.device_id()}.jsonl"
    whole = path.read_bytes()
    path.write_bytes(whole[:-15])  # the last line lost its end
    report = sync(a, folder)
    assert report["sent"] == 1
    assert any("cut off an incomplete last line" in w for w in report["warnings"])
    assert path.read_bytes() == whole


def snapshot(dev: Device, folder: Path) -> tuple:
    return (
        dump_db(dev.db),
        {p.name: p.read_bytes() for p in folder.iterdir()},
        sorted((dev.home / "backups").iterdir()) if (dev.home / "backups").exists() else [],
    )


def prepared(device, folder) -> tuple[Device, Device, Path]:
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:01")
    b.answer("c3", Grade.GOOD, f"{DAY1}T09:02")
    sync(a, folder)
    b.run("due")  # settle B's daily backup and deck sync before the snapshot
    return a, b, folder / f"{a.device_id()}.jsonl"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda t: t.replace('"grade":3', '"grade":7', 1), ":2: 'grade' must be 1-4, got 7"),
        (lambda t: t.replace('{"type"', "{oops", 1), ":2: not a JSON line (Expecting"),
        (lambda t: t.replace('"type":"answer"', '"type":"zap"', 1), ":2: unknown fact type"),
        (lambda t: t.replace('"day":', '"when":', 1), ":2: answer fact without day"),
        (lambda t: t.replace('"mlprep_sync":1', '"mlprep_sync":2'), " is in sync format 2"),
    ],
)
def test_a_file_that_cannot_be_merged_changes_nothing(device, folder, damage, message):
    a, b, path = prepared(device, folder)
    path.write_text(damage(path.read_text()))
    before = snapshot(b, folder)
    result = b.run("sync", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}")
    assert message in result.stderr
    assert snapshot(b, folder) == before


def test_two_data_dirs_writing_as_one_device_are_refused(device, folder):
    a, b, path = prepared(device, folder)
    # A copy of A's data dir that went on answering: same identities, different facts.
    text = path.read_text().replace('"card":"c2"', '"card":"c4"')
    (folder / "copy.jsonl").write_text(text)
    before = snapshot(b, folder)
    result = b.run("sync", str(folder))
    assert result.exit_code == 1
    # The files are read in name order: copy.jsonl first.
    assert (
        f"Error: {path}:3: fact {a.device_id()}#2 differs from the one in "
        f"{folder / 'copy.jsonl'}:3: "
    ) in result.stderr
    assert f"two data dirs are writing as device {a.device_id()}" in result.stderr
    assert snapshot(b, folder) == before


def test_a_fact_that_differs_from_the_one_held_is_refused(device, folder):
    a, b, path = prepared(device, folder)
    sync(b, folder)  # B now holds A's two answers
    path.write_text(path.read_text().replace('"card":"c2"', '"card":"c4"'))
    before = snapshot(b, folder)
    result = b.run("sync", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {path}:3: fact {a.device_id()}#2 differs from the one this database holds"
    )
    assert snapshot(b, folder) == before


def test_a_file_without_a_header_is_skipped_with_a_warning(device, folder):
    b = device("b")
    (folder / "notes.jsonl").write_text('{"hello": 1}\n')
    result = b.run("sync", str(folder))
    assert result.exit_code == 0
    assert f"warning: {folder / 'notes.jsonl'}: not an mlprep sync file (no header); skipped" in (
        result.stderr
    )


def test_sync_needs_a_folder_that_exists(device, tmp_path):
    b = device("b")
    result = b.run("sync", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "sync folder" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()
    result = b.run("sync")
    assert result.exit_code == 2
    assert "no sync folder: name one (`mlprep sync DIR`) or set one" in result.stderr


def test_sync_uses_the_sync_dir_setting(device, folder):
    a = device("a")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    assert a.run("config", "sync_dir", str(folder)).exit_code == 0
    result = a.run("sync")
    assert result.exit_code == 0, result.output
    assert (folder / f"{a.device_id()}.jsonl").read_text().count("\n") == 2


def test_card_events_travel_too(device, folder):
    """Suspend and flag facts (written by their commands into card_events) sync like answers."""
    import sqlite3

    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    conn = sqlite3.connect(a.db)
    with conn:
        conn.execute(
            "INSERT INTO card_events (card_id, ts, event) VALUES "
            "('c2', '2026-12-01T09:05:00.000+00:00', 'suspend')"
        )
    conn.close()
    sync(a, folder)
    report = sync(b, folder)
    assert report["received"]["events"] == 1
    assert rows(b.db, "SELECT card_id, event, device FROM card_events") == [
        ("c2", "suspend", a.device_id())
    ]


# -- reading from where the last sync left off -------------------------------------------------


def test_a_sync_reads_only_what_was_added_since_the_last(device, folder, monkeypatch):
    import mlprep.interop.sync_folder as sync_folder

    a, b = device("a"), device("b")
    for minute in range(5):
        a.answer("c1" if minute % 2 else "c2", Grade.GOOD, f"{DAY1}T09:0{minute}")
    sync(a, folder)
    sync(b, folder)
    a.answer("c3", Grade.GOOD, f"{DAY2}T09:00")
    sync(a, folder)
    parsed = []
    real = sync_folder.fact_from_line
    monkeypatch.setattr(sync_folder, "fact_from_line", lambda obj: parsed.append(obj) or real(obj))
    report = sync(b, folder)
    assert report["received"]["answers"] == 1
    assert [p["card"] for p in parsed] == ["c3"]  # not A's first five again, nor B's own
    assert a.log() == b.log()


def test_a_file_rewritten_in_place_is_read_again_from_the_start(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY1}T09:01")
    sync(a, folder)
    sync(b, folder)
    # The file comes back from elsewhere with the same length up to here but a fact more in
    # the middle: read from the cursor on, it would be missed.
    path = folder / f"{a.device_id()}.jsonl"
    header, first, second = path.read_text().splitlines()
    extra = first.replace('"seq":1', '"seq":9').replace('"card":"c1"', '"card":"c4"')
    path.write_text("\n".join([header, second, extra, first]) + "\n")
    report = sync(b, folder)
    assert report["received"]["answers"] == 1
    assert sorted(r[2] for r in b.log()) == ["c1", "c2", "c4"]


def test_facts_whose_file_is_gone_are_published_again(device, folder):
    a, b, c = device("a"), device("b"), device("c")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    sync(a, folder)
    sync(b, folder)
    (folder / f"{a.device_id()}.jsonl").unlink()  # A's file lost (or A left the folder)
    report = sync(b, folder)
    assert report["sent"] == 1
    sync(c, folder)
    assert c.log() == a.log() == b.log()


def test_answers_logged_out_of_order_after_a_sync_are_put_in_order(device, folder):
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    a.answer("c2", Grade.GOOD, f"{DAY2}T09:00")
    sync(a, folder)
    sync(b, folder)
    a.answer("c3", Grade.GOOD, f"{DAY1}T10:00")  # the clock went back after the sync
    for dev in (a, b):
        sync(dev, folder)
    assert a.log() == b.log()
    assert [r[2] for r in a.log()] == ["c1", "c3", "c2"]


def test_an_undo_then_an_answer_reusing_the_last_id_is_still_put_in_order(device, folder):
    """The marker of how far the log is in order names its last row's identity: a new row
    that took the same id (after an undo of the last one) is not mistaken for it."""
    a, b = device("a"), device("b")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    last = a.answer("c2", Grade.GOOD, f"{DAY2}T09:00")
    sync(a, folder)
    a.undo(last, f"{DAY2}T09:01")
    again = a.answer("c3", Grade.GOOD, f"{DAY1}T08:00")
    assert again == last  # SQLite gave the new row the undone row's id
    sync(a, folder)
    assert [r[2] for r in a.log()] == ["c3", "c1"]
    sync(b, folder)
    assert a.log() == b.log()


def test_times_written_otherwise_sort_by_the_time_they_mean(device, folder):
    a = device("a")
    a.answer("c1", Grade.GOOD, f"{DAY1}T09:00")
    (folder / "phone-0001.jsonl").write_text(
        '{"mlprep_sync":1,"device":"phone-0001"}\n'
        '{"type":"answer","device":"phone-0001","seq":1,"ts":"2026-12-01T10:59:00+02:00",'
        '"card":"c2","day":"2026-12-01","grade":3,"quality":4,"kind":"review","source":"anki"}\n'
    )
    sync(a, folder)
    # 10:59 at +02:00 is 08:59 UTC: before A's answer at 09:00 UTC.
    assert [r[2] for r in a.log()] == ["c2", "c1"]
    assert a.log()[0][3] == "2026-12-01T10:59:00+02:00"  # kept as written


def test_a_folder_that_cannot_be_merged_leaves_even_unstamped_answers_alone(device, folder):
    """Answers from before v2 get their identities only once the folder has been read."""
    import shutil

    a = device("a")
    a.home.mkdir()
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "v0.1.db", a.db)
    assert a.run("due").exit_code == 0  # migrated (and backed up) first
    (folder / "bad.jsonl").write_text('{"mlprep_sync":1,"device":"x-1"}\n{"type":"answer"}\n')
    before = snapshot(a, folder)
    result = a.run("sync", str(folder))
    assert result.exit_code == 1 and "bad.jsonl:2: answer fact without" in result.stderr
    assert snapshot(a, folder) == before
    assert rows(a.db, "SELECT COUNT(*) FROM reviews WHERE device IS NULL")[0][0] > 0
