"""Leeches: cards forgotten again and again. A lapse is a failed scheduling answer of a card
whose previous scheduling answer passed (`core.scheduling.replay`); `review` says so once,
when the count reaches the threshold, and `mlprep stats` lists every live card at or over it."""

from __future__ import annotations

from collections.abc import Sequence

from mlprep.core.scheduling import Fact, Scheduler, replay_steps

__all__ = ["became_leech"]


def became_leech(scheduler: Scheduler, facts: Sequence[Fact], threshold: int) -> bool:
    """True exactly when the card's latest fact is the lapse that brought its lapse count to
    `threshold`. Same-day repeats, cram answers and later answers are not, so the user is told
    once. A threshold of 0 turns leech detection off."""
    if threshold <= 0 or not facts:
        return False
    steps = replay_steps(scheduler, facts)
    before = steps[-2] if len(steps) > 1 else None
    after = steps[-1]
    if after is None or before is None or after is before:
        return False
    return after.lapses == threshold and after.lapses > before.lapses
