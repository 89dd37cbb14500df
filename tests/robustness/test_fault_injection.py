"""Fault injection during review, add, rename and migration: simulated SQLITE_BUSY, SQLITE_FULL
and SQLITE_READONLY at every or random write statements (a patched connection), and SIGKILL at
random moments of real processes. Afterwards: every answer the UI reported as saved is in the
log, no answer it took is lost (kept ones are saved once the fault clears), `integrity_check`
is ok, the replay caches match a replay of the log, and card files are valid.

(Sync's own fault injection belongs to the sync engine's tests.)"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest

from mlprep.app.library import day_queue
from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import SM2, Fact, replay
from mlprep.core.session import RecordFailed, ReviewSession
from mlprep.decks.loader import parse_file
from mlprep.storage.safety import StoreError, pending_unsaved
from mlprep.storage.store import Store
from robustness.conftest import MAIN, cli, integrity
from robustness.faults import BUSY, FULL, READONLY, error, install, is_write

FIXTURES = Path(__file__).parent.parent / "fixtures"
DAY = date(2026, 3, 2)
FAULTS = (BUSY, FULL, READONLY)


@pytest.fixture(autouse=True)
def no_leftover_unsaved():
    yield
    for pending in pending_unsaved():
        pending.discarded = True


class Faults:
    """Fails write statements: the `at`-th one from now (once), or each with probability
    `rate`, with `message`; `on` turns it all off."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.on = True
        self.rate = 0.0
        self.at: int | None = None
        self.count = 0
        self.message = BUSY
        self.fired = 0

    def __call__(self, sql: str):
        if not (self.on and is_write(sql)):
            return None
        self.count += 1
        hit = self.count == self.at or (self.rate and self.rng.random() < self.rate)
        if not hit:
            return None
        self.fired += 1
        return error(self.message)


def write_deck(path: Path, n: int) -> Path:
    path.write_text("cards:\n" + "".join(f"  - {{id: c{i}, q: q{i}, a: a{i}}}\n" for i in range(n)))
    return path


def replayed_states_match_the_log(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        facts: dict[str, list[Fact]] = {}
        for card, day, grade, quality, kind in conn.execute(
            "SELECT card_id, day, grade, quality, kind FROM reviews ORDER BY id"
        ):
            facts.setdefault(card, []).append(
                Fact(date.fromisoformat(day), Answer(Grade(grade), quality), kind)
            )
        cached = {
            card: (due, interval)
            for card, due, interval in conn.execute(
                "SELECT card_id, due, interval FROM state WHERE scheduler = 'sm2'"
            )
        }
    finally:
        conn.close()
    expected = {}
    for card, card_facts in facts.items():
        state = replay(SM2, card_facts)
        if state is not None:
            expected[card] = (state.due.isoformat(), state.interval)
    assert cached == expected


# -- simulated SQLite errors -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_review_under_random_busy_full_and_readonly_errors_loses_nothing(
    tmp_path, monkeypatch, seed
):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.2")
    faults = Faults(seed)
    faults.on = False
    install(monkeypatch, faults)
    deck = write_deck(tmp_path / "deck.yaml", 12)
    db = tmp_path / "db.sqlite"
    store = Store(db)
    store.sync([deck])
    clock = iter(
        datetime(2026, 3, 2, 9, tzinfo=timezone.utc) + timedelta(seconds=s) for s in range(10_000)
    )
    session = ReviewSession(store, day_queue(store, DAY, new_per_day=12), DAY, lambda: next(clock))
    rng = random.Random(seed)
    faults.on, faults.rate = True, 0.3
    reported_saved: list[int] = []  # review ids the UI was told are in the log
    kept = []
    given = 0
    while session.current is not None and given < 30:
        faults.message = rng.choice(FAULTS)
        if given and rng.random() < 0.15:
            with contextlib.suppress(RecordFailed):
                session.undo()
            given -= 1
            continue
        grade = rng.choice(list(Grade))
        try:
            recorded = session.answer(grade)
            reported_saved.append(recorded.review_id)
        except RecordFailed as exc:
            kept.append(exc.pending)
        given += 1
    assert faults.fired > 0
    faults.on = False
    store.close()  # the last try at what was kept
    conn = sqlite3.connect(db)
    in_log = {rid for (rid,) in conn.execute("SELECT id FROM reviews")}
    conn.close()
    undone = set()
    # Every answer reported saved is in the log, unless the session itself undid it since.
    remaining = {s.saved_id for s in session._history}
    for rid in reported_saved:
        if rid not in remaining:
            undone.add(rid)
    assert set(reported_saved) - undone <= in_log
    # Nothing the session still counts is missing: kept answers were saved at close.
    assert remaining <= in_log
    assert len(in_log) == session.answered
    assert pending_unsaved() == []
    assert integrity(db) == "ok"
    replayed_states_match_the_log(db)


