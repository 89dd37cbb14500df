"""Anki's package files: .apkg (some decks) and .colpkg (a whole collection).

Both are zip archives (rslib/src/import_export/package). An optional `meta` member, a protobuf
`PackageMetadata` whose field 1 is the format version, says which collection file to read:

| version | collection file | how it is stored |
|---|---|---|
| 1 (or no `meta`, no .anki21) | `collection.anki2` | SQLite, schema 11 |
| 2 (or no `meta`) | `collection.anki21` | SQLite, schema 11 |
| 3 | `collection.anki21b` | zstd-compressed SQLite, schema 18 |

A version-3 package also holds a dummy `collection.anki2` ("please update Anki"), never read. A
version mlprep does not know (0, or above 3) is a package from a newer Anki."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from mlprep.interop import InteropError
from mlprep.storage.anki_collection import (
    AnkiCollection,
    AnkiCollectionError,
    AnkiTooNewError,
    proto_varint_field,
    read_collection,
)

__all__ = ["COLLECTION_FILES", "AnkiPackage", "read_package"]

COLLECTION_FILES = {1: "collection.anki2", 2: "collection.anki21", 3: "collection.anki21b"}
ZSTD_VERSIONS = frozenset({3})
NEWER_ANKI_HINT = (
    'In Anki, export it again with "Support older Anki versions" ticked, or update mlprep.'
)


@dataclass(frozen=True)
class AnkiPackage:
    path: Path
    version: int  # the package format, 1-3 (see the table above)
    member: str  # the collection file that was read
    collection: AnkiCollection

    @property
    def kind(self) -> str:
        return "colpkg" if self.path.suffix.lower() == ".colpkg" else "apkg"


def _version(archive: zipfile.ZipFile, path: Path) -> int:
    names = set(archive.namelist())
    if "meta" not in names:
        return 2 if COLLECTION_FILES[2] in names else 1
    try:
        version = proto_varint_field(archive.read("meta"), 1) or 0
    except AnkiCollectionError:
        raise InteropError(f"{path}: its `meta` entry is damaged; the package is corrupt") from None
    if version not in COLLECTION_FILES:
        raise InteropError(
            f"{path}: the package was made by a newer Anki (package format {version}; mlprep "
            f"reads formats 1 to {max(COLLECTION_FILES)}). {NEWER_ANKI_HINT}"
        )
    return version


def _extract(archive: zipfile.ZipFile, member: str, compressed: bool, target: Path) -> None:
    with archive.open(member) as source, target.open("wb") as out:
        if compressed:
            import zstandard

            zstandard.ZstdDecompressor().copy_stream(source, out)
        else:
            shutil.copyfileobj(source, out, 1 << 20)


def read_package(path: Path) -> AnkiPackage:
    """Open an .apkg or .colpkg and read its collection; InteropError names the file and what
    is wrong with it (missing, not a zip, corrupt, from a newer Anki)."""
    if not path.exists():
        raise InteropError(f"{path}: no such file")
    if path.is_dir():
        raise InteropError(f"{path} is a folder; give an .apkg or .colpkg file")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InteropError(
            f"{path} is not an Anki package: it is not a zip archive (or a damaged one). "
            "Export it from Anki with File > Export (.apkg or .colpkg)."
        ) from None
    except OSError as exc:
        raise InteropError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    with archive, tempfile.TemporaryDirectory(prefix="mlprep-anki-") as tmp:
        version = _version(archive, path)
        member = COLLECTION_FILES[version]
        if member not in archive.namelist():
            raise InteropError(
                f"{path}: no Anki collection inside (expected {member}); is it an Anki package?"
            )
        target = Path(tmp) / "collection.sqlite"
        try:
            _extract(archive, member, version in ZSTD_VERSIONS, target)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise InteropError(f"{path}: the package is corrupt ({member}: {exc})") from None
        except Exception as exc:
            if type(exc).__name__ == "ZstdError":
                raise InteropError(
                    f"{path}: the package is corrupt ({member} does not decompress: {exc})"
                ) from None
            raise
        try:
            collection = read_collection(target)
        except AnkiTooNewError as exc:
            raise InteropError(f"{path}: {exc}. {NEWER_ANKI_HINT}") from None
        except AnkiCollectionError as exc:
            raise InteropError(f"{path}: not a readable Anki package: {exc}") from None
    return AnkiPackage(path, version, member, collection)
