"""An independent recount of every number `mlprep stats` reports, from the raw review log.

Written from the definitions in the spec (see mlprep.core.stats' docstring), with plain loops over
the rows of `reviews`; decks, tags and generators come from the test's own card definitions,
not from the code under test."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from .stats_history import RETIRED, card_defs


@dataclass
class Row:
    id: int
    card_id: str
    day: date
    quality: int
    scheduled: bool
    response_ms: int | None
    repetitions: int | None
    easiness: float | None
    interval: int | None
    due: date | None
    kind: str
    correct: int | None


def read_log(db: Path) -> list[Row]:
    """The log's facts, with SM-2's view of each worked out here from the facts alone (the
    first non-cram answer of a study day schedules; the SM-2 step is the golden-tested one),
    not read from the store's replay cache."""
    from mlprep.core.scheduling.sm2 import Sm2State, review

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            """SELECT id, card_id, day, quality, response_ms, kind, correct
               FROM reviews ORDER BY id"""
        ).fetchall()
    finally:
        conn.close()
    memory: dict[str, tuple[Sm2State, date]] = {}
    out = []
    for rid, card_id, day_text, quality, ms, kind, correct in rows:
        day = date.fromisoformat(day_text)
        last = memory.get(card_id)
        scheduled = kind != "cram" and (last is None or last[1] < day)
        reps = ease = interval = due = None
        if scheduled:
            state = review(last[0] if last else Sm2State(), quality)
            memory[card_id] = (state, day)
            reps, ease, interval = state.repetitions, state.easiness, state.interval
            due = day + timedelta(days=state.interval)
        out.append(
            Row(rid, card_id, day, quality, scheduled, ms, reps, ease, interval, due, kind, correct)
        )
    return out


def read_card_places(db: Path) -> dict[str, tuple[str, int]]:
    conn = sqlite3.connect(db)
    try:
        return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, path, line FROM cards")}
    finally:
        conn.close()


def _rate(reviews: int, passed: int) -> dict[str, Any]:
    return {"reviews": reviews, "passed": passed, "rate": passed / reviews if reviews else None}


