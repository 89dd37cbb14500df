"""`mlprep import anki` on packages made by the real Anki (anki21b, anki21, apkg with
scheduling) and on hand-built schema-11 packages: cards, history, idempotence, dry run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from anki_support import legacy_package
from mlprep.cli import app

from .helpers import Collection, at, db_rows, snapshot, ts

runner = CliRunner()


@pytest.fixture
def collection(tmp_path):
    made = Collection(tmp_path / "anki")
    yield made
    made.phone.close()


@pytest.fixture
def colpkg(collection, tmp_path):
    return collection.phone.export_colpkg(tmp_path / "collection.colpkg")


def _import(*args: str):
    return runner.invoke(app, ["import", "anki", *args])


def test_the_revlog_is_what_anki_wrote(collection):
    kinds = [
        (ease, factor == 0, type_)
        for _, _, ease, _, _, factor, _, type_ in collection.phone.revlog()
    ]
    # 7 answers, one cram in a filtered deck (type 3, no ease), one "set due date" (type 4)
    assert (1, True, 3) in kinds and (0, False, 4) in kinds and len(kinds) == 9


def test_notes_become_yaml_cards_one_file_per_deck(home, collection, colpkg):
    result = _import(str(colpkg))
    assert result.exit_code == 0, result.output
    folder = home / "cards" / "anki"
    assert sorted(p.name for p in folder.iterdir()) == [
        "default.yaml",
        "machine-learning-stats.yaml",
    ]
    stats = yaml.safe_load((folder / "machine-learning-stats.yaml").read_text())
    assert stats["deck"] == "machine-learning-stats"
    by_id = {c["id"]: c for c in stats["cards"]}
    ids = collection.ids
    assert set(by_id) == {ids["variance"], ids["bias"]}
    assert by_id[ids["variance"]] == {
        "id": ids["variance"],
        "q": "What is **variance**?\n\nGive $\\sigma^2$.",
        "a": "- spread\n- \\$ units squared",
        "tags": ["leech", "ml-stats"],
    }
    assert by_id[ids["bias"]]["q"] == "Bias?"
    default = yaml.safe_load((folder / "default.yaml").read_text())
    assert default["cards"] == [
        {
            "id": ids["paris1"],
            "q": "[...] is the capital of France",
            "a": "**Paris** is the capital of France\n\nGeo",
        },
        {
            "id": ids["paris2"],
            "q": "Paris is the capital of [country]",
            "a": "Paris is the capital of **France**\n\nGeo",
        },
    ]
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 0, check.output
    assert "ok: no problems found" in check.output


def test_every_answer_becomes_a_fact_and_the_cards_are_replayed(home, collection, colpkg):
    result = _import(str(colpkg))
    assert result.exit_code == 0, result.output
    ids = collection.ids
    facts = db_rows(
        home,
        "SELECT card_id, ts, day, grade, quality, response_ms, kind, source FROM reviews ORDER BY id",
    )
    source = "anki:collection.colpkg"
    assert facts == [
        (ids["variance"], ts("2026-11-02T09:00"), "2026-11-02", 3, 4, 4100, "import", source),
        (ids["bias"], ts("2026-11-02T09:05"), "2026-11-02", 2, 3, 4000, "import", source),
        (ids["paris1"], ts("2026-11-02T09:10"), "2026-11-02", 3, 4, 4000, "import", source),
        (ids["variance"], ts("2026-11-03T03:30"), "2026-11-02", 1, 1, 9000, "import", source),
        (ids["paris2"], ts("2026-11-04T09:10"), "2026-11-04", 1, 1, 4000, "import", source),
        (ids["variance"], ts("2026-11-05T10:00"), "2026-11-05", 4, 5, 2000, "import", source),
        (ids["variance"], ts("2026-11-06T09:00"), "2026-11-06", 1, 1, 4000, "cram", source),
    ]
    state = {
        card: (due, interval, streak, reviews, round(ease, 2))
        for card, due, interval, streak, reviews, ease in db_rows(
            home,
            "SELECT card_id, due, interval, streak, reviews, ease FROM state WHERE scheduler = 'sm2'",
        )
    }
    # SM-2 by hand. variance: Good on Nov 2 (I=1, EF 2.5), Again the same study day (a
    # repeat, no change), Easy on Nov 5 (second pass: I=6, EF 2.6), cram on Nov 6 (nothing).
    assert state[ids["variance"]] == ("2026-11-11", 6, 2, 2, 2.6)
    # bias: Hard (q=3) first: I=1, EF = 2.5 + 0.1 - 2 * (0.08 + 2 * 0.02) = 2.36
    assert state[ids["bias"]] == ("2026-11-03", 1, 1, 1, 2.36)
    assert state[ids["paris1"]] == ("2026-11-03", 1, 1, 1, 2.5)
    # paris2: Again first: I=1, EF = 2.5 + 0.1 - 4 * (0.08 + 4 * 0.02) = 1.96, streak 0
    assert state[ids["paris2"]] == ("2026-11-05", 1, 0, 1, 1.96)
    out = result.output
    assert "New cards: 4, written to:" in out
    assert "Reviews: 7 added to the log, 0 already there; 4 cards replayed (sm2)." in out
    assert "Skipped 1 note: the front is empty once converted" in out
    assert "Skipped 1 review: answers to a note's other card types" in out
    assert "Skipped 1 review: no answer given (manual rescheduling" in out


def test_importing_again_adds_nothing_and_a_newer_package_only_what_is_new(
    home, collection, colpkg, tmp_path
):
    assert _import(str(colpkg)).exit_code == 0
    before = snapshot(home)["files"]
    again = _import(str(colpkg), "--json")
    assert again.exit_code == 0
    summary = json.loads(again.output)
    assert summary["cards"]["new"] == 0 and summary["cards"]["existing"] == 4
    assert summary["reviews"] == {"added": 0, "already": 7, "replayed_cards": 0, "scheduler": "sm2"}
    assert snapshot(home)["files"] == before  # the card files are not touched
    collection.phone.answer(collection.c_paris2, 3, at("2026-11-05T08:00"))
    newer = collection.phone.export_colpkg(tmp_path / "newer.colpkg")
    summary = json.loads(_import(str(newer), "--json").output)
    assert summary["reviews"]["added"] == 1 and summary["reviews"]["already"] == 7
    assert db_rows(home, "SELECT COUNT(*) FROM reviews") == [(8,)]
    assert db_rows(
        home,
        "SELECT due, interval FROM state WHERE scheduler = 'sm2' AND card_id = ?",
        collection.ids["paris2"],
    ) == [
        ("2026-11-06", 1)  # Good on Nov 5 after a fail: n was 0, so I = 1
    ]


@pytest.mark.parametrize("kind", ["legacy colpkg", "apkg", "legacy apkg"])
def test_every_package_format_gives_the_same_import(home, collection, tmp_path, kind):
    phone = collection.phone
    if kind == "legacy colpkg":
        package = phone.export_colpkg(tmp_path / "c.colpkg", legacy=True)
        member = "collection.anki21"
    else:
        phone.empty_filtered_decks()
        package = phone.export_apkg(
            tmp_path / "d.apkg", "Machine Learning", legacy=kind == "legacy apkg"
        )
        member = "collection.anki21" if kind == "legacy apkg" else "collection.anki21b"
    summary = json.loads(_import(str(package), "--json").output)
    assert summary["format"].endswith(f"({member})")
    if kind == "legacy colpkg":  # the whole collection
        assert summary["cards"]["new"] == 4 and summary["reviews"]["added"] == 7
    else:  # one deck (Machine Learning::Stats and its parent), with its scheduling
        assert summary["cards"]["new"] == 2 and summary["reviews"]["added"] == 5
    reference = phone.export_colpkg(tmp_path / "ref.colpkg")
    summary = json.loads(_import(str(reference), "--json").output)
    assert summary["reviews"]["already"] == (7 if kind == "legacy colpkg" else 5)


def test_dry_run_writes_nothing_and_reports_what_would_happen(home, collection, colpkg):
    assert runner.invoke(app, ["due"]).exit_code == 0  # the database exists
    before = snapshot(home)
    result = _import(str(colpkg), "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(home) == before
    assert "would be written to" in result.output
    assert "Reviews: 7 would be added to the log" in result.output
    assert "Dry run: nothing was written." in result.output
    summary = json.loads(_import(str(colpkg), "--dry-run", "--json").output)
    assert summary["dry_run"] is True and summary["cards"]["new"] == 4
    assert snapshot(home) == before


def test_the_json_summary_lists_files_and_reasons(home, collection, colpkg):
    summary = json.loads(_import(str(colpkg), "--json").output)
    files = {Path(f["path"]).name: f for f in summary["cards"]["files"]}
    assert files["default.yaml"]["cards"] == 2 and files["default.yaml"]["created"] is True
    assert files["machine-learning-stats.yaml"]["deck"] == "machine-learning-stats"
    reasons = {(s["what"], s["reason"]): s["count"] for s in summary["skipped"]}
    assert reasons == {
        ("note", "the front is empty once converted (media and images are not imported)"): 1,
        (
            "review",
            "answers to a note's other card types (e.g. reversed cards): mlprep keeps one card per note",
        ): 1,
        ("review", "no answer given (manual rescheduling, reset or set due date)"): 1,
    }
    assert summary["read"] == {"notes": 4, "reviews": 9}


def test_a_card_removed_from_its_file_is_not_written_again(home, collection, colpkg):
    assert _import(str(colpkg)).exit_code == 0
    path = home / "cards" / "anki" / "default.yaml"
    path.unlink()
    summary = json.loads(_import(str(colpkg), "--json").output)
    assert summary["cards"]["new"] == 0 and summary["cards"]["retired"] == 2
    assert not path.exists()


def test_new_notes_are_appended_to_the_deck_file_byte_for_byte(home, collection, tmp_path):
    phone = collection.phone
    first = phone.export_colpkg(tmp_path / "first.colpkg")
    assert _import(str(first)).exit_code == 0
    path = home / "cards" / "anki" / "default.yaml"
    edited = path.read_text() + "# my own comment\n"
    path.write_text(edited)
    phone.add_note("Basic", {"Front": "Rome?", "Back": "Italy"}, "Default")
    second = phone.export_colpkg(tmp_path / "second.colpkg")
    result = _import(str(second))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    from difflib import SequenceMatcher

    changes = {op for op, *_ in SequenceMatcher(None, edited, text, autojunk=False).get_opcodes()}
    assert changes == {"equal", "insert"}  # every byte that was there is kept
    assert "q: Rome?" in text and "(deck default, appended): 1" in result.output
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_into_another_folder_says_how_to_load_it(home, collection, colpkg, tmp_path):
    folder = tmp_path / "elsewhere"
    result = _import(str(colpkg), "--cards", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / "anki" / "default.yaml").exists()
    assert f"pass --cards {folder / 'anki'}" in result.output


# -- hand-built schema-11 packages ---------------------------------------------------------------

DAY = 86_400_000
T0 = int(at("2026-10-01T12:00").timestamp() * 1000)


def _package(tmp_path, revlog, sched_ver=2, **kw):
    return legacy_package(
        tmp_path / "old.apkg",
        notes=[(10, "g-one", "basic", "one <i>front</i>", "one back")],
        cards=[(20, 10, 7, 0)],
        revlog=revlog,
        sched_ver=sched_ver,
        **kw,
    )


@pytest.mark.parametrize("sched_ver", [1, None])
def test_a_v1_scheduler_collection_had_three_buttons_in_learning(home, tmp_path, sched_ver):
    # (id, cid, ease, ivl, lastIvl, factor, time, type): learning 2 and 3 were Good and Easy
    # under v1; a review's 2 stays Hard
    revlog = [
        (T0, 20, 2, -600, 0, 0, 1000, 0),
        (T0 + DAY, 20, 3, 1, -600, 2500, 1000, 0),
        (T0 + 3 * DAY, 20, 2, 3, 1, 2350, 1000, 1),
        (T0 + 4 * DAY, 20, 3, -600, 3, 2150, 1000, 2),
    ]
    package = _package(tmp_path, revlog, sched_ver=sched_ver)
    assert _import(str(package)).exit_code == 0
    assert db_rows(home, "SELECT grade FROM reviews ORDER BY id") == [(3,), (4,), (2,), (4,)]


def test_a_v2_collection_keeps_the_buttons(home, tmp_path):
    revlog = [(T0, 20, 2, -600, 0, 0, 1000, 0), (T0 + DAY, 20, 3, 1, -600, 2500, 1000, 0)]
    assert _import(str(_package(tmp_path, revlog, sched_ver=2))).exit_code == 0
    assert db_rows(home, "SELECT grade FROM reviews ORDER BY id") == [(2,), (3,)]


def test_review_kinds_and_odd_entries(home, tmp_path):
    revlog = [
        (T0, 20, 3, 1, 0, 2500, 0, 1),  # review; no time taken -> None
        (T0 + DAY, 20, 1, -60, 1, 0, 500, 3),  # cramming: no ease -> cram
        (T0 + 2 * DAY, 20, 4, 4, 1, 2650, 500, 3),  # filtered deck that rescheduled -> import
        (T0 + 3 * DAY, 20, 0, 9, 4, 2650, 0, 4),  # set due date
        (T0 + 4 * DAY, 20, 0, 0, 9, 0, 0, 4),  # reset to new
        (T0 + 5 * DAY, 20, 5, 1, 1, 2500, 0, 1),  # a button Anki never had
        (T0 + 6 * DAY, 20, 3, 1, 1, 2500, 0, 9),  # a type from a future Anki
        (T0 + 7 * DAY, 99, 3, 1, 1, 2500, 0, 1),  # a card deleted since
    ]
    summary = json.loads(_import(str(_package(tmp_path, revlog)), "--json").output)
    assert db_rows(home, "SELECT kind, grade, response_ms FROM reviews ORDER BY id") == [
        ("import", 3, None),
        ("cram", 1, 500),
        ("import", 4, 500),
    ]
    reasons = {s["reason"]: s["count"] for s in summary["skipped"] if s["what"] == "review"}
    assert reasons == {
        "no answer given (manual rescheduling, reset or set due date)": 2,
        "unknown answer button 5": 1,
        "unknown review type 9": 1,
        "the card is no longer in the collection": 1,
    }


def test_study_days_follow_day_starts_at(home, tmp_path):
    def stamp(text: str) -> int:
        return int(at(text).timestamp() * 1000)

    revlog = [
        (stamp("2026-10-02T05:30"), 20, 3, 1, 0, 2500, 0, 1),
        (stamp("2026-10-02T05:59:59.999"), 20, 3, 1, 0, 2500, 0, 1),
        (stamp("2026-10-02T06:00"), 20, 3, 1, 0, 2500, 0, 1),
        (stamp("2026-10-03T05:59"), 20, 3, 1, 0, 2500, 0, 1),
    ]
    package = _package(tmp_path, revlog)
    assert runner.invoke(app, ["config", "day_starts_at", "6"]).exit_code == 0
    assert _import(str(package)).exit_code == 0
    assert db_rows(home, "SELECT day FROM reviews ORDER BY id") == [
        ("2026-10-01",),
        ("2026-10-01",),
        ("2026-10-02",),
        ("2026-10-02",),
    ]


def test_study_days_in_a_time_zone_off_the_hour(home, tmp_path):
    import os
    import time

    os.environ["TZ"] = "Asia/Kathmandu"  # UTC+5:45: the day starts at 22:15 UTC (the `utc`
    time.tzset()  # fixture puts the time zone back)
    revlog = [
        (int(at("2026-10-01T22:14").timestamp() * 1000), 20, 3, 1, 0, 2500, 0, 1),
        (int(at("2026-10-01T22:15").timestamp() * 1000), 20, 3, 1, 0, 2500, 0, 1),
    ]
    assert _import(str(_package(tmp_path, revlog))).exit_code == 0
    assert db_rows(home, "SELECT day FROM reviews ORDER BY id") == [
        ("2026-10-01",),
        ("2026-10-02",),
    ]


def test_mlprep_guids_map_back_and_a_lost_card_is_written_again(home, user_cards, tmp_path):
    package = legacy_package(
        tmp_path / "back.apkg",
        notes=[
            (1, "mlprep:adam-what", "basic", "changed in Anki", "x"),
            (2, "mlprep:lost-card", "basic", "<b>Lost</b> front", "lost back"),
            (3, "mlprep:f1-drill:2", "basic", "problem", "answer"),
            (4, "mlprep:gone-drill:1", "basic", "problem", "answer"),
        ],
        cards=[(11, 1, 7, 0), (12, 2, 7, 0), (13, 3, 7, 0), (14, 4, 7, 0)],
        revlog=[
            (T0, 11, 3, 1, 0, 2500, 0, 1),
            (T0 + 1, 12, 3, 1, 0, 2500, 0, 1),
            (T0 + 2, 13, 2, 1, 0, 2500, 0, 1),
            (T0 + 3, 14, 4, 1, 0, 2500, 0, 1),
        ],
        deck_name="mlprep::ml",
    )
    summary = json.loads(_import(str(package), "--json").output)
    assert summary["cards"]["existing"] == 2  # adam-what and f1-drill
    assert summary["cards"]["new"] == 1
    assert [s["reason"] for s in summary["skipped"]] == [
        "an instance of a computed card that is not in your decks (its answers are kept in the history)"
    ]
    written = yaml.safe_load((home / "cards" / "anki" / "ml.yaml").read_text())
    assert written["deck"] == "ml"
    assert written["cards"] == [
        {"id": "lost-card", "q": "**Lost** front", "a": "lost back", "tags": ["t"]}
    ]
    assert "changed in Anki" not in (user_cards / "ml.yaml").read_text()
    assert db_rows(home, "SELECT card_id, grade FROM reviews ORDER BY id") == [
        ("adam-what", 3),
        ("lost-card", 3),
        ("f1-drill", 2),
        ("gone-drill", 4),  # kept in the history under the computed card's id
    ]
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_a_collection_without_the_cards_deck_falls_back_to_default(home, tmp_path):
    package = legacy_package(
        tmp_path / "nodeck.apkg",
        notes=[(10, "g", "basic", "front", "back")],
        cards=[(20, 10, 12345, 0)],
        revlog=[],
    )
    assert _import(str(package)).exit_code == 0
    assert (home / "cards" / "anki" / "default.yaml").exists()


def test_the_imported_day_is_a_date(home, tmp_path):
    assert _import(str(_package(tmp_path, [(T0, 20, 3, 1, 0, 2500, 0, 1)]))).exit_code == 0
    (day,) = db_rows(home, "SELECT day FROM reviews")[0]
    assert date.fromisoformat(day) == date(2026, 10, 1)


def test_a_broken_deck_file_to_append_to_stops_the_import_before_any_write(home, tmp_path):
    first = _package(tmp_path, [(T0, 20, 3, 1, 0, 2500, 0, 1)], deck_name="Default")
    folder = home / "cards" / "anki"
    folder.mkdir(parents=True)
    (folder / "default.yaml").write_text("cards:\n  - id: x\n    q: no answer\n")
    assert runner.invoke(app, ["due"]).exit_code == 0
    before = snapshot(home)
    result = _import(str(first))
    assert result.exit_code == 1
    assert f"Error: cannot add the imported cards to {folder / 'default.yaml'}" in result.output
    assert "already has problems; fix them first" in result.output
    assert snapshot(home) == before
