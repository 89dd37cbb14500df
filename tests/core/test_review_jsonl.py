"""`mlprep review --jsonl` through CliRunner: the events, the errors, undo, computed cards, cram
and every option of review, checked against the database afterwards. Expected intervals come
from SM-2 as DESIGN.md states it, and drill answers are computed here from the problem's data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import app
from mlprep.term.jsonl import RequestError, parse_request

runner = CliRunner()
DAY1 = "2026-12-01T09:00"
DAY2 = "2026-12-02T09:00"

DECK = r"""deck: jl
tags: [jl]
cards:
  - id: jl-one
    q: 'What is $\lambda$?'
    a: The ridge penalty weight.
    tags: [jl-ridge]
  - id: jl-two
    q: Two?
    a: Two.
  - id: jl-three
    q: Three?
    a: Three.
"""

COMPUTED = """deck: jc
cards:
  - id: jc-conv
    type: computed
    generator: conv_params
    q: Count the parameters.
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    path = tmp_path / "jl.yaml"
    path.write_text(DECK)
    return path


@pytest.fixture
def computed(tmp_path: Path) -> Path:
    path = tmp_path / "jc.yaml"
    path.write_text(COMPUTED)
    return path


def review(args: list[str], lines: list, now: str = DAY1) -> tuple[int, list[dict], str]:
    """Run `review --jsonl` with these request lines (dicts are sent as JSON, str and bytes
    as they are); return the exit code, the events and stderr."""
    raw = b"".join(
        (line if isinstance(line, bytes) else
         (line if isinstance(line, str) else json.dumps(line)).encode()) + b"\n"
        for line in lines
    )  # fmt: skip
    result = runner.invoke(app, ["review", "--jsonl", *args], input=raw, env={"MLPREP_NOW": now})
    events = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, events, result.stderr


def db(home: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(home / "mlprep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def kinds(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


def conv_params_answer(data: dict) -> int:
    """C_out · (C_in / groups) · kH · kW, plus C_out with a bias (PyTorch's Conv2d)."""
    kh, kw = data["kernel_size"]
    weights = data["out_channels"] * (data["in_channels"] // data["groups"]) * kh * kw
    return weights + data["out_channels"] * data["bias"]


# --- a basic session ---------------------------------------------------------------------------


def test_a_session_answers_relearns_and_ends_with_done(deck, isolated_home):
    code, events, _ = review(
        ["--cards", str(deck), "--deck", "jl"],
        [{"grade": "good", "seconds": 12.5}, {"grade": 1}, {"grade": "EASY"}, {"grade": "good"}],
    )
    assert code == 0
    assert kinds(events) == ["card", "recorded"] * 4 + ["done"]
    first = events[0]
    assert first == {
        "event": "card",
        "protocol": 2,
        "card": "jl-one",
        "kind": "new",
        "type": "basic",
        "deck": "jl",
        "tags": ["jl", "jl-ridge"],
        "level": "core",
        "q": "What is $\\lambda$?",
        "a": "The ridge penalty weight.",
        # SM-2: a first answer gives I = 1 whatever the quality.
        "preview": {"again": 1, "hard": 1, "good": 1, "easy": 1},
        "preview_labels": {"again": "1d ↻", "hard": "1d ↻", "good": "1d", "easy": "1d"},
        "remaining": {"new": 3, "relearn": 0, "review": 0},
        "answered": 0,
    }
    assert events[1] == {
        "event": "recorded",
        "card": "jl-one",
        "grade": "good",
        "quality": 4,
        "kind": "review",
        "scheduled": True,
        "due": "2026-12-02",
        "interval": 1,
        "relearn": False,
        "seconds": 12.5,
        "leech": False,
    }
    again = events[3]
    assert (again["card"], again["grade"], again["quality"], again["relearn"]) == (
        "jl-two",
        "again",
        1,
        True,
    )
    # jl-two comes back the same day: a relearning step that reschedules nothing.
    relearn_card = events[6]
    assert (relearn_card["card"], relearn_card["kind"]) == ("jl-two", "relearn")
    assert relearn_card["preview"] == dict.fromkeys(("again", "hard", "good", "easy"))
    assert events[7]["scheduled"] is False and events[7]["due"] == "2026-12-02"
    done = events[-1]
    assert done["reason"] == "finished" and done["skipped"] == []
    summary = done["summary"]
    assert (summary["answered"], summary["passed"], summary["cards"]) == (4, 3, 3)
    assert summary["accuracy"] == 0.75 and summary["due_tomorrow"] == 3
    assert summary["next_due"] == "2026-12-02"
    rows = db(isolated_home, "SELECT card_id, grade, quality, response_ms, kind FROM reviews")
    assert rows[0] == ("jl-one", 3, 4, 12500, "review")
    assert [r[:3] for r in rows[1:]] == [("jl-two", 1, 1), ("jl-three", 4, 5), ("jl-two", 3, 4)]
    assert all(r[3] is not None and r[3] >= 0 for r in rows)  # measured when not sent


def test_previews_are_days_until_due_from_sm2(deck, isolated_home):
    review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}] * 3)
    _, events, _ = review(["--cards", str(deck), "--deck", "jl"], [{"grade": "hard"}], now=DAY2)
    card = events[0]
    assert card["kind"] == "review"
    # n = 1 and a pass: I = 6; a fail resets I to 1.
    assert card["preview"] == {"again": 1, "hard": 6, "good": 6, "easy": 6}
    assert card["preview_labels"]["again"] == "1d ↻" and card["preview_labels"]["good"] == "6d"
    assert events[1]["due"] == "2026-12-08" and events[1]["interval"] == 6
    assert events[-1]["reason"] == "end of input"


