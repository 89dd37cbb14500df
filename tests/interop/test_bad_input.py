"""Bad input: a clear `Error:` naming the file (and the line, for CSV), exit 1, and the
database and the card files exactly as they were (bytes and row counts)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anki_support import legacy_package
from mlprep.cli import app

from .helpers import snapshot

runner = CliRunner()

NOTES = [(10, "g", "basic", "front", "back")]
CARDS = [(20, 10, 7, 0)]
REVLOG = [(1_790_000_000_000, 20, 3, 1, 0, 2500, 1000, 1)]


@pytest.fixture
def lived_in(home, user_cards, tmp_path):
    """A data dir with cards, a database, and an earlier import's cards and reviews."""
    good = legacy_package(tmp_path / "good.apkg", notes=NOTES, cards=CARDS, revlog=REVLOG)
    result = runner.invoke(app, ["import", "anki", str(good)])
    assert result.exit_code == 0, result.output
    before = snapshot(home)
    assert before["rows"]["reviews"] == 1 and before["rows"]["cards"] == 5
    assert any(name.startswith("cards/anki/") for name in before["files"])
    return before


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _damaged(tmp_path: Path) -> Path:
    """A zip whose directory is fine but whose collection data is damaged."""
    good = legacy_package(
        tmp_path / "src.apkg", notes=NOTES, cards=CARDS, revlog=REVLOG, member="collection.anki21"
    )
    data = zipfile.ZipFile(good).read("collection.anki21")
    path = tmp_path / "damaged.apkg"
    _zip(path, {"collection.anki21": data})
    raw = bytearray(path.read_bytes())
    start = raw.index(b"collection.anki21") + len("collection.anki21")
    for i in range(start + 20, start + 220):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    return path


def _case(name: str, tmp_path: Path) -> tuple[Path, str]:
    if name == "missing":
        return tmp_path / "nope.apkg", "nope.apkg: no such file"
    if name == "folder":
        (tmp_path / "dir.apkg").mkdir()
        return tmp_path / "dir.apkg", "dir.apkg is a folder"
    if name == "not a zip":
        path = tmp_path / "junk.apkg"
        path.write_bytes(b"this is not a zip file at all" * 50)
        return path, "junk.apkg is not an Anki package: it is not a zip archive"
    if name == "truncated zip":
        good = legacy_package(tmp_path / "whole.apkg", notes=NOTES, cards=CARDS, revlog=REVLOG)
        path = tmp_path / "cut.apkg"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return path, "cut.apkg is not an Anki package: it is not a zip archive"
    if name == "damaged data":
        return _damaged(tmp_path), "damaged.apkg: the package is corrupt (collection.anki21"
    if name == "no collection":
        path = _zip(tmp_path / "empty.apkg", {"hello.txt": b"hi"})
        return path, "empty.apkg: no Anki collection inside (expected collection.anki2)"
    if name == "future package":
        path = _zip(tmp_path / "future.colpkg", {"meta": b"\x08\x04", "collection.anki21b": b"x"})
        return path, "future.colpkg: the package was made by a newer Anki (package format 4;"
    if name == "unknown package version":
        path = _zip(tmp_path / "zero.colpkg", {"meta": b"\x08\x00", "collection.anki21b": b"x"})
        return path, "zero.colpkg: the package was made by a newer Anki (package format 0;"
    if name == "future schema":
        path = legacy_package(
            tmp_path / "schema.apkg",
            notes=NOTES,
            cards=CARDS,
            revlog=REVLOG,
            schema=19,
            member="collection.anki21",
        )
        return path, "schema.apkg: its collection has schema version 19, newer than the 18"
    if name == "not sqlite":
        path = _zip(tmp_path / "text.apkg", {"collection.anki2": b"hello " * 1000})
        return path, "text.apkg: not a readable Anki package: its collection is not a readable"
    if name == "not zstd":
        path = _zip(tmp_path / "z.colpkg", {"meta": b"\x08\x03", "collection.anki21b": b"plain"})
        return path, "z.colpkg: the package is corrupt (collection.anki21b does not decompress"
    if name == "damaged meta":
        path = _zip(tmp_path / "m.colpkg", {"meta": b"\x08", "collection.anki21b": b"x"})
        return path, "m.colpkg: its `meta` entry is damaged"
    raise AssertionError(name)


