"""`mlprep import anki`: an Anki package's notes become cards, its review log becomes facts.

Cards. A basic card per note, from its first two fields (HTML to Markdown, `mlprep.interop.markup`);
a cloze note gives one card per cloze number. Ids come from the note's GUID, so they are the
same at every import: `anki-<12 hex digits of sha256(guid)>` (`-c2` for cloze 2). A note whose
GUID an mlprep export wrote (`mlprep:<card id>`, `mlprep:<card id>:<seed>` for an instance of a
computed card) maps back to that card. New cards go to `<deck folder>/anki/<deck>.yaml`, one
file per Anki deck; the deck name is the Anki deck's, lowercased with `-` for anything else
(`mlprep::<deck>`, as exported, is `<deck>` again). Tags likewise (`ML::Stats` -> `ml-stats`).

Reviews. Each revlog entry becomes a fact of kind `import` with its time, button and the time
taken; its study day is the day mlprep's `day_starts_at` puts that moment in. The button is
the grade (1 Again .. 4 Easy, SM-2 quality via `Grade.quality`); a collection still on Anki's v1
scheduler had three buttons in learning, so there 2 and 3 mean Good and Easy. Learning and
relearning steps are kept: on the day of an earlier answer they are same-day repeats, as in
`mlprep review`. Cramming in a filtered deck without rescheduling (type 3 with no ease, Anki's
own `is_cramming`) becomes kind `cram`, which never moves a schedule; a filtered-deck answer
that did reschedule the card in Anki counts as a review. Entries without an answer (manual
rescheduling, resets, "set due date") and reviews of a note's other card types (a reversed
card) are skipped, counted with the reason."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mlprep.interop.importing import ImportPlan, ImportSummary, NewCard, run_import

if TYPE_CHECKING:
    from mlprep.app.library import Library
    from mlprep.interop.anki_package import AnkiPackage
    from mlprep.storage.anki_collection import AnkiNote, AnkiNotetype

__all__ = [
    "MLPREP_GUID_PREFIX",
    "card_id_for_guid",
    "import_anki",
    "mlprep_guid",
    "mlprep_id_of_guid",
    "plan_anki_import",
]

MLPREP_GUID_PREFIX = "mlprep:"
MLPREP_DECK_PREFIX = "mlprep::"
ID_PREFIX = "anki-"
ID_HEX = 12  # 48 bits: a collision in 100,000 notes has odds of about 1 in 50,000
SUBFOLDER = "anki"

# Reasons, as the summary prints them.
NO_ANSWER = "no answer given (manual rescheduling, reset or set due date)"
OTHER_TEMPLATE = (
    "answers to a note's other card types (e.g. reversed cards): mlprep keeps one card per note"
)
DELETED_CARD = "the card is no longer in the collection"
SKIPPED_NOTE = "answers to a note that was skipped"
IMAGE_OCCLUSION = "image occlusion notes are not supported"
NO_NOTETYPE = "its note type is missing from the package"
EMPTY_FRONT = "the front is empty once converted (media and images are not imported)"
NO_CLOZE = "a cloze note without any cloze deletion"
UNKNOWN_COMPUTED = (
    "an instance of a computed card that is not in your decks (its answers are kept in the history)"
)


def mlprep_guid(card_id: str, seed: int | None = None) -> str:
    """The GUID an mlprep export gives a card's note (a computed card: one per seed)."""
    return f"{MLPREP_GUID_PREFIX}{card_id}" + (f":{seed}" if seed is not None else "")


def mlprep_id_of_guid(guid: str) -> tuple[str, bool] | None:
    """(card id, is a computed instance) for a GUID an mlprep export wrote, else None."""
    from mlprep.decks.loader import ID_PATTERN

    if not guid.startswith(MLPREP_GUID_PREFIX):
        return None
    parts = guid[len(MLPREP_GUID_PREFIX) :].split(":")
    if not ID_PATTERN.match(parts[0]) or len(parts) > 2:
        return None
    return parts[0], len(parts) == 2