# --- errors --------------------------------------------------------------------------------


BAD_LINES = [
    ("nope", "not JSON: Expecting value at column 1"),
    ('{"grade": "good"', "not JSON: Expecting ',' delimiter at column 17"),
    ("[1, 2]", 'expected a JSON object, such as {"grade": "good"}'),
    ('{"grade": "good", "mood": 1}', "unknown key 'mood'"),
    ("{}", "a request has exactly one of grade, quality, answer, undo or quit"),
    ('{"grade": "good", "undo": true}', "got grade, undo"),
    ('{"grade": "meh"}', "expected a grade: again, hard, good, easy or 1-4; got 'meh'"),
    ('{"grade": 5}', "got '5'"),
    ('{"grade": 0}', "got '0'"),
    ('{"grade": true}', "got True"),
    ('{"grade": 3.0}', "got 3.0"),
    ('{"quality": 4}', "quality (SM-2 0-5) needs --expert"),
    ('{"answer": "1/2"}', "jl-one is a basic card: answer it with a grade"),
    ('{"undo": true}', "nothing to undo: no answer yet in this session"),
    ('{"undo": false}', 'undo takes true: {"undo": true}'),
    ('{"quit": 1}', 'quit takes true: {"quit": true}'),
    ('{"grade": "good", "seconds": -1}', "seconds must be between 0 and 86400, got -1"),
    ('{"grade": "good", "seconds": "5"}', "seconds must be a number, got '5'"),
    ('{"grade": "good", "seconds": NaN}', "not JSON: NaN is not a number JSON allows"),
    ('{"undo": true, "seconds": 3}', "seconds goes with an answer, not with undo"),
    (b'{"grade": "g\xffood"}', "the line is not UTF-8 text"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_each_bad_line_is_an_error_and_the_same_card_again(deck, isolated_home, line, message):
    code, events, _ = review(["--cards", str(deck), "--deck", "jl"], [line, {"grade": "good"}])
    assert code == 0
    assert kinds(events) == ["card", "error", "card", "recorded", "card", "done"]
    error = events[1]
    assert error["card"] == "jl-one" and message in error["message"], error["message"]
    assert events[2] == events[0]  # the same card, unchanged
    assert db(isolated_home, "SELECT card_id, quality FROM reviews") == [("jl-one", 4)]


def test_blank_lines_are_ignored(deck, isolated_home):
    _, events, _ = review(["--cards", str(deck), "--deck", "jl"], ["", "   ", {"grade": "good"}])
    assert kinds(events) == ["card", "recorded", "card", "done"]


def test_a_problem_before_the_session_is_an_error_on_stderr(deck, isolated_home):
    code, events, stderr = review(["--cards", str(deck), "--deck", "nope"], [{"grade": "good"}])
    assert code == 1 and events == []
    assert stderr.startswith("Error: no deck named 'nope'; decks: ")
    code, events, stderr = review(["--cards", str(deck), "--deck", "jl", "--limit", "3"], [])
    assert code == 2 and "--limit goes with --cram" in stderr


# --- undo and quit -------------------------------------------------------------------------


def test_undo_takes_back_the_last_answer_and_shows_its_card(deck, isolated_home):
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl"],
        [{"grade": "good"}, {"grade": "again"}, {"undo": True}, {"grade": "easy"}, {"quit": True}],
    )
    # one, two (again), three: undo takes back two's Again and shows it again.
    assert kinds(events) == ["card", "recorded"] * 2 + ["card", "card", "recorded", "card", "done"]
    assert events[4]["card"] == "jl-three"
    back = events[5]
    assert back["card"] == "jl-two" and back["kind"] == "new" and back["answered"] == 1
    assert back["undone"] == {"card": "jl-two", "grade": "again", "quality": 1}
    assert back["remaining"] == {"new": 2, "relearn": 0, "review": 0}  # no relearn left
    assert events[6]["grade"] == "easy" and events[6]["relearn"] is False
    assert db(isolated_home, "SELECT card_id, quality FROM reviews ORDER BY id") == [
        ("jl-one", 4),
        ("jl-two", 5),
    ]
    assert dict(
        db(isolated_home, "SELECT card_id, interval FROM state WHERE scheduler = 'sm2'")
    ) == {
        "jl-one": 1,
        "jl-two": 1,
    }
    assert events[-1]["reason"] == "quit" and events[-1]["summary"]["answered"] == 2


def test_quit_ends_the_session_and_ignores_the_rest(deck, isolated_home):
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl"],
        [{"grade": "good"}, {"quit": True}, {"grade": "good"}],
    )
    assert kinds(events) == ["card", "recorded", "card", "done"]
    assert events[-1]["reason"] == "quit"
    assert db(isolated_home, "SELECT COUNT(*) FROM reviews") == [(1,)]