PACKAGE_CASES = [
    "missing",
    "folder",
    "not a zip",
    "truncated zip",
    "damaged data",
    "no collection",
    "future package",
    "unknown package version",
    "future schema",
    "not sqlite",
    "not zstd",
    "damaged meta",
]


@pytest.mark.parametrize("case", PACKAGE_CASES)
def test_a_bad_package_changes_nothing(lived_in, home, tmp_path, case):
    (tmp_path / "bad").mkdir()
    path, message = _case(case, tmp_path / "bad")
    for extra in ([], ["--dry-run"], ["--json"]):
        result = runner.invoke(app, ["import", "anki", str(path), *extra])
        assert result.exit_code == 1, (case, result.output)
        assert result.output.startswith("Error: "), result.output
        assert message in result.output, result.output
        assert str(path) in result.output
        assert snapshot(home) == lived_in


def test_a_newer_anki_package_says_how_to_export_it(lived_in, tmp_path):
    path, _ = _case("future package", tmp_path)
    result = runner.invoke(app, ["import", "anki", str(path)])
    assert 'export it again with "Support older Anki versions" ticked' in result.output


CSV_CASES = {
    "wrong column count": (
        "front,back,tags\nq1,a1,t\nq2,a2\nq3,a3,t\n",
        "cards.csv:3: expected 3 columns (like line 1), found 2",
    ),
    "wrong count after a header and a quoted multi-line row": (
        '#separator:comma\n#html:false\n"q1\nstill q1",a1\nq2,a2,extra\n',
        "cards.csv:5: expected 2 columns (like line 3), found 3",
    ),
    "one column": ("just one\nanother\n", "cards.csv:1: expected at least 2 columns"),
    "unknown separator": ("#separator:banana\nq,a\n", "cards.csv:1: unknown #separator 'banana'"),
    "bad html flag": ("#html:maybe\nq,a\n", "cards.csv:1: #html must be true or false"),
    "bad column number": ("#tags column:x\nq,a,t\n", "cards.csv:1: #tags column must be a column"),
    "meta column past the rows": ("#tags column:5\nq,a,t\n", "cards.csv:2: #tags column is 5"),
    "unterminated quote": ('q1,a1\n"q2,a2\nq3,a3\n', "cards.csv:2: cannot read the row"),
    "no rows": ("#separator:tab\n", "cards.csv: no rows to import"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_bad_csv_changes_nothing(lived_in, home, tmp_path, case):
    text, message = CSV_CASES[case]
    path = tmp_path / "cards.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["import", "csv", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output, result.output
    assert str(path) in result.output
    assert snapshot(home) == lived_in


def test_a_csv_that_is_not_utf8_names_the_line(lived_in, home, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("q1,a1\nq2,a2\nq3,caf\xe9\n".encode("latin-1"))
    result = runner.invoke(app, ["import", "csv", str(path)])
    assert result.exit_code == 1
    assert f"Error: {path}:3: not UTF-8 text" in result.output
    assert snapshot(home) == lived_in


def test_a_missing_csv(lived_in, home, tmp_path):
    result = runner.invoke(app, ["import", "csv", str(tmp_path / "none.csv")])
    assert result.exit_code == 1
    assert f"Error: {tmp_path / 'none.csv'}: no such file" in result.output
    assert snapshot(home) == lived_in


def test_writing_into_the_bundled_deck_is_refused(lived_in, home, no_bundled, tmp_path):
    good = legacy_package(tmp_path / "g.apkg", notes=NOTES, cards=CARDS, revlog=REVLOG)
    result = runner.invoke(app, ["import", "anki", str(good), "--cards", str(no_bundled)])
    assert result.exit_code == 1 and "refusing to write into the bundled deck" in result.output
    assert snapshot(home) == lived_in
