"""A synthetic study history, built through the public review path with a time-travelled clock.

`history` (session scope) simulates ~25 weeks of study on two small decks: sessions built with
`build_queue` and answered with `ReviewSession.answer`, a few `mlprep drill`-style answers via
`Store.record(kind="drill")`, skipped days, slow answers, a leech-prone card and a card retired
half-way. Tests copy its data dir (`home` fixture) so nothing they do leaks into the others."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from mlprep.app.library import day_queue as build_queue
from mlprep.core.grades import Answer
from mlprep.core.session import ReviewSession
from mlprep.decks.loader import deck_files
from mlprep.storage.store import Store

TODAY = date(2026, 11, 20)  # a Friday
NOW = "2026-11-20T15:00"
FIRST_DAY = date(2026, 5, 25)
LEECH_THRESHOLD = 4
RETIRE_ON = date(2026, 9, 1)


# Card definitions: the test's own source of truth for decks and tags.
ALPHA = [
    ("ridge-closed-form", ("ridge", "linear")),
    ("ridge-lambda", ("ridge",)),
    ("ridge-bayes", ("ridge", "probability")),
    ("ols-normal-eq", ("linear",)),
    ("ols-singular", ("linear",)),
    ("kernel-trick", ("kernels",)),
    ("kernel-rbf", ("kernels",)),
    ("kernel-ridge", ("kernels", "ridge")),
    ("leechy-card", ("kernels",)),
    ("untagged-one", ()),
    ("untagged-two", ()),
    ("late-one", ("linear",)),
    ("late-two", ("kernels",)),
    ("late-three", ("ridge",)),
]
ALPHA_COMPUTED = [
    ("ols-drill", "ols", ("linear", "drills")),
    ("ridge-drill", "ridge", ("ridge", "drills")),
]
BETA = [
    ("precision-def", ("metrics",)),
    ("recall-def", ("metrics",)),
    ("f1-def", ("metrics",)),
    ("roc-auc", ("metrics", "probability")),
    ("pr-vs-roc", ("metrics",)),
    ("beta-retire", ("metrics",)),
    ("brier", ("metrics", "probability")),
]
BETA_COMPUTED = [("auc-drill", "roc_auc", ("metrics", "drills"))]
# A deck added on TODAY, after the due reviews: its topic has no counted answer yet.
GAMMA = [(f"gpu-{i:02d}", ("systems",)) for i in range(16)]
GAMMA_ADDED = TODAY


def _yaml(deck: str, basic, computed, skip=()) -> str:
    lines = [f"deck: {deck}", "cards:"]
    for cid, tags in basic:
        if cid in skip:
            continue
        lines += [f"  - id: {cid}", f"    q: Question {cid}?", f"    a: Answer {cid}."]
        if tags:
            lines.append(f"    tags: [{', '.join(tags)}]")
    for cid, gen, tags in computed:
        lines += [
            f"  - id: {cid}",
            "    type: computed",
            f"    generator: {gen}",
            f"    q: Drill {cid}.",
            f"    tags: [{', '.join(tags)}]",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class CardDef:
    id: str
    deck: str
    tags: tuple[str, ...]
    generator: str | None


def card_defs() -> dict[str, CardDef]:
    out = {}
    for deck, basic, computed in (
        ("alpha", ALPHA, ALPHA_COMPUTED),
        ("beta", BETA, BETA_COMPUTED),
        ("gamma", GAMMA, []),
    ):
        for cid, tags in basic:
            out[cid] = CardDef(cid, deck, tags, None)
        for cid, gen, tags in computed:
            out[cid] = CardDef(cid, deck, tags, gen)
    return out


RETIRED = {"beta-retire"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, ms: int) -> None:
        self.moment += timedelta(milliseconds=ms)


def _response_ms(rng: random.Random) -> int | None:
    roll = rng.random()
    if roll < 0.05:
        return None  # untimed
    if roll < 0.15:
        return rng.randint(61_000, 400_000)  # walked away
    if roll < 0.17:
        return 60_000  # exactly the cap
    return rng.randint(1_500, 30_000)


def _quality(rng: random.Random, card_id: str, repeat: bool) -> int:
    if card_id == "leechy-card" and not repeat:
        return 1 if rng.random() < 0.6 else 4
    if repeat:
        return rng.choice([1, 3, 4, 4, 4, 5])
    return rng.choices([0, 1, 2, 3, 4, 5], weights=[1, 5, 2, 15, 55, 22])[0]


def study_day_session(store: Store, day: date, rng: random.Random, *, stop_after: int | None):
    """One day's session through the public path; `stop_after` quits early."""
    queue = build_queue(store, day, new_per_day=2)
    clock = Clock(datetime.combine(day, time(9, 0)).astimezone())
    session = ReviewSession(store, queue, day, clock)
    answered = 0
    seen: set[str] = set()
    while session.current is not None:
        if stop_after is not None and answered >= stop_after:
            break
        item = session.current
        card = store.card(item.card_id)
        assert card is not None
        ms = _response_ms(rng)
        clock.advance(ms or 1000)
        repeat = item.card_id in seen
        if card.is_computed:
            correct = rng.random() < 0.85
            session.answer(
                Answer.expert(4 if correct else 1),
                response_ms=ms,
                kind="drill",
                seed=rng.randint(0, 2**31 - 1),
                typed="1 2",
                correct=correct,
            )
        else:
            session.answer(Answer.expert(_quality(rng, item.card_id, repeat)), response_ms=ms)
        seen.add(item.card_id)
        answered += 1
    return answered


