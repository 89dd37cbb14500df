"""SM-2 (SuperMemo 2) as pure functions.

State: repetitions n, easiness EF, interval I (days). For quality q in 0..5:
- q >= 3: I = 1 if n == 0, 6 if n == 1, else round(I * EF) with the *previous* EF; n += 1.
- q < 3:  n = 0, I = 1.
- Always: EF = max(1.3, EF + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)).
`round` is round-half-up (SuperMemo's intent; Python's round() would send 37.5 to 38 but
12.5 to 12).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mlprep.core.grades import Answer

__all__ = [
    "FIRST_INTERVAL",
    "INITIAL_EASINESS",
    "MIN_EASINESS",
    "PASSING_QUALITY",
    "SECOND_INTERVAL",
    "SM2",
    "Sm2Scheduler",
    "Sm2State",
    "is_lapse",
    "review",
    "schedule",
]

MIN_EASINESS = 1.3
INITIAL_EASINESS = 2.5
PASSING_QUALITY = 3
FIRST_INTERVAL = 1
SECOND_INTERVAL = 6


@dataclass(frozen=True)
class Sm2State:
    repetitions: int = 0
    easiness: float = INITIAL_EASINESS
    interval: int = 0


def _round_half_up(x: float) -> int:
    # The epsilon absorbs float error such as 2.5 * 15 = 37.49999999 after repeated EF updates.
    return math.floor(x + 0.5 + 1e-9)


def review(state: Sm2State, quality: int) -> Sm2State:
    """The state after one review of quality `quality` (0..5)."""
    if not 0 <= quality <= 5 or isinstance(quality, bool):
        raise ValueError(f"SM-2 quality must be an integer 0..5, got {quality!r}")
    if quality >= PASSING_QUALITY:
        if state.repetitions == 0:
            interval = FIRST_INTERVAL
        elif state.repetitions == 1:
            interval = SECOND_INTERVAL
        else:
            interval = _round_half_up(state.interval * state.easiness)
        repetitions = state.repetitions + 1
    else:
        repetitions, interval = 0, FIRST_INTERVAL
    miss = 5 - quality
    easiness = max(MIN_EASINESS, state.easiness + 0.1 - miss * (0.08 + miss * 0.02))
    return Sm2State(repetitions, easiness, interval)


def schedule(state: Sm2State, quality: int, today: date) -> tuple[Sm2State, date]:
    """`review` plus the due date it gives when reviewed on `today`."""
    new = review(state, quality)
    return new, today + timedelta(days=new.interval)


def is_lapse(state: Sm2State, quality: int) -> bool:
    """Forgetting a card that had been learned (a failed review after at least one pass)."""
    return quality < PASSING_QUALITY and state.repetitions > 0


class Sm2Scheduler:
    """SM-2 behind the `Scheduler` protocol: the memory is an `Sm2State`, reviewed with the
    answer's SM-2 quality; same-day answers leave it alone."""

    name = "sm2"
    key = "sm2"
    same_day_reschedules = False

    def initial(self) -> Sm2State:
        return Sm2State()

    def review(
        self, memory: Sm2State, answer: Answer, day: date, elapsed_days: int | None
    ) -> Sm2State:
        return review(memory, answer.quality)

    def same_day(self, memory: Sm2State, answer: Answer, day: date) -> Sm2State:
        return memory

    def interval(self, memory: Sm2State) -> int:
        return memory.interval

    def ease(self, memory: Sm2State) -> float | None:
        return memory.easiness

    def to_dict(self, memory: Sm2State) -> dict[str, Any]:
        # Not dataclasses.asdict: its recursive copy was the slowest part of caching a state.
        return {
            "repetitions": memory.repetitions,
            "easiness": memory.easiness,
            "interval": memory.interval,
        }

    def from_dict(self, data: dict[str, Any]) -> Sm2State:
        return Sm2State(int(data["repetitions"]), float(data["easiness"]), int(data["interval"]))


SM2 = Sm2Scheduler()
