"""The review screens at 80 columns (and wide ones), the keys that act on a card, and what
the session says: every screen is rendered into an 80-column console and checked line by
line."""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from rich.console import Console

from daily.helpers import DAY, Clock, write_decks
from mlprep.app.config import bundled_cards_dir, now
from mlprep.app.library import day_queue, open_library
from mlprep.cli.review import review_hooks
from mlprep.core.grades import Answer, Grade
from mlprep.core.queue import CRAM, Counts
from mlprep.core.session import ReviewSession
from mlprep.decks.loader import Card, deck_files
from mlprep.storage.store import Store
from mlprep.term.review import (
    RESIZE,
    ReviewActions,
    card_header,
    grade_bar,
    grade_note,
    run_review,
    summary_text,
)


class ScriptedKeys:
    """Stands in for KeyReader: the scripted keys, then q."""

    def __init__(self, keys):
        self.keys = list(keys)

    @contextmanager
    def raw(self):
        yield self

    @contextmanager
    def cooked(self):
        yield self

    def key(self) -> str:
        return self.keys.pop(0) if self.keys else "q"


def console(width: int = 80) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, highlight=False)


def output(c: Console) -> str:
    return c.file.getvalue()  # type: ignore[attr-defined]


def render(renderable, width: int = 80) -> list[str]:
    from rich.console import Group

    c = console(width)
    c.print(Group(renderable))  # as the screens print it
    return output(c).rstrip("\n").split("\n")


def assert_fits(lines: list[str], width: int = 80) -> None:
    from rich.cells import cell_len

    for line in lines:
        assert cell_len(line.rstrip()) <= width, f"{cell_len(line.rstrip())} > {width}: {line!r}"


LONG = Card(
    id="a-card-with-a-rather-long-identifier",
    deck="curse-of-dimensionality",
    q="q",
    tags=("curse-of-dimensionality", "nearest-neighbours", "distance-concentration"),
)


def test_the_header_is_one_line_with_the_tags_cut():
    lines = render(card_header(12, Counts(10, 3, 124), LONG))
    assert len(lines) == 1 and lines[0].endswith("…")
    assert lines[0].startswith(" card 12 · new 10  relearn 3  review 124 · deck curse-of-dim")


@pytest.fixture
def store(tmp_path):
    files = write_decks(tmp_path / "decks", files=2, cards=6)
    with Store(tmp_path / "db.sqlite") as s:
        s.sync(files)
        yield s


def previews(store: Store, card: str, day, expert: bool = False):
    session = ReviewSession(store, day_queue(store, day), day, Clock(day))
    answers = [Answer.expert(q) for q in range(6)] if expert else [Answer.of(g) for g in Grade]
    return session.preview_grades(card, answers)


def bar_lines(preview, expert=False, width=80):
    return render(grade_bar(preview, expert), width)


def test_the_grade_bar_shows_interval_and_ease_change_on_one_line(store):
    preview = previews(store, "t01-1", DAY)
    (line,) = bar_lines(preview)
    # SM-2 on a new card: every pass gives 1 day; the ease changes by 0.1 − (5 − q)(0.08 +
    # (5 − q)·0.02): Again (q=1) −0.54, Hard (q=3) −0.14, Good (q=4) 0, Easy (q=5) +0.10.
    assert (
        line == " [1] Again 1d ↻ −0.54   [2] Hard 1d ↻ −0.14   [3] Good 1d ±0   [4] Easy 1d +0.10"
    )
    note = render(grade_note(preview))[0]
    assert "ease 2.50 · same interval for Hard/Good/Easy: the grade moves only the ease" in note


def test_the_grade_bar_fits_80_columns_with_long_intervals(store):
    # Good, Good, Good, Easy... spread out: intervals of months.
    day = DAY
    for grade in (Grade.GOOD, Grade.GOOD, Grade.EASY, Grade.EASY, Grade.EASY):
        store.record("t01-1", Answer.of(grade), Clock(day)(), day)
        day = store.state("t01-1").due
    preview = previews(store, "t01-1", day)
    assert any("mo" in p.label or "y" in p.label for p in preview.values())
    lines = bar_lines(preview)
    assert len(lines) == 1, lines
    assert_fits(lines)
    assert "↻" in lines[0] and "Again" in lines[0] and "Easy" in lines[0]


