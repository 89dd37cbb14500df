"""Pieces the generator modules share: rejection sampling, building a Problem, solution blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .format import fmt_array
from .problem import Problem

__all__ = ["MAX_TRIES", "block", "make_problem", "matrix_format", "redraw"]

MAX_TRIES = 10_000  # rejection-sampling bound; tests show a few tries suffice

T = TypeVar("T")


def redraw(draw: Callable[[], T | None]) -> T:
    """Call `draw` until it returns a well-posed value (not None)."""
    for _ in range(MAX_TRIES):
        value = draw()
        if value is not None:
            return value
    raise RuntimeError("no well-posed draw found")  # pragma: no cover - probability ~0


def make_problem(
    *,
    prompt: str,
    data: dict[str, Any],
    answer: Any,
    solution: list[str],
    answer_format: str,
    atol: float = 0.0,
    rtol: float = 1e-2,
    exact: bool = False,
) -> Problem:
    """A Problem whose shape comes from `answer` (the registry fills in name, topic, seed, params).

    An `exact` problem (an integer answer: a shape, a count) needs no tolerance; any other must
    give an `atol` that fits its scale."""
    if not exact and atol <= 0:
        raise ValueError("a problem checked with a tolerance needs atol > 0")
    shape = () if isinstance(answer, float) else tuple(answer.shape)
    return Problem(
        prompt=prompt,
        data=data,
        answer=answer,
        shape=shape,
        solution=tuple(solution),
        rtol=0.0 if exact else rtol,
        atol=0.0 if exact else atol,
        answer_format=answer_format,
        exact=exact,
    )


def block(title: str, value: Any) -> str:
    """A Markdown step with a matrix in a fenced code block."""
    return f"{title}\n```\n{fmt_array(value)}\n```"


def matrix_format(shape: tuple[int, ...]) -> str:
    return f"a {shape[0]}×{shape[1]} matrix, rows as `1 2; 3 4` or `[[1, 2], [3, 4]]`"
