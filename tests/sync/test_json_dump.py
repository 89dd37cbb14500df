"""`mlprep export json` / `mlprep import json`: a data dir with every kind of fact exported,
imported into an empty data dir, reaches the same state; exported again it gives the same
file (but for where and when it was made); bad files and non-empty data dirs change nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlprep.core.grades import Grade
from mlprep.interop.json_dump import FORMAT, VERSION

from .helpers import Device, dump_db, rows

MINE = (
    "# my own cards, kept byte for byte\r\n"
    "deck: mine\r\n"
    "cards:\r\n"
    "  - {id: mine-1, q: 'Mine?', a: 'Yes.', tags: [own]}\r\n"
    "  - {id: mine-2, q: 'Gone?', a: 'Soon.'}\r\n"
)
NOW = "2026-12-03T12:00"
DOCS = Path(__file__).parents[2] / "docs" / "data-formats.md"


def full_history(a: Device) -> None:
    """Every kind of fact: answers, a drill answer, a cram answer, an undo, a rename (with the
    file), a retired card, a card event, settings and a meta entry."""
    user = a.home / "cards"
    user.mkdir(parents=True)
    (user / "mine.yaml").write_bytes(MINE.encode())
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00", response_ms=4200)
    a.answer("c2", Grade.HARD, "2026-12-01T09:01", kind="drill", seed=7, typed="0.5", correct=True)
    a.answer("c3", Grade.AGAIN, "2026-12-01T09:02", kind="cram")
    taken_back = a.answer("c4", Grade.EASY, "2026-12-01T09:03")
    a.undo(taken_back, "2026-12-01T09:04")
    a.answer("mine-1", Grade.GOOD, "2026-12-01T09:05")
    a.answer("mine-2", Grade.GOOD, "2026-12-01T09:06")
    a.answer("c1", Grade.GOOD, "2026-12-02T09:00")
    assert a.run("rename", "mine-1", "mine-first", now="2026-12-02T09:10").exit_code == 0
    text = (user / "mine.yaml").read_bytes().decode()
    (user / "mine.yaml").write_bytes(text.split("  - {id: mine-2")[0].encode())  # retire mine-2
    assert a.run("config", "new_per_day", "17").exit_code == 0
    assert a.run("config", "backups_kept", "5").exit_code == 0
    conn = sqlite3.connect(a.db)
    with conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('fsrs_params', '[0.4, 1.2, 3.1]')")
        conn.execute(
            "INSERT INTO card_events (card_id, ts, event) VALUES "
            "('c3', '2026-12-02T09:20:00.000+00:00', 'flag')"
        )
    conn.close()
    assert a.run("due", now=NOW).exit_code == 0  # the deck sync retires mine-2


def comparable(doc: dict, home: Path) -> dict:
    """The document without where and when it was made, the user folder's paths relative."""
    out = {k: v for k, v in doc.items() if k not in ("exported", "device", "data_dir")}
    out["user_cards"] = None
    prefix = str(home / "cards")
    out["cards"] = [{**c, "path": c["path"].replace(prefix, "<user>")} for c in doc["cards"]]
    return out


def export(dev: Device, target: Path) -> dict:
    result = dev.run("export", "json", str(target), now=NOW)
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text())


def test_round_trip_into_an_empty_data_dir_gives_the_same_state(device, tmp_path):
    a, b = device("a"), device("b")
    full_history(a)
    first = export(a, tmp_path / "a.json")
    result = b.run("import", "json", str(tmp_path / "a.json"), now=NOW)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Imported 6 answers (+3 other facts), 6 cards, 1 card file and 2 settings from "
        f"{tmp_path / 'a.json'}\n"
    )
    assert (b.home / "cards" / "mine.yaml").read_bytes() == (
        a.home / "cards" / "mine.yaml"
    ).read_bytes()
    assert b.run("due", now=NOW).exit_code == 0
    second = export(b, tmp_path / "b.json")
    assert comparable(second, b.home) == comparable(first, a.home)
    assert b.states() == a.states()
    assert b.log() == a.log()
    for table in ("undos", "renames", "card_events"):
        assert rows(b.db, f"SELECT * FROM {table}") == rows(a.db, f"SELECT * FROM {table}")
    assert rows(b.db, "SELECT value FROM meta WHERE key = 'fsrs_params'") == [("[0.4, 1.2, 3.1]",)]
    assert rows(b.db, "SELECT id, retired FROM cards ORDER BY id") == rows(
        a.db, "SELECT id, retired FROM cards ORDER BY id"
    )
    # The copy is a device of its own: its next answer does not reuse the original's numbers.
    assert first["device"] == a.device_id()
    b.answer("c2", Grade.GOOD, "2026-12-03T13:00")
    assert b.device_id() != a.device_id()
    assert rows(b.db, "SELECT device, seq FROM reviews ORDER BY id DESC LIMIT 1") == [
        (b.device_id(), 1)
    ]