def test_expert_bar_wraps_between_labels_only(store):
    preview = previews(store, "t01-1", DAY, expert=True)
    lines = bar_lines(preview, expert=True)
    assert len(lines) == 2
    assert_fits(lines)
    labels = ["[0] q=0 1d↻ −.80", "[1] q=1 1d↻ −.54", "[2] q=2 1d↻ −.32", "[3] q=3 1d↻ −.14"]
    labels += ["[4] q=4 1d ±0", "[5] q=5 1d +.10"]
    for label in labels:
        assert sum(label in line for line in lines) == 1, (label, lines)
    # Wide enough, one line with the full labels.
    (wide,) = bar_lines(preview, expert=True, width=130)
    assert "[0] q=0 1d ↻ −0.80" in wide


def test_the_relearn_bar_says_back_today_once(store):
    session = ReviewSession(store, day_queue(store, DAY), DAY, Clock())
    card = session.current.card_id
    session.answer(Grade.AGAIN)
    preview = session.preview_grades(card, [Answer.of(g) for g in Grade])
    (line,) = bar_lines(preview)
    assert line == " [1] Again 1d ↻   [2] Hard 1d ↻   [3] Good 1d   [4] Easy 1d"
    assert "again today" not in line
    assert "Same-day repeat" in render(grade_note(preview))[0]


def test_cram_bar_says_no_schedule_change(store):
    session = ReviewSession(store, day_queue(store, DAY, policy=CRAM), DAY, Clock(), policy=CRAM)
    preview = session.preview_grades("t01-1", [Answer.of(g) for g in Grade])
    (line,) = render(grade_bar(preview, note="cram: no schedule change"))
    assert line == " [1] Again   [2] Hard   [3] Good   [4] Easy   · cram: no schedule change"
    assert grade_note(preview) is None


def screens(out: str) -> list[str]:
    return out.split("\x1b[2J\x1b[H")[1:]  # each screen starts with console.clear()


def run(store_or_lib, keys, width=80, actions=None, read_line=input, card_of=None, **kw):
    store = store_or_lib
    session = ReviewSession(store, day_queue(store, DAY, **kw), DAY, Clock())
    c = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=True)
    summary = run_review(
        session,
        card_of or store.card,
        c,
        ScriptedKeys(keys),
        actions=actions,
        read_line=read_line,
    )
    return session, summary, output(c)


def plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_every_review_screen_fits_80_columns(store):
    # question, reveal, grade Again, more cards, the relearn screen, undo, quit.
    keys = [" ", "1", " ", "3", " ", "3", " ", "3", " ", "2", "u", "q"]
    session, summary, out = run(store, keys)
    text = plain(out)
    for line in text.splitlines():
        assert len(line) <= 80, line
    assert "Question · t01-1" in text  # the card's id is on screen
    assert "relearn 1" in text
    assert "Undid Hard on " in text
    assert summary.answered == 4


def test_wide_terminals_keep_panels_readable(store):
    _, _, out = run(store, [" ", "q"], width=140)
    widths = [len(line) for line in plain(out).splitlines() if line.startswith(("╭", "╰"))]
    assert widths and max(widths) == 100


def test_undo_says_what_it_undid_and_when_there_is_nothing(store):
    _, _, out = run(store, ["u", " ", "3", "u", "q"])
    text = plain(out)
    assert "Nothing to undo yet." in text
    assert "Undid Good on t01-1." in text


def test_suspend_takes_the_card_out_of_every_queue_and_u_brings_it_back(store):
    session, _, out = run(store, ["s", "q"])
    said = " ".join(plain(out).split())
    assert "Suspended t01-1: it leaves every queue. u undoes it" in said
    assert "`mlprep unsuspend t01-1`" in said
    assert "t01-1" in store.suspended_ids()
    tomorrow = DAY + timedelta(days=1)
    assert "t01-1" not in {q.card_id for q in day_queue(store, tomorrow)}
    assert "t01-1" not in {q.card_id for q in day_queue(store, tomorrow, policy=CRAM)}
    assert "t01-1" not in {cid for cid, _ in store.new_cards()}
    session.queue.insert(0, session.queue[0])  # (the next card is current again)
    assert session.undo().event == "suspend"
    assert "t01-1" not in store.suspended_ids()
    assert session.current.card_id == "t01-1"


def test_suspended_computed_cards_leave_the_drill_queue(tmp_path):
    deck = tmp_path / "d.yaml"
    deck.write_text("cards:\n  - {id: c1, type: computed, generator: f1}\n")
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        assert store.computed_cards(DAY) == ["c1"]
        store.add_card_event("c1", "suspend", Clock()())
        assert store.computed_cards(DAY) == []


def test_flag_and_search_keys(store):
    flags: list[str] = []
    actions = ReviewActions(
        toggle_flag=lambda cid: flags.append(cid) or True,
        is_flagged=lambda cid: cid in flags,
        search=lambda query: f"results for {query}",
    )
    _, _, out = run(store, ["f", "/", "x", "q"], actions=actions, read_line=lambda p: "adam")
    text = plain(out)
    assert flags == ["t01-1"]
    assert "Flagged t01-1: `mlprep list --flagged` lists it." in text
    assert "⚑ flagged" in text  # the title of the card once flagged
    assert "results for adam" in text