def count_writes(monkeypatch, action) -> int:
    faults = Faults(0)
    install(monkeypatch, faults)
    action()
    return faults.count


@pytest.mark.parametrize("message", FAULTS)
def test_add_failing_at_every_write_statement_leaves_a_valid_deck(home, monkeypatch, message):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.1")
    deck = home / "cards" / "mine.yaml"
    deck.write_text("cards:\n  - id: first\n    q: First?\n    a: First.\n")
    assert cli("due").code == 0
    n = 0

    other = home / "cards" / "other.yaml"

    def add():
        nonlocal n
        n += 1
        # A deck edited by hand just before: add's sync has something to write.
        other.write_text(f"cards:\n  - id: other-{n}\n    q: Other {n}?\n    a: x\n")
        return cli(
            "add",
            "--force",
            "--q",
            f"Question number {n} about {message[:8]}?",
            "--a",
            "x",
            "--deck",
            "mine",
        )

    assert count_writes(monkeypatch, add) > 0
    outcomes, errors = [], []
    for at in range(1, 200):  # fail the 1st write statement, then the 2nd, ... until none is hit
        faults = Faults(at)
        faults.at, faults.message = at, message
        install(monkeypatch, faults)
        result = add()
        result.assert_clean()
        outcomes.append(result.code)
        errors.append(result.err)
        if result.code:
            assert result.err.startswith("Error: "), result
        parsed = parse_file(deck)
        assert parsed.issues == [], parsed.issues
        assert "Question number" in deck.read_text() or result.code
        if not faults.fired:
            break
    if message == BUSY:  # a lock that clears is waited out: every add lands
        assert not any(outcomes), errors
    else:  # the failing statement fails that add, cleanly; the others land
        assert 0 in outcomes and any(outcomes), errors
    faults.on = False
    assert integrity(home / "mlprep.db") == "ok"


@pytest.mark.parametrize("message", FAULTS)
def test_rename_failing_at_every_write_statement_never_splits_the_history(
    home, monkeypatch, message
):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.1")
    deck = home / "cards" / "mine.yaml"
    deck.write_text("cards:\n  - id: r0\n    q: Renamed often?\n    a: Yes.\n")
    from mlprep.app.library import open_library

    with open_library(quiet=True) as lib:
        for day in range(3):
            lib.store.record(
                "r0",
                Answer.of(Grade.GOOD),
                datetime(2026, 3, 1 + day, 9, tzinfo=timezone.utc),
                date(2026, 3, 1 + day),
            )
    current = ["r0"]

    def rename():
        new = f"r{len(current)}"
        result = cli("rename", current[-1], new)
        return result, new

    total = count_writes(monkeypatch, lambda: rename()[0])
    current.append("r1")  # the counting run renamed r0 to r1
    for at in range(1, total + 2):
        faults = Faults(at)
        faults.at, faults.message = at, message
        install(monkeypatch, faults)
        result, new = rename()
        result.assert_clean()
        if result.code:
            assert result.err.startswith("Error: "), result
        faults.on = False
        # Whatever happened, once the database can be written the history is with the card
        # the file has (the next sync completes an interrupted rename).
        listed = cli("list", "--json")
        assert listed.code == 0, listed
        in_file = [c.id for c in parse_file(deck).cards]
        assert len(in_file) == 1
        if in_file[0] != current[-1]:
            current.append(in_file[0])
        conn = sqlite3.connect(home / "mlprep.db")
        owners = {c for (c,) in conn.execute("SELECT DISTINCT card_id FROM reviews")}
        conn.close()
        assert owners == {current[-1]}, (at, owners, current)
    assert integrity(home / "mlprep.db") == "ok"


@pytest.mark.parametrize("message", FAULTS)
def test_migration_failing_at_every_write_statement_keeps_every_answer(
    tmp_path, monkeypatch, message
):
    monkeypatch.setenv("MLPREP_LOCK_WAIT", "0.1")
    source = FIXTURES / "v0.1.db"
    conn = sqlite3.connect(source)
    answers = conn.execute("SELECT id, card_id, day, quality FROM reviews ORDER BY id").fetchall()
    conn.close()

    def migrate(db: Path) -> None:
        Store(db).close()

    probe = tmp_path / "probe.db"
    shutil.copy(source, probe)
    total = count_writes(monkeypatch, lambda: migrate(probe))
    points = sorted(random.Random(1).sample(range(1, total + 1), min(total, 25)))
    for at in points:
        db = tmp_path / f"m{at}.db"
        shutil.copy(source, db)
        faults = Faults(at)
        faults.at, faults.message = at, message
        install(monkeypatch, faults)
        try:
            migrate(db)
        except StoreError as exc:
            assert str(exc)  # a sentence, never a raw sqlite3 error
        faults.on = False
        assert integrity(db) == "ok"
        with Store(db) as store:  # the next run finishes the job
            assert [
                (r.id, r.card_id, r.day.isoformat(), r.quality) for r in store.reviews()
            ] == answers
        replayed_states_match_the_log(db)