def card_id_for_guid(guid: str) -> str:
    return ID_PREFIX + hashlib.sha256(guid.encode("utf-8")).hexdigest()[:ID_HEX]


def _deck_name(anki_name: str) -> str:
    from mlprep.interop.markup import deck_slug

    if anki_name.startswith(MLPREP_DECK_PREFIX):
        anki_name = anki_name[len(MLPREP_DECK_PREFIX) :]
    return deck_slug(anki_name)


def _tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    from mlprep.interop.markup import tag_slug

    return tuple(dict.fromkeys(t for t in map(tag_slug, tags) if t))


def note_ids(note: AnkiNote, notetype: AnkiNotetype) -> tuple[dict[int, str], str | None]:
    """{Anki card ord: mlprep card id} of a note, or the reason it is skipped; cheap (no text
    is converted), so that notes imported before cost nothing at the next import."""
    from mlprep.interop.markup import cloze_numbers

    first = note.fields[0] if note.fields else ""
    if notetype.name.lower().startswith("image occlusion") or "image-occlusion:" in first:
        return {}, IMAGE_OCCLUSION
    base = card_id_for_guid(note.guid)
    if not notetype.cloze:
        return {0: base}, None
    numbers = cloze_numbers(first)
    if not numbers:
        return {}, NO_CLOZE
    return {n - 1: f"{base}-c{n}" for n in numbers}, None


def note_cards(
    note: AnkiNote, notetype: AnkiNotetype, deck: str
) -> tuple[list[NewCard], str | None]:
    """A note's text as mlprep cards (one per id of `note_ids`), or the reason it is skipped."""
    from mlprep.interop.markup import cloze_sides, has_text, html_to_markdown

    ords, reason = note_ids(note, notetype)
    if reason:
        return [], reason
    fields = note.fields
    first = fields[0] if fields else ""
    second = html_to_markdown(fields[1]) if len(fields) > 1 else ""
    tags = _tags(note.tags)
    if notetype.cloze:
        cards = []
        for ord_, card_id in ords.items():
            q, a = cloze_sides(first, ord_ + 1)
            cards.append(NewCard(card_id, deck, q, a + (f"\n\n{second}" if second else ""), tags))
        return cards, None
    q = html_to_markdown(first)
    if not has_text(q):
        return [], EMPTY_FRONT
    return [NewCard(ords[0], deck, q, second, tags)], None


# Study days start on a whole hour and time zones are offset by multiples of 15 minutes, so
# every answer in the same UTC quarter of an hour falls on the same study day.
QUARTER_HOUR_MS = 900_000


