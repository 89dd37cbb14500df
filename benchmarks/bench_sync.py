"""Sync benchmark: two devices with N answers each (default 50,000): a year of daily reviews
each (due cards under SM-2, then new ones, from one generated deck), so the two logs
interleave in time and share cards, merged through one folder with `mlprep sync`.

Run: python benchmarks/bench_sync.py [--facts 50000] [--repeat 3]
Each step is timed two ways, in wall and CPU time: `sync_folder` in this process (the work
itself, with SM-2 alone) and the whole `mlprep sync DIR` command in a fresh process (start-up,
deck check, backups, and the memory model's FSRS cache replayed beside SM-2's).
Every repeat starts from fresh copies of the two data dirs and an empty folder. Prints a
Markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
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
FIRST_DAY = date(2025, 12, 1)
NOW = "2026-12-01T20:00"


def write_deck(folder: Path, size: int) -> None:
    folder.mkdir(parents=True)
    for start in range(0, size, 1000):
        lines = [f"deck: bench{start // 1000}", "cards:"]
        for i in range(start, min(size, start + 1000)):
            lines += [f"  - id: card-{i}", f"    q: Question {i}?", f"    a: Answer {i}."]
        (folder / f"bench{start // 1000}.yaml").write_text("\n".join(lines) + "\n")


def env_for(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLPREP_HOME": str(home),
        "MLPREP_NOW": NOW,
        "MLPREP_CARDS": os.environ["BENCH_SYNC_DECK"],
    }


def simulated_answers(cards: list[str], facts: int, seed: int) -> list[tuple]:
    """A year of one device's answers, as a user gives them: each study day the cards that
    are due (SM-2, 85% passed), then new cards in deck order, about facts/365 answers a day."""
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.scheduling import SM2

    rng = random.Random(seed)
    memory: dict[str, tuple] = {}  # card -> (memory, due, last day)
    fresh = iter(cards)
    out = []
    day = FIRST_DAY
    while len(out) < facts:
        budget = min(round(facts / 365), facts - len(out))
        due = sorted((m[1], c) for c, m in memory.items() if m[1] <= day)[:budget]
        today = [c for _, c in due]
        today += [c for c in (next(fresh, None) for _ in range(budget - len(today))) if c]
        moment = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)
        for card in today:
            moment += timedelta(seconds=rng.randrange(5, 120))
            grade = rng.choices(list(Grade), weights=(15, 10, 65, 10))[0]
            before = memory.get(card)
            state = SM2.review(
                before[0] if before else SM2.initial(),
                Answer.of(grade),
                day,
                (day - before[2]).days if before else None,
            )
            memory[card] = (state, day + timedelta(days=SM2.interval(state)), day)
            ts = moment.isoformat(timespec="milliseconds")
            out.append((card, ts, day.isoformat(), int(grade), grade.quality))
        day += timedelta(days=1)
    return out


def make_device(home: Path, name: str, facts: int, seed: int) -> None:
    """A data dir whose log holds `facts` answers of its own (device `name`); written in
    bulk, then replayed by the store like any log."""
    env = env_for(home)
    done = subprocess.run([MLPREP, "due"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(home / "mlprep.db")
    cards = [
        r[0]
        for r in conn.execute("SELECT id FROM cards WHERE id LIKE 'card-%' ORDER BY path, line")
    ]
    rows = [
        (*answer, 4000, name, seq)
        for seq, answer in enumerate(simulated_answers(cards, facts, seed), start=1)
    ]
    with conn:
        conn.executemany(
            """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind, source,
                 device, seq) VALUES (?, ?, ?, ?, ?, ?, 'review', 'local', ?, ?)""",
            rows,
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('device_id', ?)", (name,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('device_seq', ?)", (str(facts),))
        conn.execute("DELETE FROM caches")
    conn.close()
    done = subprocess.run([MLPREP, "due"], env=env, capture_output=True, text=True)  # replays
    assert done.returncode == 0, done.stderr


def in_process(home: Path, folder: Path) -> float:
    from mlprep.core.scheduling import SM2
    from mlprep.interop.sync_folder import sync_folder
    from mlprep.storage.store import Store

    with Store(home / "mlprep.db", SM2) as store:
        start, cpu = time.perf_counter(), time.process_time()
        sync_folder(store, folder)
        CPU.append(time.process_time() - cpu)
        return time.perf_counter() - start


CPU: list[float] = []  # the CPU time of each in-process sync, in order


def by_command(home: Path, folder: Path) -> float:
    env = env_for(home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([MLPREP, "sync", str(folder)], env=env, check=True, capture_output=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    COMMAND_CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return took


COMMAND_CPU: list[float] = []  # the CPU time (user + system) of each command, in order


def a_day(home: Path, minute: int, library: bool) -> None:
    """One more study day's session on a device (150 answers through `Store.record`, as a
    review gives them), on the day after the simulated year. With `library`, through the
    library as `mlprep review` opens it (the memory model's cache kept up to date too), for
    the command series; else a store with SM-2 alone, as the in-process series syncs with (a
    store that keeps other caches than the next sync's would leave that sync to drop them)."""
    from mlprep.app.library import open_library
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.scheduling import SM2
    from mlprep.storage.store import Store

    day = FIRST_DAY + timedelta(days=366)
    moment = datetime(day.year, day.month, day.day, 9, minute, tzinfo=timezone.utc)
    saved = {key: os.environ.get(key) for key in ("MLPREP_HOME", "MLPREP_NOW", "MLPREP_CARDS")}
    os.environ.update(env_for(home))
    try:
        with open_library(quiet=True) if library else Store(home / "mlprep.db", SM2) as opened:
            store = opened.store if library else opened
            cards = [c for c, _ in store.due_cards(day)][:150]
            for n, card in enumerate(cards):
                store.record(card, Answer.of(Grade.GOOD), moment + timedelta(seconds=8 * n), day)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# (what is timed, which device syncs, what that device did before it)
STEPS = (
    ("A's first sync: sends its {n} answers", "a", None),
    ("B's first sync: takes in A's {n}, sends its own {n}", "b", None),
    ("A takes in B's {n}", "a", None),
    ("B again, nothing new ({n2} in the log)", "b", None),
    ("A after a day's 150 answers: sends them", "a", 0),
    ("B after its own 150 the same day: takes in A's, sends its", "b", 5),
    ("A takes in B's 150", "a", None),
)


def run(facts: int, repeat: int) -> None:
    load = f"{os.getloadavg()[0]:.2f}"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "runs"
        base.mkdir()
        write_deck(Path(tmp) / "deck", facts // 4)
        os.environ["BENCH_SYNC_DECK"] = str(Path(tmp) / "deck")
        make_device(base / "a0", "laptop-0000aaaa", facts, 1)
        make_device(base / "b0", "desktop-0000bbbb", facts, 2)
        times: dict[tuple[str, str], list[float]] = {}
        for how, measure in (("in-process", in_process), ("command", by_command)):
            for r in range(repeat):
                work = base / f"{how}-{r}"
                shutil.copytree(base / "a0", work / "a")
                shutil.copytree(base / "b0", work / "b")
                (work / "shared").mkdir()
                for label, who, session in STEPS:
                    if session is not None:
                        a_day(work / who, session, library=how == "command")
                    took = measure(work / who, work / "shared")
                    times.setdefault((label, how), []).append(took)
                    if how == "in-process":
                        times.setdefault((label, "cpu"), []).append(CPU[-1])
                    else:
                        times.setdefault((label, "command cpu"), []).append(COMMAND_CPU[-1])
                logs = [
                    sqlite3.connect(work / d / "mlprep.db")
                    .execute("SELECT device, seq, card_id, ts FROM reviews ORDER BY id")
                    .fetchall()
                    for d in ("a", "b")
                ]
                assert logs[0] == logs[1] and len(logs[0]) >= 2 * facts, "devices differ"
        print(f"Two devices, {facts:,} answers each; median of {repeat}.")
        print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, ")
        print(f"{platform.machine()} {platform.system()} {platform.release()}\n")
        print(f"Load average before: {load}; after: {os.getloadavg()[0]:.2f}\n")
        print("| step | in-process | its CPU time | `mlprep sync DIR` | its CPU time |")
        print("|---|---:|---:|---:|---:|")
        for label, _, _ in STEPS:
            cells = [
                f"{statistics.median(times[(label, how)]) * 1000:,.0f} ms"
                for how in ("in-process", "cpu", "command", "command cpu")
            ]
            name = label.format(n=f"{facts:,}", n2=f"{2 * facts:,}")
            print(f"| {name} | {' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.facts, args.repeat)


if __name__ == "__main__":
    main()
