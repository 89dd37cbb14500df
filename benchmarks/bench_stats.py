"""Benchmark `mlprep stats` on a year of study: ~5k cards and 100k logged answers.

    python benchmarks/bench_stats.py [--reviews 100000] [--cards 5000] [--repeat 5]

Builds a temporary MLPREP_HOME: card files in its `cards/` folder (synced like any user deck),
then a review log written straight into SQLite with executemany. The log is realistic: each
card is introduced on some day of the year and then answered on the days SM-2 (the real
`mlprep.core.scheduling.sm2`) makes it due, sometimes late; answers below Good are repeated the same
day (logged, not scheduled); computed cards log drill answers with `correct`. The state table
is then rebuilt from the log with `Store.rebuild_states()`.

Times the `mlprep` console script in fresh processes (wall clock, median of --repeat runs after
one warm-up): `mlprep stats` (rendered to a pipe at 100 columns) and `mlprep stats --json`,
plus `mlprep --version` as the floor (Python start-up and imports), and the report
computation alone in-process. Prints a Markdown table. Target: `mlprep stats` < 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")
TODAY = date(2026, 11, 20)
NOW = "2026-11-20T18:00"
TAGS = [f"topic-{i:02d}" for i in range(24)]
GENERATORS = ["ols", "ridge", "softmax_xent", "poly_kernel", "adam_step", "batchnorm"]
CARDS_PER_FILE = 500


def write_cards(folder: Path, n: int, rng: random.Random) -> list[tuple[str, bool]]:
    """n cards in files of CARDS_PER_FILE, one deck per file; ~6% computed."""
    folder.mkdir(parents=True)
    cards: list[tuple[str, bool]] = []
    for f in range(0, n, CARDS_PER_FILE):
        lines = [f"deck: deck-{f // CARDS_PER_FILE:02d}", "cards:"]
        for i in range(f, min(n, f + CARDS_PER_FILE)):
            cid = f"bench-{i:05d}"
            tags = ", ".join(rng.sample(TAGS, 2))
            computed = rng.random() < 0.06
            lines.append(f"  - id: {cid}")
            if computed:
                lines += ["    type: computed", f"    generator: {rng.choice(GENERATORS)}"]
            lines += [f"    q: Question {i}?", f"    a: Answer {i}.", f"    tags: [{tags}]"]
            cards.append((cid, computed))
        (folder / f"bench-{f // CARDS_PER_FILE:02d}.yaml").write_text("\n".join(lines) + "\n")
    return cards


def simulate_log(cards: list[tuple[str, bool]], target: int, rng: random.Random) -> list[tuple]:
    """SM-2-consistent review rows over the year before TODAY, trimmed to `target` rows."""
    from mlprep.core.scheduling.sm2 import Sm2State, schedule

    start = TODAY - timedelta(days=364)
    histories: list[list[tuple]] = []
    for cid, computed in cards:
        rows: list[tuple] = []
        histories.append(rows)
        skill = rng.uniform(0.65, 0.97)  # how well this card is known
        day = start + timedelta(days=int(rng.triangular(0, 364, 0)))
        state = Sm2State()
        moment = 0
        while day <= TODAY:
            if computed:
                correct = rng.random() < skill
                quality = 4 if correct else 1
            else:
                correct = None
                quality = (
                    rng.choice([3, 4, 4, 5]) if rng.random() < skill else rng.choice([0, 1, 2])
                )
            new, due = schedule(state, quality, day)
            moment += 1
            for repeat in range(3):
                ts = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc) + timedelta(
                    seconds=rng.randint(0, 36_000) + moment
                )
                scheduled = repeat == 0
                rows.append(
                    (
                        cid,
                        ts.isoformat(timespec="milliseconds"),
                        day.isoformat(),
                        quality,
                        int(scheduled),
                        rng.choice([None, *[rng.randint(1_500, 25_000)] * 8, 95_000]),
                        new.repetitions if scheduled else None,
                        new.easiness if scheduled else None,
                        new.interval if scheduled else None,
                        due.isoformat() if scheduled else None,
                        "drill" if computed else "review",
                        rng.randint(0, 2**31 - 1) if computed else None,
                        "1 2" if computed else None,
                        None if correct is None else int(correct),
                    )
                )
                if quality >= 4:
                    break
                quality = rng.choice([1, 3, 4, 4, 5])  # the same-day repeat
                correct = None if not computed else quality >= 4
            state = new
            day = due + timedelta(days=rng.choice([0, 0, 0, 0, 1, 2, 5]))
    # Keep whole card histories (a prefix for the last one) until the target is reached, so
    # the log still spans the whole year.
    rng.shuffle(histories)
    kept: list[tuple] = []
    for rows in histories:
        kept += rows[: target - len(kept)]
        if len(kept) >= target:
            break
    kept.sort(key=lambda r: (r[2], r[1]))
    return kept


def build(home: Path, n_cards: int, n_reviews: int) -> dict[str, float]:
    """Populate `home`; return how long each step took (seconds)."""
    from mlprep.app.config import Paths, card_sources
    from mlprep.decks.loader import deck_files
    from mlprep.storage.store import Store

    rng = random.Random(7)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    cards = write_cards(home / "cards", n_cards, rng)
    store = Store(home / "mlprep.db")
    files, _ = deck_files(card_sources(Paths(home)))
    store.sync(files)
    timings["cards"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = simulate_log(cards, n_reviews, rng)
    with store.transaction() as conn:
        conn.executemany(
            """INSERT INTO reviews (card_id, ts, day, quality, scheduled, response_ms,
                 repetitions, easiness, interval, due, kind, seed, typed, correct)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
    timings["log"] = time.perf_counter() - t
    t = time.perf_counter()
    store.rebuild_states()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["rebuild"] = time.perf_counter() - t
    store.close()
    return timings


