"""The generator registry: built-ins, the entry-point group for other packages, and errors."""

from __future__ import annotations

import sys
import types

import pytest

from mlprep.drills import (
    Problem,
    UnknownGeneratorError,
    all_generators,
    generate,
    generator,
    get_generator,
    registry,
)


class FakeEntryPoint:
    def __init__(self, name: str, module: str):
        self.name = name
        self.module = module

    def load(self):
        import importlib

        return importlib.import_module(self.module)


@pytest.fixture
def plugin(monkeypatch):
    """A third-party module registering a generator, found through `mlprep.generators`."""
    module = types.ModuleType("mlprep_test_plugin")
    source = """
from mlprep.drills import generator, Problem

@generator("double_it", topic="plugins", description="twice a number")
def double_it(rng, *, level=1):
    x = int(rng.integers(1, 10))
    return Problem("Double $x$.", {"x": x}, 2.0 * x, (), ("2x",), atol=0.5)
"""
    monkeypatch.setitem(sys.modules, "mlprep_test_plugin", module)
    all_generators()  # the built-ins register once, on import; keep them in the copy below
    seen_groups = []

    def entry_points(group):
        seen_groups.append(group)
        if "double_it" not in registry._registry:
            exec(compile(source, "mlprep_test_plugin", "exec"), module.__dict__)
        return [FakeEntryPoint("double", "mlprep_test_plugin")]

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    yield seen_groups


def test_plugins_register_through_the_entry_point_group(plugin):
    gen = get_generator("double_it")
    assert plugin == ["mlprep.generators"]
    assert gen.topic == "plugins"
    problem = generate("double_it", 3)
    assert problem.answer == 2 * problem.data["x"]
    assert "double_it" in {g.name for g in all_generators()}


def test_unknown_generator_names_the_known_ones():
    with pytest.raises(UnknownGeneratorError) as err:
        get_generator("no_such_generator")
    assert "unknown generator 'no_such_generator'" in str(err.value)
    assert "ridge" in str(err.value)


def test_a_name_cannot_be_registered_twice():
    def other(rng, *, seed):  # pragma: no cover - never called
        raise AssertionError

    get_generator("ridge")
    with pytest.raises(ValueError, match="registered twice"):
        generator("ridge", topic="ridge", description="dup")(other)


def test_importing_the_package_does_not_import_numpy():
    import subprocess

    code = "import sys, mlprep.drills, mlprep.drills.answers; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_problem_round_trips_to_json():
    import json

    problem = generate("ridge", 5)
    data = json.loads(json.dumps(problem.to_dict()))
    assert data["generator"] == "ridge" and data["seed"] == 5
    assert isinstance(problem, Problem)


def test_readme_documents_every_generator_and_its_data_keys():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = {
        m.group(1): re.findall(r"`(\w+)`", m.group(2))
        for m in re.finditer(r"^\| `(\w+)` \| [\w-]+ \| ([^|]+) \|", readme, flags=re.M)
    }
    for gen in all_generators():
        assert documented.get(gen.name) == list(generate(gen.name, 0).data), gen.name
    # One table: Markdown ends a table at a blank line, and the rows after it show as text.
    table = re.search(r"^\| generator \| topic \|.*\n\|---.*\n((?:\|.*\n)+)", readme, flags=re.M)
    assert table is not None
    rows = re.findall(r"^\| `(\w+)` \|", table.group(1), flags=re.M)
    assert sorted(rows) == sorted(gen.name for gen in all_generators())
