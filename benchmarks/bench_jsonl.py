"""Per-answer latency of `mlprep review --jsonl` on a 1,000-card deck.

    python benchmarks/bench_jsonl.py [--cards 1000] [--computed 100]

A real `mlprep review --jsonl` process on plain pipes, driven like an editor plug-in: write one
request line, wait for the events it causes up to the next `card` (or `done`). The latency of
an answer is that round trip: parse the request, record it (one durable SQLite transaction:
the log row, the card's replay, its steps), then build the next card event (its previews and
counts). Three sessions on the same database:

1. day 1: 1,000 new basic cards, each graded Good (a first answer: one fact to replay);
2. day 2: the same 1,000 cards, now due reviews, graded Good (two facts each);
3. day 3: a deck of `--computed` computed cards (conv_params), each answered correctly by
   the client from the problem's data: the round trip includes checking the typed answer and
   generating the next card's problem.

Prints a Markdown table (median, p95, max, and the whole session's wall time) and the time to
the first card event of each session.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")


def write_basic(path: Path, size: int) -> None:
    lines = ["deck: bench", "tags: [bench]", "cards:"]
    for i in range(size):
        lines += [
            f"  - id: card-{i}",
            f"    q: What is the closed form of ridge regression, variant {i}?",
            "    a: |",
            "      $w^* = (X^TX + \\lambda I)^{-1}X^Ty$, unique for $\\lambda > 0$.",
        ]
    path.write_text("\n".join(lines) + "\n")


def write_computed(path: Path, size: int) -> None:
    lines = ["deck: benchdrill", "cards:"]
    for i in range(size):
        lines += [f"  - {{id: drill-{i}, type: computed, generator: conv_params}}"]
    path.write_text("\n".join(lines) + "\n")


def conv_params_answer(data: dict) -> int:
    kh, kw = data["kernel_size"]
    weights = data["out_channels"] * (data["in_channels"] // data["groups"]) * kh * kw
    return weights + data["out_channels"] * data["bias"]


def session(env: dict[str, str], args: list[str], reply) -> tuple[list[float], float, float, int]:
    """Run one session; return each answer's round trip (s), the time to the first card, the
    whole wall time, and how many answers were recorded."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [MLPREP, "review", "--jsonl", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    trips: list[float] = []
    first = None
    recorded = 0
    sent_at = None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "recorded":
            recorded += 1
        if event["event"] not in ("card", "done"):
            continue
        now = time.perf_counter()
        if first is None:
            first = now - start
        if sent_at is not None:
            trips.append(now - sent_at)
        if event["event"] == "done":
            break
        request = reply(event)
        sent_at = time.perf_counter()
        proc.stdin.write((json.dumps(request) + "\n").encode())
        proc.stdin.flush()
    proc.stdin.close()
    proc.wait()
    return trips, first or 0.0, time.perf_counter() - start, recorded


def row(name: str, trips: list[float], first: float, wall: float, recorded: int) -> str:
    ms = sorted(t * 1000 for t in trips)
    if not ms:
        return f"| {name} | 0 | - | - | - | {first * 1000:.0f} | {wall:.2f} s |"
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (
        f"| {name} | {recorded} | {statistics.median(ms):.2f} | {p95:.2f} | {ms[-1]:.2f} | "
        f"{first * 1000:.0f} | {wall:.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--computed", type=int, default=100)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="mlprep-bench-jsonl-"))
    try:
        basic, computed = root / "basic.yaml", root / "computed.yaml"
        write_basic(basic, args.cards)
        write_computed(computed, args.computed)
        env = {**os.environ, "MLPREP_HOME": str(root / "home")}
        env.pop("MLPREP_CARDS", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        good = {"grade": "good"}
        scope = ["--cards", str(basic), "--cards", str(computed)]
        day1 = {**env, "MLPREP_NOW": "2026-12-01T09:00"}
        day2 = {**env, "MLPREP_NOW": "2026-12-02T09:00"}
        # New cards seen on day 1 count against its new-card limit: drill on another day.
        day3 = {**env, "MLPREP_NOW": "2026-12-03T09:00"}
        n = str(args.cards)
        # Sync once first, so no session below parses YAML.
        subprocess.run([MLPREP, "due", *scope], env=day1, capture_output=True, check=True)
        results = [
            ("new cards (day 1)", session(day1, [*scope, "--deck", "bench", "--new", n], lambda e: good)),
            ("due reviews (day 2)", session(day2, [*scope, "--deck", "bench", "--new", "0"], lambda e: good)),
            (
                "computed, typed answer",
                session(
                    day3,
                    [*scope, "--deck", "benchdrill", "--new", str(args.computed)],
                    lambda e: {"answer": str(conv_params_answer(e["problem"]["data"]))},
                ),
            ),
        ]  # fmt: skip
        conn = sqlite3.connect(root / "home" / "mlprep.db")
        logged = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        conn.close()
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{platform.system()} {platform.release()}"
        )
        print(
            f"deck: {args.cards} basic + {args.computed} computed cards; {logged} answers logged\n"
        )
        print("| session | answers | median ms | p95 ms | max ms | first card ms | session wall |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, result in results:
            print(row(name, *result))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
