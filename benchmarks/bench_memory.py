"""The memory model on a real Anki user's log (shared/data/anki-review-log-train.csv): how
well SM-2's implied recall (R = 0.9^(t/I)), FSRS-6 with default parameters and FSRS-6 fitted
by `mlprep optimize` predict the later half of the long-term reviews, and how long fitting takes.

Run: python benchmarks/bench_memory.py [--data PATH] [--rollover-hours 11]
Prints a Markdown table (log loss and RMSE(bins): lower is better; AUC: higher is better).
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from mlprep.core import memory
from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import Fact
from mlprep.core.scheduling.fsrs import FsrsScheduler

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anki-review-log-train.csv"


def load(path: Path, rollover: timedelta) -> dict[str, list[Fact]]:
    facts: dict[str, list[Fact]] = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            day = (datetime.fromisoformat(row["review_time"]) - rollover).date()
            grade = Grade(int(row["review_rating"]))
            facts.setdefault(row["card_id"], []).append(Fact(day, Answer.of(grade)))
    return facts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rollover-hours", type=float, default=11.0)
    args = parser.parse_args()
    facts = load(args.data, timedelta(hours=args.rollover_hours))
    started = time.perf_counter()
    report = memory.fit(facts)
    fit_seconds = time.perf_counter() - started
    later = [p for p in memory.sm2_predictions(facts) if p.day >= report.split_day]
    pairs = [(p.predicted, p.recalled) for p in later]
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}; "
        f"date {date.today().isoformat()}"
    )
    print(
        f"{sum(len(v) for v in facts.values())} reviews of {len(facts)} cards; "
        f"{report.reviews} long-term reviews; evaluated on the {report.fitted.reviews} on or after "
        f"{report.split_day.isoformat()} (fitted on the ones before)\n"
    )
    print("| model | log loss | RMSE(bins) | AUC |")
    print("|---|---:|---:|---:|")
    print(
        f"| SM-2, implied R = 0.9^(t/I) | {memory.log_loss(pairs):.4f} | — | {memory.auc(pairs):.3f} |"
    )
    for name, m in (
        ("FSRS-6, default parameters", report.default),
        ("FSRS-6, fitted", report.fitted),
    ):
        print(f"| {name} | {m.log_loss:.4f} | {m.rmse_bins:.4f} | {m.auc:.3f} |")
    # The default parameters' log loss from mlprep's own predictions (the same states as fsrs-rs).
    own = [p for p in memory.predictions(facts, FsrsScheduler()) if p.day >= report.split_day]
    own_loss = memory.log_loss([(p.predicted, p.recalled) for p in own])
    print(f"\nfit (two fits: earlier half, then all): {fit_seconds * 1000:.0f} ms")
    print(f"default log loss from mlprep's own predictions: {own_loss:.4f}")


if __name__ == "__main__":
    main()
