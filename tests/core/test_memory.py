"""The memory model on a real Anki user's log (shared/data, copied into the test's folder):
predictions equal fsrs-rs's memory states, fitting beats the defaults on later answers, and
`mlprep optimize` saves what it fitted."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import fsrs_rs_python as ref
import pytest
from typer.testing import CliRunner

from mlprep.cli import app
from mlprep.core import memory
from mlprep.core.grades import Answer, Grade
from mlprep.core.scheduling import Fact
from mlprep.core.scheduling.fsrs import FsrsScheduler, retrievability
from mlprep.storage.store import Store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "anki-review-log-train.csv"
ROLLOVER = timedelta(hours=11)  # the user's study day turns over at about 11:00 UTC


@pytest.fixture(scope="module")
def log_rows(tmp_path_factory) -> list[dict[str, str]]:
    if not DATA.exists():
        pytest.skip("shared/data is not beside the repository")
    copy = tmp_path_factory.mktemp("data") / DATA.name
    shutil.copy(DATA, copy)
    with copy.open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def facts(log_rows) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for row in log_rows:
        day = (datetime.fromisoformat(row["review_time"]) - ROLLOVER).date()
        grade = Grade(int(row["review_rating"]))
        out.setdefault(row["card_id"], []).append(Fact(day, Answer.of(grade)))
    return out


def test_predictions_equal_fsrs_rs_memory_states(facts):
    params = ref.DEFAULT_PARAMETERS
    fsrs = ref.FSRS(params)
    sample = dict(itertools.islice(facts.items(), 60))
    mine = memory.predictions(sample, FsrsScheduler())
    expected = []
    for card_id, card_facts in sample.items():
        reviews, last = [], None
        for fact in card_facts:
            delta = 0 if last is None else (fact.day - last).days
            if reviews and delta > 0:
                state = fsrs.memory_state(ref.FSRSItem([ref.FSRSReview(r, t) for r, t in reviews]))
                r = retrievability(delta, state.stability, params)
                expected.append((card_id, fact.day, r, fact.answer.grade > 1))
            reviews.append((int(fact.answer.grade), delta))
            last = fact.day
    expected.sort(key=lambda e: (e[1], e[0]))
    assert len(mine) == len(expected) > 100
    for p, (cid, day, r, recalled) in zip(mine, expected, strict=True):
        assert (p.card_id, p.day, p.recalled) == (cid, day, recalled)
        assert p.predicted == pytest.approx(r, rel=1e-5)


def test_fitted_parameters_beat_the_defaults_on_later_answers(facts):
    report = memory.fit(facts)
    assert len(report.parameters) == 21
    assert report.fitted.reviews == report.default.reviews > 1000
    assert report.fitted.log_loss <= report.default.log_loss
    assert report.fitted.rmse_bins <= report.default.rmse_bins
    assert 0.5 < report.fitted.auc < 1 and 0.5 < report.default.auc < 1
    later = [p for p in memory.sm2_predictions(facts) if p.day >= report.split_day]
    sm2_loss = memory.log_loss([(p.predicted, p.recalled) for p in later])
    assert sm2_loss > report.default.log_loss  # SM-2's implied recall predicts worse


def test_auc_matches_the_pairwise_definition():
    pairs = [(0.9, True), (0.8, False), (0.8, True), (0.3, False), (0.6, True), (0.6, False)]
    pos = [p for p, y in pairs if y]
    neg = [p for p, y in pairs if not y]
    brute = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    assert memory.auc(pairs) == pytest.approx(brute / (len(pos) * len(neg)))
    assert memory.auc([(0.5, True)]) is None


def test_calibration_bins_cover_every_prediction(facts):
    preds = memory.predictions(facts, FsrsScheduler())
    bins = memory.calibration(preds)
    assert len(bins) == 10 and sum(b.reviews for b in bins) == len(preds)
    for b in bins:
        if b.reviews:
            assert b.low <= b.predicted < b.high or b.high == 1.0
            inside = [
                p
                for p in preds
                if b.low <= p.predicted < b.high or (b.high == 1 and p.predicted == 1)
            ]
            assert b.actual == pytest.approx(sum(p.recalled for p in inside) / len(inside))


def test_too_few_reviews_say_how_many_more(facts):
    few = dict(itertools.islice(facts.items(), 5))
    with pytest.raises(memory.NotEnoughReviews, match=r"fitting needs 400 \(\d+ more\)"):
        memory.fit(few)


def _database_from_log(db: Path, log_rows) -> None:
    """The log as mlprep facts, written straight into a fresh store (as an import would)."""
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.executemany(
        """INSERT INTO reviews (card_id, ts, day, grade, quality, response_ms, kind, source)
           VALUES (?, ?, ?, ?, ?, ?, 'import', 'test')""",
        [
            (
                f"anki-{r['card_id']}",
                r["review_time"],
                (datetime.fromisoformat(r["review_time"]) - ROLLOVER).date().isoformat(),
                int(r["review_rating"]),
                Grade(int(r["review_rating"])).quality,
                int(r["review_duration"]),
            )
            for r in log_rows
        ],
    )
    conn.execute("DELETE FROM caches")
    conn.commit()
    conn.close()


def test_optimize_command_fits_saves_and_is_used(log_rows, isolated_home, monkeypatch):
    isolated_home.mkdir(parents=True, exist_ok=True)
    _database_from_log(isolated_home / "mlprep.db", log_rows)
    monkeypatch.setenv("MLPREP_NOW", "2024-09-12T09:00")
    runner = CliRunner()
    result = runner.invoke(app, ["optimize", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["parameters"]) == 21 and payload["reviews"] > 3000
    assert payload["fitted"]["log_loss"] <= payload["default"]["log_loss"]
    with Store(isolated_home / "mlprep.db") as store:
        saved = store.meta("fsrs_parameters")
    assert saved["parameters"] == payload["parameters"]
    text = runner.invoke(app, ["optimize"])
    assert text.exit_code == 0 and "log loss" in text.stdout and "fitted" in text.stdout


def test_optimize_with_an_empty_log_keeps_the_defaults(isolated_home):
    result = CliRunner().invoke(app, ["optimize"])
    assert result.exit_code == 1
    assert "0 long-term reviews in the log; fitting needs 400 (400 more)" in result.stderr
    result = CliRunner().invoke(app, ["optimize", "--json"])
    assert json.loads(result.stdout)["needed"] == 400