def test_the_summary_counts_time_answering_as_stats_does(deck, isolated_home):
    """`done.summary.seconds` was the sitting's wall-clock length (0 under MLPREP_NOW), while
    the screen and `stats` count the logged answer times, each up to 60 s."""
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl"],
        [{"grade": "good", "seconds": 40}, {"grade": "good", "seconds": 95}, {"quit": True}],
    )
    summary = events[-1]["summary"]
    assert summary["seconds"] == 40 + 60  # the second answer counts 60 s, as in stats
    assert summary["wall_seconds"] == 0.0  # the clock stands still under MLPREP_NOW
    stats = json.loads(
        runner.invoke(
            app, ["stats", "--json", "--cards", str(deck)], env={"MLPREP_NOW": DAY1}
        ).stdout
    )
    assert stats["time"]["today_ms"] == summary["seconds"] * 1000  # one definition


def test_end_of_input_mid_card_ends_with_done_and_keeps_the_answers(deck, isolated_home):
    _, events, _ = review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}])
    assert kinds(events) == ["card", "recorded", "card", "done"]
    assert events[-1]["reason"] == "end of input"
    assert events[-1]["summary"]["answered"] == 1
    assert db(isolated_home, "SELECT card_id FROM reviews") == [("jl-one",)]
    _, events, _ = review(["--cards", str(deck), "--deck", "jl"], [])  # no input at all
    assert kinds(events) == ["card", "done"] and events[0]["card"] == "jl-two"


def test_nothing_due_is_done_at_once_with_the_next_due_date(deck, isolated_home):
    review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}] * 3)
    _, events, _ = review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}])
    assert kinds(events) == ["done"]
    assert events[0]["reason"] == "finished"
    assert events[0]["summary"]["answered"] == 0
    assert events[0]["summary"]["next_due"] == "2026-12-02"


# --- computed cards ------------------------------------------------------------------------


SEED = 4242


@pytest.fixture
def problem_data(monkeypatch) -> dict:
    """Computed cards draw seed SEED; the data the generator makes from it (the answer is
    then computed here from that data, not taken from mlprep)."""
    import mlprep.app.drilling
    from mlprep.drills import get_generator

    monkeypatch.setattr(mlprep.app.drilling, "random_seed", lambda: SEED)
    problem = get_generator("conv_params").generate(SEED, {})
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in problem.data.items()}


def drill_lines(data: dict, *plan: str) -> list:
    """Request lines for a plan of "right", "wrong", "invalid" or a grade name."""
    right = conv_params_answer(data)
    typed = {"right": {"answer": str(right)}, "wrong": {"answer": right + 1}}
    return [typed.get(step) or ({"answer": "1, 2"} if step == "invalid" else {"grade": step})
            for step in plan]  # fmt: skip


def drill(computed: Path, data: dict, *plan: str) -> list[dict]:
    _, events, _ = review(["--cards", str(computed), "--deck", "jc"], drill_lines(data, *plan))
    return events


