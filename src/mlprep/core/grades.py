"""Grades: the four answers a user gives (Again, Hard, Good, Easy), what they mean to SM-2
(quality 0-5) and FSRS (rating 1-4), and the drill grading policy. One definition each, used by
review, drill, stats and `review --jsonl`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "DRILL_TRIES",
    "GRADE_KEYS",
    "MATURE_INTERVAL",
    "PASSING_QUALITY",
    "RELEARN_BELOW",
    "Answer",
    "Grade",
    "card_state",
    "drill_grade",
]


class Grade(IntEnum):
    """The grade as given; its value is FSRS's rating (1 Again .. 4 Easy)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @property
    def quality(self) -> int:
        """The SM-2 quality a grade key stands for (DESIGN.md: 1 Again, 3 Hard, 4 Good, 5 Easy)."""
        return _QUALITY[self]

    @classmethod
    def parse(cls, text: str) -> Grade:
        """`again`/`hard`/`good`/`easy` (any case) or `1`-`4`; ValueError otherwise."""
        key = text.strip().lower()
        for grade in cls:
            if key in (grade.name.lower(), str(grade.value)):
                return grade
        raise ValueError(f"expected a grade: again, hard, good, easy or 1-4; got {text!r}")


_QUALITY = {Grade.AGAIN: 1, Grade.HARD: 3, Grade.GOOD: 4, Grade.EASY: 5}

# The keys of the review screen.
GRADE_KEYS = {str(g.value): g for g in Grade}
PASSING_QUALITY = 3  # SM-2: quality 3 or more is a pass (Hard passes)
RELEARN_BELOW = 4  # an answer below Good brings the card back later the same day
MATURE_INTERVAL = 21  # days; an interval of exactly 21 is mature (Anki's convention)


@dataclass(frozen=True)
class Answer:
    """One answer: the grade and its SM-2 quality. They agree (`Answer.of(grade)`) unless the
    user typed a quality 0-5 directly (`--expert`), which is kept as given."""

    grade: Grade
    quality: int

    @classmethod
    def of(cls, grade: Grade) -> Answer:
        return cls(grade, grade.quality)

    @classmethod
    def expert(cls, quality: int) -> Answer:
        """An SM-2 quality typed directly: 0-2 fail (Again), 3 Hard, 4 Good, 5 Easy."""
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 5:
            raise ValueError(f"SM-2 quality must be an integer 0..5, got {quality!r}")
        grade = (
            Grade.AGAIN
            if quality < PASSING_QUALITY
            else {3: Grade.HARD, 4: Grade.GOOD, 5: Grade.EASY}[quality]
        )
        return cls(grade, quality)

    @property
    def passed(self) -> bool:
        return self.quality >= PASSING_QUALITY

    @property
    def relearn(self) -> bool:
        """Below Good: the card comes back in the same session."""
        return self.quality < RELEARN_BELOW


# The drill policy's tries: a miss allows one more try (invalid input costs none).
DRILL_TRIES = 2


def drill_grade(correct: bool, attempts: int) -> Grade:
    """The drill grading policy: correct at the first try is Good, correct after a retry is
    Hard, wrong or revealed is Again."""
    if not correct:
        return Grade.AGAIN
    return Grade.GOOD if attempts <= 1 else Grade.HARD


def card_state(
    retired: bool, repetitions: int | None, interval: int | None, relearning: bool
) -> str:
    """One definition, for `list` and `stats`: retired (in no deck file), new (never answered),
    learning (failed and not yet recalled, or answered below Good today), young (interval under
    21 days) or mature (21 days or more)."""
    if retired:
        return "retired"
    if repetitions is None:
        return "new"
    if repetitions == 0 or relearning:
        return "learning"
    return "young" if (interval or 0) < MATURE_INTERVAL else "mature"