def test_a_resize_redraws_the_screen(store):
    _, _, out = run(store, [" ", RESIZE, "q"])
    question, answer, again = screens(out)
    assert answer == again and "Answer" in answer and "Answer" not in question


def test_the_summary_time_is_the_stats_answering_time(store):
    from mlprep.storage.reports import compute_report

    session = ReviewSession(store, day_queue(store, DAY), DAY, Clock())
    for ms in (4_000, 75_000, 13_000):  # the slow one counts 60 s, as in stats
        session.answer(Grade.GOOD, response_ms=ms)
    summary = session.summary()
    assert summary.answering_ms == 4_000 + 60_000 + 13_000
    assert compute_report(store.conn, DAY).time.today_ms == summary.answering_ms
    text = summary_text(summary).plain
    assert text == "Session done: 3 answers, 3 cards · 1m 17s answering · 100% passed\n" + (
        "Tomorrow: 3 cards due."
    )


def test_edit_opens_the_file_at_the_card_line_and_shows_the_edited_card(tmp_path, monkeypatch):
    deck = tmp_path / "mine.yaml"
    deck.write_text(
        "cards:\n  - id: e1\n    q: Old question?\n    a: A.\n  - id: e2\n    q: Two?\n    a: B.\n"
    )
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "line, path = sys.argv[1], pathlib.Path(sys.argv[2])\n"
        "pathlib.Path(path.parent / 'line.txt').write_text(line)\n"
        "path.write_text(path.read_text().replace('Old question?', 'New question?'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    empty = tmp_path / "nothing-bundled"
    empty.mkdir()
    monkeypatch.setattr("mlprep.app.config.bundled_cards_dir", lambda: empty)
    lib = open_library([deck])
    try:
        keys = ScriptedKeys(["e", "q"])
        c = Console(file=io.StringIO(), width=80, color_system=None, force_terminal=True)
        session = ReviewSession(lib.store, day_queue(lib.store, lib.today), lib.today, now)
        hooks = review_hooks(lib, c, keys, [], cards=[deck])
        run_review(session, lib.store.card, c, keys, **hooks)
    finally:
        lib.close()
    assert (tmp_path / "line.txt").read_text() == "+2"  # the card's line
    text = plain(output(c))
    first, _, after = text.partition("Edited e1: here it is again.")
    assert "Old question?" in first and "New question?" in after


def test_edit_refuses_bundled_cards(monkeypatch):
    monkeypatch.setenv("MLPREP_NOW", "2026-12-01T09:00")
    monkeypatch.setenv("EDITOR", "false")
    lib = open_library()
    try:
        card = lib.store.card(lib.store.live_cards()[0].id)
        _, message = review_hooks(lib, None, ScriptedKeys([]), [])["actions"].edit(card)
    finally:
        lib.close()
    assert f"{card.id} is a bundled card (bundled:" in message and "read-only" in message
    assert str(bundled_cards_dir()) not in message


def test_nothing_due_says_how_to_get_more_new_cards(store):
    from mlprep.term.review import nothing_due_text

    text = nothing_due_text(DAY + timedelta(days=1), DAY, 10, new_today=10, new_limit=10).plain
    assert "10 of 10 new cards done today; `mlprep review --new 20` brings 10 more" in text
    assert "(--new is the day's total)" in text
    assert "new cards done" not in nothing_due_text(None, DAY, 0, 3, 10).plain


def test_every_card_of_the_bundled_deck_fits_80_columns():
    from mlprep.term.review import card_panel, question_title

    files, _ = deck_files([bundled_cards_dir()])
    from mlprep.decks.loader import load_paths

    for card in load_paths([bundled_cards_dir()]).cards:
        for panel in (
            card_panel(card.q, question_title(card), "blue"),
            card_panel(card.a, "Answer", "green"),
        ):
            assert_fits(render(panel))
    assert files


def test_a_long_summary_wraps_between_its_parts_only():
    from mlprep.core.session import SessionSummary
    from mlprep.term.review import summary_lines

    summary = SessionSummary(
        answered=123, passed=100, seconds=3000, due_tomorrow=45, cards={str(i) for i in range(99)}
    )
    summary.answering_ms = 725_000
    lines = render(summary_lines(summary))
    assert lines == [
        "Session done: 123 answers, 99 cards · 12m 05s answering (50m 00s in all)",
        "  81% passed",
        "Tomorrow: 45 cards due.",
    ]
