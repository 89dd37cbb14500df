"""A history made only through the CLI, one day at a time with MLPREP_NOW, then read back by
`mlprep stats --json`. Expected numbers come from the plan below, not from the code."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
from typer.testing import CliRunner

from mlprep.cli import app

runner = CliRunner()

START = date(2026, 3, 1)
# (day offset, answered correctly?) for `mlprep drill --generator ols ... --record`; day 2 skipped.
PLAN = [(0, True), (1, False), (1, True), (3, True), (4, False)]


def ols_answer(seed: int) -> str:
    problem = json.loads(
        runner.invoke(app, ["drill", "-g", "ols", "--seed", str(seed), "--json"]).output
    )
    X, y = np.array(problem["data"]["X"], float), np.array(problem["data"]["y"], float)
    return " ".join(f"{w:.4f}" for w in np.linalg.lstsq(X, y, rcond=None)[0])


def test_stats_after_a_time_travelled_cli_history(monkeypatch):
    for seed, (offset, correct) in enumerate(PLAN):
        monkeypatch.setenv("MLPREP_NOW", f"{START + timedelta(days=offset)}T10:00")
        answer = ols_answer(seed) if correct else "0 0"
        args = ["drill", "-g", "ols", "--seed", str(seed), "--answer", answer, "--record"]
        assert runner.invoke(app, args).exit_code == (0 if correct else 1)
    today = START + timedelta(days=4)
    monkeypatch.setenv("MLPREP_NOW", f"{today}T12:00")
    report = json.loads(runner.invoke(app, ["stats", "--json"]).output)

    days = sorted({offset for offset, _ in PLAN})
    assert report["total_reviews"] == len(PLAN)
    assert report["days_studied"] == len(days)
    counts = {d["day"]: d["count"] for d in report["heatmap"]["days"] if d["count"]}
    assert counts == {str(START + timedelta(days=o)): sum(p[0] == o for p in PLAN) for o in days}
    assert report["streaks"]["current"] == 2  # days 3 and 4
    assert report["streaks"]["longest"] == 2  # days 0-1, and again 3-4
    (ols,) = report["drills"]
    assert (ols["attempts"], ols["correct"]) == (len(PLAN), sum(c for _, c in PLAN))