def build_history(base: Path) -> dict[str, Path]:
    cards_dir = base / "cards"
    cards_dir.mkdir()
    alpha = cards_dir / "alpha.yaml"
    beta = cards_dir / "beta.yaml"
    alpha.write_text(_yaml("alpha", ALPHA, ALPHA_COMPUTED))
    beta.write_text(_yaml("beta", BETA, BETA_COMPUTED))
    home = base / "home"
    home.mkdir()
    (home / "settings.toml").write_text(f"leech_threshold = {LEECH_THRESHOLD}\n")
    rng = random.Random(20261120)
    store = Store(home / "mlprep.db")

    def sync() -> None:
        files, _ = deck_files([cards_dir])
        report = store.sync(files)
        assert not report.issues, report.issues

    sync()
    day = FIRST_DAY
    while day <= TODAY:
        if day == GAMMA_ADDED:
            (cards_dir / "gamma.yaml").write_text(_yaml("gamma", GAMMA, []))
            sync()
        if day == RETIRE_ON:
            beta.write_text(_yaml("beta", BETA, BETA_COMPUTED, skip=RETIRED))
            sync()
        # Skip about one day in five, but keep the last nine days for a streak, with a gap
        # ten days ago so the current streak is known.
        gap = day == TODAY - timedelta(days=9)
        recent = day > TODAY - timedelta(days=9)
        if gap or (not recent and rng.random() < 0.2):
            day += timedelta(days=1)
            continue
        # No session the two days before today (their cards are overdue today) and a short
        # one today (cards left due).
        stop = {TODAY: 1, TODAY - timedelta(days=1): 0, TODAY - timedelta(days=2): 0}.get(day)
        answered = study_day_session(store, day, rng, stop_after=stop)
        # Now and then a `mlprep drill` answer outside the queue, on top of the session
        # (always on the last two days before today, which had no session, and on a recent day
        # whose queue was empty: the streak goes on).
        if (
            rng.random() < 0.3
            or TODAY - timedelta(days=2) <= day < TODAY
            or (recent and not answered)
        ):
            cid = rng.choice(["ols-drill", "ridge-drill", "auc-drill"])
            correct = rng.random() < 0.6
            when = datetime.combine(day, time(20, 0)).astimezone()
            store.record(
                cid,
                Answer.expert(4 if correct else 1),
                when,
                day,
                response_ms=_response_ms(rng),
                kind="drill",
                seed=rng.randint(0, 99),
                typed="0.5",
                correct=None if rng.random() < 0.1 else correct,
            )
        day += timedelta(days=1)
    # Make sure one learned card is in today's relearning loop, whatever the queue order.
    relearn = next(
        cid
        for cid in sorted(card_defs())
        if (st := store.state(cid)) is not None
        and st.last_day < TODAY
        and st.memory.repetitions > 1
        and not store.is_retired(cid)
        and not store.card(cid).is_computed
    )
    store.record(
        relearn,
        Answer.expert(1),
        datetime.combine(TODAY, time(21, 0)).astimezone(),
        TODAY,
        response_ms=4000,
    )
    store.close()
    return {"home": home, "cards": cards_dir}
