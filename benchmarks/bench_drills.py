"""Benchmark the drill engine: generating + checking one problem, per registered generator.

    python benchmarks/bench_drills.py [--runs 200] [--warmup 20] [--level 1]

Prints Markdown (for benchmarks/RESULTS.md): the one-off costs measured in fresh interpreters
(`import mlprep.drills`, `import numpy`, the first registry load) and, for every registered
generator, the median / p95 / max time of `generate(seed)` + `check_answer(expected text)`
over `--runs` seeds after `--warmup` untimed runs. The target is at most 5 ms per problem.
Works with whatever generators are registered: a built-in module that does not import is
reported and skipped.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
TARGET_MS = 5.0
FRESH_RUNS = 5  # fresh interpreters per one-off measurement

try:
    import mlprep.drills  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(SRC))

from mlprep.drills import registry  # noqa: E402
from mlprep.drills.answers import check_answer, format_answer  # noqa: E402


def _fresh(code: str) -> float:
    """Run `code` (which prints one float of seconds) in a new interpreter; return it in ms."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return float(out.stdout.strip().splitlines()[-1]) * 1e3


def _median_fresh(code: str) -> float:
    return statistics.median(_fresh(code) for _ in range(FRESH_RUNS))


ONE_OFF = {
    "`import mlprep.drills` (numpy not imported)": (
        "import sys, time; t = time.perf_counter(); import mlprep.drills; "
        "d = time.perf_counter() - t; assert 'numpy' not in sys.modules; print(d)"
    ),
    "`import numpy`": (
        "import time; t = time.perf_counter(); import numpy; print(time.perf_counter() - t)"
    ),
    "first registry load (imports numpy and the generator modules)": (
        "import time; from mlprep.drills import registry; t = time.perf_counter(); "
        "registry.all_generators(); print(time.perf_counter() - t)"
    ),
    "first registry load, numpy already imported": (
        "import time, numpy; from mlprep.drills import registry; t = time.perf_counter(); "
        "registry.all_generators(); print(time.perf_counter() - t)"
    ),
}


def load_generators() -> tuple[list[registry.Generator], list[str]]:
    """All registered generators, skipping (and naming) built-in modules that fail to import."""
    skipped: list[str] = []
    try:
        return registry.all_generators(), skipped
    except ImportError:
        pass
    for module in registry.BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            skipped.append(f"{module} ({exc})")
    return registry.all_generators(), skipped


def _time_ms(func: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    func()
    return (time.perf_counter_ns() - start) / 1e6


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bench(gen: registry.Generator, runs: int, warmup: int, level: int) -> dict[str, float]:
    params = {"level": level} if "level" in gen.params else {}
    for seed in range(warmup):
        problem = gen.generate(10_000 + seed, params)
        check_answer(problem, format_answer(problem))
    total, gen_only, check_only = [], [], []
    for seed in range(runs):
        start = time.perf_counter_ns()
        problem = gen.generate(seed, params)
        middle = time.perf_counter_ns()
        result = check_answer(problem, format_answer(problem))
        end = time.perf_counter_ns()
        if result.status != "correct":
            raise AssertionError(f"{gen.name} seed {seed}: expected text graded {result}")
        total.append((end - start) / 1e6)
        gen_only.append((middle - start) / 1e6)
        check_only.append((end - middle) / 1e6)
    return {
        "median": statistics.median(total),
        "p95": _p95(total),
        "max": max(total),
        "generate": statistics.median(gen_only),
        "check": statistics.median(check_only),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed seeds per generator")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs first")
    parser.add_argument("--level", type=int, default=1, help="level param (1-3)")
    args = parser.parse_args(argv)

    import numpy as np

    print("# Drill engine benchmark\n")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()} {platform.system()}; level {args.level}, "
        f"{args.runs} seeds per generator after {args.warmup} warm-up runs.\n"
    )
    print("## One-off costs (median of 5 fresh interpreters)\n")
    print("| what | ms |\n|---|---:|")
    for label, code in ONE_OFF.items():
        print(f"| {label} | {_median_fresh(code):.1f} |")

    gens, skipped = load_generators()
    print(f"\n## Generate + check one problem ({len(gens)} generators)\n")
    print(
        "| generator | topic | median ms | p95 ms | max ms | generate ms | check ms | ≤ 5 ms |\n"
        "|---|---|---:|---:|---:|---:|---:|:-:|"
    )
    worst = 0.0
    for gen in gens:
        stats = bench(gen, args.runs, args.warmup, args.level)
        worst = max(worst, stats["p95"])
        ok = "yes" if stats["p95"] <= TARGET_MS else "**no**"
        print(
            f"| `{gen.name}` | {gen.topic} | {stats['median']:.3f} | {stats['p95']:.3f} | "
            f"{stats['max']:.3f} | {stats['generate']:.3f} | {stats['check']:.3f} | {ok} |"
        )
    print(f"\nWorst p95: {worst:.3f} ms (target ≤ {TARGET_MS:g} ms).")
    for module in skipped:
        print(f"\nSkipped (did not import): {module}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