# -- SIGKILL ------------------------------------------------------------------------------


def spawn_cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", MAIN, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def env(home):
    import os

    return {**os.environ, "MLPREP_HOME": str(home), "MLPREP_NOW": "2026-12-01T09:00"}


def test_sigkill_during_add_at_random_moments(home, env):
    deck = home / "cards" / "mine.yaml"
    deck.write_text("cards:\n  - id: first\n    q: First?\n    a: First.\n")
    assert cli("due").code == 0
    rng = random.Random(7)
    for n in range(8):
        proc = spawn_cli("add", "--q", f"Killed add {n}?", "--a", "x", "--deck", "mine", env=env)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert parse_file(deck).issues == []
        assert integrity(home / "mlprep.db") == "ok"
    assert cli("check", str(deck)).code == 0


def test_sigkill_during_rename_at_random_moments(home, env):
    deck = home / "cards" / "mine.yaml"
    deck.write_text("cards:\n  - id: k0\n    q: Killed rename?\n    a: Yes.\n")
    from mlprep.app.library import open_library

    with open_library(quiet=True) as lib:
        lib.store.record(
            "k0",
            Answer.of(Grade.GOOD),
            datetime(2026, 11, 30, tzinfo=timezone.utc),
            date(2026, 11, 30),
        )
    rng = random.Random(11)
    for n in range(8):
        current = parse_file(deck).cards[0].id
        proc = spawn_cli("rename", current, f"k{n + 1}", env=env)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert parse_file(deck).issues == []
        assert cli("list", "--json").code == 0  # syncs: completes an interrupted rename
        in_file = parse_file(deck).cards[0].id
        conn = sqlite3.connect(home / "mlprep.db")
        owners = {c for (c,) in conn.execute("SELECT DISTINCT card_id FROM reviews")}
        conn.close()
        assert owners == {in_file}
        assert integrity(home / "mlprep.db") == "ok"


def test_sigkill_during_migration_at_random_moments(home, env):
    source = FIXTURES / "v0.1.db"
    conn = sqlite3.connect(source)
    answers = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    conn.close()
    rng = random.Random(3)
    for _ in range(6):
        db = home / "mlprep.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(source, db)
        proc = spawn_cli("due", env=env)
        time.sleep(rng.uniform(0.05, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert integrity(db) == "ok"
        assert cli("due").code == 0
        with Store(db) as store:
            assert len(store.reviews()) == answers
        replayed_states_match_the_log(db)


REVIEW_DECK = "deck: kill\ncards:\n" + "".join(
    f"  - id: kill-{i}\n    q: Question {i}?\n    a: Answer {i}.\n" for i in range(12)
)


def test_sigkill_during_review_loses_no_answer_the_screen_confirmed(home, env, tmp_path):
    """The screen confirms an answer by moving to the next card (or by saying it is not
    saved yet); every answer it confirmed is in the log after a SIGKILL at a random moment."""
    import shutil as sh

    deck = tmp_path / "kill.yaml"
    deck.write_text(REVIEW_DECK)
    mlprep = sh.which("mlprep", path=str(Path(sys.executable).parent))
    rng = random.Random(5)
    expected = 0
    for run_number in range(4):
        child = pexpect.spawn(
            mlprep,
            ["review", "--cards", str(deck), "--deck", "kill", "--new", "12"],
            env={**env, "TERM": "xterm", "MLPREP_NOW": f"2026-12-0{1 + run_number}T09:00"},
            encoding="utf-8",
            timeout=15,
            dimensions=(40, 100),
        )
        child.expect("card 1")
        confirmed = 0
        for n in range(rng.randint(1, 5)):
            child.send(" ")
            child.expect("Answer")
            child.send(rng.choice("1234"))
            child.expect(f"card {n + 2}|Session done")
            confirmed += 1
        child.send(" ")
        time.sleep(rng.uniform(0, 0.2))
        child.send("3")  # maybe recorded, maybe not: not confirmed on screen yet
        time.sleep(rng.uniform(0, 0.05))
        child.kill(signal.SIGKILL)
        child.close(force=True)
        expected += confirmed
        db = home / "mlprep.db"
        assert integrity(db) == "ok"
        conn = sqlite3.connect(db)
        logged = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        conn.close()
        assert expected <= logged <= expected + 1
        expected = logged
        replayed_states_match_the_log(db)
