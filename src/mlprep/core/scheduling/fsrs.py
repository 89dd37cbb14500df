"""FSRS-6 behind the `Scheduler` protocol, through fsrs-rs-python (the Rust FSRS that Anki
ships), and its forgetting curve.

The memory is a card's stability S (days until recall falls to 90%) and difficulty D (1-10),
plus the interval last scheduled. A scheduling answer moves them with `next_states` for the days
elapsed; a later answer the same study day feeds FSRS-6's short-term memory (`days_elapsed` 0)
and reschedules from the new stability, as FSRS-6 specifies. No fuzz: a replay is deterministic.

The forgetting curve of FSRS-6 (decay w20):
    R(t, S) = (1 + F · t / S) ^ (-w20),  F = 0.9 ^ (-1 / w20) - 1,
so R(S, S) = 0.9 for every w20.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from mlprep.core.grades import Answer, Grade

__all__ = [
    "DEFAULT_MAXIMUM_INTERVAL",
    "FsrsMemory",
    "FsrsScheduler",
    "default_parameters",
    "retrievability",
]

DEFAULT_MAXIMUM_INTERVAL = 36500  # days, as Anki
# The field of fsrs-rs-python's NextStates for each grade.
_STATE_OF = {Grade.AGAIN: "again", Grade.HARD: "hard", Grade.GOOD: "good", Grade.EASY: "easy"}
DECAY_INDEX = 20  # w20: the decay of the FSRS-6 forgetting curve


def default_parameters() -> list[float]:
    import fsrs_rs_python

    return list(fsrs_rs_python.DEFAULT_PARAMETERS)


def retrievability(elapsed_days: float, stability: float, parameters: Sequence[float]) -> float:
    """FSRS-6's probability of recall `elapsed_days` after the last review."""
    decay = parameters[DECAY_INDEX]
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (1.0 + factor * max(0.0, elapsed_days) / stability) ** (-decay)


@dataclass(frozen=True)
class FsrsMemory:
    stability: float | None = None  # None: never answered
    difficulty: float | None = None
    interval: int = 0


class FsrsScheduler:
    """FSRS-6 with `parameters` (21 floats), scheduling for `desired_retention`."""

    name = "fsrs"
    same_day_reschedules = True

    def __init__(
        self,
        parameters: Sequence[float] | None = None,
        desired_retention: float = 0.9,
        maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL,
    ):
        import fsrs_rs_python

        self.parameters = list(parameters) if parameters is not None else default_parameters()
        self.desired_retention = desired_retention
        self.maximum_interval = maximum_interval
        self._fsrs = fsrs_rs_python.FSRS(self.parameters)
        self._memory_state = fsrs_rs_python.MemoryState

    @property
    def key(self) -> str:
        """The cache key: a replay under other parameters or retention is another cache."""
        blob = json.dumps(
            [self.parameters, self.desired_retention, self.maximum_interval], sort_keys=True
        )
        return "fsrs:" + hashlib.sha256(blob.encode()).hexdigest()[:12]

    def initial(self) -> FsrsMemory:
        return FsrsMemory()

    def _next(self, memory: FsrsMemory, answer: Answer, elapsed_days: int) -> FsrsMemory:
        current = None
        if memory.stability is not None:
            current = self._memory_state(memory.stability, memory.difficulty)
        states = self._fsrs.next_states(current, self.desired_retention, max(0, elapsed_days))
        chosen = getattr(states, _STATE_OF[answer.grade])  # only the one asked for
        interval = min(self.maximum_interval, max(1, round(chosen.interval)))
        return FsrsMemory(chosen.memory.stability, chosen.memory.difficulty, interval)

    def review(
        self, memory: FsrsMemory, answer: Answer, day: date, elapsed_days: int | None
    ) -> FsrsMemory:
        return self._next(memory, answer, elapsed_days or 0)

    def same_day(self, memory: FsrsMemory, answer: Answer, day: date) -> FsrsMemory:
        return self._next(memory, answer, 0)

    def interval(self, memory: FsrsMemory) -> int:
        return memory.interval

    def ease(self, memory: FsrsMemory) -> float | None:
        return None

    def to_dict(self, memory: FsrsMemory) -> dict[str, Any]:
        return asdict(memory)

    def from_dict(self, data: dict[str, Any]) -> FsrsMemory:
        return FsrsMemory(data.get("stability"), data.get("difficulty"), int(data["interval"]))
