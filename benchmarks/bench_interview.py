"""Interview mode against the best fixed schedule, on a simulated learner.

The learner's memory follows FSRS-6 with parameters that are not the defaults (fitted to a real
Anki user's log, shared/data; mlprep is not told them), and every card has its own difficulty
(a spread around the learner's). Day by day (MLPREP_NOW), the learner studies through
`mlprep review --jsonl` within a daily time budget: it recalls a card with its true probability,
answers Good (sometimes Easy or Hard) when it does and Again when it does not, takes a fixed
number of seconds per answer (logged through `seconds`) and quits when the day's minutes are
spent. On the interview day we measure the learner's true recall: the mean over all cards of the
true FSRS recall probability (0 for a card never seen).

Compared: interview mode, and fixed schedules (SM-2, and FSRS at retention 0.9) with the best
new-cards-per-day for the scenario. Also: `mlprep interview --json`'s expected_recall the
evening before, against the truth.

Run: python benchmarks/bench_interview.py [--scenario CARDS DAYS MINUTES]... [--seed S]
Prints a Markdown table per scenario. Several minutes for the default scenarios.

Speed: python benchmarks/bench_interview.py --speed [--repeat N] [--speed-cards 10000]
[--speed-answers 100000] builds a library of that many cards with that many logged answers on
half of them (a year of SM-2 study, SM-2 active, the memory model's FSRS states cached beside
it), sets a 14-day interview at 30 minutes a day, and times fresh processes of `mlprep
interview --json`, `mlprep interview` and the first card of `mlprep review` (in a real pty,
and through `--jsonl`), against `python -c "import sqlite3"` and `mlprep due` in the same run:
medians of wall time and of the child's CPU time (user + sys), with the load average.
"""

from __future__ import annotations

import argparse
import csv
import json
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
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import fsrs_rs_python as fsrs

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anki-review-log-train.csv"
START = date(2026, 12, 1)
SECONDS = {"new": 20.0, "review": 8.0}  # the learner's pace: a new card's answer, a review's
DEFAULT_SCENARIOS = [(500, 14, 20), (300, 7, 15), (1000, 21, 30)]


def true_parameters() -> list[float]:
    """The learner's FSRS-6 parameters: fitted to the real log (not mlprep's defaults)."""
    if DATA.exists():
        from mlprep.core.grades import Answer, Grade
        from mlprep.core.memory import dated_items, to_fsrs_items
        from mlprep.core.scheduling import Fact

        facts: dict[str, list[Fact]] = {}
        with DATA.open() as f:
            for row in csv.DictReader(f):
                day = (datetime.fromisoformat(row["review_time"]) - timedelta(hours=11)).date()
                grade = Grade(int(row["review_rating"]))
                facts.setdefault(row["card_id"], []).append(Fact(day, Answer.of(grade)))
        items = to_fsrs_items(item for _, item in dated_items(facts))
        return list(fsrs.FSRS(fsrs.DEFAULT_PARAMETERS).compute_parameters(items))
    # Without the data: a learner who forgets faster than the defaults assume.
    params = list(fsrs.DEFAULT_PARAMETERS)
    params[0:4] = [p * 0.6 for p in params[0:4]]
    return params


@dataclass
class TrueCard:
    stability: float | None = None
    difficulty: float | None = None
    last: date | None = None
    offset: float = 0.0  # the card's own difficulty, added after every review


class Learner:
    def __init__(self, n: int, params: list[float], rng: random.Random):
        self.params = params
        self.model = fsrs.FSRS(params)
        self.rng = rng
        self.cards = {f"sim-{i:04d}": TrueCard(offset=rng.gauss(0.0, 1.5)) for i in range(n)}

    def recall(self, card: TrueCard, day: date) -> float:
        if card.stability is None or card.last is None:
            return 0.0
        decay = self.params[20]
        factor = 0.9 ** (-1 / decay) - 1
        return (1 + factor * (day - card.last).days / card.stability) ** -decay

    def answer(self, card_id: str, day: date) -> str:
        card = self.cards[card_id]
        p = self.recall(card, day) if card.stability is not None else 0.0
        if card.stability is None:  # a first look: recalled or not by the card's difficulty
            p = 0.6 - 0.1 * card.offset
        recalled = self.rng.random() < p
        grade = "again"
        if recalled:
            grade = self.rng.choices(["hard", "good", "easy"], [0.15, 0.75, 0.10])[0]
        elapsed = 0 if card.last is None else (day - card.last).days
        current = (
            None if card.stability is None else fsrs.MemoryState(card.stability, card.difficulty)
        )
        states = self.model.next_states(current, 0.9, elapsed)
        nxt = getattr(states, grade).memory
        card.stability = nxt.stability
        card.difficulty = min(10.0, max(1.0, nxt.difficulty + 0.1 * card.offset))
        card.last = day
        return grade

    def true_recall(self, day: date) -> float:
        return sum(self.recall(c, day) for c in self.cards.values()) / len(self.cards)


