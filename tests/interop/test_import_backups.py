"""Every import that writes to the database is preceded by a backup (reason `import`), as
issue 12 §4 asks: not in a dry run, not of an empty log, not when the import brings nothing;
the backup holds the log as it was, and restoring it brings that log back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from anki_support import legacy_package
from mlprep.cli import app

from .helpers import at, db_rows, snapshot

runner = CliRunner()
DAY = 86_400_000
T0 = int(at("2026-10-01T12:00").timestamp() * 1000)
ONE = (10, "g-one", "basic", "one <i>front</i>", "one back")
TWO = (11, "g-two", "basic", "two front", "two back")
LOG = "SELECT card_id, ts, grade, kind, source FROM reviews ORDER BY id"


def package(path: Path, *, second: bool, later: bool = False) -> Path:
    """g-one answered twice (three times when `later`); with `second`, g-two too (once)."""
    notes, cards = [ONE], [(20, 10, 7, 0)]
    revlog = [(T0, 20, 3, 1, 0, 2500, 1000, 1), (T0 + DAY, 20, 4, 3, 1, 2500, 900, 1)]
    if later:
        revlog.append((T0 + 5 * DAY, 20, 3, 8, 3, 2500, 800, 1))
    if second:
        notes.append(TWO)
        cards.append((21, 11, 7, 0))
        revlog.append((T0 + 2 * DAY, 21, 2, 1, 0, 2500, 700, 1))
    return legacy_package(path, notes=notes, cards=cards, revlog=revlog)


def cli(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def backups() -> list[dict]:
    """`mlprep backup --list --json`: newest first."""
    result = cli("backup", "--list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_import_into_an_empty_log_takes_no_backup(home, tmp_path):
    result = cli("import", "anki", str(package(tmp_path / "a.apkg", second=False)), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backup"] is None
    assert backups() == []
    assert len(db_rows(home, LOG)) == 2


def test_an_anki_import_is_backed_up_first_and_a_restore_brings_the_old_log_back(home, tmp_path):
    assert cli("import", "anki", str(package(tmp_path / "a.apkg", second=False))).exit_code == 0
    assert cli("due").exit_code == 0  # the day's backup, now that the log holds something
    before = backups()
    assert [b["reason"] for b in before] == ["daily"]
    log_before = db_rows(home, LOG)

    result = cli("import", "anki", str(package(tmp_path / "b.apkg", second=True)))
    assert result.exit_code == 0, result.output
    after = backups()
    assert after[1:] == before  # one more, the newest
    made = after[0]
    assert made["reason"] == "import"
    assert f"Backed up the database first: {made['path']}\n" in result.stdout
    # The backup holds the log as it was; the database has the new answer on top.
    assert _rows(made["path"]) == log_before
    assert len(db_rows(home, LOG)) == len(log_before) + 1

    restored = cli("backup", "--restore", made["name"])
    assert restored.exit_code == 0, restored.output
    assert db_rows(home, LOG) == log_before


def test_a_dry_run_and_an_import_that_brings_nothing_take_no_backup(home, tmp_path):
    first = package(tmp_path / "a.apkg", second=False)
    assert cli("import", "anki", str(first)).exit_code == 0
    assert cli("due").exit_code == 0
    before = backups()
    bigger = package(tmp_path / "b.apkg", second=True)
    dry = cli("import", "anki", str(bigger), "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["backup"] is None
    again = cli("import", "anki", str(first), "--json")  # every answer is in the log already
    assert again.exit_code == 0
    summary = json.loads(again.stdout)
    assert (summary["reviews"]["added"], summary["cards"]["new"], summary["backup"]) == (0, 0, None)
    assert backups() == before


def test_new_answers_alone_are_backed_up_first(home, tmp_path):
    assert cli("import", "anki", str(package(tmp_path / "a.apkg", second=False))).exit_code == 0
    log_before = db_rows(home, LOG)
    newer = package(tmp_path / "newer.apkg", second=False, later=True)  # no new card
    summary = json.loads(cli("import", "anki", str(newer), "--json").stdout)
    assert (summary["cards"]["new"], summary["reviews"]["added"]) == (0, 1)
    assert summary["backup"] is not None and _rows(summary["backup"]) == log_before


def test_a_csv_import_is_backed_up_first(home, tmp_path):
    assert cli("import", "anki", str(package(tmp_path / "a.apkg", second=False))).exit_code == 0
    log_before = db_rows(home, LOG)
    cards_before = db_rows(home, "SELECT id FROM cards ORDER BY id")
    rows = tmp_path / "more.csv"
    rows.write_text("What is a CSV?,Comma-separated values\n", encoding="utf-8")
    result = cli("import", "csv", str(rows), "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)["backup"]
    assert made is not None and Path(made).name.endswith("-import.db")
    assert [b["path"] for b in backups() if b["reason"] == "import"] == [made]
    assert _rows(made) == log_before
    # The backup's card index is the one from before the import: the new card is not in it.
    assert _rows(made, "SELECT id FROM cards ORDER BY id") == cards_before
    assert len(db_rows(home, "SELECT id FROM cards")) == len(cards_before) + 1


def test_an_import_whose_backup_cannot_be_made_writes_nothing(home, tmp_path):
    assert cli("import", "anki", str(package(tmp_path / "a.apkg", second=False))).exit_code == 0
    (home / "backups").write_text("a file where the backups folder belongs\n")
    before = snapshot(home)
    result = cli("import", "anki", str(package(tmp_path / "b.apkg", second=True)))
    assert result.exit_code == 1
    assert (
        f"Error: cannot back up the database into {home / 'backups'} before the import "
        "(File exists); nothing was imported\n"
    ) in result.stderr
    assert snapshot(home) == before  # no card file, no answer: the import did not start


def _rows(db: str | Path, sql: str = LOG) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
