"""The round trip: export to Anki, review on the "phone" (the real Anki's scheduler), export a
.colpkg as AnkiDroid does, import it, and mlprep's state reflects the phone's reviews."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from typer.testing import CliRunner

from anki_support import open_package
from mlprep.cli import app
from mlprep.core.grades import Answer, Grade

from .helpers import db_rows, snapshot

runner = CliRunner()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _state(home, card_id):
    rows = db_rows(
        home,
        "SELECT due, interval, streak, lapses, reviews, round(ease, 2) FROM state "
        "WHERE scheduler = 'sm2' AND card_id = ?",
        card_id,
    )
    return rows[0] if rows else None


def test_phone_reviews_come_back_to_mlprep(home, user_cards, tmp_path):
    from mlprep.app.library import open_library

    # A review made in mlprep itself, later than the phone's reviews of the same card.
    with open_library() as lib:
        lib.store.record(
            "p-value", Answer.of(Grade.GOOD), at("2026-11-10T09:00"), date(2026, 11, 10)
        )
    apkg = tmp_path / "ml.apkg"
    assert runner.invoke(app, ["export", "anki", str(apkg)]).exit_code == 0

    phone = open_package(apkg, tmp_path / "phone")
    try:
        card = phone.card_of_guid
        ridge, adam, pvalue = (
            card("mlprep:ridge-closed-form"),
            card("mlprep:adam-what"),
            card("mlprep:p-value"),
        )
        drill2, drill4 = card("mlprep:f1-drill:2"), card("mlprep:f1-drill:4")
        phone.answer(ridge, 3, at("2026-11-02T08:00"))
        phone.answer(ridge, 3, at("2026-11-03T08:00"))
        phone.answer(ridge, 3, at("2026-11-09T08:00"))
        phone.answer(adam, 1, at("2026-11-02T08:01"))
        phone.answer(adam, 3, at("2026-11-02T08:11"))  # the learning step, same day
        phone.answer(adam, 2, at("2026-11-04T08:00"))
        phone.answer(drill2, 3, at("2026-11-03T08:05"), 61000)
        phone.answer(drill4, 1, at("2026-11-03T08:06"))  # another instance, same day
        phone.answer(pvalue, 3, at("2026-11-05T08:00"))
        colpkg = phone.export_colpkg(tmp_path / "phone.colpkg")

        before = snapshot(home)["files"]
        result = runner.invoke(app, ["import", "anki", str(colpkg), "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["cards"] == {"new": 0, "existing": 4, "retired": 0, "files": []}
        assert summary["reviews"]["added"] == 9 and summary["reviews"]["replayed_cards"] == 4
        assert snapshot(home)["files"] == before  # mapped back: no card file is written

        # SM-2 by hand (q: Again 1, Hard 3, Good 4):
        # ridge: Good Nov 2 (I=1), Good Nov 3 (I=6), Good Nov 9 (I=round(6*2.5)=15) -> Nov 24
        assert _state(home, "ridge-closed-form") == ("2026-11-24", 15, 3, 0, 3, 2.5)
        # adam: Again Nov 2 (I=1, EF 1.96), Good the same day (a repeat), Hard Nov 4 (I=1,
        # EF 1.96 + 0.1 - 0.24 = 1.82) -> Nov 5
        assert _state(home, "adam-what") == ("2026-11-05", 1, 1, 0, 2, 1.82)
        # the computed card: Good on Nov 3 through instance 2; instance 4 the same day repeats
        assert _state(home, "f1-drill") == ("2026-11-04", 1, 1, 0, 1, 2.5)
        # p-value: the phone's Good on Nov 5 comes before mlprep's own on Nov 10 (I=6) -> Nov 16
        assert _state(home, "p-value") == ("2026-11-16", 6, 2, 0, 2, 2.5)
        assert [
            r[0]
            for r in db_rows(
                home, "SELECT source FROM reviews WHERE card_id = 'p-value' ORDER BY id"
            )
        ] == [
            "anki:phone.colpkg",
            "local",
        ]
        assert db_rows(
            home, "SELECT response_ms FROM reviews WHERE card_id = 'f1-drill' ORDER BY id"
        ) == [
            (60000,),  # Anki caps the time taken at a minute
            (4000,),
        ]
        show = runner.invoke(app, ["show", "ridge-closed-form"])
        assert "due 2026-11-24" in show.output and "3 reviews" in show.output

        # A lapse on the phone, a newer export: only it is added.
        phone.answer(ridge, 1, at("2026-11-24T08:00"))
        newer = phone.export_colpkg(tmp_path / "phone-2.colpkg")
        summary = json.loads(runner.invoke(app, ["import", "anki", str(newer), "--json"]).output)
        assert summary["reviews"]["added"] == 1 and summary["reviews"]["already"] == 9
        assert _state(home, "ridge-closed-form") == ("2026-11-25", 1, 0, 1, 4, 2.5 - 0.54)

        # mlprep exports again: Anki updates the same notes, nothing is duplicated, and the
        # phone's scheduling is kept.
        due_before = phone.col.get_card(ridge).due
        again = tmp_path / "ml-2.apkg"
        assert runner.invoke(app, ["export", "anki", str(again)]).exit_code == 0
        notes = phone.col.note_count()
        phone.import_package(again)
        assert phone.col.note_count() == notes
        assert phone.col.get_card(ridge).due == due_before
    finally:
        phone.close()
