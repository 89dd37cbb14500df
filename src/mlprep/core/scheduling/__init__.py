"""Schedulers: pure functions from (memory, answer, day) to the next memory, and `replay`,
which folds a card's logged facts into its state."""

from mlprep.core.scheduling.base import CardState, Fact, Scheduler, preview, replay, replay_steps
from mlprep.core.scheduling.sm2 import MIN_EASINESS, SM2, Sm2Scheduler, Sm2State

SCHEDULERS: dict[str, Scheduler] = {SM2.name: SM2}

__all__ = [
    "MIN_EASINESS",
    "SCHEDULERS",
    "SM2",
    "CardState",
    "Fact",
    "Scheduler",
    "Sm2Scheduler",
    "Sm2State",
    "preview",
    "replay",
    "replay_steps",
]
