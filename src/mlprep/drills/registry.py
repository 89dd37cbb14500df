"""The generator registry: built-ins register with `@generator`, other packages through the
`mlprep.generators` entry-point group. Nothing here imports numpy; the generator modules do,
and they are imported only on the first lookup."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .problem import Problem

__all__ = [
    "ENTRY_POINT_GROUP",
    "Generator",
    "ParamSpec",
    "ParamsError",
    "UnknownGeneratorError",
    "LEVEL",
    "all_generators",
    "generate",
    "generator",
    "get_generator",
    "validate_params",
]

ENTRY_POINT_GROUP = "mlprep.generators"

# Modules holding the built-in generators, one per topic area.
BUILTIN_MODULES = (
    "mlprep.drills.gen_linear",
    "mlprep.drills.gen_optim",
    "mlprep.drills.gen_metrics",
    "mlprep.drills.gen_nn",
    "mlprep.drills.gen_stats",
    "mlprep.drills.gen_transformer",
    "mlprep.drills.gen_llm",
    "mlprep.drills.gen_cnn",
    "mlprep.drills.gen_applied",
)


class UnknownGeneratorError(KeyError):
    """No generator is registered under this name."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown generator {self.name!r}; known: {', '.join(self.known)}"


class ParamsError(ValueError):
    """A computed card's params do not fit its generator; the message says what was expected."""


@dataclass(frozen=True)
class ParamSpec:
    """One accepted parameter: its type, default and inclusive bounds or allowed choices."""

    type: type
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""

    def check(self, name: str, value: Any) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and self.type is not bool or not isinstance(value, self.type):
            raise ParamsError(
                f"param {name!r} must be {self.type.__name__}, got {type(value).__name__} {value!r}"
            )
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(map(repr, self.choices))
            raise ParamsError(f"param {name!r} must be one of {allowed}, got {value!r}")
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise ParamsError(f"param {name!r} must be in [{self.min}, {self.max}], got {value!r}")
        return value


LEVEL = ParamSpec(int, 1, 1, 3, help="1 = by hand (default); 2-3 = bigger problems")

GeneratorFunc = Callable[..., Problem]


@dataclass(frozen=True)
class Generator:
    """A registered generator: `func(rng, **params) -> Problem` plus its metadata."""

    name: str
    topic: str
    description: str
    func: GeneratorFunc
    params: dict[str, ParamSpec] = field(default_factory=dict)

    def validate_params(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Fill defaults and check every param; raise one ParamsError naming all problems."""
        params = dict(params or {})
        problems = [f"unknown param {k!r}" for k in params if k not in self.params]
        checked: dict[str, Any] = {}
        for key, spec in self.params.items():
            try:
                checked[key] = spec.check(key, params[key]) if key in params else spec.default
            except ParamsError as exc:
                problems.append(str(exc))
        if problems:
            accepted = ", ".join(self.params) or "none"
            raise ParamsError(f"{self.name}: {'; '.join(problems)} (accepted params: {accepted})")
        return checked

    def generate(self, seed: int, params: dict[str, Any] | None = None) -> Problem:
        import numpy as np

        checked = self.validate_params(params)
        problem = self.func(np.random.default_rng(seed), **checked)
        return replace(problem, generator=self.name, topic=self.topic, seed=seed, params=checked)


_registry: dict[str, Generator] = {}
_loaded = False


def generator(
    name: str,
    *,
    topic: str,
    description: str,
    params: dict[str, ParamSpec] | None = None,
) -> Callable[[GeneratorFunc], GeneratorFunc]:
    """Register `func(rng, **params) -> Problem` under `name` (the registry fills in the
    problem's generator, topic, seed and params)."""

    def register(func: GeneratorFunc) -> GeneratorFunc:
        if name in _registry and _registry[name].func is not func:
            raise ValueError(f"generator {name!r} is registered twice")
        _registry[name] = Generator(name, topic, description, func, dict(params or {}))
        return func

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()  # a module registers through @generator when imported
        if isinstance(obj, Generator):
            _registry.setdefault(obj.name, obj)


def all_generators() -> list[Generator]:
    _load()
    return sorted(_registry.values(), key=lambda g: (g.topic, g.name))


def get_generator(name: str) -> Generator:
    _load()
    try:
        return _registry[name]
    except KeyError:
        raise UnknownGeneratorError(name, sorted(_registry)) from None


def validate_params(name: str, params: dict[str, Any] | None) -> dict[str, Any]:
    return get_generator(name).validate_params(params)


def generate(name: str, seed: int, params: dict[str, Any] | None = None) -> Problem:
    return get_generator(name).generate(seed, params)
