"""`mlprep export anki`, proved with the real Anki: the package opens, notes, decks, fields,
tags and GUIDs are what they should be, and a second export updates instead of duplicating."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from anki_support import open_package
from mlprep.cli import app

runner = CliRunner()
K = 3


@pytest.fixture
def exported(user_cards, tmp_path):
    out = tmp_path / "out" / "ml.apkg"
    result = runner.invoke(app, ["export", "anki", str(out), "--instances", str(K)])
    assert result.exit_code == 0, result.output
    return out, result.output


def _notes(phone) -> dict[str, tuple]:
    rows = phone.col.db.all("SELECT guid, flds, tags, mid FROM notes")
    return {guid: (flds.split("\x1f"), tags.split(), mid) for guid, flds, tags, mid in rows}


def test_the_package_opens_in_anki_with_one_note_per_card_and_k_per_computed_card(
    exported, tmp_path
):
    out, output = exported
    phone = open_package(out, tmp_path / "anki")
    try:
        notes = _notes(phone)
        # 3 basic cards (2 in ml, 1 in stats) and K instances of the computed card
        assert phone.col.note_count() == 3 + K
        assert set(notes) == {
            "mlprep:ridge-closed-form",
            "mlprep:adam-what",
            "mlprep:p-value",
            *(f"mlprep:f1-drill:{seed}" for seed in range(1, K + 1)),
        }
        names = {d.name for d in phone.col.decks.all_names_and_ids()}
        assert {"mlprep", "mlprep::ml", "mlprep::stats"} <= names
        ridge = phone.col.find_cards('"deck:mlprep::ml" "mlprep id:ridge-closed-form"')
        assert len(ridge) == 1
        assert len(phone.col.find_cards("deck:mlprep::stats")) == 1
        assert len(phone.col.find_cards("tag:mlprep-computed")) == K
    finally:
        phone.close()
    assert f"Wrote {out}: {3 + K} notes" in output


def test_fields_are_html_with_mathjax_and_escaped_card_text(exported, tmp_path):
    out, _ = exported
    phone = open_package(out, tmp_path / "anki")
    try:
        notes = _notes(phone)
    finally:
        phone.close()
    (front, back, card_id), tags, _ = notes["mlprep:ridge-closed-form"]
    assert front == "<p>What is the ridge solution \\(\\hat w\\)?</p>"
    assert back.startswith("<p>\\[\\hat w = (X^TX + \\lambda I)^{-1} X^T y\\]</p>")
    assert "It costs $5, and <code>x_i*</code> stays code." in back
    assert card_id == "ridge-closed-form"
    assert tags == ["linear-models", "ridge"]  # Anki keeps tags sorted
    (front, _, _), _, _ = notes["mlprep:adam-what"]
    assert "<script>" not in front and "&lt;script&gt;alert(1)&lt;/script&gt;" in front
    assert "<strong>Adam</strong>" in front


def test_a_computed_instance_has_the_problem_in_front_and_answer_and_solution_behind(
    exported, tmp_path
):
    from mlprep.drills import generate
    from mlprep.drills.answers import format_answer

    out, _ = exported
    phone = open_package(out, tmp_path / "anki")
    try:
        notes = _notes(phone)
    finally:
        phone.close()
    for seed in range(1, K + 1):
        (front, back, card_id), tags, _ = notes[f"mlprep:f1-drill:{seed}"]
        problem = generate("f1", seed, {})
        assert card_id == "f1-drill"
        assert tags == ["metrics", "mlprep-computed"]
        assert front.startswith("<p>Compute F1 from the counts.</p>")
        for name in problem.data:
            assert f"<strong>{name}</strong>" in front
        assert "Answer:" in back and format_answer(problem) in back
        assert "Worked solution" in back
        assert back.count("<strong>1.</strong>") == 1
    # different seeds, different problems
    assert len({notes[f"mlprep:f1-drill:{s}"][0][0] for s in range(1, K + 1)}) == K


def test_exporting_twice_gives_the_same_guids_and_anki_updates_the_notes(
    user_cards, tmp_path, monkeypatch
):
    import time

    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    with monkeypatch.context() as patch:  # the second export is a minute later: newer to Anki
        patch.setattr("mlprep.interop.anki_export._now", lambda: time.time() - 60)
        assert runner.invoke(app, ["export", "anki", str(first)]).exit_code == 0
    ml = user_cards / "ml.yaml"
    ml.write_text(ml.read_text().replace("What does **Adam** do?", "What does Adam do, briefly?"))
    assert runner.invoke(app, ["export", "anki", str(second)]).exit_code == 0
    phone = open_package(first, tmp_path / "anki")
    try:
        before = _notes(phone)
        log = phone.import_package(second)
        after = _notes(phone)
        count = phone.col.note_count()
    finally:
        phone.close()
    assert set(before) == set(after)  # same GUIDs
    assert count == 3 + 5  # default --instances 5; no duplicates after the second import
    assert len(log.new) == 0 and len(log.updated) >= 1
    assert after["mlprep:adam-what"][0][0].startswith("<p>What does Adam do, briefly?")


def test_deck_and_tag_select_what_is_exported(user_cards, tmp_path):
    out = tmp_path / "t.apkg"
    result = runner.invoke(app, ["export", "anki", str(out), "--tag", "ridge", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["notes"] == 1 and summary["decks"] == ["mlprep::ml"]
    phone = open_package(out, tmp_path / "anki")
    try:
        assert set(_notes(phone)) == {"mlprep:ridge-closed-form"}
    finally:
        phone.close()
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "s.apkg"), "--deck", "stats"])
    assert result.exit_code == 0 and "1 note (1 card)" in result.output


def test_an_unknown_deck_is_an_error_and_writes_nothing(user_cards, tmp_path):
    out = tmp_path / "x.apkg"
    result = runner.invoke(app, ["export", "anki", str(out), "--deck", "nope"])
    assert result.exit_code == 1
    assert "Error: no deck named 'nope'; decks: ml, stats" in result.output
    assert not out.exists()


def test_the_file_must_be_an_apkg_and_k_in_range(user_cards, tmp_path):
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "x.zip")])
    assert result.exit_code == 2 and "must end in .apkg" in result.output
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "x.apkg"), "-k", "0"])
    assert result.exit_code == 2 and "--instances must be from 1 to 100, got 0" in result.output
    assert list(tmp_path.glob("*.apkg")) == []


def test_no_cards_is_an_error(home, tmp_path):
    result = runner.invoke(app, ["export", "anki", str(tmp_path / "x.apkg")])
    assert result.exit_code == 1 and "Error: no cards to export" in result.output


def test_an_existing_package_is_replaced_atomically(exported, tmp_path):
    out, _ = exported
    out.write_bytes(b"old")
    result = runner.invoke(app, ["export", "anki", str(out)])
    assert result.exit_code == 0
    assert zipfile.is_zipfile(out)
    assert [p.name for p in out.parent.iterdir()] == ["ml.apkg"]  # no temporary file left


def test_the_package_is_what_genanki_writes_a_legacy_anki2_collection(exported):
    out, _ = exported
    with zipfile.ZipFile(out) as archive:
        assert "collection.anki2" in archive.namelist()
