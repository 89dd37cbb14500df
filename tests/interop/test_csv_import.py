"""`mlprep import csv`: plain front,back[,tags] files, TSV with Anki's headers, and the text
export of the real Anki (GUID, note type, deck and tags columns)."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from typer.testing import CliRunner

from mlprep.cli import app

from .helpers import Collection, anki_id, db_rows, snapshot

runner = CliRunner()


def csv_id(front: str) -> str:
    """The documented id of a CSV row without a GUID: csv- and 12 hex digits of sha256."""
    return "csv-" + hashlib.sha256(front.encode()).hexdigest()[:12]


def _import(path, *args):
    return runner.invoke(app, ["import", "csv", str(path), *args])


def _cards(path):
    return yaml.safe_load(path.read_text())["cards"]


def test_a_plain_csv_keeps_its_markdown_and_takes_the_third_column_as_tags(home, tmp_path):
    path = tmp_path / "interview.csv"
    path.write_text(
        "What is $x^2$?,It is $x \\cdot x$ (**bold**),math Basics\n"
        '"Two, with a comma?","Line one\nline two",\n',
        encoding="utf-8",
    )
    result = _import(path)
    assert result.exit_code == 0, result.output
    written = home / "cards" / "interview.yaml"
    assert yaml.safe_load(written.read_text())["deck"] == "interview"
    assert _cards(written) == [
        {
            "id": csv_id("What is $x^2$?"),
            "q": "What is $x^2$?",
            "a": "It is $x \\cdot x$ (**bold**)",
            "tags": ["math", "basics"],
        },
        {"id": csv_id("Two, with a comma?"), "q": "Two, with a comma?", "a": "Line one\nline two"},
    ]
    assert "Read " in result.output and "2 rows" in result.output
    assert f"{written} (deck interview, new file): 2" in result.output
    assert "Reviews" not in result.output
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_anki_headers_comments_and_skipped_rows(home, tmp_path):
    path = tmp_path / "deck.txt"
    path.write_text(
        "#separator:tab\n#html:true\n#tags:imported\n"
        "Front <b>one</b>\tBack \\(y\\)\n"
        "# a comment between rows\n"
        "\tno front here\n"
        '"multi\nline front"\tback\n'
        "Front <b>one</b>\tsame front again\n",
        encoding="utf-8",
    )
    summary = json.loads(_import(path, "--deck", "My Deck", "--json").output)
    assert summary["format"] == "csv" and summary["read"]["notes"] == 4
    cards = _cards(home / "cards" / "my-deck.yaml")
    assert [(c["q"], c["a"], c.get("tags")) for c in cards] == [
        ("Front **one**", "Back $y$", ["imported"]),
        ("multi line front", "back", ["imported"]),  # HTML: a newline is a space
    ]
    assert summary["skipped"] == [
        {"what": "row", "reason": "the front is empty", "count": 1, "lines": [6]},
        {"what": "row", "reason": "the same front as an earlier row", "count": 1, "lines": [9]},
    ]


def test_the_separator_is_sniffed_and_html_detected(home, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("q <i>one</i>;a;x\nq two;b;y\n", encoding="utf-8")
    assert _import(path).exit_code == 0
    cards = _cards(home / "cards" / "semi.yaml")
    assert [(c["q"], c["tags"]) for c in cards] == [("q *one*", ["x"]), ("q two", ["y"])]


def test_html_false_keeps_text_but_turns_mathjax_into_dollars(home, tmp_path):
    path = tmp_path / "plain.tsv"
    path.write_text("#html:false\n<b>not bold</b> \\(a\\)\t\\[b\\]\n", encoding="utf-8")
    assert _import(path).exit_code == 0
    assert _cards(home / "cards" / "plain.yaml") == [
        {"id": csv_id("<b>not bold</b> \\(a\\)"), "q": "<b>not bold</b> $a$", "a": "$$b$$"}
    ]


def test_importing_again_adds_nothing_and_dry_run_writes_nothing(home, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("q1,a1\nq2,a2\n", encoding="utf-8")
    assert runner.invoke(app, ["due"]).exit_code == 0
    before = snapshot(home)
    dry = _import(path, "--dry-run")
    assert dry.exit_code == 0 and "Dry run: nothing was written." in dry.output
    assert "New cards: 2, would be written to:" in dry.output
    assert snapshot(home) == before
    assert _import(path).exit_code == 0
    after = snapshot(home)
    again = json.loads(_import(path, "--json").output)
    assert again["cards"]["new"] == 0 and again["cards"]["existing"] == 2
    assert snapshot(home)["files"] == after["files"]
    path.write_text("q1,a1\nq2,a2\nq3,a3\n", encoding="utf-8")
    more = json.loads(_import(path, "--json").output)
    assert more["cards"]["new"] == 1 and more["cards"]["files"][0]["created"] is False
    assert [c["q"] for c in _cards(home / "cards" / "d.yaml")] == ["q1", "q2", "q3"]


@pytest.fixture
def collection(tmp_path):
    made = Collection(tmp_path / "anki")
    yield made
    made.phone.close()


def test_the_text_export_of_anki_imports_like_its_package(home, collection, tmp_path):
    notes = tmp_path / "notes.txt"
    collection.phone.empty_filtered_decks()  # Anki writes a card's current (filtered) deck
    collection.phone.col.export_note_csv(
        out_path=str(notes),
        limit=None,
        with_html=True,
        with_tags=True,
        with_deck=True,
        with_notetype=True,
        with_guid=True,
    )
    summary = json.loads(_import(notes, "--json").output)
    assert summary["cards"]["new"] == 4  # two basic notes, a cloze with two deletions
    stats = {c["id"]: c for c in _cards(home / "cards" / "machine-learning-stats.yaml")}
    ids = collection.ids
    assert stats[ids["variance"]]["q"] == "What is **variance**?\n\nGive $\\sigma^2$."
    assert stats[ids["variance"]]["tags"] == ["leech", "ml-stats"]
    default = {c["id"]: c for c in _cards(home / "cards" / "default.yaml")}
    assert default[ids["paris2"]]["q"] == "Paris is the capital of [country]"
    assert anki_id(collection.paris.guid) + "-c1" in default
    # The package of the same collection brings the history to the same cards.
    colpkg = collection.phone.export_colpkg(tmp_path / "c.colpkg")
    package = json.loads(runner.invoke(app, ["import", "anki", str(colpkg), "--json"]).output)
    assert package["cards"]["new"] == 0 and package["cards"]["existing"] == 4
    assert package["reviews"]["added"] == 7
    assert db_rows(home, "SELECT COUNT(DISTINCT card_id) FROM reviews") == [(4,)]
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_mlprep_guids_in_a_guid_column_map_back(home, user_cards, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "#guid column:1\nmlprep:adam-what,changed,x\nfresh-guid,New front,back\n",
        encoding="utf-8",
    )
    summary = json.loads(_import(path, "--json").output)
    assert summary["cards"]["existing"] == 1 and summary["cards"]["new"] == 1
    assert _cards(home / "cards" / "g.yaml") == [
        {"id": anki_id("fresh-guid"), "q": "New front", "a": "back"}
    ]


def test_values_yaml_would_misread_are_written_so_they_read_back(home, tmp_path):
    path = tmp_path / "odd.tsv"
    rows = [
        ("No", "a: b # c"),
        ("yes", "null"),
        ("- starts like a list", "line one  \n  indented\nlast"),
        ("12:30", "x\u2028y\u0085z"),
        ("'quoted'", '"double"'),
    ]
    body = "".join(
        '"' + q.replace('"', '""') + '"\t"' + a.replace('"', '""') + '"\tyes 123 null\n'
        for q, a in rows
    )
    path.write_text("#html:false\n" + body, encoding="utf-8")
    result = _import(path, "--deck", "2024")
    assert result.exit_code == 0, result.output
    written = home / "cards" / "2024.yaml"
    data = yaml.safe_load(written.read_text())
    assert data["deck"] == "2024"
    assert [(c["q"], c["a"], c["tags"]) for c in data["cards"]] == [
        (q, a.strip().replace("\u0085", "\n"), ["yes", "123", "null"]) for q, a in rows
    ]  # a NEL is a line break: card files hold no control characters
    check = runner.invoke(app, ["check", str(written)])
    assert check.exit_code == 0, check.output