def plan_anki_import(
    package: AnkiPackage,
    *,
    live: set[str],
    known: set[str],
    day_starts_at: int,
) -> ImportPlan:
    """Sort the package's notes and reviews against the cards mlprep has (`live`: in a deck
    file now; `known`: ever seen, retired ones and ids in the log included)."""
    from mlprep.app.config import study_day
    from mlprep.core.grades import Answer, Grade
    from mlprep.storage.store import ImportedFact

    collection = package.collection
    plan = ImportPlan(
        file=package.path,
        format=f"{package.kind} ({package.member})",
        source=f"anki:{package.path.name}",
        notes=len(collection.notes),
        reviews=len(collection.revlog),
    )
    skips = plan.skips
    cards_of_note: dict[int, list] = {}
    for card in collection.cards:
        cards_of_note.setdefault(card.note_id, []).append(card)
    # Anki card id -> mlprep card id, or the reason its answers are skipped.
    target: dict[int, str] = {}
    skipped_card: dict[int, str] = {}
    planned: set[str] = set()
    existing: set[str] = set()
    retired: set[str] = set()

    def sort(new: NewCard) -> None:
        if new.id in live:
            existing.add(new.id)
        elif new.id in known:
            retired.add(new.id)
        elif new.id not in planned:
            planned.add(new.id)
            plan.new_cards.append(new)

    for note in collection.notes:
        anki_cards = sorted(cards_of_note.get(note.id, []), key=lambda c: c.ord)
        notetype = collection.notetypes.get(note.notetype_id)
        deck_id = anki_cards[0].deck_id if anki_cards else 1
        deck = _deck_name(collection.decks.get(deck_id, "Default"))
        mapped = mlprep_id_of_guid(note.guid)
        if mapped is not None:
            # Exported by mlprep: every card of the note is that mlprep card.
            card_id, instance = mapped
            for card in anki_cards:
                target[card.id] = card_id
            if card_id in known or card_id in planned:
                sort(NewCard(card_id, deck, "", ""))
            elif instance:
                skips.add("note", UNKNOWN_COMPUTED)
            else:
                # A card mlprep does not have (another machine's deck folder): write it back.
                cards, reason = note_cards(note, notetype, deck) if notetype else ([], NO_NOTETYPE)
                if reason:
                    skips.add("note", reason)
                else:
                    sort(NewCard(card_id, deck, cards[0].q, cards[0].a, cards[0].tags))
            continue
        ords, reason = note_ids(note, notetype) if notetype else ({}, NO_NOTETYPE)
        cards: list[NewCard] = []
        if not reason and any(i not in known and i not in planned for i in ords.values()):
            cards, reason = note_cards(note, notetype, deck)  # type: ignore[arg-type]
        if reason:
            skips.add("note", reason)
            for card in anki_cards:
                skipped_card[card.id] = SKIPPED_NOTE
            continue
        for card in anki_cards:
            if card.ord in ords:
                target[card.id] = ords[card.ord]
            else:
                skipped_card[card.id] = OTHER_TEMPLATE
        for card_id in ords.values():
            sort(next((c for c in cards if c.id == card_id), NewCard(card_id, deck, "", "")))
    plan.existing, plan.retired = len(existing), len(retired)

    v1 = collection.scheduler_version == 1
    days: dict[int, date] = {}
    answers = {grade: Answer.of(grade) for grade in Grade}
    for entry in collection.revlog:
        card_id = target.get(entry.card_id)
        if card_id is None:
            skips.add("review", skipped_card.get(entry.card_id, DELETED_CARD))
            continue
        if entry.ease == 0:
            skips.add("review", NO_ANSWER)
            continue
        if not 1 <= entry.ease <= 4:
            skips.add("review", f"unknown answer button {entry.ease}")
            continue
        if not 0 <= entry.type <= 5:
            skips.add("review", f"unknown review type {entry.type}")
            continue
        ease = entry.ease
        if v1 and entry.type in (0, 2) and ease in (2, 3):
            ease += 1  # Anki's own v1 -> v2 upgrade of the log does the same
        when = datetime.fromtimestamp(entry.id / 1000, timezone.utc)
        quarter = entry.id // QUARTER_HOUR_MS
        day = days.get(quarter)
        if day is None:
            day = days[quarter] = study_day(when, day_starts_at)
        plan.facts.append(
            ImportedFact(
                card_id=card_id,
                when=when,
                day=day,
                answer=answers[Grade(ease)],
                response_ms=entry.time_ms if entry.time_ms > 0 else None,
                kind="cram" if entry.type == 3 and entry.factor == 0 else "import",
            )
        )
    return plan


def import_anki(
    path: Path,
    *,
    folder: Path | None = None,
    cards: list[Path] | None = None,
    dry_run: bool = False,
    warn: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Import an .apkg or .colpkg: the package is read (and any problem with it reported)
    before mlprep's database or card files are touched."""
    from mlprep.interop.anki_package import read_package

    package = read_package(path)

    def make_plan(lib: Library) -> ImportPlan:
        store = lib.store
        return plan_anki_import(
            package,
            live={card.id for card in store.live_cards()},
            known=store.known_ids(),
            day_starts_at=lib.settings.day_starts_at,
        )

    return run_import(
        make_plan,
        origin="import anki",
        folder=folder,
        subfolder=SUBFOLDER,
        cards=cards,
        dry_run=dry_run,
        warn=warn,
    )
