"""`mlprep review --jsonl` with the sync_dir setting ends with the interactive review's sync:
`done.sync` says what it did (the shape of `mlprep sync --json`, with `error`), this device's
file in the folder gets the answers, and a sync that fails is a warning that changes neither
the answers nor the exit status. The same in a real process: tests/e2e/test_review_jsonl_pipe.py."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mlprep.cli import app
from mlprep.core.grades import Grade
from robustness.faults import BUSY, FULL, error, install

from .helpers import Device, rows

NOW = "2026-12-01T12:00"


def review_jsonl(dev: Device, lines: list[dict], *args: str) -> tuple[int, list[dict], str]:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    with dev.env(NOW):
        result = CliRunner().invoke(app, ["review", "--jsonl", *args], input=text)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()], result.stderr


def own_lines(dev: Device, folder) -> list[dict]:
    path = folder / f"{dev.device_id()}.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def answers_in(lines: list[dict]) -> list[tuple]:
    return [(x["card"], x["grade"]) for x in lines if x.get("type") == "answer"]


def with_sync_dir(dev: Device, folder) -> None:
    assert dev.run("config", "sync_dir", str(folder)).exit_code == 0


def test_the_session_ends_with_a_sync_both_ways(device, folder):
    a, b = device("a"), device("b")
    b.answer("c2", Grade.EASY, "2026-11-30T09:00")
    assert b.run("sync", str(folder)).exit_code == 0
    with_sync_dir(a, folder)
    code, events, err = review_jsonl(a, [{"grade": "good"}, {"quit": True}])
    assert code == 0, err
    first = events[0]["card"]
    assert [e["event"] for e in events] == ["card", "recorded", "card", "done"]
    sync = events[-1]["sync"]
    assert sync["error"] is None
    assert (sync["folder"], sync["device"], sync["devices"]) == (
        str(folder),
        a.device_id(),
        [b.device_id()],
    )
    assert (sync["sent"], sync["received"]["answers"]) == (1, 1)
    assert answers_in(own_lines(a, folder)) == [(first, 3)]
    # The other device's answer came in, and this one reaches the other device.
    assert ("c2", 4) in rows(a.db, "SELECT card_id, grade FROM reviews")
    assert b.run("sync", str(folder)).exit_code == 0
    assert (first, 3) in rows(b.db, "SELECT card_id, grade FROM reviews")


def test_without_sync_dir_done_has_no_sync(device, folder):
    a = device("a")
    code, events, _ = review_jsonl(a, [{"grade": "good"}])
    assert code == 0 and events[-1]["sync"] is None
    assert list(folder.iterdir()) == []


def test_with_nothing_due_the_session_still_syncs(device, folder):
    a, b = device("a"), device("b")
    b.answer("c1", Grade.GOOD, "2026-11-30T09:00")
    assert b.run("sync", str(folder)).exit_code == 0
    with_sync_dir(a, folder)
    code, events, _ = review_jsonl(a, [], "--new", "0")
    assert code == 0
    assert [e["event"] for e in events] == ["done"]
    assert events[0]["sync"]["received"]["answers"] == 1
    assert rows(a.db, "SELECT card_id FROM reviews") == [("c1",)]


def test_a_failed_sync_is_a_warning_and_the_answers_stay(device, tmp_path):
    a = device("a")
    missing = tmp_path / "not-there"
    with_sync_dir(a, missing)
    code, events, err = review_jsonl(a, [{"grade": "good"}, {"grade": "hard"}])
    assert code == 0
    sync = events[-1]["sync"]
    assert sync["folder"] == str(missing)
    assert sync["error"].startswith(f"sync with {missing} failed: ")
    assert sync["error"].endswith("; run `mlprep sync` to retry")
    assert f"warning: {sync['error']}" in err
    assert events[-1]["summary"]["answered"] == 2
    assert rows(a.db, "SELECT COUNT(*) FROM reviews") == [(2,)]


def test_a_database_locked_during_the_sync_is_a_warning_not_an_error(device, folder, monkeypatch):
    """The sync's own write met a locked database: before, StoreBusy escaped the end of the
    review (exit 1, no `done`); now it is the sync's failure, and every answer is saved."""
    a = device("a")
    with_sync_dir(a, folder)
    assert a.run("due").exit_code == 0
    inserts = 0

    def fault(sql: str):
        nonlocal inserts
        if sql.lstrip().upper().startswith("INSERT INTO REVIEWS"):
            inserts += 1
        elif inserts and sql.lstrip().upper().startswith("BEGIN"):
            return error(BUSY)  # from the answer on, another program holds the lock
        return None

    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0")
    install(monkeypatch, fault)
    code, events, err = review_jsonl(a, [{"grade": "good"}])
    assert code == 0, err
    assert [e["event"] for e in events] == ["card", "recorded", "card", "done"]
    assert "locked by another program" in events[-1]["sync"]["error"]
    assert "warning: sync with" in err and "Error" not in err
    monkeypatch.undo()
    assert rows(a.db, "SELECT COUNT(*) FROM reviews") == [(1,)]


def test_an_answer_kept_unsaved_is_saved_before_the_sync_and_sent(device, folder, monkeypatch):
    a = device("a")
    with_sync_dir(a, folder)
    assert a.run("due").exit_code == 0
    failed = False

    def fault(sql: str):
        nonlocal failed
        if not failed and sql.lstrip().upper().startswith("INSERT INTO REVIEWS"):
            failed = True
            return error(FULL)  # the first answer meets a full disk; then there is room
        return None

    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0")
    install(monkeypatch, fault)
    code, events, _ = review_jsonl(a, [{"grade": "easy"}, {"quit": True}])
    monkeypatch.undo()
    assert code == 0
    assert [e["event"] for e in events] == ["card", "unsaved", "card", "saved", "done"]
    first = events[0]["card"]
    assert events[-1]["unsaved"] == [] and events[-1]["sync"]["sent"] == 1
    assert answers_in(own_lines(a, folder)) == [(first, 4)]