def write_deck(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    lines = ["deck: sim", "cards:"]
    for i in range(n):
        lines += [f"  - id: sim-{i:04d}", f"    q: Simulated question {i}?", f"    a: Answer {i}."]
    (folder / "sim.yaml").write_text("\n".join(lines) + "\n")


def study_day(
    env: dict[str, str], args: list[str], learner: Learner, day: date, budget: float
) -> int:
    """One day's session through `review --jsonl`: answer until done or the budget is spent."""
    proc = subprocess.Popen(
        [MLPREP, "review", "--jsonl", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None and proc.stdout is not None
    spent, answered = 0.0, 0
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "done":
            break
        if event["event"] != "card":
            continue
        seconds = SECONDS["new"] if event["kind"] == "new" else SECONDS["review"]
        if spent + seconds > budget:
            proc.stdin.write(json.dumps({"quit": True}) + "\n")
            continue
        spent += seconds
        answered += 1
        grade = learner.answer(event["card"], day)
        proc.stdin.write(json.dumps({"grade": grade, "seconds": seconds}) + "\n")
    proc.stdin.close()
    proc.wait()
    return answered


def run(
    n: int, days: int, minutes: int, mode: str, new_per_day: int, params: list[float], seed: int
) -> tuple[float, float | None]:
    """True recall on the interview day, and interview mode's expected_recall the day before."""
    root = Path(tempfile.mkdtemp(prefix="mlprep-interview-"))
    try:
        cards = root / "cards"
        write_deck(cards, n)
        home = root / "home"
        home.mkdir()
        scheduler = "fsrs" if mode in ("fsrs", "interview") else "sm2"
        (home / "settings.toml").write_text(
            f'scheduler = "{scheduler}"\nnew_per_day = {new_per_day}\nday_starts_at = 4\n'
        )
        env = {**os.environ, "MLPREP_HOME": str(home), "MLPREP_CARDS": str(cards)}
        interview = START + timedelta(days=days)
        if mode == "interview":
            env["MLPREP_NOW"] = f"{START.isoformat()}T09:00"
            subprocess.run(
                [
                    MLPREP,
                    "interview",
                    interview.isoformat(),
                    "--minutes",
                    str(minutes),
                    "--deck",
                    "sim",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        learner = Learner(n, params, random.Random(seed))
        predicted = None
        for offset in range(days):
            day = START + timedelta(days=offset)
            env["MLPREP_NOW"] = f"{day.isoformat()}T09:00"
            study_day(env, ["--deck", "sim"], learner, day, minutes * 60.0)
            if mode == "interview" and offset == days - 1:
                env["MLPREP_NOW"] = f"{day.isoformat()}T22:00"
                out = subprocess.run(
                    [MLPREP, "interview", "--json"],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                predicted = json.loads(out.stdout)["expected_recall"]
        return learner.true_recall(interview), predicted
    finally:
        shutil.rmtree(root, ignore_errors=True)


SPEED_NOW = date(2026, 12, 1)
SPEED_DAYS = 14


def speed_library(home: Path, n_cards: int, n_answers: int, seed: int = 7) -> dict[str, str]:
    """A data dir with `n_cards` cards (files of 1,000, two tags each) and `n_answers` answers
    on half of them: a year of SM-2 study ending a day or two before SPEED_NOW (due cards
    first, then new ones, then the cards due soonest; ~n_answers/365 answers a day, Again
    repeated the same day), written to the log in bulk and replayed by mlprep itself (SM-2
    active, FSRS as the memory model), and a SPEED_DAYS interview. Returns the environment."""
    from mlprep.core.grades import Answer, Grade
    from mlprep.core.scheduling import SM2

    cards = home / "cards"
    cards.mkdir(parents=True)
    ids = [f"speed-{i:05d}" for i in range(n_cards)]
    for start in range(0, n_cards, 1000):
        lines = [f"deck: speed{start // 1000:02d}", "cards:"]
        for i in range(start, min(n_cards, start + 1000)):
            lines += [
                f"  - id: {ids[i]}",
                f"    q: Timed question {i}?",
                f"    a: Answer {i}.",
                f"    tags: [topic{i % 12:02d}, t{i % 7}]",
            ]
        (cards / f"speed{start // 1000:02d}.yaml").write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "MLPREP_HOME": str(home),
        "MLPREP_CARDS": str(cards),
        "MLPREP_NOW": f"{SPEED_NOW.isoformat()}T09:00",
    }
    # As installed: the modules' bytecode is cached (the first, untimed runs write it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([MLPREP, "due"], env=env, check=True, capture_output=True)
    rng = random.Random(seed)
    fresh = iter(ids[: n_cards // 2])
    memory: dict[str, tuple] = {}  # card -> (SM-2 memory, due, last day)
    rows: list[tuple] = []
    day = SPEED_NOW - timedelta(days=365)
    per_day = max(1, round(n_answers / 418))  # cards a day; with the repeats, n_answers a year
    while len(rows) < n_answers and day < SPEED_NOW:
        due = sorted((m[1], c) for c, m in memory.items() if m[1] <= day)[:per_day]
        todays = [c for _, c in due]
        todays += [c for c in (next(fresh, None) for _ in range(per_day - len(todays))) if c]
        if len(todays) < per_day:  # every card introduced: the keen learner reviews ahead
            ahead = sorted((m[1], c) for c, m in memory.items() if m[1] > day)
            todays += [c for _, c in ahead[: per_day - len(todays)]]
        moment = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)
        for card in todays:
            grade = rng.choices(list(Grade), weights=(15, 10, 65, 10))[0]
            before = memory.get(card)
            state = SM2.review(
                before[0] if before else SM2.initial(),
                Answer.of(grade),
                day,
                (day - before[2]).days if before else None,
            )
            memory[card] = (state, day + timedelta(days=SM2.interval(state)), day)
            for answer in (grade, Grade.GOOD) if grade == Grade.AGAIN else (grade,):
                moment += timedelta(seconds=rng.randrange(5, 60))
                ms = rng.randrange(2_000, 25_000)
                ts = moment.isoformat(timespec="milliseconds")
                rows.append((card, ts, day.isoformat(), int(answer), answer.quality, ms))
        day += timedelta(days=1)
    conn = sqlite3.connect(home / "mlprep.db")
    with conn:
        conn.executemany(
            """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind, source)
               VALUES (?, ?, ?, ?, ?, ?, 'review', 'local')""",
            rows[:n_answers],
        )
        conn.execute("DELETE FROM caches")
    conn.close()
    subprocess.run([MLPREP, "due"], env=env, check=True, capture_output=True)  # replays
    interview = SPEED_NOW + timedelta(days=SPEED_DAYS)
    subprocess.run(
        [MLPREP, "interview", interview.isoformat()], env=env, check=True, capture_output=True
    )
    return env


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the child) of one fresh process."""
    cpu = _child_cpu()
    start = time.perf_counter()
    subprocess.run(cmd, env=env, input=stdin, text=True, capture_output=True, check=True)
    return time.perf_counter() - start, _child_cpu() - cpu


def first_card_pty(env: dict[str, str]) -> tuple[float, float]:
    """From spawning `mlprep review` in a pty until the first card is on screen (wall), and
    the CPU time of the whole process (it quits at once)."""
    import pexpect

    cpu = _child_cpu()
    start = time.perf_counter()
    child = pexpect.spawn(MLPREP, ["review"], env=env, timeout=60)
    child.expect("show answer")  # the key line under the first card, whichever card it is
    wall = time.perf_counter() - start
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return wall, _child_cpu() - cpu


def speed(n_cards: int, n_answers: int, repeat: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mlprep-interview-speed-"))
    try:
        t = time.perf_counter()
        env = speed_library(root / "home", n_cards, n_answers)
        built = time.perf_counter() - t
        conn = sqlite3.connect(root / "home" / "mlprep.db")
        logged, answered = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT card_id) FROM reviews"
        ).fetchone()
        conn.close()
        quit_at_once = json.dumps({"quit": True}) + "\n"
        runs = {
            'python -c "import sqlite3"': lambda: timed(
                [sys.executable, "-c", "import sqlite3"], env
            ),
            "mlprep due": lambda: timed([MLPREP, "due"], env),
            "mlprep interview --json": lambda: timed([MLPREP, "interview", "--json"], env),
            "mlprep interview": lambda: timed([MLPREP, "interview"], env),
            "review: first card (pty)": lambda: first_card_pty(env),
            "review --jsonl: first card, quit": lambda: timed(
                [MLPREP, "review", "--jsonl"], env, quit_at_once
            ),
        }
        load_before = os.getloadavg()
        for run_once in runs.values():  # warm the page cache once
            run_once()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(repeat):  # interleaved, so that a burst of load hits every row alike
            for name, run_once in runs.items():
                samples[name].append(run_once())
        load_after = os.getloadavg()
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {datetime.now():%Y-%m-%d %H:%M}; {n_cards} cards, "
            f"{logged} answers on {answered} cards (built in {built:.0f} s); interview in "
            f"{SPEED_DAYS} days, 30 min a day; median of {repeat} fresh processes each; load "
            f"average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}, after "
            f"{', '.join(f'{x:.2f}' for x in load_after)}\n"
        )
        base_wall = statistics.median(w for w, _ in samples["mlprep due"])
        base_cpu = statistics.median(c for _, c in samples["mlprep due"])
        print("| command | wall ms | CPU ms (user+sys) | wall / `due` | CPU / `due` |")
        print("|---|---:|---:|---:|---:|")
        for name, values in samples.items():
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            print(
                f"| {name} | {wall * 1000:.0f} | {cpu * 1000:.0f} | "
                f"{wall / base_wall:.2f} | {cpu / base_cpu:.2f} |"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--scenario", type=int, nargs=3, action="append", metavar=("CARDS", "DAYS", "MINUTES")
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--new", type=int, nargs="+", default=[10, 20, 30, 45, 60])
    parser.add_argument("--speed", action="store_true", help="time the commands instead")
    parser.add_argument("--speed-cards", type=int, default=10_000)
    parser.add_argument("--speed-answers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if args.speed:
        speed(args.speed_cards, args.speed_answers, args.repeat)
        return
    scenarios = args.scenario or DEFAULT_SCENARIOS
    params = true_parameters()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date {date.today().isoformat()}; learner: FSRS-6 fitted to shared/data (not the defaults), "
        f"per-card difficulty spread σ = 1.5; {SECONDS['new']:.0f} s a new card, {SECONDS['review']:.0f} s a review\n"
    )
    for n, days, minutes in scenarios:
        print(f"### {n} cards, {days} days, {minutes} min a day\n")
        print("| schedule | new cards a day | true recall on the day |")
        print("|---|---:|---:|")
        best = {}
        for mode in ("sm2", "fsrs"):
            for new in args.new:
                truth, _ = run(n, days, minutes, mode, new, params, args.seed)
                print(f"| {mode.upper()} (retention 0.9) | {new} | {truth:.1%} |", flush=True)
                best[mode] = max(best.get(mode, (0.0, 0)), (truth, new))
        truth, predicted = run(n, days, minutes, "interview", 0, params, args.seed)
        print(f"| interview mode | (planned) | {truth:.1%} |")
        fixed, fixed_new = max(best.values())
        print(
            f"\nBest fixed schedule: {fixed:.1%} ({fixed_new} new a day). Interview mode: "
            f"{truth:.1%}, {100 * (truth - fixed):+.1f} points. `interview --json` expected "
            f"{predicted:.1%} the evening before; truth {truth:.1%} ({100 * (predicted - truth):+.1f} points).\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