def wall(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def in_process(db: Path, repeat: int) -> float:
    from mlprep.storage.reports import compute_report
    from mlprep.storage.store import Store

    with Store(db) as store:
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            compute_report(store.conn, TODAY)
            runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlprep-bench-stats-") as tmp:
        home = Path(tmp)
        steps = build(home, args.cards, args.reviews)
        db = home / "mlprep.db"
        conn = sqlite3.connect(db)
        n_reviews, n_days, n_cards = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT day), (SELECT COUNT(*) FROM cards) FROM reviews"
        ).fetchone()
        conn.close()
        env = {
            **os.environ,
            "MLPREP_HOME": str(home),
            "MLPREP_NOW": NOW,
            "COLUMNS": "100",
            "NO_COLOR": "1",
        }
        env.pop("MLPREP_CARDS", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run from compiled bytecode
        floor = wall([MLPREP, "--version"], env, args.repeat)
        text = wall([MLPREP, "stats"], env, args.repeat)
        as_json = wall([MLPREP, "stats", "--json"], env, args.repeat)
        filtered = wall([MLPREP, "stats", "--tag", "topic-03"], env, args.repeat)
        report = in_process(db, args.repeat)

    print(f"## `mlprep stats` on {n_reviews:,} logged answers\n")
    print(
        f"{n_cards:,} cards (incl. the bundled deck), {n_reviews:,} answers on {n_days} study "
        f"days over a year; Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {platform.machine()}. Wall clock of fresh processes, "
        f"median of {args.repeat} after a warm-up. Setup: cards {steps['cards']:.1f} s, "
        f"log insert {steps['log']:.1f} s, state rebuild {steps['rebuild']:.1f} s.\n"
    )
    target = 0.5
    print("| what | median | target |")
    print("|---|---:|---|")
    print(f"| `mlprep --version` (start-up floor) | {floor * 1000:.0f} ms | |")
    verdict = "ok" if text < target else "**over**"
    print(f"| `mlprep stats` | {text * 1000:.0f} ms | < {target * 1000:.0f} ms: {verdict} |")
    verdict = "ok" if as_json < target else "**over**"
    print(
        f"| `mlprep stats --json` | {as_json * 1000:.0f} ms | < {target * 1000:.0f} ms: {verdict} |"
    )
    print(f"| `mlprep stats --tag topic-03` | {filtered * 1000:.0f} ms | |")
    print(f"| `compute_report` alone (in-process) | {report * 1000:.0f} ms | |")


if __name__ == "__main__":
    main()