def test_the_file_holds_every_kind_of_fact(device, tmp_path):
    a = device("a")
    full_history(a)
    doc = export(a, tmp_path / "a.json")
    assert (doc["format"], doc["version"]) == (FORMAT, VERSION) == ("mlprep-export", 1)
    assert doc["settings"] == {"new_per_day": 17, "backups_kept": 5}
    assert doc["meta"] == {"fsrs_params": "[0.4, 1.2, 3.1]"}
    text = MINE.split("  - {id: mine-2")[0].replace("mine-1", "mine-first")
    assert doc["card_files"] == [{"path": "mine.yaml", "text": text}]
    log = doc["log"]
    assert [(x["card"], x["grade"], x["kind"]) for x in log] == [
        ("c1", 3, "review"),
        ("c2", 2, "drill"),
        ("c3", 1, "cram"),
        ("mine-first", 3, "review"),
        ("mine-2", 3, "review"),
        ("c1", 3, "review"),
    ]
    assert log[0]["response_ms"] == 4200
    assert (log[1]["seed"], log[1]["typed"], log[1]["correct"]) == (7, "0.5", True)
    assert log[3]["recorded_card"] == "mine-1" and "recorded_card" not in log[0]
    assert [x["seq"] for x in log] == [1, 2, 3, 6, 7, 8]  # 4 was undone (5 is the undo)
    assert doc["undos"] == [
        {
            "id": 1,
            "type": "undo",
            "device": a.device_id(),
            "seq": 5,
            "ts": doc["undos"][0]["ts"],
            "undoes": [a.device_id(), 4],
        }
    ]
    assert [(r["old"], r["new"]) for r in doc["renames"]] == [("mine-1", "mine-first")]
    assert [(e["card"], e["event"]) for e in doc["events"]] == [("c3", "flag")]
    retired = {c["id"]: c["retired"] for c in doc["cards"]}
    assert retired == {
        "c1": False,
        "c2": False,
        "c3": False,
        "c4": False,
        "mine-first": False,
        "mine-2": True,
    }
    mine = next(c for c in doc["cards"] if c["id"] == "mine-first")
    assert mine["path"] == str(a.home / "cards" / "mine.yaml") and mine["tags"] == ["own"]


def test_the_format_is_documented(device, tmp_path):
    """Every key an export and a sync file hold is described in docs/data-formats.md."""
    a = device("a")
    full_history(a)
    doc = export(a, tmp_path / "a.json")
    keys = set(doc)
    for section in ("cards", "card_files", "log", "undos", "renames", "events"):
        for item in doc[section]:
            keys |= set(item)
    assert "recorded_card" in keys and "seed" in keys and "undoes" in keys
    text = DOCS.read_text()
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert missing == []
    assert '"mlprep_sync"' in text and "`mlprep_sync`" in text


def test_export_to_standard_output(device):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    result = a.run("export", "json", "-", now=NOW)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["format"] == "mlprep-export" and len(doc["log"]) == 1
    assert a.run("export", "json", "-", "--json").exit_code == 2


def test_export_json_summary(device, tmp_path):
    a = device("a")
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    result = a.run("export", "json", str(tmp_path / "x.json"), "--json", now=NOW)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "path": str(tmp_path / "x.json"),
        "cards": 4,
        "answers": 1,
        "other_facts": 0,
        "card_files": 0,
        "settings": 0,
    }


# -- what import refuses ----------------------------------------------------------------------


@pytest.fixture
def exported(device, tmp_path) -> Path:
    a = device("a")
    full_history(a)
    export(a, tmp_path / "a.json")
    return tmp_path / "a.json"


def state_of(dev: Device) -> tuple:
    files = (
        {p.name: p.read_bytes() for p in (dev.home / "cards").iterdir()}
        if (dev.home / "cards").exists()
        else {}
    )
    toml = dev.home / "settings.toml"
    settings = toml.read_bytes() if toml.exists() else None
    return (dump_db(dev.db) if dev.db.exists() else None, files, settings)


def edited(path: Path, change) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    target = path.with_name("edited.json")
    target.write_text(json.dumps(doc))
    return target


def _grade(doc):
    doc["log"][2]["grade"] = 9


def _version(doc):
    doc["version"] = 2


def _format(doc):
    doc["format"] = "something-else"


def _escape(doc):
    doc["card_files"][0]["path"] = "../escape.yaml"


def _twice(doc):
    doc["log"][1]["seq"] = doc["log"][0]["seq"]


def _setting(doc):
    doc["settings"]["new_per_day"] = -3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_grade, ": log[2]: 'grade' must be 1-4, got 9; nothing was imported"),
        (_version, ": export format 2 was written by a newer mlprep"),
        (_format, ': not an mlprep export (no "format": "mlprep-export")'),
        (_escape, ": card_files[0]: '../escape.yaml' is not a card file path inside the deck"),
        (_twice, ": log[1]: fact "),
        (_setting, ": settings: new_per_day must be an integer from 0 to 100,000, got -3"),
    ],
)
def test_a_bad_file_imports_nothing(device, exported, change, message):
    b = device("b")
    bad = edited(exported, change)
    result = b.run("import", "json", str(bad), now=NOW)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}")
    assert message in result.stderr
    assert not b.home.exists()
    assert not (bad.parent.parent / "escape.yaml").exists()


def test_a_file_that_is_not_json_names_line_and_column(device, tmp_path):
    b = device("b")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "format": "mlprep-export",\n  "version": 1,,\n}\n')
    result = b.run("import", "json", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:3:16: not JSON (Expecting")
    assert not b.home.exists()


def test_import_refuses_a_data_dir_with_facts(device, exported):
    b = device("b")
    b.answer("c1", Grade.GOOD, "2026-12-01T10:00")
    before = state_of(b)
    result = b.run("import", "json", str(exported), now=NOW)
    assert result.exit_code == 1
    assert f"the data dir {b.home} already holds 1 fact; import json restores into an empty" in (
        result.stderr
    )
    assert state_of(b) == before


def test_import_refuses_to_overwrite_a_different_card_file(device, exported):
    b = device("b")
    (b.home / "cards").mkdir(parents=True)
    (b.home / "cards" / "mine.yaml").write_text("cards: []\n")
    before = state_of(b)
    result = b.run("import", "json", str(exported), now=NOW)
    assert result.exit_code == 1
    assert f"{b.home / 'cards' / 'mine.yaml'} exists and differs" in result.stderr
    assert state_of(b) == before
