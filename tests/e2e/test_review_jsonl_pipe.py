"""`mlprep review --jsonl` as an editor plug-in runs it: a real process on plain pipes (no
terminal), driven one line at a time, each reply waiting for the event before it; then the
database is checked."""

from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

MLPREP = shutil.which("mlprep", path=str(Path(sys.executable).parent)) or "mlprep"

DECK = """deck: pipe
cards:
  - id: pipe-one
    q: First?
    a: First answer.
  - id: pipe-two
    q: Second?
    a: Second answer.
  - id: pipe-conv
    type: computed
    generator: conv_params
    q: Count the parameters.
"""


class Client:
    """Talks to one `mlprep review --jsonl` process: `send` a request, `next` an event."""

    def __init__(self, home, *args: str, env: dict[str, str] | None = None):
        env = {
            **os.environ,
            "MLPREP_HOME": str(home),
            "MLPREP_NOW": "2026-12-01T09:00",
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [MLPREP, "review", "--jsonl", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def next(self) -> dict:
        line = self.lines.get(timeout=15)  # an event that never comes fails, not hangs
        assert line, "mlprep closed stdout early: " + self.proc.stderr.read().decode()
        return json.loads(line)

    def send(self, request: dict | str) -> None:
        text = request if isinstance(request, str) else json.dumps(request)
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def close_input(self) -> None:
        self.proc.stdin.close()

    def finish(self) -> int:
        code = self.proc.wait(timeout=15)
        assert self.lines.get(timeout=5) == b"", "events after done"
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def client(tmp_path, isolated_home):
    deck = tmp_path / "pipe.yaml"
    deck.write_text(DECK)
    started: list[Client] = []

    def start(*args: str, home=None, env: dict[str, str] | None = None) -> Client:
        started.append(
            Client(home or isolated_home, "--cards", str(deck), "--deck", "pipe", *args, env=env)
        )
        return started[-1]

    yield start
    for c in started:
        c.kill()


def conv_params_answer(data: dict) -> int:
    """C_out · (C_in / groups) · kH · kW, plus C_out with a bias (PyTorch's Conv2d)."""
    kh, kw = data["kernel_size"]
    return data["out_channels"] * (data["in_channels"] // data["groups"]) * kh * kw + (
        data["out_channels"] * data["bias"]
    )


def stderr(c: Client) -> str:
    return c.proc.stderr.read().decode()


def rows(home, sql: str) -> list[tuple]:
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_session_over_pipes_line_by_line(client, isolated_home):
    c = client()
    card = c.next()
    assert (card["event"], card["card"], card["type"]) == ("card", "pipe-one", "basic")
    c.send("{not json")
    error = c.next()
    assert error["event"] == "error" and error["message"].startswith("not JSON: ")
    assert c.next() == card  # the same card again
    c.send({"grade": "good", "seconds": 3})
    recorded = c.next()
    assert (recorded["event"], recorded["card"], recorded["due"]) == (
        "recorded",
        "pipe-one",
        "2026-12-02",
    )
    assert c.next()["card"] == "pipe-two"
    c.send({"grade": "again"})
    assert c.next()["relearn"] is True

    # The computed card: a miss, then the right answer (computed here from the data): Hard.
    card = c.next()
    assert (card["card"], card["attempt"]) == ("pipe-conv", 1)
    right = conv_params_answer(card["problem"]["data"])
    c.send({"answer": str(right + 1)})
    retry = c.next()
    assert (retry["event"], retry["attempt"], retry["problem"]) == ("card", 2, card["problem"])
    c.send({"answer": str(right)})
    recorded = c.next()
    assert (recorded["grade"], recorded["kind"], recorded["verdict"]["status"]) == (
        "hard",
        "drill",
        "correct",
    )
    assert c.next()["card"] == "pipe-two"  # relearning after the gap

    # Undo the Hard: the computed card comes back with a fresh problem; now a first try.
    c.send({"undo": True})
    again = c.next()
    assert again["card"] == "pipe-conv" and again["undone"]["grade"] == "hard"
    c.send({"answer": str(conv_params_answer(again["problem"]["data"]))})
    assert c.next()["grade"] == "good"
    assert c.next()["card"] == "pipe-two"
    c.send({"quit": True})
    done = c.next()
    assert done["event"] == "done" and done["reason"] == "quit"
    assert done["summary"]["answered"] == 3
    assert c.finish() == 0

    logged = rows(
        isolated_home,
        "SELECT card_id, grade, quality, kind, seed, correct FROM reviews ORDER BY id",
    )
    assert logged == [
        ("pipe-one", 3, 4, "review", None, None),
        ("pipe-two", 1, 1, "review", None, None),
        ("pipe-conv", 3, 4, "drill", again["problem"]["seed"], 1),
    ]
    times = [ms for (ms,) in rows(isolated_home, "SELECT response_ms FROM reviews ORDER BY id")]
    assert times[0] == 3000 and all(0 <= ms < 15_000 for ms in times[1:])  # sent, then measured
    assert dict(
        rows(isolated_home, "SELECT card_id, due FROM state WHERE scheduler = 'sm2'")
    ) == dict.fromkeys(("pipe-one", "pipe-two", "pipe-conv"), "2026-12-02")


def test_end_of_input_mid_card_over_pipes(client, isolated_home):
    c = client()
    assert c.next()["card"] == "pipe-one"
    c.send({"grade": "easy"})
    assert c.next()["event"] == "recorded"
    assert c.next()["card"] == "pipe-two"
    c.close_input()
    done = c.next()
    assert (done["event"], done["reason"], done["summary"]["answered"]) == (
        "done",
        "end of input",
        1,
    )
    assert c.finish() == 0
    assert rows(isolated_home, "SELECT card_id, quality FROM reviews") == [("pipe-one", 5)]


def test_a_client_that_goes_away_loses_no_answer(tmp_path, isolated_home):
    deck = tmp_path / "pipe.yaml"
    deck.write_text(DECK)
    env = {**os.environ, "MLPREP_HOME": str(isolated_home), "MLPREP_NOW": "2026-12-01T09:00"}
    proc = subprocess.Popen(
        [MLPREP, "review", "--jsonl", "--cards", str(deck), "--deck", "pipe"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert json.loads(proc.stdout.readline())["card"] == "pipe-one"
        proc.stdout.close()  # the reader is gone before mlprep writes the reply
        proc.stdin.write(b'{"grade": "good"}\n')
        proc.stdin.close()
        assert proc.wait(timeout=15) == 1
        assert proc.stderr.read() == b""  # no traceback
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rows(isolated_home, "SELECT card_id, quality FROM reviews") == [("pipe-one", 4)]


# --- a database that cannot be written: the answer is kept, the session goes on -------------


def hold_write_lock(home) -> sqlite3.Connection:
    """Another program holds the database's write lock (a sqlite3 shell, a long write)."""
    holder = sqlite3.connect(home / "mlprep.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_an_answer_while_another_program_holds_the_lock_is_kept_then_saved(client, isolated_home):
    c = client(env={"MLPREP_LOCK_WAIT": "0.5"})
    assert c.next()["card"] == "pipe-one"
    holder = hold_write_lock(isolated_home)
    try:
        c.send({"grade": "good"})
        unsaved = c.next()
        assert (unsaved["event"], unsaved["card"], unsaved["grade"], unsaved["kept"]) == (
            "unsaved",
            "pipe-one",
            "good",
            1,
        )
        assert "locked by another program" in unsaved["message"]
        assert c.next()["card"] == "pipe-two"  # the session goes on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    c.send({"grade": "easy"})
    saved = c.next()
    assert saved["event"] == "saved" and [a["card"] for a in saved["answers"]] == ["pipe-one"]
    assert (c.next()["event"], c.next()["card"]) == ("recorded", "pipe-conv")
    c.send({"quit": True})
    done = c.next()
    assert (done["event"], done["unsaved"], done["summary"]["answered"]) == ("done", [], 2)
    assert c.finish() == 0
    assert stderr(c) == ""
    assert rows(isolated_home, "SELECT card_id, grade FROM reviews ORDER BY id") == [
        ("pipe-one", 3),
        ("pipe-two", 4),
    ]


def test_a_lock_held_to_the_end_leaves_the_answer_named_and_exit_status_1(client, isolated_home):
    c = client(env={"MLPREP_LOCK_WAIT": "0.3"})
    assert c.next()["card"] == "pipe-one"
    holder = hold_write_lock(isolated_home)
    try:
        c.send({"grade": "hard"})
        assert c.next()["event"] == "unsaved"
        assert c.next()["card"] == "pipe-two"
        c.close_input()
        done = c.next()
        assert done["reason"] == "end of input"
        assert done["unsaved"] == [
            {
                "card": "pipe-one",
                "grade": "hard",
                "quality": 3,
                "undo": False,
                "description": "the answer Hard to card pipe-one (2026-12-01 09:00)",
            }
        ]
        assert c.finish() == 1
        err = stderr(c)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.startswith("Error: 1 answer could not be saved (the database ")
    assert "  the answer Hard to card pipe-one (2026-12-01 09:00)\n" in err
    assert "Traceback" not in err
    assert rows(isolated_home, "SELECT COUNT(*) FROM reviews") == [(0,)]


def _mount_tmpfs(target: Path, size: str) -> bool:
    target.mkdir(parents=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], capture_output=True
    )
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


@pytest.fixture
def small_disk(tmp_path):
    target = tmp_path / "small-disk"
    if not _mount_tmpfs(target, "6m"):
        pytest.skip("cannot mount a tmpfs here")
    yield target
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_an_answer_on_a_full_disk_is_kept_then_saved_once_there_is_room(client, small_disk):
    data = small_disk / "data"
    c = client(home=data)
    assert c.next()["card"] == "pipe-one"
    conn = sqlite3.connect(data / "mlprep.db")  # empty the WAL: the next write must grow a file
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    filler = _fill(small_disk)
    c.send({"grade": "good"})
    unsaved = c.next()
    assert unsaved["event"] == "unsaved" and "is full" in unsaved["message"]
    assert c.next()["card"] == "pipe-two"
    filler.unlink()
    c.send({"grade": "good"})
    assert c.next()["event"] == "saved"
    assert c.next()["event"] == "recorded"
    assert c.next()["card"] == "pipe-conv"
    c.send({"quit": True})
    assert c.next()["unsaved"] == []
    assert c.finish() == 0
    assert rows(data, "SELECT card_id FROM reviews ORDER BY id") == [("pipe-one",), ("pipe-two",)]
    assert rows(data, "PRAGMA integrity_check") == [("ok",)]


# --- the end of the session: the sync, when sync_dir is set ----------------------------------


def test_the_session_ends_with_a_sync_into_the_folder(client, isolated_home, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "phone-0001.jsonl").write_text(  # another device answered pipe-two yesterday
        '{"mlprep_sync":1,"device":"phone-0001"}\n'
        '{"type":"answer","device":"phone-0001","seq":1,"ts":"2026-11-30T20:00:00.000+00:00",'
        '"card":"pipe-two","day":"2026-11-30","grade":3,"quality":4,"kind":"review",'
        '"source":"local"}\n'
    )
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.toml").write_text(f'sync_dir = "{shared}"\n')
    c = client()
    assert c.next()["card"] == "pipe-one"
    c.send({"grade": "good"})
    assert c.next()["event"] == "recorded"
    assert c.next()["card"] == "pipe-two"
    c.send({"quit": True})
    done = c.next()
    sync = done["sync"]
    assert (sync["error"], sync["sent"], sync["devices"]) == (None, 1, ["phone-0001"])
    assert sync["received"]["answers"] == 1
    assert c.finish() == 0
    (own,) = [p for p in shared.glob("*.jsonl") if p.name != "phone-0001.jsonl"]
    lines = [json.loads(line) for line in own.read_text().splitlines()]
    assert [(x.get("card"), x.get("grade")) for x in lines[1:]] == [("pipe-one", 3)]
    assert rows(isolated_home, "SELECT card_id FROM reviews ORDER BY id") == [
        ("pipe-two",),
        ("pipe-one",),
    ]
