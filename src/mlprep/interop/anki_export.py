"""`mlprep export anki`: cards as an Anki package (.apkg), through genanki.

One note per basic card, its GUID `mlprep:<card id>`: importing a later export into Anki
updates the same notes instead of adding copies, and `mlprep import anki` maps the note (and
its reviews) back to the card. A computed card becomes K fixed instances (seeds 1..K): the
problem on the front, the answer and the worked solution on the back, tagged `mlprep-computed`,
GUIDs `mlprep:<card id>:<seed>`. Decks are `mlprep::<deck>`; tags are kept. Text goes through
`mlprep.interop.markup.markdown_to_html` (math as MathJax; no raw HTML from a card file)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.decks.files import remove_stale_temps
from mlprep.interop import InteropError
from mlprep.interop.anki_import import MLPREP_DECK_PREFIX, mlprep_guid

if TYPE_CHECKING:
    from mlprep.app.library import Library
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem
    from mlprep.storage.store import Scope

__all__ = [
    "COMPUTED_TAG",
    "DEFAULT_INSTANCES",
    "ExportSummary",
    "computed_sides",
    "export_anki",
]

DEFAULT_INSTANCES = 5
MAX_INSTANCES = 100
COMPUTED_TAG = "mlprep-computed"
MODEL_NAME = "mlprep"

CSS = """\
.card { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  font-size: 18px; line-height: 1.5; text-align: left; color: #1d1d1f; background: #fff;
  max-width: 42em; margin: 0 auto; }
.nightMode .card, .night_mode .card { color: #e6e6e6; background: #1e1e1e; }
pre, code { font-family: Menlo, Consolas, monospace; font-size: 90%; }
pre { background: rgba(127, 127, 127, 0.12); padding: 0.5em 0.75em; overflow-x: auto; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 0.2em 0.5em; }
.mlprep-id { color: #888; font-size: 70%; margin-top: 2em; }
"""


def _now() -> float:
    """The notes' modification time: Anki updates a note on import only if this is newer."""
    return time.time()


def _stable_id(text: str) -> int:
    """A 48-bit id from a name: the same deck or note type gets the same id at every export
    (Anki keeps ids below 2^53, the integers a JavaScript number holds)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16) or 1


@dataclass(frozen=True)
class ExportSummary:
    path: str
    notes: int
    basic: int
    computed: int  # computed cards exported
    instances: int  # notes per computed card
    decks: tuple[str, ...]
    skipped: tuple[str, ...] = field(default=())  # computed cards that failed, with the reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "notes": self.notes,
            "basic_cards": self.basic,
            "computed_cards": self.computed,
            "instances_per_computed_card": self.instances,
            "decks": list(self.decks),
            "skipped": list(self.skipped),
        }


def _model() -> Any:
    import genanki

    return genanki.Model(
        _stable_id("mlprep note type v1"),
        MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "mlprep id"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'
                '<div class="mlprep-id">{{mlprep id}}</div>',
            }
        ],
        css=CSS,
        sort_field_index=0,
    )


def computed_sides(card: Card, problem: Problem) -> tuple[str, str]:
    """Front and back Markdown of one instance of a computed card."""
    from mlprep.drills.answers import format_answer
    from mlprep.drills.format import fmt_array, tidy_signs

    front = [card.q] if card.q else []
    front.append(problem.prompt)
    for name, value in problem.data.items():
        shape = getattr(value, "shape", ())
        size = " (" + "×".join(map(str, shape)) + ")" if shape else ""
        front.append(f"**{name}**{size} =\n\n```\n{fmt_array(value)}\n```")
    if problem.answer_format:
        front.append(f"Answer: {problem.answer_format}")
    back = [f"**Answer:**\n\n```\n{format_answer(problem)}\n```", "**Worked solution**"]
    back += [f"**{n}.** {tidy_signs(step)}" for n, step in enumerate(problem.solution, 1)]
    return "\n\n".join(front), "\n\n".join(back)


def _write_atomic_package(package: Any, path: Path) -> None:
    """genanki writes in place; write to a temporary file next to `path` and rename it."""
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InteropError(f"cannot create {path.parent}: {exc.strerror}") from None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        package.write_to_file(tmp, timestamp=_now())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    remove_stale_temps(path)


def export_anki(
    lib: Library, path: Path, scope: Scope | None = None, instances: int = DEFAULT_INSTANCES
) -> ExportSummary:
    """Write the live cards in `scope` to the .apkg at `path` (replaced atomically)."""
    import warnings

    from mlprep.app.drilling import DrillItem, DrillSetupError, problem_for
    from mlprep.app.errors import UsageError
    from mlprep.interop.markup import markdown_to_html

    if path.suffix.lower() != ".apkg":
        raise UsageError(f"{path}: the file name must end in .apkg (Anki imports by extension)")
    if not 1 <= instances <= MAX_INSTANCES:
        raise UsageError(f"--instances must be from 1 to {MAX_INSTANCES}, got {instances}")
    cards: Sequence[Card] = lib.store.cards_in_scope(scope)
    if not cards:
        raise InteropError("no cards to export: no live card matches the --deck / --tag given")
    import genanki

    model = _model()
    decks: dict[str, Any] = {}
    basic = computed = notes = 0
    skipped: list[str] = []

    def note(card: Card, front: str, back: str, guid: str, tags: list[str]) -> None:
        nonlocal notes
        name = MLPREP_DECK_PREFIX + card.deck
        if name not in decks:
            decks[name] = genanki.Deck(_stable_id("mlprep deck " + name), name)
        fields = [markdown_to_html(front), markdown_to_html(back), card.id]
        decks[name].add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=guid))
        notes += 1

    for card in cards:
        if not card.is_computed:
            note(card, card.q, card.a, mlprep_guid(card.id), list(card.tags))
            basic += 1
            continue
        item = DrillItem(card.generator or "", card.params, card)
        try:
            problems = [problem_for(item, seed) for seed in range(1, instances + 1)]
        except DrillSetupError as exc:
            skipped.append(str(exc))
            continue
        for problem in problems:
            front, back = computed_sides(card, problem)
            tags = list(dict.fromkeys([*card.tags, COMPUTED_TAG]))
            note(card, front, back, mlprep_guid(card.id, problem.seed), tags)
        computed += 1
    if not notes:
        raise InteropError("nothing to export: " + "; ".join(skipped))
    with warnings.catch_warnings():
        # genanki warns about "invalid HTML" it guesses at; the HTML is markdown-it's own.
        warnings.simplefilter("ignore")
        _write_atomic_package(genanki.Package(list(decks.values())), path)
    return ExportSummary(
        str(path), notes, basic, computed, instances, tuple(sorted(decks)), tuple(skipped)
    )
