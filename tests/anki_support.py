"""A real Anki collection (the `anki` package, a test extra) standing in for Anki on a phone or
a desktop: import mlprep's packages, answer cards through Anki's own scheduler at chosen
times, export .colpkg / .apkg files the way Anki does."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import datetime
from pathlib import Path

from anki.collection import Collection
from anki.import_export_pb2 import (
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from anki.scheduler.v3 import CardAnswer

RATINGS = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Phone:
    """One Anki collection in `folder`."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "collection.anki2"
        self.col = Collection(str(self.path))

    def close(self) -> None:
        if self.col is not None:
            self.col.close()
            self.col = None

    def _reopen(self) -> None:
        self.col = Collection(str(self.path))

    def import_package(self, apkg: Path, with_scheduling: bool = False):
        request = ImportAnkiPackageRequest(
            package_path=str(apkg),
            options=ImportAnkiPackageOptions(with_scheduling=with_scheduling),
        )
        return self.col.import_anki_package(request).log

    def card_ids(self, search: str = "") -> list[int]:
        return sorted(self.col.find_cards(search))

    def card_of_guid(self, guid: str, ord_: int = 0) -> int:
        (nid,) = self.col.db.list("SELECT id FROM notes WHERE guid = ?", guid)
        return self.col.db.scalar("SELECT id FROM cards WHERE nid = ? AND ord = ?", nid, ord_)

    def answer(self, card_id: int, grade: int, at: datetime, taken_ms: int = 4000) -> None:
        """Answer a card with Anki's scheduler, logged at `at` (as if answered then)."""
        card = self.col.get_card(card_id)
        card.start_timer()
        states = self.col._backend.get_scheduling_states(card_id)
        answer = self.col.sched.build_answer(card=card, states=states, rating=RATINGS[grade])
        answer.answered_at_millis = ms(at)
        answer.milliseconds_taken = taken_ms
        self.col.sched.answer_card(answer)

    def add_note(self, notetype: str, fields: dict[str, str], deck: str, tags=()) -> object:
        note = self.col.new_note(self.col.models.by_name(notetype))
        for name, value in fields.items():
            note[name] = value
        note.tags = list(tags)
        self.col.add_note(note, self.col.decks.id(deck))
        return note

    def cram_deck(self, search: str, reschedule: bool) -> int:
        """A filtered deck over `search`; answers in it are cramming unless `reschedule`."""
        deck = self.col.sched.get_or_create_filtered_deck(deck_id=0)
        deck.name = f"Filtered {search} {reschedule}"
        deck.config.reschedule = reschedule
        del deck.config.search_terms[:]
        term = deck.config.search_terms.add()
        term.search = search
        term.limit = 1000
        return self.col.sched.add_or_update_filtered_deck(deck).id

    def empty_filtered_decks(self) -> None:
        """Send every card in a filtered deck home (an apkg export of a deck leaves out its
        cards that sit in a filtered deck)."""
        for deck in self.col.decks.all_names_and_ids():
            if self.col.decks.is_filtered(deck.id):
                self.col.sched.empty_filtered_deck(deck.id)

    def revlog(self) -> list[tuple]:
        return [
            tuple(row)
            for row in self.col.db.all(
                "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"
            )
        ]

    def export_colpkg(self, out: Path, legacy: bool = False) -> Path:
        """A whole-collection backup, as AnkiDroid's "Export collection" writes it."""
        self.col.export_collection_package(str(out), include_media=False, legacy=legacy)
        self._reopen()  # exporting a collection package closes it
        return out

    def export_apkg(
        self, out: Path, deck: str, with_scheduling: bool = True, legacy: bool = False
    ) -> Path:
        """One deck (and its subdecks), as File > Export writes it."""
        from anki.collection import DeckIdLimit

        options = ExportAnkiPackageOptions(
            with_scheduling=with_scheduling,
            with_deck_configs=with_scheduling,
            with_media=False,
            legacy=legacy,
        )
        deck_id = self.col.decks.id_for_name(deck)
        self.col.export_anki_package(out_path=str(out), options=options, limit=DeckIdLimit(deck_id))
        return out


def open_package(apkg: Path, folder: Path) -> Phone:
    """A fresh Anki collection with `apkg` imported into it."""
    phone = Phone(folder)
    phone.import_package(apkg)
    return phone


def legacy_package(
    path: Path,
    *,
    notes: list[tuple[int, str, str, str, str]],
    cards: list[tuple[int, int, int, int]],
    revlog: list[tuple[int, int, int, int, int, int, int, int]],
    sched_ver: int | None = 2,
    schema: int = 11,
    member: str = "collection.anki2",
    deck_name: str = "Imported",
    meta: bytes | None = None,
) -> Path:
    """A schema-11 package written with sqlite directly (as genanki and old Anki versions
    write them): notes (id, guid, model 'basic' or 'cloze', front, back), cards (id, nid,
    did, ord), revlog rows (id, cid, ease, ivl, lastIvl, factor, time, type)."""
    import json
    import tempfile

    from genanki.apkg_schema import APKG_SCHEMA

    models = {
        "1": {
            "id": 1,
            "name": "Basic",
            "type": 0,
            "flds": [{"name": "Front", "ord": 0}, {"name": "Back", "ord": 1}],
        },
        "2": {
            "id": 2,
            "name": "Cloze",
            "type": 1,
            "flds": [{"name": "Text", "ord": 0}, {"name": "Back Extra", "ord": 1}],
        },
    }
    conf = {} if sched_ver is None else {"schedVer": sched_ver}
    decks = {"1": {"id": 1, "name": "Default"}, "7": {"id": 7, "name": deck_name}}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        conn = sqlite3.connect(db)
        conn.executescript(APKG_SCHEMA)
        conn.execute(
            "INSERT INTO col VALUES (1, 0, 0, 0, ?, 0, 0, 0, ?, ?, ?, '{}', '{}')",
            (schema, json.dumps(conf), json.dumps(models), json.dumps(decks)),
        )
        for nid, guid, model, front, back in notes:
            mid = 2 if model == "cloze" else 1
            conn.execute(
                "INSERT INTO notes VALUES (?, ?, ?, 0, -1, ' t ', ?, ?, 0, 0, '')",
                (nid, guid, mid, f"{front}\x1f{back}", front),
            )
        for cid, nid, did, ord_ in cards:
            conn.execute(
                "INSERT INTO cards VALUES (?, ?, ?, ?, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                (cid, nid, did, ord_),
            )
        conn.executemany(
            "INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in revlog],
        )
        conn.commit()
        conn.close()
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(db, member)
            if meta is not None:
                archive.writestr("meta", meta)
            archive.writestr("media", "{}")
    return path
