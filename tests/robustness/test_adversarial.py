"""One regression test (or family) per failure of the adversarial report of 2026-12-01
(`shared/reviews/adversarial-2026-12-01.md`), driven through the CLI like the attacks were.
Each asserts the principle, not only the single repro: an answer is never lost, a file can
break only itself, card bytes never reach the terminal raw, every failure is a sentence."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from robustness.conftest import (
    cli,
    fill,
    integrity,
    remount_readonly,
    run,
    snapshot,
)

NOW = {"MLPREP_NOW": "2026-12-01T09:00"}


def user_deck(home: Path, name: str, text: str) -> Path:
    path = home / "cards" / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_DECK = "deck: mine\ncards:\n  - id: mine-one\n    q: First?\n    a: First.\n"


def reviews(home: Path) -> list[tuple]:
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute("SELECT card_id, grade FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


# -- F1: a lock held longer than SQLite's 5 s busy timeout -----------------------------------


def test_f1_a_command_outlasts_a_lock_held_longer_than_the_busy_timeout(home):
    """`due` after a deck edit needs to write (sync); another program holds the write lock
    for 5.6 s. It waited 5 s, then crashed; now it retries and succeeds."""
    user_deck(home, "mine.yaml", GOOD_DECK)
    assert cli("due").code == 0
    user_deck(home, "mine.yaml", GOOD_DECK + "  - id: mine-two\n    q: Two?\n    a: Two.\n")
    ready = threading.Event()

    def hold():
        conn = sqlite3.connect(home / "mlprep.db", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(5.6)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait()
    result = cli("list", "--deck", "mine", "--json")
    holder.join()
    result.assert_clean()
    assert result.code == 0, result
    assert [c["id"] for c in json.loads(result.out)] == ["mine-one", "mine-two"]


def test_f1_a_read_command_under_a_lasting_lock_uses_the_cards_as_they_were(home):
    user_deck(home, "mine.yaml", GOOD_DECK)
    assert cli("due").code == 0
    user_deck(home, "mine.yaml", GOOD_DECK + "  - id: mine-two\n    q: Two?\n    a: Two.\n")
    conn = sqlite3.connect(home / "mlprep.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = cli("list", "--deck", "mine", "--json", env={"MLPREP_LOCK_WAIT": "0.5"})
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    result.assert_clean()
    assert result.code == 0
    assert "the card index was not updated" in result.err and "locked" in result.err
    assert [c["id"] for c in json.loads(result.out)] == ["mine-one"]


# -- F2: a card file whose YAML values fail construction -------------------------------------

TYPED = [
    "q: !!int x",
    "q: !!float abc",
    "q: !!timestamp 2020-99-99",
    'q: !!binary "abc"',
    "q: !!int " + "9" * 5000,
    "q: !mytag x",
    "q: !!python/name:os.system ''",
    "q: !!python/object/apply:os.system ['true']",
    "? [a, b]\n    : x",
    "? {a: 1}\n    : x",
    "type: computed\n    generator: ridge\n    params: !!set {a, b}",
    "type: computed\n    generator: ridge\n    params: {level: 1, since: 2020-01-01}",
    "type: computed\n    generator: ridge\n    params: {level: !!binary aGVsbG8=}",
    "type: computed\n    generator: ridge\n    params: {level: !mytag 1}",
    "type: computed\n    generator: ridge\n    params: {[1, 2]: 3}",
    "tags: [!!int x]",
]


@pytest.mark.parametrize("value", TYPED)
def test_f2_a_value_that_fails_construction_breaks_only_its_card(home, value):
    """ValueError / ConstructorError / TypeError tracebacks in every command, check included."""
    bad = user_deck(
        home,
        "bad.yaml",
        f"cards:\n  - id: bad-one\n    {value}\n    a: b\n"
        "  - id: bad-two\n    q: Still fine?\n    a: Yes.\n",
    )
    user_deck(home, "mine.yaml", GOOD_DECK)
    for command in (["due"], ["list", "--json"], ["stats", "--json"], ["show", "mine-one"]):
        result = cli(*command, env=NOW)
        result.assert_clean()
        assert result.code == 0, (command, result)
    ids = {c["id"] for c in json.loads(cli("list", "--json").out)}
    assert {"mine-one", "bad-two"} <= ids and "bad-one" not in ids
    check = cli("check", str(bad))
    check.assert_clean()
    assert check.code == 1 and f"{bad}:" in check.out
    added = cli("add", "--q", "A new one?", "--a", "Yes.", "--deck", "other")
    added.assert_clean()
    assert added.code == 0, added


# -- F3: alias bombs -------------------------------------------------------------------------

BOMB = """cards:
  - id: bomb
    type: computed
    generator: ridge
    params:
      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
      b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
      c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
      d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
      e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
      f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
      g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
      h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
      i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
  - id: bomb-neighbour
    q: Next to the bomb?
    a: Fine.
