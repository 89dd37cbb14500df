"""Benchmark `mlprep import anki` on a 100k-review Anki collection and `mlprep export anki` on
1,000 cards, as fresh processes (what a user waits for).

    python benchmarks/bench_interop.py [--reviews 100000] [--notes 10000] [--cards 1000] [--repeat 3]

The collection is made by the real Anki (the `anki` package of the test extra): basic notes
with HTML and MathJax, one in ten a cloze note with two deletions, in 20 decks; its review log
is written like Anki's (learning steps, reviews, lapses and relearning, a few crams and manual
reschedules) and the collection exported as a .colpkg, i.e. the zstd-compressed
collection.anki21b of current Anki versions. Each import starts from an empty data dir (the
bundled deck is loaded, as for any user). Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MLPREP = str(BIN / "mlprep")
DAY_MS = 86_400_000


def build_collection(folder: Path, notes: int, reviews: int) -> Path:
    """A .colpkg with `notes` notes and about `reviews` review-log entries."""
    from anki.collection import AddNoteRequest, Collection

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    basic, cloze = col.models.by_name("Basic"), col.models.by_name("Cloze")
    decks = [col.decks.id(f"Machine Learning::Topic {d:02d}") for d in range(20)]
    requests = []
    for i in range(notes):
        if i % 10 == 9:
            note = col.new_note(cloze)
            note["Text"] = (
                f"The {{{{c1::bias}}}} of estimator {i} is {{{{c2::\\(E[\\hat\\theta] - \\theta\\)}}}}"
            )
            note["Back Extra"] = "<i>Definition</i>"
        else:
            note = col.new_note(basic)
            note["Front"] = f"What is <b>concept {i}</b>?<br>Write \\(x_{{{i}}}^2\\)."
            note["Back"] = f"<ul><li>part one of {i}</li><li>part <i>two</i></li></ul>"
        note.tags = [f"topic{i % 50}", "ML::Stats"]
        requests.append(AddNoteRequest(note=note, deck_id=decks[i % len(decks)]))
    col.add_notes(requests)
    card_ids = [cid for (cid,) in col.db.all("SELECT id FROM cards ORDER BY id")]
    rng = random.Random(7)
    start = int(time.time() * 1000) - 400 * DAY_MS
    rows = []
    per_card = max(1, reviews // len(card_ids))
    extra = reviews - per_card * len(card_ids)
    for n, cid in enumerate(card_ids):
        t = start + rng.randrange(30 * DAY_MS)
        ivl = 0
        for k in range(per_card + (1 if n < extra else 0)):
            if k < 2:
                ease, type_, t = 3, 0, t + 600_000  # learning steps, minutes apart
            else:
                roll = rng.random()
                ease = 1 if roll < 0.1 else 2 if roll < 0.2 else 3 if roll < 0.9 else 4
                type_ = 2 if ease == 1 else 1
                if roll > 0.995:
                    ease, type_ = 0, 4  # set due date
                elif 0.99 < roll <= 0.995:
                    type_ = 3  # a cram in a filtered deck
                ivl = 1 if ease == 1 else max(1, int(ivl * 2.5) or 1)
                t += ivl * DAY_MS + rng.randrange(3_600_000)
            rows.append((t, cid, -1, ease, ivl, 0, 0 if type_ == 3 else 2500, 4000, type_))
    col.db.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    out = folder / "collection.colpkg"
    col.export_collection_package(str(out), include_media=False, legacy=False)
    return out


def write_cards(folder: Path, cards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["deck: bench", "tags: [bench]", "cards:"]
    for i in range(cards):
        lines += [
            f"  - id: bench-{i}",
            f"    q: What is the ridge solution for design {i}, with $\\lambda = {i}$?",
            "    a: |",
            "      $$\\hat w = (X^TX + \\lambda I)^{-1} X^T y$$",
            "",
            "      - shrinks every coefficient",
            "      - **never** sets one to zero",
        ]
    (folder / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(cmd: list[str], home: Path) -> tuple[float, str]:
    env = {**os.environ, "MLPREP_HOME": str(home)}
    env.pop("MLPREP_CARDS", None)
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - t, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--cards", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlprep-bench-interop-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        package = build_collection(root / "anki", args.notes, args.reviews)
        built = time.perf_counter() - t
        with sqlite3.connect(root / "anki" / "collection.anki2") as conn:
            (revlog,) = conn.execute("SELECT COUNT(*) FROM revlog").fetchone()
            (cards,) = conn.execute("SELECT COUNT(*) FROM cards").fetchone()
        print(
            f"package: {package.stat().st_size / 1e6:.1f} MB, {args.notes:,} notes, {cards:,} "
            f"cards, {revlog:,} review-log entries (built in {built:.0f} s)\n"
        )
        rows = []
        first, again, dry = [], [], []
        summary = {}
        for n in range(args.repeat):
            home = root / f"home-import-{n}"
            seconds, out = run(
                [MLPREP, "import", "anki", str(package), "--dry-run", "--json"], home
            )
            dry.append(seconds)
            seconds, out = run([MLPREP, "import", "anki", str(package), "--json"], home)
            first.append(seconds)
            summary = json.loads(out)
            seconds, _ = run([MLPREP, "import", "anki", str(package), "--json"], home)
            again.append(seconds)
        rows.append(("import anki, dry run (empty data dir)", statistics.median(dry), 10.0))
        rows.append(("import anki (empty data dir)", statistics.median(first), 10.0))
        rows.append(("import anki again (all already imported)", statistics.median(again), 10.0))

        home = root / "home-export"
        write_cards(home / "cards", args.cards)
        run([MLPREP, "due"], home)  # the first sync (YAML parse) is not the export's cost
        out_file = root / "bench.apkg"
        export = [run([MLPREP, "export", "anki", str(out_file), "--deck", "bench"], home)[0]]
        export += [
            run([MLPREP, "export", "anki", str(out_file), "--deck", "bench"], home)[0]
            for _ in range(args.repeat - 1)
        ]
        rows.append((f"export anki, {args.cards:,} cards", statistics.median(export), 3.0))
        everything = [
            run([MLPREP, "export", "anki", str(root / "all.apkg")], home)[0]
            for _ in range(args.repeat)
        ]
        rows.append(
            (
                f"export anki, {args.cards:,} cards + the bundled deck (computed × 5)",
                statistics.median(everything),
                None,
            )
        )

    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()} {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} cores; median of {args.repeat}\n"
    )
    print("| what | seconds | target |")
    print("|---|---:|---:|")
    for what, seconds, target in rows:
        goal = f"≤ {target:.0f} s" if target else ""
        print(f"| {what} | {seconds:.2f} | {goal} |")
    print()
    print(
        f"import: {summary['cards']['new']:,} new cards in {len(summary['cards']['files'])} "
        f"files, {summary['reviews']['added']:,} facts added, "
        f"{summary['reviews']['replayed_cards']:,} cards replayed; skipped: "
        + "; ".join(f"{s['count']:,} {s['what']}s ({s['reason']})" for s in summary["skipped"])
    )


if __name__ == "__main__":
    main()