@pytest.mark.parametrize(
    ("plan", "grade", "attempts"),
    [
        (["right"], "good", 1),
        (["wrong", "right"], "hard", 2),
        (["wrong", "wrong"], "again", 2),
        (["invalid", "wrong", "invalid", "right"], "hard", 2),  # unreadable costs no try
    ],
)
def test_computed_cards_are_graded_by_the_drill_policy(
    computed, isolated_home, problem_data, plan, grade, attempts
):
    events = drill(computed, problem_data, *plan)
    (rec,) = [e for e in events if e["event"] == "recorded"]
    answered_at = events.index(rec)
    # Below Good, the card comes back later the same session (a new problem, unanswered).
    relearn = ["card"] if grade != "good" else []
    assert kinds(events)[answered_at:] == ["recorded", *relearn, "done"]
    quality = {"good": 4, "hard": 3, "again": 1}[grade]
    assert (rec["card"], rec["grade"], rec["quality"], rec["kind"], rec["attempts"]) == (
        "jc-conv",
        grade,
        quality,
        "drill",
        attempts,
    )
    right = conv_params_answer(problem_data)
    assert rec["verdict"]["status"] == ("wrong" if grade == "again" else "correct")
    assert rec["expected"] == str(right) and rec["solution"]
    cards = [e for e in events[:answered_at] if e["event"] == "card"]
    assert len(cards) == len(plan)  # the same card until it is recorded
    assert all(c["problem"]["seed"] == SEED and c["problem"]["data"] == problem_data for c in cards)
    assert "a" not in cards[0] and cards[0]["q"] == "Count the parameters."
    tries_before = [sum(p == "wrong" for p in plan[:i]) for i in range(len(plan))]
    assert [c["attempt"] for c in cards] == [1 + n for n in tries_before]
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == plan.count("invalid")
    assert all(e["message"].startswith("cannot read that answer: ") for e in errors)
    assert all(e["message"].endswith("(no try used)") for e in errors)
    typed = str(right + 1) if grade == "again" else str(right)
    grade_value = {"good": 3, "hard": 2, "again": 1}[grade]
    assert db(isolated_home, "SELECT grade, quality, kind, seed, typed, correct FROM reviews") == [
        (grade_value, quality, "drill", SEED, typed, int(grade != "again"))
    ]


def test_a_miss_says_why_but_not_the_answer(computed, isolated_home, problem_data):
    events = drill(computed, problem_data, "wrong")
    assert kinds(events) == ["card", "card", "done"]
    retry = events[1]
    assert retry["attempt"] == 2 and retry["max_attempts"] == 2
    right = conv_params_answer(problem_data)
    assert retry["missed"] == {
        "typed": str(right + 1),
        "status": "wrong",
        "message": retry["missed"]["message"],
    }
    assert str(right) not in retry["missed"]["message"]
    # End of input after a miss: the card was not answered, so nothing is logged.
    assert events[-1]["reason"] == "end of input"
    assert db(isolated_home, "SELECT COUNT(*) FROM reviews") == [(0,)]


def test_the_problem_is_the_object_drill_json_prints(computed, problem_data):
    events = drill(computed, problem_data)
    result = runner.invoke(
        app, ["drill", "--generator", "conv_params", "--seed", str(SEED), "--json"]
    )
    assert result.exit_code == 0 and json.loads(result.stdout) == events[0]["problem"]


def test_a_grade_for_a_computed_card_is_a_self_graded_review(computed, isolated_home, problem_data):
    rec = drill(computed, problem_data, "easy")[1]
    assert (rec["grade"], rec["kind"], rec["attempts"], rec["verdict"]) == (
        "easy",
        "review",
        0,
        None,
    )
    assert rec["expected"] == str(conv_params_answer(problem_data))
    assert db(isolated_home, "SELECT grade, kind, seed, typed, correct FROM reviews") == [
        (4, "review", SEED, None, None)
    ]


def test_a_grade_after_a_miss_is_the_missed_drill(computed, isolated_home, problem_data):
    rec = drill(computed, problem_data, "wrong", "again")[2]
    assert rec["event"] == "recorded"
    assert (rec["grade"], rec["kind"], rec["attempts"]) == ("again", "drill", 1)
    assert rec["verdict"]["status"] == "wrong"
    right = conv_params_answer(problem_data)
    assert db(isolated_home, "SELECT grade, kind, typed, correct FROM reviews") == [
        (1, "drill", str(right + 1), 0)
    ]


