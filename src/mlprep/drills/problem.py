"""The problem a generator returns: what to show, what to expect, how to explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PUBLIC_KEYS", "Problem", "to_jsonable"]

# What `drill --json` and `review --jsonl` show of a problem (a public contract): everything
# but the worked solution and the display hints.
PUBLIC_KEYS = ("generator", "seed", "params", "topic", "prompt", "data", "answer", "rtol", "atol")


def to_jsonable(value: Any) -> Any:
    """numpy arrays and scalars become plain lists and numbers; everything else passes through."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Problem:
    """One generated instance of a computed card.

    `data` keeps insertion order: it is the order the values are shown in. `answer` is a float
    for a scalar answer (shape `()`), otherwise a numpy array of `shape`. With `exact`, the
    answer holds whole numbers and a typed answer must equal it (rtol and atol are unused). `solution` holds the
    worked steps as Markdown, one intermediate result per step.

    A generator function returns the problem itself; the registry stamps on who made it
    (`generator`, `topic`, `seed`, `params`), so each generator states its name and topic once.
    """

    prompt: str
    data: dict[str, Any]
    answer: Any
    shape: tuple[int, ...]
    solution: tuple[str, ...]
    rtol: float = 1e-2
    atol: float = 1e-6
    answer_format: str = ""  # what to type, e.g. "a vector of 2 numbers, 2 decimals"
    exact: bool = False  # an integer answer (a shape, a count): checked exactly, no tolerance
    extra: dict[str, Any] = field(default_factory=dict)
    generator: str = ""
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    topic: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "seed": self.seed,
            "params": dict(self.params),
            "topic": self.topic,
            "prompt": self.prompt,
            "data": to_jsonable(self.data),
            "answer": to_jsonable(self.answer),
            "shape": list(self.shape),
            "rtol": self.rtol,
            "atol": self.atol,
            "answer_format": self.answer_format,
            "exact": self.exact,
            "solution": list(self.solution),
        }

    def public_dict(self) -> dict[str, Any]:
        """The problem as `drill --json` prints it (`PUBLIC_KEYS`)."""
        data = self.to_dict()
        return {key: data[key] for key in PUBLIC_KEYS}
