"""The SQL behind `mlprep stats`: five one-pass queries over the log, the replay caches and
the cards, turned into a `core.stats.StatsReport` by its pure builders (stdlib `sqlite3`, no
sqlite-utils, so no numpy import). Definitions are in `mlprep.core.stats`."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mlprep.core.grades import MATURE_INTERVAL, PASSING_QUALITY, RELEARN_BELOW, card_state
from mlprep.core.scheduling import MIN_EASINESS, SM2
from mlprep.core.stats import (
    DEFAULT_DAYS,
    EASE_WEEKS,
    FORECAST_DAYS,
    HEATMAP_WEEKS,
    RESPONSE_CAP_MS,
    UNTAGGED,
    CardCounts,
    DrillRow,
    Leech,
    PassRate,
    Retention,
    StatsReport,
    TimeSpent,
    TopicRow,
    build_ease_trend,
    build_forecast,
    build_heatmap,
    build_streaks,
    sort_topics,
)
from mlprep.storage.safety import decoding
from mlprep.storage.store import SUSPENDED_IDS, Scope, card_scope, count_due_on

__all__ = ["compute_report"]


def _review_scope(scope: Scope) -> tuple[str, list[Any]]:
    """The scope filter applied to answers `r` through their card (retired cards included)."""
    sql, args = card_scope(scope, "k")
    if not sql:
        return "", []
    return f" AND r.card_id IN (SELECT k.id FROM cards k WHERE 1 = 1{sql})", args


def compute_report(
    conn: sqlite3.Connection,
    today: date,
    *,
    scheduler: str = "sm2",
    deck: str | None = None,
    tag: str | None = None,
    days: int = DEFAULT_DAYS,
    leech_threshold: int = 8,
    weeks: int = HEATMAP_WEEKS,
) -> StatsReport:
    """Read the log and state through `conn` (a `Store.conn`) and build the report.

    Five queries, each one pass: answers and time per day; the scheduled answers in the
    window with the interval before each (index (card_id, id)); the cards in scope with their
    state; the latest answer today per card; drill answers of computed cards. ISO dates are
    compared as strings, which orders them correctly. A value that cannot be decoded (a
    hand-edited impossible date, text for a number) raises StoreCorrupt."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    path = next((Path(row[2]) for row in conn.execute("PRAGMA database_list")), Path("?"))
    with decoding(path, "the statistics"):
        return _compute_report(
            conn,
            today,
            scheduler=scheduler,
            deck=deck,
            tag=tag,
            days=days,
            leech_threshold=leech_threshold,
            weeks=weeks,
        )