def test_a_computed_card_comes_back_with_a_fresh_problem(
    computed, isolated_home, problem_data, monkeypatch
):
    import mlprep.app.drilling

    seeds = iter([SEED, SEED + 1, SEED + 2])
    monkeypatch.setattr(mlprep.app.drilling, "random_seed", lambda: next(seeds))
    _, events, _ = review(
        ["--cards", str(computed), "--deck", "jc"],
        [*drill_lines(problem_data, "wrong", "wrong"), {"undo": True}],
    )
    assert kinds(events) == ["card", "card", "recorded", "card", "card", "done"]
    relearn, undone = events[3], events[4]
    assert relearn["kind"] == "relearn" and relearn["problem"]["seed"] == SEED + 1
    assert undone["undone"] == {"card": "jc-conv", "grade": "again", "quality": 1}
    assert undone["kind"] == "new" and undone["problem"]["seed"] == SEED + 2
    assert undone["attempt"] == 1 and "missed" not in undone
    assert db(isolated_home, "SELECT COUNT(*) FROM reviews") == [(0,)]


def test_a_broken_computed_card_is_skipped_and_reported(tmp_path, deck, isolated_home):
    broken = tmp_path / "broken.yaml"
    broken.write_text("deck: jb\ncards:\n  - {id: jb-x, type: computed, generator: no_such}\n")
    code, events, stderr = review(["--cards", str(broken), "--deck", "jb"], [])
    assert code == 0 and kinds(events) == ["done"]
    (problem,) = events[0]["skipped"]
    assert "no_such" in problem and "jb-x" in problem
    assert "warning: skipped: " in stderr


# --- modes and options -----------------------------------------------------------------------


def test_cram_moves_no_schedule(deck, isolated_home):
    review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}, {"grade": "good"}])
    state = "SELECT card_id, due, interval, streak, memory FROM state WHERE scheduler = 'sm2' ORDER BY card_id"
    before = db(isolated_home, state)
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl", "--cram"],
        [{"grade": "again"}, {"grade": "easy"}, {"grade": "again"}],
        now=DAY2,
    )
    cards = [e for e in events if e["event"] == "card"]
    assert all(c["preview"] == dict.fromkeys(("again", "hard", "good", "easy")) for c in cards)
    assert all(set(c["preview_labels"].values()) == {"no change"} for c in cards)
    recorded = [e for e in events if e["event"] == "recorded"]
    assert [r["kind"] for r in recorded] == ["cram"] * 3
    assert not any(r["scheduled"] for r in recorded)
    # A scheduled card keeps its due date; the never-studied one has none.
    assert [(r["card"], r["due"]) for r in recorded] == [
        ("jl-one", "2026-12-02"),
        ("jl-two", "2026-12-02"),
        ("jl-three", None),
    ]
    assert db(isolated_home, state) == before
    assert db(isolated_home, "SELECT COUNT(*) FROM reviews WHERE kind = 'cram'") == [(3,)]


def test_deck_tag_and_new_limits_apply(deck, computed, isolated_home):
    both = ["--cards", str(deck), "--deck", "jl", "--cards", str(computed)]
    _, events, _ = review([*both, "--tag", "jl-ridge"], [])
    assert [e["card"] for e in events if e["event"] == "card"] == ["jl-one"]
    assert events[0]["remaining"] == {"new": 1, "relearn": 0, "review": 0}
    _, events, _ = review([*both, "--deck", "jl", "--new", "1"], [{"grade": "good"}])
    assert kinds(events) == ["card", "recorded", "done"]
    _, events, _ = review([*both, "--deck", "jc", "--level", "advanced"], [])
    assert kinds(events) == ["done"]  # no card of that level: nothing to study


def test_max_reviews_caps_todays_reviews(deck, isolated_home):
    review(["--cards", str(deck), "--deck", "jl"], [{"grade": "good"}] * 3)
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl", "--max-reviews", "2"], [], now=DAY2
    )
    assert events[0]["remaining"] == {"new": 0, "relearn": 0, "review": 2}


def test_expert_mode_takes_a_quality_and_previews_each(deck, isolated_home):
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl", "--expert"],
        [{"quality": 6}, {"quality": 2}, {"grade": "good"}, {"quit": True}],
    )
    assert kinds(events) == ["card", "error", "card", "recorded", "card", "recorded", "card"] + [
        "done"
    ]
    assert "0..5, got 6" in events[1]["message"]
    card = events[0]
    assert card["quality_preview"] == dict.fromkeys("012345", 1)
    assert card["quality_labels"]["2"] == "1d ↻" and card["quality_labels"]["4"] == "1d"
    assert (events[3]["grade"], events[3]["quality"], events[3]["relearn"]) == ("again", 2, True)
    assert db(isolated_home, "SELECT grade, quality FROM reviews ORDER BY id") == [(1, 2), (3, 4)]
    _, events, _ = review(["--cards", str(deck), "--deck", "jl", "--expert"], [{"grade": 5}])
    assert "for an SM-2 quality send quality" in events[1]["message"]


