"""`mlprep review` with the sync_dir setting, in a real terminal: the session ends with a sync
that brings in another device's answers and sends this one's; a sync that fails is a warning
and the answers stay saved."""

from __future__ import annotations

import json
import sqlite3

import pexpect
import pytest

from pty_support import see

DECK = """deck: e2e
cards:
  - {id: e2e-one, q: First question?, a: First answer.}
  - {id: e2e-two, q: Second question?, a: Second answer.}
"""


@pytest.fixture
def deck(tmp_path):
    path = tmp_path / "e2e.yaml"
    path.write_text(DECK)
    return path


def db_rows(home, sql):
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_review_syncs_when_it_ends(spawn, deck, isolated_home, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    # Another device answered e2e-two yesterday.
    (shared / "phone-0001.jsonl").write_text(
        '{"mlprep_sync":1,"device":"phone-0001"}\n'
        '{"type":"answer","device":"phone-0001","seq":1,"ts":"2026-11-30T20:00:00.000+00:00",'
        '"card":"e2e-two","day":"2026-11-30","grade":3,"quality":4,"kind":"review",'
        '"source":"local"}\n'
    )
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.toml").write_text(f'sync_dir = "{shared}"\n')
    child = spawn(
        "review", "--cards", str(deck), "--deck", "e2e", env={"MLPREP_NOW": "2026-12-01T09:00"}
    )
    see(child, "First question")
    child.send(" ")
    see(child, "First answer")
    child.send("3")
    see(child, "Second question")  # new today here: the phone's answer is not in yet
    child.send("q")
    see(child, "Session done: 1 answer, 1 card")
    see(child, "Synced with")
    see(child, "1 other device (phone-0001)")
    see(child, "Received 1 answer")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert db_rows(isolated_home, "SELECT card_id, device FROM reviews ORDER BY id") == [
        ("e2e-two", "phone-0001"),
        ("e2e-one", db_rows(isolated_home, "SELECT value FROM meta WHERE key = 'device_id'")[0][0]),
    ]
    (own,) = [p for p in shared.glob("*.jsonl") if p.name != "phone-0001.jsonl"]
    lines = [json.loads(line) for line in own.read_text().splitlines()]
    assert [(x.get("card"), x.get("grade")) for x in lines[1:]] == [("e2e-one", 3)]
    # e2e-two was answered Good on the phone yesterday: due in 1 day, i.e. today.
    assert db_rows(
        isolated_home, "SELECT due FROM state WHERE scheduler = 'sm2' AND card_id = 'e2e-two'"
    ) == [("2026-12-01",)]


def test_a_failed_sync_after_review_is_a_warning(spawn, deck, isolated_home, tmp_path):
    isolated_home.mkdir(parents=True, exist_ok=True)
    missing = tmp_path / "not-there"
    (isolated_home / "settings.toml").write_text(f'sync_dir = "{missing}"\n')
    child = spawn("review", "--cards", str(deck), "--deck", "e2e")
    see(child, "First question")
    child.send(" ")
    child.send("3")
    see(child, "Second question")
    child.send("q")
    see(child, "Session done: 1 answer, 1 card")
    see(child, f"warning: sync with {missing} failed")
    see(child, "run `mlprep sync` to retry")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert db_rows(isolated_home, "SELECT card_id FROM reviews") == [("e2e-one",)]
