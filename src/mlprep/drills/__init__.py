"""Computed cards: generators of numeric problems, answer parsing and checking.

Importing this package is cheap; numpy is imported when a problem is generated or checked."""

from .problem import Problem
from .registry import (
    LEVEL,
    Generator,
    ParamsError,
    ParamSpec,
    UnknownGeneratorError,
    all_generators,
    generate,
    generator,
    get_generator,
    validate_params,
)

__all__ = [
    "LEVEL",
    "Generator",
    "ParamSpec",
    "ParamsError",
    "Problem",
    "UnknownGeneratorError",
    "all_generators",
    "generate",
    "generator",
    "get_generator",
    "validate_params",
]
