"""Shared pieces of the daily-experience tests: a clock, a store over generated deck files,
and a way to play whole study days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from mlprep.app.library import day_queue
from mlprep.core.grades import Grade
from mlprep.core.session import ReviewSession
from mlprep.storage.store import Store

DAY = date(2026, 12, 1)


class Clock:
    def __init__(self, day: date = DAY):
        self.t = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=5)
        return self.t


def write_decks(folder: Path, files: int, cards: int) -> list[Path]:
    """`files` deck files t01.yaml ... each with `cards` basic cards t01-1, t01-2, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(1, files + 1):
        name = f"t{f:02d}"
        path = folder / f"{name}.yaml"
        path.write_text(
            f"deck: {name}\ncards:\n"
            + "".join(f"  - {{id: {name}-{i}, q: q{i}, a: a{i}}}\n" for i in range(1, cards + 1))
        )
        paths.append(path)
    return paths


def study_day(store: Store, day: date, new_per_day: int = 10, grade: Grade = Grade.GOOD):
    """Answer everything the day's queue holds with `grade` (a relearning card with Good)."""
    session = ReviewSession(store, day_queue(store, day, new_per_day=new_per_day), day, Clock(day))
    answered = []
    while session.current is not None:
        item = session.current
        answered.append(item)
        session.answer(Grade.GOOD if item.kind == "relearn" else grade)
    return answered
