"""Schedulers: pure functions from (memory, answer, day) to the next memory, and `replay`,
which folds a card's logged facts into its state."""

from mlprep.core.scheduling.base import (
    CardState,
    Fact,
    Scheduler,
    StepFields,
    preview,
    replay,
    replay_fields,
    replay_steps,
)
from mlprep.core.scheduling.sm2 import MIN_EASINESS, SM2, Sm2Scheduler, Sm2State

SCHEDULER_NAMES = ("sm2", "fsrs")


def make_scheduler(
    name: str,
    *,
    parameters: list[float] | None = None,
    desired_retention: float = 0.9,
    maximum_interval: int = 36500,
) -> Scheduler:
    """The scheduler a setting names: SM-2, or FSRS-6 with these parameters (None: defaults)."""
    if name == "sm2":
        return SM2
    if name == "fsrs":
        from mlprep.core.scheduling.fsrs import FsrsScheduler

        return FsrsScheduler(parameters, desired_retention, maximum_interval)
    raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULER_NAMES)}")


__all__ = [
    "MIN_EASINESS",
    "SCHEDULER_NAMES",
    "SM2",
    "CardState",
    "Fact",
    "Scheduler",
    "Sm2Scheduler",
    "Sm2State",
    "StepFields",
    "make_scheduler",
    "preview",
    "replay",
    "replay_fields",
    "replay_steps",
]
