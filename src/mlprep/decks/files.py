"""Deck files on disk: choosing the file a deck name designates, reading it, the check that a
path stays inside the cards folder, the atomic write, the lock, and the two whole edits (adding
cards, renaming an id) that read, change and write a file."""

from __future__ import annotations

import glob
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from mlprep.decks.errors import AuthoringError
from mlprep.decks.loader import Card, parse_text
from mlprep.decks.yaml_text import rename_id_in_text, updated_deck_text

LOCK_TIMEOUT = 30.0
DECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


# -- choosing the file -------------------------------------------------------------------------


def deck_file_for(
    folder: Path, name: str, files: Sequence[Path], declared: Mapping[Path, str] | None = None
) -> Path:
    """The deck file in `folder` that `name` designates: a file whose name (or path relative to
    `folder`, without `.yaml`) is `name`, else the one file whose `deck:` is `name`, else a new
    `folder/name.yaml`."""
    if not DECK_NAME.match(name) or name in (".", ".."):
        raise AuthoringError(
            f"deck name {name!r} may only use letters, digits, '-', '_' and '.'; "
            "use --cards DIR to choose the folder"
        )
    stem = name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]

    def rel(f: Path) -> str:
        with suppress(ValueError):
            return f.relative_to(folder).with_suffix("").as_posix()
        return f.stem

    matches = [f for f in files if f.name == name or f.stem == stem or rel(f) == stem]
    if not matches and declared:
        matches = [f for f in files if declared.get(f) == stem]
    if len(matches) > 1:
        listing = ", ".join(str(f) for f in matches)
        raise AuthoringError(f"deck {name!r} matches several files ({listing}); give the file name")
    if matches:
        return matches[0]
    return folder / (name if name != stem else f"{stem}.yaml")


# -- the disk ----------------------------------------------------------------------------------


def read_text(path: Path) -> str | None:
    """A deck file's text, byte for byte (CRLF kept), or None if there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthoringError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthoringError(f"{path} is not UTF-8 text ({exc.reason}); not touching it") from None


def _fsync_dir(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_inside(folder: Path, path: Path) -> None:
    """Refuse (AuthoringError, naming the link) to write `path` when it, or a folder between
    `folder` and it, is a symbolic link leading out of `folder`, whether its target exists or
    not: a link planted in a shared deck folder must not make mlprep create or change files
    elsewhere. Links that stay inside the folder are fine."""
    root = folder.resolve()

    def inside(p: Path) -> bool:
        return p == root or root in p.parents

    if inside(path.resolve()):
        return
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        parts = (path.name,)
        folder = path.parent
    current = folder
    for part in parts:
        current = current / part
        if current.is_symlink() and not inside(current.resolve()):
            target = os.readlink(current)
            state = "" if current.exists() else " (which does not exist)"
            raise AuthoringError(
                f"{current} is a symbolic link to {target}{state}, outside the deck folder "
                f"{root}; mlprep does not write through it. Replace the link with a real file, "
                "or add to another deck with --deck"
            )
    raise AuthoringError(f"{path} is outside the deck folder {root}; nothing was written")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically: temp file in the same folder, fsync, rename,
    fsync the folder. A symlink is followed (its target is replaced); permissions are kept."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    remove_stale_temps(path)


# A write takes milliseconds; a temp file untouched this long was left by a killed process.
STALE_TEMP_S = 600


def remove_stale_temps(path: Path) -> None:
    """Delete the temp files an earlier write of `path` left when it was killed between
    creating and renaming them (fresh ones may be another process's write in progress)."""
    cutoff = time.time() - STALE_TEMP_S
    with suppress(OSError):
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()


@contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock (flock on `path`) while card files are read, changed and written,
    so that concurrent `mlprep add` runs queue instead of overwriting each other."""
    import errno

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 (closed below, after the lock)
    except IsADirectoryError:
        raise AuthoringError(
            f"{path} is a folder, but mlprep uses that path as the lock file that makes two "
            "commands writing cards take turns; remove the folder"
        ) from None
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise AuthoringError(
                f"cannot write the lock file {path}: the data dir {path.parent} is read-only "
                f"({exc.strerror}); mlprep needs to write there (MLPREP_HOME moves it)"
            ) from None
        raise
    busy = AuthoringError(
        f"another mlprep command has been writing cards for {timeout:.0f}s "
        f"(lock {path}); try again when it is done"
    )
    with handle, held_flock(handle, timeout, busy):
        yield


@contextmanager
def held_flock(handle: Any, timeout: float, busy: Exception) -> Iterator[None]:
    """Hold an exclusive flock on the open file `handle`, waiting up to `timeout` seconds for
    another process to let go; raise `busy` if it does not."""
    import fcntl

    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise busy from None
            time.sleep(0.02)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_checked(path: Path, original: str | None, text: str) -> None:
    """Write unless the file changed since it was read (then the user's edit wins)."""
    if read_text(path) != original:
        raise AuthoringError(
            f"{path} changed while the card was being added; nothing was written, try again"
        )
    write_atomic(path, text)


def add_cards_to_file(path: Path, cards: Sequence[Mapping[str, Any]]) -> list[Card]:
    """Append cards (ids assigned) to the deck file at `path`, creating it if needed; returns
    them as read back from the new file. Call under `file_lock`."""
    original = read_text(path)
    text = updated_deck_text(original, cards, str(path))
    _write_checked(path, original, text)
    added = parse_text(text, str(path), path.stem).cards
    return added[len(added) - len(cards) :]


def rename_id(path: Path, old: str, new: str) -> None:
    """Change a card's id in its deck file, nothing else touched. Call under `file_lock`."""
    original = read_text(path)
    if original is None:
        raise AuthoringError(f"{path} does not exist")
    _write_checked(path, original, rename_id_in_text(original, old, new, str(path)))