def expected_report(
    db: Path,
    today: date,
    *,
    days: int = 30,
    deck: str | None = None,
    tag: str | None = None,
    threshold: int = 4,
) -> dict[str, Any]:
    defs = card_defs()
    scope = {
        cid
        for cid, d in defs.items()
        if (deck is None or d.deck == deck) and (tag is None or tag in d.tags)
    }
    log = read_log(db)
    assert {r.card_id for r in log} <= set(defs), "the log holds a card the test did not define"
    places = read_card_places(db)
    all_rows = [r for r in log if r.card_id in scope]  # for card state (the log up to now)
    rows = [r for r in all_rows if r.day <= today]  # activity as of today

    # -- per-day counts and time
    per_day: dict[date, int] = defaultdict(int)
    ms_per_day: dict[date, int] = defaultdict(int)
    capped = 0
    for r in rows:
        per_day[r.day] += 1
        ms = r.response_ms or 0
        ms_per_day[r.day] += min(max(ms, 0), 60_000)
        if ms > 60_000:
            capped += 1
    monday = today - timedelta(days=today.weekday())
    start = monday - timedelta(weeks=25)
    heat_days = []
    d = start
    while d <= today:
        heat_days.append(d)
        d += timedelta(days=1)
    heat_counts = [per_day.get(d, 0) for d in heat_days]
    nonzero = [c for c in heat_counts if c]

    # Nearest-rank quartiles of the study days' counts.
    nonzero.sort()
    quartiles = (
        [nonzero[math.ceil(Fraction(k * len(nonzero), 4)) - 1] for k in (1, 2, 3)]
        if nonzero
        else []
    )

    def level(c: int) -> int:
        if c == 0:
            return 0
        if c <= quartiles[0]:
            return 1
        if c <= quartiles[1]:
            return 2
        if c <= quartiles[2]:
            return 3
        return 4

    levels = [level(c) for c in heat_counts]
    ranges = []
    for lv in range(1, 5):
        at = [c for c, x in zip(heat_counts, levels, strict=True) if x == lv]
        ranges.append([min(at), max(at)] if at else None)

    # -- per-card state from the log's scheduled rows
    sched: dict[str, list[Row]] = defaultdict(list)
    for r in all_rows:
        if r.scheduled:
            sched[r.card_id].append(r)
    lapses = {}
    for cid, srows in sched.items():
        n = 0
        for prev, cur in zip(srows, srows[1:], strict=False):
            if cur.quality < 3 and prev.repetitions > 0:
                n += 1
        lapses[cid] = n
    last_today: dict[str, Row] = {}
    for r in all_rows:
        if r.day == today:
            last_today[r.card_id] = r

    live = sorted(c for c in scope if c not in RETIRED)
    counts = {"new": 0, "learning": 0, "young": 0, "mature": 0, "suspended": 0, "retired": 0}
    for cid in scope:
        if cid in RETIRED:
            counts["retired"] += 1
        elif cid not in sched:
            counts["new"] += 1
        elif sched[cid][-1].repetitions == 0 or (cid in last_today and last_today[cid].quality < 4):
            counts["learning"] += 1
        elif sched[cid][-1].interval < 21:
            counts["young"] += 1
        else:
            counts["mature"] += 1
    counts["total"] = sum(counts.values())

    # -- forecast
    due = [0] * 30
    overdue = 0
    for cid in live:
        if cid not in sched:
            continue
        offset = (sched[cid][-1].due - today).days
        if offset < 0:
            overdue += 1
            offset = 0
        if offset < 30:
            due[offset] += 1

    # Scheduled answers of cards answered before (not a card's first), all time up to today.
    reviewed = sum(1 for srows in sched.values() for r in srows[1:] if r.day <= today)

    # -- retention: interval before each scheduled answer in the window
    since = today - timedelta(days=days - 1)
    per_card_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # y n, y p, m n, m p
    for cid, srows in sched.items():
        for prev, cur in zip(srows, srows[1:], strict=False):
            if since <= cur.day <= today:
                slot = per_card_rate[cid]
                k = 2 if prev.interval >= 21 else 0
                slot[k] += 1
                slot[k + 1] += cur.quality >= 3
    young = [sum(v[0] for v in per_card_rate.values()), sum(v[1] for v in per_card_rate.values())]
    mature = [sum(v[2] for v in per_card_rate.values()), sum(v[3] for v in per_card_rate.values())]

    # -- streaks
    studied = set(per_day)
    longest, longest_start, longest_end = 0, None, None
    if studied:
        d = min(studied)
        run = 0
        while d <= today:
            run = run + 1 if d in studied else 0
            if run > longest:
                longest, longest_end = run, d
                longest_start = d - timedelta(days=run - 1)
            d += timedelta(days=1)
    cursor = today if today in studied else today - timedelta(days=1)
    current = 0
    while cursor in studied:
        current += 1
        cursor -= timedelta(days=1)

    # -- topics over live cards
    topics: dict[str, list[str]] = defaultdict(list)
    for cid in live:
        for t in defs[cid].tags or ("(untagged)",):
            topics[t].append(cid)
    topic_rows = []
    for t, members in topics.items():
        n = sum(per_card_rate[c][0] + per_card_rate[c][2] for c in members if c in per_card_rate)
        p = sum(per_card_rate[c][1] + per_card_rate[c][3] for c in members if c in per_card_rate)
        eases = [sched[c][-1].easiness for c in members if c in sched]
        topic_rows.append(
            {
                "tag": t,
                "cards": len(members),
                "reviews": n,
                "passed": p,
                "retention": p / n if n else None,
                "lapses": sum(lapses.get(c, 0) for c in members),
                "average_ease": sum(eases) / len(eases) if eases else None,
                "due": sum(1 for c in members if c in sched and sched[c][-1].due <= today),
                "new": sum(1 for c in members if c not in sched),
            }
        )
    with_rate = sorted(
        (t for t in topic_rows if t["retention"] is not None),
        key=lambda t: (t["retention"], -t["lapses"], t["tag"]),
    )
    without = sorted(
        (t for t in topic_rows if t["retention"] is None), key=lambda t: (-t["lapses"], t["tag"])
    )

    # -- drills
    drills: dict[str, list[int]] = {}
    for r in rows:
        gen = defs[r.card_id].generator
        if gen is None or not (r.kind == "drill" or r.correct is not None):
            continue
        acc = drills.setdefault(gen, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += r.correct == 1
        if r.day >= since:
            acc[2] += 1
            acc[3] += r.correct == 1
    drill_rows = [
        {
            "generator": g,
            "attempts": a[0],
            "correct": a[1],
            "accuracy": a[1] / a[0] if a[0] else None,
            "recent_attempts": a[2],
            "recent_correct": a[3],
            "recent_accuracy": a[3] / a[2] if a[2] else None,
        }
        for g, a in sorted(drills.items())
    ]

    # -- leeches
    leeches = sorted(
        (c for c in live if c in sched and lapses[c] >= threshold) if threshold > 0 else [],
        key=lambda c: (-lapses[c], c),
    )

    return {
        "today": today.isoformat(),
        "filters": {"deck": deck, "tag": tag, "days": days},
        "total_reviews": len(rows),
        "days_studied": len(studied),
        "first_day": min(studied).isoformat() if studied else None,
        "heatmap": {
            "start": start.isoformat(),
            "end": today.isoformat(),
            "weeks": 26,
            "total": sum(heat_counts),
            "max": max(heat_counts),
            "thresholds": quartiles,
            "level_ranges": ranges,
            "days": [
                {"day": d.isoformat(), "count": c, "level": lv}
                for d, c, lv in zip(heat_days, heat_counts, levels, strict=True)
            ],
        },
        "forecast": {
            "start": today.isoformat(),
            "overdue": overdue,
            # Cards whose due date is tomorrow; overdue and today's cards are not tomorrow's.
            "due_tomorrow": sum(
                1 for c in live if c in sched and sched[c][-1].due == today + timedelta(days=1)
            ),
            "total": sum(due),
            "days": [
                {"day": (today + timedelta(days=i)).isoformat(), "due": n}
                for i, n in enumerate(due)
            ],
        },
        "counts": counts,
        "retention": {
            "days": days,
            "since": since.isoformat(),
            "mature_interval": 21,
            "young": _rate(*young),
            "mature": _rate(*mature),
            "all": _rate(young[0] + mature[0], young[1] + mature[1]),
        },
        "streaks": {
            "current": current,
            "longest": longest,
            "longest_start": longest_start.isoformat() if longest_start else None,
            "longest_end": longest_end.isoformat() if longest_end else None,
            "studied_today": today in studied,
        },
        "time": {
            "today_ms": ms_per_day.get(today, 0),
            "week_ms": sum(ms for d, ms in ms_per_day.items() if monday <= d <= today),
            "total_ms": sum(ms_per_day.values()),
            "week_start": monday.isoformat(),
            "cap_ms": 60_000,
            "capped_answers": capped,
        },
        "topics": with_rate + without,
        "drills": drill_rows,
        "leeches": {
            "threshold": threshold,
            "cards": [
                {
                    "id": c,
                    "deck": defs[c].deck,
                    "lapses": lapses[c],
                    "easiness": sched[c][-1].easiness,
                    "due": sched[c][-1].due.isoformat(),
                    "path": places[c][0],
                    "line": places[c][1],
                }
                for c in leeches
            ],
        },
        "scheduler": "sm2",
        "ease": _ease_trend(sched, live, today),
        "scheduled_reviews": reviewed,
        "suggest_fsrs": reviewed >= 400,
    }


def _ease_trend(sched: dict[str, list[Row]], live: list[str], today: date) -> dict[str, Any]:
    """SM-2's EF after each card's last scheduled answer by today and 1, 2, 3 weeks before."""
    points = []
    for back in (3, 2, 1, 0):
        day = today - timedelta(days=7 * back)
        eases = [
            [r.easiness for r in sched[c] if r.day <= day][-1]
            for c in live
            if c in sched and any(r.day <= day for r in sched[c])
        ]
        points.append(
            {
                "day": day.isoformat(),
                "cards": len(eases),
                "average": sum(eases) / len(eases) if eases else None,
            }
        )
    known = [p["average"] for p in points if p["average"] is not None]
    # Every card's ease now, from the rows up to today.
    now = [[r.easiness for r in sched[c] if r.day <= today] for c in live if c in sched]
    return {
        "points": points,
        "change": known[-1] - known[0] if len(known) > 1 else None,
        "at_floor": sum(1 for e in now if e and e[-1] <= 1.3 + 1e-9),
        "floor": 1.3,
    }


def assert_same(actual: Any, expected: Any, where: str = "report") -> None:
    """Deep equality with a clear path on failure; floats equal to 1e-12 (summation order)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(expected), f"{where}: keys {sorted(actual)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), f"{where}: {len(actual)} != {len(expected)} items"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert isinstance(actual, float), f"{where}: {actual!r} != {expected!r}"
        assert math.isclose(actual, expected, rel_tol=1e-12), f"{where}: {actual} != {expected}"
    else:
        assert actual == expected and type(actual) is type(expected), (
            f"{where}: {actual!r} != {expected!r}"
        )


def expected_calibration(db: Path, today: date, deck: str | None = None, tag: str | None = None):
    """The calibration bins recounted with fsrs-rs-python directly: for each long-term review
    (the first non-cram answer of a later study day) the recall fsrs-rs's memory state of the
    history before it predicts, binned by tenths."""
    import fsrs_rs_python as ref

    params = ref.DEFAULT_PARAMETERS
    fsrs = ref.FSRS(params)
    decay = params[20]
    factor = 0.9 ** (-1 / decay) - 1
    conn = sqlite3.connect(db)
    try:
        scoped = {
            cid
            for cid, d, tags in conn.execute("SELECT id, deck, tags FROM cards")
            if (deck is None or d == deck) and (tag is None or tag in (tags or "").split())
        }
        rows = conn.execute("SELECT card_id, day, grade, kind FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()
    history: dict[str, list[tuple[int, int]]] = defaultdict(list)
    last: dict[str, date] = {}
    bins = [[0, 0.0, 0] for _ in range(10)]
    for cid, day_text, grade, kind in rows:
        day = date.fromisoformat(day_text)
        if cid not in scoped or kind == "cram" or day > today:
            continue
        delta = (day - last[cid]).days if cid in last else 0
        if history[cid] and delta > 0:
            item = ref.FSRSItem([ref.FSRSReview(r, t) for r, t in history[cid]])
            stability = fsrs.memory_state(item).stability
            r = (1 + factor * delta / stability) ** -decay
            slot = bins[min(9, int(r * 10))]
            slot[0] += 1
            slot[1] += r
            slot[2] += grade > 1
        history[cid].append((grade, delta))
        last[cid] = day
    return [
        {
            "low": i / 10,
            "high": (i + 1) / 10,
            "reviews": n,
            "predicted": total / n,
            "actual": ok / n,
        }
        for i, (n, total, ok) in enumerate(bins)
        if n
    ]
