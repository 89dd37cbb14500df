"""mlprep.decks.files: the atomic write, the lock, and files left untouched on error."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from mlprep.decks.errors import AuthoringError
from mlprep.decks.files import add_cards_to_file, file_lock, read_text, rename_id, write_atomic
from mlprep.decks.snippets import make_card

HAND_WRITTEN = (
    b"# hand-written \xc3\xa9\r\ncards:\r\n  - id: h1   # keep me\r\n    q: 'H: one?'\r\n"
    b"    a: &x |\r\n      One.\r\n  - id: h2\r\n    q: H2?\r\n    a: *x"
)


def card(q: str = "New question?", card_id: str = "new-card") -> dict:
    return {"id": card_id, **make_card(q, "New answer.", tags=["t"])}


def test_add_to_a_hand_written_file_keeps_its_bytes(tmp_path):
    path = tmp_path / "deck.yaml"
    path.write_bytes(HAND_WRITTEN)
    added = add_cards_to_file(path, [card()])
    data = path.read_bytes()
    assert data.startswith(HAND_WRITTEN + b"\r\n  - id: new-card\r\n")  # no blank: as the file
    assert not data.endswith(b"\n")
    assert [(c.id, c.line) for c in added] == [("new-card", 10)]
    assert [p.name for p in tmp_path.iterdir()] == ["deck.yaml"]  # no temp file left


def test_a_new_file_gets_a_header(tmp_path):
    path = tmp_path / "sub" / "fresh.yaml"
    add_cards_to_file(path, [card()])
    text = path.read_text()
    assert text.startswith("# fresh.yaml: your own mlprep cards (deck 'fresh')")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    "new, message",
    [
        ({"id": "h1", "q": "Dup id?", "a": "A"}, "duplicate id 'h1'"),
        ({"id": "x", "q": "Q?", "a": "A", "tags": ["Not Valid"]}, "tag must match"),
        ({"id": "x", "q": "Q?", "a": "A", "colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_invalid_input_leaves_the_bytes_unchanged(tmp_path, new, message):
    path = tmp_path / "deck.yaml"
    path.write_bytes(HAND_WRITTEN)
    before = path.stat().st_mtime_ns
    with pytest.raises(AuthoringError, match=message):
        add_cards_to_file(path, [new])
    assert path.read_bytes() == HAND_WRITTEN
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["deck.yaml"]


def test_a_broken_file_is_not_touched(tmp_path):
    path = tmp_path / "deck.yaml"
    broken = b"cards:\n  - id: ok\n    q: [unclosed\n"
    path.write_bytes(broken)
    with pytest.raises(AuthoringError, match="already has problems; fix them first"):
        add_cards_to_file(path, [card()])
    assert path.read_bytes() == broken


def test_a_non_utf8_file_is_not_touched(tmp_path):
    path = tmp_path / "deck.yaml"
    path.write_bytes(b"cards: []  # caf\xe9\n")
    with pytest.raises(AuthoringError, match="is not UTF-8 text"):
        add_cards_to_file(path, [card()])
    assert path.read_bytes() == b"cards: []  # caf\xe9\n"


def test_write_atomic_keeps_mode_and_follows_symlinks(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("cards: []\n")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomic(link, "cards:\n")
    assert link.is_symlink() and real.read_text() == "cards:\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_write_atomic_failure_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "deck.yaml"
    path.write_text("cards: []\n")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, "cards:\n")
    assert path.read_text() == "cards: []\n"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.yaml"]


def test_write_atomic_removes_the_temp_files_a_killed_write_left(tmp_path):
    """A SIGKILL between creating the temp file and renaming it leaves `.deck.yaml.*.tmp`;
    the next write of that file removes it once it is clearly abandoned (10 minutes old),
    but not a fresh one (another process's write in progress) or another file's."""
    path = tmp_path / "deck.yaml"
    path.write_text("cards: []\n")
    old = time.time() - 3600
    stale = tmp_path / ".deck.yaml.k1ll3d.tmp"
    fresh = tmp_path / ".deck.yaml.inprog.tmp"
    other = tmp_path / ".other.yaml.k1ll3d.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_text("half a deck")
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_atomic(path, "cards:\n")
    assert path.read_text() == "cards:\n"
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path, monkeypatch):
    import mlprep.decks.files as files

    path = tmp_path / "deck.yaml"
    path.write_text("cards: []\n")
    real_read = files.read_text
    calls = []

    def read_then_edit(p):
        text = real_read(p)
        if not calls:
            path.write_text("cards: []  # edited meanwhile\n")
        calls.append(p)
        return text

    monkeypatch.setattr(files, "read_text", read_then_edit)
    with pytest.raises(AuthoringError, match="changed while the card was being added"):
        add_cards_to_file(path, [card()])
    assert path.read_text() == "cards: []  # edited meanwhile\n"


def test_rename_id_on_disk(tmp_path):
    path = tmp_path / "deck.yaml"
    path.write_bytes(HAND_WRITTEN)
    rename_id(path, "h1", "renamed")
    assert path.read_bytes() == HAND_WRITTEN.replace(b"id: h1", b"id: renamed")
    with pytest.raises(AuthoringError, match="does not exist"):
        rename_id(tmp_path / "nope.yaml", "a", "b")


def test_read_text_of_a_missing_file_is_none(tmp_path):
    assert read_text(tmp_path / "missing.yaml") is None


def test_file_lock_serialises_and_times_out(tmp_path):
    lock = tmp_path / "data" / "authoring.lock"
    order = []

    def second():
        with file_lock(lock):
            order.append("second")

    with file_lock(lock):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.1)
        order.append("first")
        busy = pytest.raises(AuthoringError, match="another mlprep command has been writing")
        with busy, file_lock(lock, timeout=0.05):
            pass
    thread.join(5)
    assert order == ["first", "second"]
