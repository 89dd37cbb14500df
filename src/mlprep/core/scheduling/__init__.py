"""Schedulers: pure functions from (state, grade) to the next state."""

from mlprep.core.scheduling.sm2 import MIN_EASINESS, Sm2State, is_lapse, review, schedule

__all__ = ["MIN_EASINESS", "Sm2State", "is_lapse", "review", "schedule"]
