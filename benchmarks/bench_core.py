"""Start-up benchmark for mlprep: `mlprep due` and time to the first card of `mlprep review`,
on generated decks of 1k, 10k and 100k cards, with the decks unchanged and after a change.

Run: python benchmarks/bench_core.py [--sizes 1000 10000 100000] [--repeat 5]
Prints a Markdown table; wall times are medians, peak RSS is the child's ru_maxrss.
Ratios compare against a bare `python -c "import sqlite3; ...query..."` measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")
CARDS_PER_FILE = 1000

MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run of `cmd`."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True, check=True
    )
    wall, rss_kib = out.stdout.split()
    return float(wall), int(rss_kib) / 1024


def median_of(cmd, env, repeat) -> tuple[float, float]:
    runs = [measure(cmd, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def write_decks(folder: Path, size: int) -> list[Path]:
    folder.mkdir(parents=True)
    files = []
    for start in range(0, size, CARDS_PER_FILE):
        path = folder / f"deck{start // CARDS_PER_FILE:03d}.yaml"
        lines = [f"deck: bench{start // CARDS_PER_FILE:03d}", "tags: [bench]", "cards:"]
        for i in range(start, min(size, start + CARDS_PER_FILE)):
            lines += [
                f"  - id: card-{i}",
                f"    q: What is the closed form of ridge regression, variant {i}?",
                "    a: |",
                "      $w^* = (X^TX + \\lambda I)^{-1}X^Ty$, unique for $\\lambda > 0$.",
                f"    tags: [t{i % 20}]",
            ]
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def seed_history(db: Path, size: int, today: date) -> None:
    """Give 30% of the cards a history (two Good answers), a third of those due today, so the
    queue is realistic. Facts go into the log; mlprep replays them into its caches on the
    next open (before anything is timed)."""
    conn = sqlite3.connect(db)
    rows = []
    for i in range(0, size, 3):
        if i % 10 >= 3:
            continue
        # SM-2 after Good, Good on consecutive days: due 6 days after the second answer.
        shift = -(i % 5) if i % 9 == 0 else 1 + i % 30
        first = today - timedelta(days=7) + timedelta(days=shift)
        for day in (first, first + timedelta(days=1)):
            rows.append((f"card-{i}", f"{day.isoformat()}T09:00:00+00:00", day.isoformat()))
    conn.executemany(
        """INSERT INTO reviews (card_id, ts, day, grade, quality, kind, source)
           VALUES (?, ?, ?, 3, 4, 'review', 'bench')""",
        rows,
    )
    conn.execute("DELETE FROM caches")
    conn.commit()
    conn.close()


def time_to_first_card(env: dict[str, str], cards: Path, repeat: int) -> float:
    import pexpect

    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        child = pexpect.spawn(MLPREP, ["review", "--cards", str(cards)], env=env, timeout=60)
        child.expect("closed form of ridge regression")
        walls.append(time.perf_counter() - start)
        child.send("q")
        child.expect(pexpect.EOF)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scheduler", choices=["sm2", "fsrs"], default="sm2")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="mlprep-bench-"))
    base_env = {**os.environ, "MLPREP_NOW": "2026-11-24T10:00", "TERM": "xterm"}
    base_env.pop("MLPREP_CARDS", None)
    # Users run from compiled bytecode (pip writes .pyc at install); measure that, not recompiles.
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "src")],
        check=True,
    )
    baseline, _ = median_of(
        [
            sys.executable,
            "-c",
            "import sqlite3; sqlite3.connect(':memory:').execute('select 1').fetchall()",
        ],
        base_env,
        args.repeat,
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; date {date.today().isoformat()}"
    )
    print(
        f"scheduler: {args.scheduler}; baseline: bare python + sqlite3 query {baseline * 1000:.0f} ms\n"
    )
    print(
        "| cards | cold start (all parsed) | one file changed | `due`, unchanged | peak RSS, unchanged | first card, unchanged | first card / baseline |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for size in args.sizes:
            home = root / f"home{size}"
            cards = root / f"cards{size}"
            files = write_decks(cards, size)
            env = {**base_env, "MLPREP_HOME": str(home)}
            home.mkdir(parents=True, exist_ok=True)
            (home / "settings.toml").write_text(f'scheduler = "{args.scheduler}"\n')
            due = [MLPREP, "due", "--cards", str(cards)]
            cold, cold_rss = measure(due, env)
            seed_history(home / "mlprep.db", size, date(2026, 11, 24))
            with files[0].open("a") as f:
                f.write("  - {id: extra-card, q: An extra question?, a: An extra answer.}\n")
            measure(due, env)  # replays the seeded log into the caches once
            with files[0].open("a") as f:
                f.write("  - {id: extra-card-2, q: Another extra question?, a: Another.}\n")
            changed, _ = measure(due, env)
            unchanged, rss = median_of(due, env, args.repeat)
            first = time_to_first_card(env, cards, args.repeat)
            print(
                f"| {size:,} | {cold * 1000:.0f} ms ({cold_rss:.0f} MiB) | {changed * 1000:.0f} ms | "
                f"{unchanged * 1000:.0f} ms | {rss:.0f} MiB | {first * 1000:.0f} ms | {first / baseline:.1f}× |"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
