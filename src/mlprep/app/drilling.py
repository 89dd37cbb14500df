"""Drill items: which generator and params a drill runs, and making its problem, with the
card named when its generator or params are broken (sync never runs generators, so a user's
card can reach here broken; `mlprep check` reports the same)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem

__all__ = ["DrillItem", "DrillSetupError", "problem_for", "random_seed"]


def random_seed() -> int:
    return int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class DrillItem:
    generator: str
    params: dict[str, Any]
    card: Card | None = None


class DrillSetupError(ValueError):
    """A computed card names an unknown generator or params it rejects."""


def problem_for(item: DrillItem, seed: int, level: int | None = None) -> Problem:
    """Generate the item's problem, or raise DrillSetupError saying which card is broken."""
    from mlprep.drills import ParamsError, UnknownGeneratorError, get_generator

    params = dict(item.params)
    if level is not None:
        params["level"] = level
    try:
        return get_generator(item.generator).generate(seed, params)
    except (UnknownGeneratorError, ParamsError) as exc:
        where = f" (card {item.card.id} at {item.card.path}:{item.card.line})" if item.card else ""
        raise DrillSetupError(f"{exc}{where}") from None
