"""Other tools' and other devices' formats: Anki packages out (`anki_export`) and in
(`anki_import`), CSV/TSV in (`csv_import`), the sync folder (`sync_folder`) and the JSON dump
(`json_dump`). Reads go through `mlprep.storage` queries and writes through `Store` methods and
`mlprep.decks.files`; nothing here touches mlprep's database directly.

Importing this package is cheap: genanki, markdown-it and zstandard load inside the functions
that need them."""

from __future__ import annotations

from mlprep.app.errors import MlprepError

__all__ = ["InteropError"]


class InteropError(MlprepError):
    """A file cannot be imported or exported; the message names it (and the line, for text)."""