def test_the_answer_that_makes_a_leech_says_so(deck, isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.toml").write_text("leech_threshold = 1\n")
    review(["--cards", str(deck), "--deck", "jl", "--tag", "jl-ridge"], [{"grade": "good"}])
    _, events, _ = review(
        ["--cards", str(deck), "--deck", "jl", "--tag", "jl-ridge"], [{"grade": "again"}], now=DAY2
    )
    assert events[1]["leech"] is True  # a pass, then a fail: the first lapse


# --- the request parser --------------------------------------------------------------------


def test_parse_request_reads_each_action():
    assert parse_request('{"grade": "Hard", "seconds": 3}').value.quality == 3
    assert parse_request('{"grade": "Hard", "seconds": 3}').seconds == 3.0
    assert parse_request(b'\xef\xbb\xbf{"grade": 4}\r\n').value.quality == 5
    assert parse_request('{"quality": 0}', expert=True).value.quality == 0
    assert parse_request('{"answer": [[1, 2], [3, 4.5]]}').value == "[[1, 2], [3, 4.5]]"
    assert parse_request('{"answer": -0.25}').value == "-0.25"
    assert parse_request('{"undo": true}').action == "undo"
    assert parse_request("  \n") is None
    with pytest.raises(RequestError, match="answer is text"):
        parse_request('{"answer": {"x": 1}}')
    with pytest.raises(RequestError, match="answer is text"):
        parse_request('{"answer": [1, true]}')
    with pytest.raises(RequestError, match="between 0 and 86400"):
        parse_request('{"grade": 1, "seconds": 86401}')


# --- the loop alone, over a store ------------------------------------------------------------


def test_the_response_time_is_measured_from_the_card_to_the_answer(tmp_path):
    from datetime import date, datetime, timezone

    from mlprep.app.library import day_queue
    from mlprep.core.session import ReviewSession
    from mlprep.storage.store import Store
    from mlprep.term.jsonl import run_jsonl

    deck = tmp_path / "deck.yaml"
    deck.write_text("cards:\n  - {id: c1, q: q1, a: a1}\n  - {id: c2, q: q2, a: a2}\n")
    ticks = iter([100.0, 107.25, 200.0, 300.0])  # c1 shown, answered; c2 shown; c2 again
    lines = iter([b'{"grade": "good"}\n', b'{"grade": "hard", "seconds": 4}\n'])
    events: list[dict] = []
    day = date(2026, 12, 1)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        session = ReviewSession(
            store, day_queue(store, day), day, lambda: datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
        )
        outcome = run_jsonl(
            session, store.card, lambda: next(lines, None), events.append, clock=lambda: next(ticks)
        )
        assert [r.response_ms for r in store.reviews()] == [7250, 4000]
    assert [e["seconds"] for e in events if e["event"] == "recorded"] == [7.25, 4.0]
    assert outcome.reason == "end of input" and outcome.summary.answered == 2  # c2 relearns


def test_basic_cards_load_no_numpy_yaml_or_rich(deck, isolated_home):
    import os
    import subprocess
    import sys

    review(["--cards", str(deck), "--deck", "jl"], [])  # the first run parses the deck file
    code = (
        "import sys\nfrom mlprep.cli import app\ntry:\n"
        f"    app(['review', '--jsonl', '--cards', {str(deck)!r}, '--deck', 'jl'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'yaml', 'rich', 'sqlite_utils') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=b'{"grade": "good"}\n',
        capture_output=True,
        env={**os.environ, "MLPREP_NOW": DAY1},
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == ["card", "recorded", "card", "done"]
    assert result.stderr.decode().strip().splitlines()[-1] == "[]"


def test_the_readme_documents_every_request_and_event():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("#### `mlprep review --jsonl`") :]
    for key in ("grade", "quality", "answer", "undo", "quit"):
        assert f'{{"{key}": ' in section, key
    for event in ("card", "recorded", "unsaved", "saved", "error", "done"):
        assert f'"event": "{event}"' in section and f"- `{event}`:" in section, event