"""


def test_f3_a_billion_laughs_in_params_is_rejected_in_milliseconds(home):
    """`due` ran for a minute at 1.8 GB expanding it in json.dumps."""
    path = user_deck(home, "bomb.yaml", BOMB)
    started = time.monotonic()
    result = run("due", "--json", timeout=30)
    assert time.monotonic() - started < 10
    result.assert_clean()
    assert result.code == 0
    check = run("check", str(path), timeout=30)
    assert check.code == 1 and "more than 1,000 values" in check.out
    listed = {c["id"] for c in json.loads(run("list", "--json", timeout=30).out)}
    assert "bomb-neighbour" in listed and "bomb" not in listed


def test_f3_a_bomb_on_stdin_is_refused_without_expanding(home):
    snippet = BOMB.replace("type: computed\n    generator: ridge\n    params:", "q:")
    started = time.monotonic()
    result = run("add", "--stdin", input=snippet, timeout=30)
    assert time.monotonic() - started < 10
    result.assert_clean()
    assert result.code == 1 and "Error:" in result.err


# -- F4: rename while the card is on screen --------------------------------------------------


def test_f4_an_answer_given_after_a_rename_elsewhere_joins_the_renamed_card(home):
    """The grade was logged under the old id with a fresh SM-2 state; the renamed card kept its
    stale schedule, and `mlprep rename OLD NEW` refused to repair it."""
    from datetime import datetime, timezone

    from mlprep.app.library import day_queue, open_library
    from mlprep.core.grades import Grade
    from mlprep.core.session import ReviewSession

    user_deck(home, "mine.yaml", GOOD_DECK)
    day = date(2026, 12, 1)
    with open_library(quiet=True) as lib:
        lib.store.record(
            "mine-one",
            __import__("mlprep.core.grades", fromlist=["Answer"]).Answer.of(Grade.GOOD),
            datetime(2026, 11, 30, 9, tzinfo=timezone.utc),
            day - timedelta(days=1),
        )
    with open_library(quiet=True) as lib:  # session A, card on screen
        queue = [q for q in day_queue(lib.store, day) if q.card_id == "mine-one"]
        clock = iter(datetime(2026, 12, 1, 9, m, tzinfo=timezone.utc) for m in range(60))
        session = ReviewSession(lib.store, queue, day, lambda: next(clock))
        renamed = cli("rename", "mine-one", "mine-renamed")  # terminal B
        assert renamed.code == 0, renamed
        session.answer(Grade.EASY)
    listed = {c["id"]: c for c in json.loads(cli("list", "--json", env=NOW).out)}
    assert "mine-one" not in listed
    assert reviews(home) == [("mine-renamed", 3), ("mine-renamed", 4)]
    # Good then Easy a day later: SM-2 gives 1 day, then 6.
    assert listed["mine-renamed"]["due"] == (day + timedelta(days=6)).isoformat()


# -- F5: terminal escape sequences from card files ------------------------------------------

HOSTILE = (
    'deck: "evil\\e]0;TITLE\\a"\n'
    "cards:\n"
    '  - id: esc-q\n    q: "clip \\e]52;c;QUJD\\e\\\\ title \\e]0;PWNED\\a hidden \\e[8mx"\n'
    "    a: b\n"
    '  - id: esc-a\n    q: fine\n    a: "link \\e]8;;http://x\\e\\\\y\\e]8;;\\e\\\\ clear \\e[2J \\x9b31m"\n'
    "  - id: esc-plain\n    q: fine\n    a: |\n      line one\n      line two\n"
)


def test_f5_escape_sequences_in_card_files_never_reach_the_terminal(home):
    """OSC 52, window titles, OSC 8 links, hidden text and a screen clear went out raw, and
    `mlprep check` said ok."""
    path = user_deck(home, "evil.yaml", HOSTILE)
    for command in (["due"], ["list"], ["show", "esc-q"], ["show", "esc-a"], ["stats"]):
        result = cli(*command, env=NOW)
        result.assert_clean()
        assert "\x1b" not in result.text and "\x9b" not in result.text, (command, result)
    check = cli("check", str(path))
    assert check.code == 1
    lines = check.out.splitlines()
    assert any(line.startswith(f"{path}:1: 'deck' contains") and "ESC" in line for line in lines)
    assert any(line.startswith(f"{path}:4: 'q' contains") for line in lines)
    assert any(line.startswith(f"{path}:8: 'a' contains") for line in lines)
    assert any(c["id"] == "esc-plain" for c in json.loads(cli("list", "--json").out))
    assert "\x1b" not in check.out


def test_f5_rendering_escapes_controls_whatever_their_source():
    """Defence in depth: text that reaches the renderer anyway (an old database row, a
    generator) is shown with visible escapes."""
    from mlprep.term.render import markdown, plain_text

    shown = plain_text(markdown("a \x1b]52;c;QUJD\x07 b \x9b2J c"), width=200)
    assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown
    assert "\\x1b]52;c;QUJD" in shown


BIDI_DECK = (
    "deck: mine\n"
    "cards:\n"
    "  - id: bidi-q\n"
    '    q: "Is the access check \\u202e } \\u2066if (admin)\\u2069 \\u2066 { begin here?"\n'
    "    a: No.\n"
    "  - id: rtl-marks\n"
    '    q: "Hebrew \\u200fשלום\\u200f keeps its marks"\n'
    "    a: Yes.\n"
)


def test_f5_bidirectional_overrides_are_refused_and_shown_visibly(home):
    """A right-to-left override shows a card in an order other than the one it reads in
    (Trojan Source): `mlprep check` names it with file:line, and the renderer shows it as
    an escape. The left-to-right/right-to-left marks real RTL text needs are kept."""
    from mlprep.term.render import markdown, plain_text

    path = user_deck(home, "bidi.yaml", BIDI_DECK)
    check = cli("check", str(path))
    assert check.code == 1
    lines = [line for line in check.out.splitlines() if line.startswith(f"{path}:")]
    assert len(lines) == 1, check.out  # one issue: line 4; the marks on line 7 are fine
    assert lines[0].startswith(f"{path}:4: 'q' contains") and "RLO" in lines[0]
    assert "U+202E" in lines[0]
    assert "\u202e" not in check.out
    ids = [c["id"] for c in json.loads(cli("list", "--json").out)]
    assert "rtl-marks" in ids and "bidi-q" not in ids
    shown = plain_text(markdown("a \u202eb\u2066c\u2069 \u200fd"), width=200)
    assert "\u202e" not in shown and "\u2066" not in shown and "\u2069" not in shown
    assert "\\u202eb\\u2066c\\u2069" in shown and "\u200fd" in shown


def test_f5_a_file_name_with_escapes_is_not_loaded(home):
    user_deck(home, "evil\x1b]0;x\x07.yaml", GOOD_DECK.replace("mine-one", "named"))
    result = cli("due", env=NOW)
    result.assert_clean()
    assert "\x1b" not in result.text and "\\x1b" in result.err


# -- F6: the disk fills during a session ----------------------------------------------------


def test_f6_add_on_a_full_disk_says_so_and_leaves_the_deck(home, tmpfs, monkeypatch):
    disk = tmpfs("4m")
    data = disk / "data"
    monkeypatch.setenv("MLPREP_HOME", str(data))
    assert cli("add", "--q", "Before?", "--a", "x").code == 0
    deck = data / "cards" / "my-cards.yaml"
    before = deck.read_bytes()
    fill(disk)
    result = cli("add", "--q", "x" * 60_000, "--a", "x")
    result.assert_clean()
    assert result.code == 1 and "Error:" in result.err
    assert "space" in result.err or "full" in result.err
    assert deck.read_bytes() == before
    assert [p.name for p in deck.parent.iterdir()] == ["my-cards.yaml"]  # no temp file left


# -- F7, F14: read-only database and data dir ------------------------------------------------


def test_f7_f14_a_read_only_data_dir_is_a_sentence_for_every_command(home, tmpfs, monkeypatch):
    disk = tmpfs("2m")
    data = disk / "data"
    monkeypatch.setenv("MLPREP_HOME", str(data))
    (data / "cards").mkdir(parents=True)
    (data / "cards" / "mine.yaml").write_text(GOOD_DECK)
    assert cli("due").code == 0
    before = snapshot(data)
    remount_readonly(disk)
    for command in (
        ["due"],
        ["list"],
        ["stats"],
        ["show", "mine-one"],
        ["add", "--q", "x?", "--a", "y"],
        ["rename", "mine-one", "mine-two"],
        ["drill", "--generator", "ridge", "--seed", "1", "--answer", "1", "--record"],
    ):
        result = cli(*command, env=NOW)
        result.assert_clean()
        assert result.code != 0 or command[0] in ("due", "list", "stats", "show"), result
        if result.code:
            assert "read-only" in result.err, (command, result)
    assert snapshot(data) == before


# -- F9: symlinks out of the deck folder ----------------------------------------------------


@pytest.mark.parametrize("dangling", [True, False])
def test_f9_add_never_writes_through_a_link_out_of_the_deck_folder(home, tmp_path, dangling):
    """A dangling `cards/shared.yaml -> elsewhere` made add CREATE the outside file."""
    outside = tmp_path / "outside" / "victim.yaml"
    outside.parent.mkdir()
    if not dangling:
        outside.write_text("cards: []\n")
    link = home / "cards" / "shared.yaml"
    link.symlink_to(outside)
    result = cli("add", "--q", "Planted?", "--a", "x", "--deck", "shared")
    result.assert_clean()
    assert result.code == 1
    assert f"{link} is a symbolic link to {outside}" in result.err
    assert "outside the deck folder" in result.err
    assert outside.exists() == (not dangling)
    if not dangling:
        assert outside.read_text() == "cards: []\n"


def test_f9_a_link_inside_the_deck_folder_is_fine(home):
    real = user_deck(home, "real.yaml", GOOD_DECK)
    (home / "cards" / "alias.yaml").symlink_to("real.yaml")
    result = cli("add", "--q", "Through the link?", "--a", "x", "--deck", "alias")
    assert result.code == 0, result
    assert "Through the link?" in real.read_text()


def test_f9_rename_never_writes_through_a_link_out_of_the_deck_folder(home, tmp_path):
    outside = tmp_path / "shared.yaml"
    outside.write_text(GOOD_DECK)
    (home / "cards" / "shared.yaml").symlink_to(outside)
    result = cli("rename", "mine-one", "mine-two")
    assert result.code == 1 and "symbolic link" in result.err
    assert outside.read_text() == GOOD_DECK


# -- F10: a damaged database ----------------------------------------------------------------


def damage_middle(db: Path) -> None:
    conn = sqlite3.connect(db)  # no free pages: the bytes land on a page in use
    conn.execute("VACUUM")
    conn.close()
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(4096))


@pytest.mark.parametrize(
    "damage",
    [
        "DROP TABLE reviews",
        "DROP TABLE deck_files",
        "ALTER TABLE reviews DROP COLUMN typed",
        "random bytes in the middle",
        "an empty database claiming the current version",
    ],
)
def test_f10_a_damaged_database_says_so_and_how_to_restore(home, damage):
    """'no such table' / 'malformed' tracebacks; the missing column lost the answer."""
    user_deck(home, "mine.yaml", GOOD_DECK)
    db = home / "mlprep.db"
    assert cli("due", env=NOW).code == 0
    if damage == "random bytes in the middle":
        damage_middle(db)
    elif damage.startswith("an empty"):
        db.unlink()
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 2")
        conn.close()
    else:
        conn = sqlite3.connect(db)
        conn.execute(damage)
        conn.commit()
        conn.close()
    before = snapshot(db)
    said = 0
    # `export json -` reads every table, so random bytes cannot miss all the pages read.
    commands = (["due"], ["stats"], ["list"], ["show", "mine-one"], ["export", "json", "-"])
    for command in commands:
        result = cli(*command, env=NOW)
        result.assert_clean()
        if result.code == 0:  # random bytes may miss the pages a command reads
            assert damage == "random bytes in the middle", (command, result)
            continue
        said += 1
        assert result.code == 1, (command, result)
        assert "damaged" in result.err and "mlprep backup --restore NAME" in result.err, result
        assert str(home / "backups") in result.err
    assert said
    if said == len(commands):  # a command that could still read may write (a daily backup)
        assert snapshot(db) == before


# -- F11: an ASCII-only output encoding -----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["show", "opt-adam-update"],
        ["stats"],
        ["drill", "--list"],
        ["drill", "--generator", "attention", "--seed", "3", "--json"],
        ["list"],
        ["due"],
    ],
)
def test_f11_an_ascii_only_terminal_gets_ascii_not_a_traceback(home, command):
    result = run(*command, env={**NOW, "PYTHONIOENCODING": "ascii", "COLUMNS": "20"})
    result.assert_clean()
    assert result.code == 0, result
    assert result.out.isascii()


# -- F12: the calendar's edges ----------------------------------------------------------------


@pytest.mark.parametrize(
    "moment", ["0001-01-01", "0001-01-01T05:00+05:00", "9999-12-31T23:59", "1899-12-31"]
)
def test_f12_mlprep_now_at_the_calendar_edges_is_refused_clearly(home, moment):
    result = cli("due", env={"MLPREP_NOW": moment})
    result.assert_clean()
    assert result.code == 1
    assert f"MLPREP_NOW={moment!r} is outside the calendar" in result.err


def test_f12_intervals_never_run_off_the_calendar():
    """A review whose next due date passed 9999-12-31 crashed on the answer (answer lost)."""
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.scheduling import SM2, Fact, replay

    easy = Answer.of(Grade.EASY)
    day, facts = date(2026, 1, 1), []
    for _ in range(40):  # Easy forever: SM-2 alone would reach millions of days
        facts.append(Fact(day, easy))
        state = replay(SM2, facts)
        assert state.interval <= 36_500
        day = min(state.due, date(9999, 12, 1))
    late = replay(SM2, [Fact(date(9999, 12, 20), easy), Fact(date(9999, 12, 26), easy)])
    assert late.due == date.max


# -- F13: non-string tags or ids on stdin ---------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("q: x\na: y\ntags: [[a]]\n", "a tag must be a word, got list"),
        ("q: x\na: y\ntags: [{a: 1}]\n", "a tag must be a word, got dict"),
        ("tags: [[a]]\ncards:\n  - q: x\n    a: y\n", "a tag must be a word, got list"),
        ("id: [a]\nq: x\na: y\n", "'id' must be a string, got list"),
        ("q: !!int x\na: y\n", "a value cannot be read"),
        ("q: x\na: y\n? [k]\n: v\n", "unhashable key"),
    ],
)
def test_f13_add_stdin_with_non_string_tags_or_ids_is_a_sentence(home, snippet, message):
    user_deck(home, "mine.yaml", GOOD_DECK)
    before = snapshot(home / "cards")
    result = cli("add", "--stdin", input=snippet)
    result.assert_clean()
    assert result.code == 1 and message in result.err, result
    assert snapshot(home / "cards") == before


# -- F15: a damaged data-dir layout ---------------------------------------------------------


def test_f15_a_lock_file_that_is_a_folder_is_named(home):
    user_deck(home, "mine.yaml", GOOD_DECK)
    (home / "authoring.lock").mkdir()
    for command in (["add", "--q", "x?", "--a", "y"], ["rename", "mine-one", "mine-two"]):
        result = cli(*command)
        result.assert_clean()
        assert result.code == 1 and "authoring.lock is a folder" in result.err, result
    assert "mine-one" in (home / "cards" / "mine.yaml").read_text()


def test_f15_a_drafts_path_that_is_a_file_is_named(home):
    (home / "drafts").write_text("not a folder")
    result = cli("add", "--editor", env={"EDITOR": "true"})
    result.assert_clean()
    assert result.code == 1 and "drafts is a file" in result.err


# -- F16: huge numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["due", "--next", "100000000000000000000"],
        ["due", "--next", "9223372036854775808"],
        ["review", "--new", "100000000000000000000"],
        ["review", "--max-reviews", "100000000000000000000"],
        ["review", "--cram", "--limit", "100000000000000000000"],
        ["drill", "--count", "100000000000000000000"],
    ],
)
def test_f16_numbers_too_large_for_sqlite_are_usage_errors(home, command):
    result = cli(*command)
    result.assert_clean()
    assert result.code == 2 and "100000" in result.err


# -- F18: hand-edited values ------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE state SET due = '2026-02-30'",
        'UPDATE state SET ease = \'abc\', memory = \'{"repetitions": 1, "easiness": "abc", "interval": 1}\'',
        "UPDATE cards SET params = '{broken' WHERE id = 'mine-one'",
        "UPDATE reviews SET day = 'yesterday'",
    ],
)
def test_f18_hand_edited_impossible_values_are_a_sentence(home, edit):
    user_deck(home, "mine.yaml", GOOD_DECK)
    assert cli("drill", "--generator", "ridge", "--seed", "1", "--json").code == 0
    # One answer, so that state and the log have rows.
    from datetime import datetime, timezone

    from mlprep.app.library import open_library
    from mlprep.core.grades import Answer, Grade

    with open_library(quiet=True) as lib:
        lib.store.record(
            "mine-one",
            Answer.of(Grade.GOOD),
            datetime(2026, 11, 30, tzinfo=timezone.utc),
            date(2026, 11, 30),
        )
    conn = sqlite3.connect(home / "mlprep.db")
    conn.execute(edit)
    conn.commit()
    conn.close()
    failed = 0
    for command in (["stats"], ["show", "mine-one"], ["list"], ["due"]):
        result = cli(*command, env=NOW)
        result.assert_clean()
        if result.code:
            failed += 1
            assert "edited by hand or is damaged" in result.err, (command, result)
    assert failed


# -- F19: a huge question -------------------------------------------------------------


def test_f19_a_50_mb_question_is_refused_in_seconds_not_minutes(home):
    """`show` of that card ran for over 120 s (1.7 s per MB of rendering)."""
    huge = user_deck(
        home,
        "huge.yaml",
        "cards:\n  - id: huge-q\n    q: " + "word " * 10_000_000 + "\n    a: a\n"
        "  - id: small-q\n    q: small\n    a: a\n",
    )
    started = time.monotonic()
    result = run("show", "huge-q", timeout=120)
    elapsed = time.monotonic() - started
    result.assert_clean()
    assert result.code == 1 and "no card with id 'huge-q'" in result.err
    check = run("check", str(huge), timeout=120)
    assert "'q' is 49,999,999 characters long; the limit is 20,000" in check.out
    assert run("show", "small-q").code == 0
    assert elapsed < 30


def test_f19_rendering_cuts_what_it_is_given():
    from mlprep.term.render import markdown, plain_text

    started = time.monotonic()
    shown = plain_text(markdown("word " * 2_000_000), width=100)
    assert time.monotonic() - started < 5
    assert "more characters not shown" in shown


# -- integrity after all of it ------------------------------------------------------------


def test_the_database_stays_sound_after_refused_writes(home):
    user_deck(home, "mine.yaml", GOOD_DECK)
    cli("due")
    cli("add", "--stdin", input="q: x\na: y\ntags: [[a]]\n")
    cli("rename", "mine-one", "Bad Id")
    assert integrity(home / "mlprep.db") == "ok"


# -- F7 with a real read-only database file (chattr +i; skipped where it is not allowed) ------


@pytest.fixture
def immutable(home):
    import subprocess

    made = []

    def freeze(path: Path) -> None:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if done.returncode:
            pytest.skip("cannot make a file immutable here (chattr +i)")
        made.append(path)

    yield freeze
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_f7_a_read_only_database_reads_and_refuses_writes_with_a_sentence(home, immutable):
    """Reads worked until a write was needed; then a traceback, e.g. after a deck edit or on
    the first answer in review (answer lost)."""
    deck = user_deck(home, "mine.yaml", GOOD_DECK)
    assert cli("due", env=NOW).code == 0
    db = home / "mlprep.db"
    immutable(db)
    assert cli("show", "mine-one", env=NOW).code == 0
    deck.write_text(GOOD_DECK + "  - id: mine-two\n    q: Two?\n    a: Two.\n")  # sync must write
    result = cli("list", "--json", env=NOW)
    result.assert_clean()
    assert result.code == 0 and "the card index was not updated" in result.err
    assert "read-only" in result.err
    recorded = cli(
        "drill", "--generator", "ridge", "--seed", "1", "--answer", "1", "--record", env=NOW
    )
    recorded.assert_clean()
    assert recorded.code != 0 and "read-only" in recorded.err


# -- notes of the report, fixed on the way -------------------------------------------------


def test_a_deck_folder_that_is_a_file_is_named_as_such(home):
    import shutil

    shutil.rmtree(home / "cards")
    (home / "cards").write_text("oops")
    result = cli("add", "--q", "x?", "--a", "y")
    assert result.code == 1 and "your deck folder" in result.err and "--cards" not in result.err


def test_check_of_a_fifo_does_not_say_it_is_missing(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    result = cli("check", str(fifo))
    assert result.code == 1 and "not a regular file" in result.out


def test_a_settings_file_that_is_a_folder_is_an_error(home):
    (home / "settings.toml").mkdir()
    result = cli("due")
    result.assert_clean()
    assert result.code == 1 and "settings.toml is not a file" in result.err