def _compute_report(
    conn: sqlite3.Connection,
    today: date,
    *,
    scheduler: str,
    deck: str | None,
    tag: str | None,
    days: int,
    leech_threshold: int,
    weeks: int,
) -> StatsReport:
    today_iso = today.isoformat()
    since = today - timedelta(days=days - 1)
    since_iso = since.isoformat()
    week_start = today - timedelta(days=today.weekday())
    week_iso = week_start.isoformat()
    scope = Scope(deck, tag)
    rscope, rargs = _review_scope(scope)
    cscope, cargs = card_scope(scope)

    # Answers and capped time per study day. `+r.day` scans the table: it reads every row
    # anyway, and the day index would only add a lookup per row.
    daily: dict[date, int] = {}
    today_ms = week_ms = total_ms = capped = 0
    for day_text, count, ms, over in conn.execute(
        f"""SELECT r.day, COUNT(*),
                   TOTAL(MAX(0, MIN(COALESCE(r.response_ms, 0), {RESPONSE_CAP_MS}))),
                   TOTAL(r.response_ms > {RESPONSE_CAP_MS})
            FROM reviews r WHERE +r.day <= ?{rscope} GROUP BY r.day""",
        (today_iso, *rargs),
    ):
        daily[date.fromisoformat(day_text)] = count
        total_ms += int(ms)
        capped += int(over)
        if day_text >= week_iso:
            week_ms += int(ms)
        if day_text == today_iso:
            today_ms += int(ms)

    # Scheduled answers in the window, with the interval the previous scheduled answer gave
    # (NULL for a new card's first answer, which does not count).
    young_n = young_p = mature_n = mature_p = 0
    by_card: dict[str, list[int]] = {}  # card -> [answers, passed]
    for card_id, passed, prev in conn.execute(
        f"""SELECT r.card_id, r.quality >= {PASSING_QUALITY}, x.interval_before
            FROM reviews r JOIN steps x
              ON x.review_id = r.id AND x.scheduler = ? AND x.scheduled = 1
            WHERE r.day >= ? AND r.day <= ?{rscope}""",
        (scheduler, since_iso, today_iso, *rargs),
    ):
        if prev is None:
            continue
        if prev >= MATURE_INTERVAL:
            mature_n += 1
            mature_p += passed
        else:
            young_n += 1
            young_p += passed
        slot = by_card.setdefault(card_id, [0, 0])
        slot[0] += 1
        slot[1] += passed

    relearning = {
        cid
        for cid, quality, _ in conn.execute(
            """SELECT card_id, quality, MAX(id) FROM reviews WHERE day = ? AND kind != 'cram'
               GROUP BY card_id""",
            (today_iso,),
        )
        if quality < RELEARN_BELOW
    }

    # Cards in scope with their state: counts, forecast, topics and leeches in one pass.
    suspended_ids = {row[0] for row in conn.execute(SUSPENDED_IDS)}
    new = learning = young_cards = mature_cards = retired = suspended = 0
    live_ids: set[str] = set()
    forecast_end = (today + timedelta(days=FORECAST_DAYS)).isoformat()
    due_by_day: dict[str, int] = defaultdict(int)
    topics: dict[
        str, list[Any]
    ] = {}  # tag -> [cards, n, passed, lapses, ease sum, eases, due, new]
    flagged = []
    for (
        cid,
        card_deck,
        is_retired,
        tags,
        path,
        line,
        reps,
        ease,
        interval,
        due,
        lapses,
    ) in conn.execute(
        f"""SELECT c.id, c.deck, c.retired, c.tags, c.path, c.line, s.streak,
                       s.ease, s.interval, s.due, s.lapses
                FROM cards c LEFT JOIN state s ON s.card_id = c.id AND s.scheduler = ?
                WHERE 1 = 1{cscope}""",
        (scheduler, *cargs),
    ):
        state = card_state(
            bool(is_retired), None if due is None else reps, interval, cid in relearning
        )
        if state == "retired":
            retired += 1
            continue
        live_ids.add(cid)
        if cid in suspended_ids:  # out of every queue: counted apart, not forecast
            suspended += 1
            continue
        if state == "new":
            new += 1
        elif state == "learning":
            learning += 1
        elif state == "young":
            young_cards += 1
        else:
            mature_cards += 1
        if due is not None and due < forecast_end:
            due_by_day[due] += 1
        if due is not None and leech_threshold > 0 and lapses >= leech_threshold:
            flagged.append((cid, card_deck, lapses, ease, due, path, line))
        rate = by_card.get(cid)
        for t in tags.split() if tags else (UNTAGGED,):
            row = topics.get(t)
            if row is None:
                row = topics[t] = [0, 0, 0, 0, 0.0, 0, 0, 0]
            row[0] += 1
            if rate is not None:
                row[1] += rate[0]
                row[2] += rate[1]
            if due is None:
                row[7] += 1
                continue
            row[3] += lapses
            if ease is not None:
                row[4] += ease
                row[5] += 1
            row[6] += due <= today_iso

    # Drill accuracy, from the computed cards in scope (few) through the (card_id, id) index.
    drill_acc: dict[str, list[int]] = {}
    for generator, recent, n, correct in conn.execute(
        f"""SELECT c.generator, r.day >= ?, COUNT(*), TOTAL(r.correct = 1)
            FROM cards c CROSS JOIN reviews r ON r.card_id = c.id
            WHERE c.generator IS NOT NULL AND (r.kind = 'drill' OR r.correct IS NOT NULL)
              AND r.day <= ?{cscope}
            GROUP BY c.generator, r.day >= ?""",
        (since_iso, today_iso, *cargs, since_iso),
    ):
        acc = drill_acc.setdefault(generator, [0, 0, 0, 0])
        acc[0] += n
        acc[1] += int(correct)
        if recent:
            acc[2] += n
            acc[3] += int(correct)

    # The ease trend, from the ease each scheduling answer left (the steps cache; NULL for a
    # scheduler without an ease). A card with no answer since the oldest point had the same
    # ease at every point (its cached state's), so only recently answered cards are read in
    # full: the cost follows the last weeks' activity, not the size of the log.
    ease_trend = None
    active = SM2 if scheduler == SM2.key else None  # the ease trend is SM-2's
    if active is not None and active.ease(active.initial()) is not None:
        oldest = (today - timedelta(days=7 * (EASE_WEEKS - 1))).isoformat()
        answered_lately = {
            row[0]
            for row in conn.execute("SELECT DISTINCT card_id FROM reviews WHERE day > ?", (oldest,))
        }
        eases: dict[str, list[tuple[date, float]]] = {}
        since_start = date.min
        for card_id, ease in conn.execute(
            "SELECT card_id, ease FROM state WHERE scheduler = ? AND ease IS NOT NULL",
            (scheduler,),
        ):
            if (
                card_id in live_ids
                and card_id not in suspended_ids
                and card_id not in answered_lately
            ):
                eases[card_id] = [(since_start, ease)]
        steps_of: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
        wanted = [c for c in answered_lately if c in live_ids and c not in suspended_ids]
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            for card_id, review_id, day_text, ease in conn.execute(
                f"""SELECT x.card_id, x.review_id, r.day, x.ease FROM steps x
                      JOIN reviews r ON r.id = x.review_id
                    WHERE x.scheduler = ? AND x.scheduled = 1 AND x.ease IS NOT NULL
                      AND r.day <= ? AND x.card_id IN ({", ".join("?" * len(part))})""",
                (scheduler, today_iso, *part),
            ):
                steps_of[card_id].append((review_id, day_text, ease))
        for card_id, steps in steps_of.items():
            eases[card_id] = [(date.fromisoformat(day), ease) for _, day, ease in sorted(steps)]
        ease_trend = build_ease_trend(eases, today, MIN_EASINESS, EASE_WEEKS)

    # Scheduled answers of cards answered before (what FSRS could be fitted on), all time.
    scheduled_reviews = conn.execute(
        f"""SELECT COUNT(*) FROM reviews r JOIN steps x
              ON x.review_id = r.id AND x.scheduler = ? AND x.scheduled = 1
            WHERE x.interval_before IS NOT NULL AND +r.day <= ?{rscope}""",
        (scheduler, today_iso, *rargs),
    ).fetchone()[0]

    flagged.sort(key=lambda f: (-f[2], f[0]))
    study_days = sorted(daily)
    return StatsReport(
        today=today,
        deck=deck,
        tag=tag,
        days=days,
        total_reviews=sum(daily.values()),
        days_studied=len(study_days),
        first_day=study_days[0] if study_days else None,
        heatmap=build_heatmap(daily, today, weeks),
        forecast=build_forecast(
            {date.fromisoformat(d): n for d, n in due_by_day.items()},
            today,
            tomorrow=count_due_on(conn, scheduler, today + timedelta(days=1), scope),
        ),
        counts=CardCounts(new, learning, young_cards, mature_cards, retired, suspended),
        retention=Retention(days, since, PassRate(young_n, young_p), PassRate(mature_n, mature_p)),
        streaks=build_streaks(study_days, today),
        time=TimeSpent(today_ms, week_ms, total_ms, week_start, RESPONSE_CAP_MS, capped),
        topics=sort_topics(
            TopicRow(
                tag=t,
                cards=row[0],
                retention=PassRate(row[1], row[2]),
                lapses=row[3],
                average_ease=row[4] / row[5] if row[5] else None,
                due=row[6],
                new=row[7],
            )
            for t, row in topics.items()
        ),
        drills=tuple(DrillRow(g, *drill_acc[g]) for g in sorted(drill_acc)),
        leech_threshold=leech_threshold,
        leeches=tuple(
            Leech(cid, d, lapses, ease, date.fromisoformat(due), path, line)
            for cid, d, lapses, ease, due, path, line in flagged
        ),
        scheduler=scheduler,
        ease=ease_trend,
        scheduled_reviews=scheduled_reviews,
    )
