"""Replay of the three-week trial: a new user studies every day in a real terminal at 80
columns, with the clock moved by MLPREP_NOW, and the script checks what the trial tripped on.

    python benchmarks/scenario_daily.py [--days 15] [--seed 1] [--home DIR]

Each study day (one is skipped, as in the trial) it runs `mlprep review` in a pseudo-terminal
(pexpect) and answers every card with a realistic mix of keys (about 12% Again, 10% Hard, 68%
Good, 10% Easy; relearning cards Good), answers computed cards about 75% right (the expected
answer comes from `mlprep drill --card ID --seed N --json`), and now and then presses u, s, f,
/ or resizes the terminal. Then it runs `mlprep due --json`, `mlprep stats --json` and
`mlprep stats` and checks:

- every line any screen printed is at most 80 columns wide; the grade bar is one line;
- no traceback;
- "due tomorrow" is the same number in the session summary, `due` and `stats`;
- the day each deck file got its first new card (every topic should start as early as the
  daily limit allows: day ceil(F / N));
- the summary's answering time equals the stats' time answering today.

Prints one line per day and a summary; exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pexpect
from rich.cells import cell_len

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
START = date(2026, 12, 1)
SKIP = date(2026, 12, 10)
WIDTH = 80

QUESTION = "show answer · u undo"
REVEALED = "⏎ Good · u undo"
DRILL_PROMPT = "answer> "
AFTER_DRILL = "⏎/space next · u undo · q quit"
DONE = "Session done:"


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


class Day:
    def __init__(self, day: date):
        self.day = day
        self.keys: dict[str, int] = {}
        self.problems: list[str] = []
        self.summary = ""
        self.too_wide: list[str] = []
        self.bar_lines: list[int] = []

    def count(self, key: str) -> None:
        self.keys[key] = self.keys.get(key, 0) + 1


def env_for(home: Path, day: date, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "MLPREP_HOME": str(home),
        "MLPREP_NOW": f"{day.isoformat()}T09:00",
        "TERM": "xterm",
        "COLUMNS": str(WIDTH),
        **(extra or {}),
    }


def check_width(text: str, where: str, report: Day) -> None:
    for line in plain(text).split("\n"):
        if cell_len(line) > WIDTH:
            report.too_wide.append(f"{where}: {line[:60]}... ({cell_len(line)} columns)")


def expected_answer(home: Path, day: date, card: str, seed: str) -> str:
    out = subprocess.run(
        [MLPREP, "drill", "--card", card, "--seed", seed, "--json"],
        env=env_for(home, day),
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(out.stdout)["answer"]

    def num(x: float) -> str:
        return f"{float(x):.6g}"

    if isinstance(answer, list) and answer and isinstance(answer[0], list):
        return "; ".join(" ".join(num(x) for x in row) for row in answer)
    if isinstance(answer, list):
        return " ".join(num(x) for x in answer)
    return num(answer)


def grade_key(rng: random.Random) -> str:
    return rng.choices(["1", "2", "3", "4"], weights=[12, 10, 68, 10])[0]


def review_day(home: Path, day: date, rng: random.Random, report: Day) -> None:
    child = pexpect.spawn(
        MLPREP,
        ["review"],
        env=env_for(home, day),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, WIDTH),
    )
    seen_relearn = set()
    suspended = flagged = searched = resized = False
    while True:
        index = child.expect(
            [QUESTION, REVEALED, DRILL_PROMPT, AFTER_DRILL, DONE, "Nothing is due", pexpect.EOF]
        )
        screen = child.before + (child.after if isinstance(child.after, str) else "")
        check_width(screen, f"{day} review", report)
        if "Traceback" in screen:
            report.problems.append("traceback in review")
        if index == 0:  # a question
            text = plain(screen)
            card = re.findall(r"Question · ([a-z0-9-]+)", text)
            relearn = bool(card) and card[-1] in seen_relearn
            roll = rng.random()
            if not suspended and roll < 0.03 and day.day % 4 == 3:
                suspended = True
                report.count("s")
                child.send("s")
            elif not flagged and roll < 0.06 and day.day % 5 == 2:
                flagged = True
                report.count("f")
                child.send("f")
            elif not searched and day.day == 4:
                searched = True
                report.count("/")
                child.send("/")
                child.expect("search: ")
                child.sendline("bias correction")
                child.expect("any key: back to the card")
                check_width(child.before, f"{day} search", report)
                child.send("x")
            else:
                child.send(" ")
            if card and relearn:
                report.count("relearn")
        elif index == 1:  # the answer is shown
            text = plain(screen)
            bar = [line for line in text.split("\n") if line.startswith(" [1] ")]
            if bar:
                report.bar_lines.append(len(bar[-1:]))
                if "[4]" not in bar[-1]:
                    report.problems.append(f"grade bar on two lines: {bar[-1]!r}")
            card = re.findall(r"Question · ([a-z0-9-]+)", text)
            if not resized and day.day == 6:
                resized = True
                child.setwinsize(40, 60)
                child.expect(REVEALED)
                child.setwinsize(40, WIDTH)
                child.expect(REVEALED)
                report.count("resize")
            key = "3" if "Same-day repeat" in text else grade_key(rng)
            if key in ("1", "2") and card:
                seen_relearn.add(card[-1])
            if rng.random() < 0.02:
                child.send(key)
                child.expect([QUESTION, DRILL_PROMPT, DONE])
                child.send("u")
                report.count("u")
                continue
            report.count(key)
            child.send(key)
        elif index == 2:  # a drill prompt
            text = plain(screen)
            card = re.findall(r"Problem · ([a-z0-9-]+)", text)
            seed = re.findall(r"seed (\d+)", text)
            if card and seed and rng.random() < 0.75:
                child.sendline(expected_answer(home, day, card[-1], seed[-1]))
                report.count("drill-right")
            else:
                child.sendline("0")
                child.expect([DRILL_PROMPT, AFTER_DRILL])
                if child.after == DRILL_PROMPT:
                    child.sendline("?")
                report.count("drill-miss")
        elif index == 3:  # after a drill's solution
            child.send("\r")
        elif index == 4:
            child.expect(pexpect.EOF)
            report.summary = " ".join(plain(DONE + child.before).split())
            break
        else:
            report.summary = plain(child.before + str(child.after)).strip()[-120:]
            break
    child.close()


def run(args: argparse.Namespace) -> int:
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="mlprep-scenario-"))
    if home.exists() and args.fresh:
        shutil.rmtree(home)
    rng = random.Random(args.seed)
    failed = False
    first_new: dict[str, date] = {}
    decks: set[str] = set()
    print(f"home: {home}")
    print("day         answers  new  again hard good easy  due-tmrw(summary/due/stats)  checks")
    for offset in range(args.days + 1):
        day = START + timedelta(days=offset)
        if day == SKIP:
            continue
        if offset >= args.days:
            break
        report = Day(day)
        review_day(home, day, rng, report)
        due = json.loads(
            subprocess.run(
                [MLPREP, "due", "--json"],
                env=env_for(home, day),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        stats = json.loads(
            subprocess.run(
                [MLPREP, "stats", "--json"],
                env=env_for(home, day),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        text = subprocess.run(
            [MLPREP, "stats"], env=env_for(home, day), capture_output=True, text=True, check=True
        ).stdout
        check_width(text, f"{day} stats", report)
        listing = subprocess.run(
            [MLPREP, "list"], env=env_for(home, day), capture_output=True, text=True, check=True
        ).stdout
        check_width(listing, f"{day} list", report)
        summary_tomorrow = re.search(r"Tomorrow: (\d+) cards? due", report.summary)
        tomorrow = (
            int(summary_tomorrow.group(1)) if summary_tomorrow else None,
            due["due_tomorrow"],
            stats["forecast"]["due_tomorrow"],
        )
        if tomorrow[0] is not None and len(set(tomorrow)) != 1:
            report.problems.append(f"due tomorrow disagrees: {tomorrow}")
        answering = re.search(r"(\d+)m (\d+)s answering", report.summary)
        if answering:
            seconds = int(answering.group(1)) * 60 + int(answering.group(2))
            if abs(seconds - stats["time"]["today_ms"] / 1000) > 1:
                report.problems.append(
                    f"summary time {seconds}s vs stats {stats['time']['today_ms'] / 1000:.0f}s"
                )
        conn = sqlite3.connect(home / "mlprep.db")
        for deck, first in conn.execute(
            """SELECT c.deck, MIN(r.day) FROM reviews r JOIN cards c ON c.id = r.card_id
               WHERE r.kind != 'cram' GROUP BY c.deck"""
        ):
            first_new.setdefault(deck, date.fromisoformat(first))
        decks = {r[0] for r in conn.execute("SELECT DISTINCT deck FROM cards WHERE retired = 0")}
        answers = conn.execute("SELECT COUNT(*) FROM reviews WHERE day = ?", (day.isoformat(),))
        n_answers = answers.fetchone()[0]
        introduced = conn.execute(
            """SELECT COUNT(*) FROM (SELECT card_id, MIN(day) AS first FROM reviews
               WHERE kind != 'cram' GROUP BY card_id) WHERE first = ?""",
            (day.isoformat(),),
        ).fetchone()[0]
        conn.close()
        report.problems += report.too_wide[:3]
        k = report.keys
        checks = "ok" if not report.problems else "; ".join(report.problems)
        failed |= bool(report.problems)
        print(
            f"{day}  {n_answers:7d}  {introduced:3d}  {k.get('1', 0):5d} {k.get('2', 0):4d} "
            f"{k.get('3', 0):4d} {k.get('4', 0):4d}  {str(tomorrow):27s}  {checks}"
        )
        extras = ", ".join(
            f"{name} {k[name]}"
            for name in ("drill-right", "drill-miss", "u", "s", "f", "/", "resize")
            if k.get(name)
        )
        print(f"            {report.summary}" + (f"  [{extras}]" if extras else ""))
    limit = 10
    expected_by = START + timedelta(days=math.ceil(len(decks) / limit) - 1)
    late = {d: f for d, f in first_new.items() if f > expected_by}
    never = sorted(decks - set(first_new))
    print(
        f"\n{len(decks)} decks, {limit} new cards a day: every deck should start by {expected_by}"
    )
    print(
        f"last deck started on {max(first_new.values())}; late: {late or 'none'}; never: {never or 'none'}"
    )
    failed |= bool(late) or bool(never)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", default=None)
    parser.add_argument("--fresh", action="store_true", help="start from an empty --home")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
