"""Terminal I/O: one-key input and the screens of a review session.

Every screen fits 80 columns: the header and the grade bar are one line each (the header's
tags are cut with an ellipsis; the bar drops detail, most useful last, until it fits), and a
label of the bar is never split. Panels keep a readable width (`READABLE_WIDTH`) on wide
terminals. The screen is drawn again when the terminal is resized."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.panel import Panel
from rich.text import Text

from mlprep.core.grades import GRADE_KEYS, Answer, Grade
from mlprep.core.queue import Counts
from mlprep.core.session import GradePreview, RecordFailed, ReviewSession, SessionSummary
from mlprep.core.wording import plural
from mlprep.term.render import markdown, safe
from mlprep.term.unsaved import saved_notice, unsaved_notice

if TYPE_CHECKING:
    from mlprep.decks.loader import Card

__all__ = [
    "KEYS_HINT",
    "READABLE_WIDTH",
    "RESIZE",
    "KeyReader",
    "card_header",
    "card_panel",
    "grade_bar",
    "grade_note",
    "nothing_due_text",
    "run_review",
    "summary_lines",
    "summary_text",
]

CTRL_C = "\x03"
CTRL_D = "\x04"
ENTER = ("\r", "\n")
RESIZE = "\x00resize"  # what KeyReader.key() returns when the terminal was resized
READABLE_WIDTH = 100  # panels stop growing here: ~95 characters of text a line


class KeyReader:
    """Reads single keypresses from a terminal in cbreak mode (Ctrl-C still interrupts).
    While `raw()`, a terminal resize makes `key()` return `RESIZE` so the screen is redrawn."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self._wake: tuple[int, int] | None = None

    @contextmanager
    def raw(self):
        import signal
        import termios
        import tty

        old = termios.tcgetattr(self.fd)
        self._cooked = old
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        self._wake = (wake_r, wake_w)

        def resized(signum: int, frame: Any) -> None:
            with suppress(OSError):  # the pipe is full: a redraw is already pending
                os.write(wake_w, b"r")

        previous = signal.signal(signal.SIGWINCH, resized)
        try:
            tty.setcbreak(self.fd)
            yield self
        finally:
            # termios.error: the terminal is gone (closed while SIGHUP is ignored).
            with suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, old)
            signal.signal(signal.SIGWINCH, previous)
            self._wake = None
            os.close(wake_r)
            os.close(wake_w)

    @contextmanager
    def cooked(self):
        """Normal line input (echo, editing) for a moment inside `raw()`."""
        import termios
        import tty

        try:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._cooked)
        except termios.error as exc:
            raise EOFError from exc  # the terminal is gone
        try:
            yield self
        finally:
            with suppress(termios.error):
                tty.setcbreak(self.fd)

    def key(self) -> str:
        import select

        if self._wake is not None:
            ready = select.select([self.fd, self._wake[0]], [], [])[0]
            if self._wake[0] in ready:
                while select.select([self._wake[0]], [], [], 0)[0]:
                    os.read(self._wake[0], 64)
                return RESIZE
        try:
            ch = os.read(self.fd, 1).decode(errors="replace")
        except OSError as exc:  # EIO: the terminal was closed
            raise EOFError from exc
        if ch == "\x1b":  # swallow escape sequences (arrow keys and the like)
            while select.select([self.fd], [], [], 0.01)[0]:
                os.read(self.fd, 16)
            return "\x1b"
        if ch == "":
            raise EOFError
        return ch


def _line(text: Text) -> Text:
    """One screen line: cut with an ellipsis rather than wrapped."""
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def card_header(index: int, counts: Counts, card: Card) -> Text:
    """Progress, what is left (new / relearn / review), the deck and the tags, on one line."""
    line = Text()
    line.append(f" card {index}", style="bold")
    line.append(" · ")
    line.append(f"new {counts.new}", style="blue")
    line.append("  ")
    line.append(f"relearn {counts.relearn}", style="red")
    line.append("  ")
    line.append(f"review {counts.review}", style="green")
    line.append(" · ")
    line.append(f"deck {safe(card.deck)}", style="bold")
    if card.tags:
        line.append(" · tags " + safe(", ".join(card.tags)), style="dim")
    return _line(line)


def card_panel(text: str, title: str, style: str) -> RenderableType:
    """Card text in a panel, as wide as the screen up to `READABLE_WIDTH`."""
    panel = Panel(
        markdown(text), title=title, title_align="left", border_style=style, padding=(0, 1)
    )
    return Constrain(panel, READABLE_WIDTH)


def question_title(card: Card, flagged: bool = False) -> str:
    """The card's id is on screen: `e`, `s` and `f` act on it, and `mlprep show` takes it."""
    return f"Question · {card.id}" + (" · ⚑ flagged" if flagged else "")


# The answer each key gives: 1-4 are the grades; in expert mode 0-5 are SM-2 qualities.
ANSWER_KEYS = {key: (grade.label, Answer.of(grade)) for key, grade in GRADE_KEYS.items()}
EXPERT_KEYS = {str(q): (f"q={q}", Answer.expert(q)) for q in range(6)}
KEYS_HINT = "u undo · e edit · s suspend · f flag · / search · q quit"


def answer_keys(expert: bool) -> dict[str, tuple[str, Answer]]:
    return EXPERT_KEYS if expert else ANSWER_KEYS


def _signed(x: float, compact: bool = False) -> str:
    if round(x, 2) == 0:
        return "±0"
    text = f"{abs(x):.2f}"
    return ("−" if x < 0 else "+") + (text[1:] if compact and text.startswith("0") else text)


class _Fit:
    """The first of several one-line variants that fits the width; if none does, the labels of
    variant `pack` packed into lines (a label is never split)."""

    def __init__(self, variants: list[tuple[list[Text], int]], pack: int = -1):
        self.variants = variants
        self.pack = pack

    @staticmethod
    def _join(labels: list[Text], gap: int) -> Text:
        line = Text(" ")
        for n, label in enumerate(labels):
            if n:
                line.append(" " * gap)
            line.append_text(label)
        return line

    def lines(self, width: int) -> list[Text]:
        for labels, gap in self.variants:
            line = self._join(labels, gap)
            if line.cell_len <= width:
                return [line]
        labels, gap = self.variants[self.pack]
        if max(label.cell_len for label in labels) + 1 > width:
            labels, gap = self.variants[-1]
        out: list[list[Text]] = [[]]
        for label in labels:
            trial = self._join([*out[-1], label], gap)
            if out[-1] and trial.cell_len > width:
                out.append([])
            out[-1].append(label)
        return [_line(self._join(row, gap)) for row in out]

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield from self.lines(options.max_width)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        widest = max(self._join(labels, gap).cell_len for labels, gap in self.variants)
        narrowest = max(label.cell_len for label in self.variants[self.pack][0]) + 1
        return Measurement(min(narrowest, options.max_width), min(widest, options.max_width))


def _preview_of(value: GradePreview | str, answer: Answer) -> GradePreview:
    if isinstance(value, GradePreview):
        return value
    return GradePreview(answer, None, value, value.endswith("↻"))


def grade_bar(
    preview: dict[Answer, GradePreview] | dict[Answer, str], expert: bool = False, note: str = ""
) -> RenderableType:
    """The keys with what each would do: the interval (`↻`: the card comes back today) and,
    SM-2, the change of the ease, since Hard, Good and Easy often give the same interval and
    differ only there. In expert mode the keys are SM-2 qualities 0-5. `note` says something
    about the whole bar (cram: no schedule change)."""
    entries = []
    for key, (label, answer) in answer_keys(expert).items():
        step = _preview_of(preview[answer], answer)
        color = "red" if not answer.passed else "yellow" if answer.grade is Grade.HARD else "green"
        entries.append((key, label, step, color))

    def variant(brackets: bool, ease: str | None, tight: bool) -> list[Text]:
        labels = []
        for key, label, step, color in entries:
            text = Text()
            text.append(f"[{key}] {label}" if brackets else f"{key} {label}", style=f"bold {color}")
            shown = "" if step.label == "no change" else step.label
            if tight:
                shown = shown.replace(" ↻", "↻")
            if shown:
                text.append(f" {shown}", style="dim" if step.label != "no change" else "")
            change = step.ease_change
            if ease is not None and change is not None and step.interval is not None:
                text.append(f" {_signed(change, ease == 'compact')}", style="dim italic")
            labels.append(text)
        return labels

    variants = [
        (variant(True, "full", False), 3),
        (variant(True, "full", False), 2),
        (variant(True, "compact", True), 2),
        (variant(False, "compact", True), 2),
    ]
    if note:
        variants = [
            ([*labels, Text(f"· {note}", style="bold magenta")], gap) for labels, gap in variants
        ]
    # Too narrow for one line (the 6 keys of --expert at 80 columns): the compact labels with
    # their ease change, on as many lines as needed.
    return _Fit(variants, pack=2)


def grade_note(preview: dict[Answer, GradePreview], expert: bool = False) -> Text | None:
    """A line under the bar that says what SM-2 does with this card now: a same-day repeat
    does not move the schedule; Hard/Good/Easy giving one interval differ only in the ease."""
    steps = list(preview.values())
    if not steps or all(step.label == "no change" for step in steps):
        return None
    text = Text(" ", style="dim")
    if all(step.interval is None for step in steps):
        text.append("Same-day repeat: today's first answer set the schedule; ↻ = back today.")
        return _line(text)
    ease = steps[0].ease_before
    passing = [s for s in steps if s.answer.passed and s.interval is not None]
    same = len({s.interval for s in passing}) == 1 and len(passing) > 1
    if ease is None:
        return None if not same else _line(text.append("Same interval for every passing grade."))
    if same:
        text.append(
            f"ease {ease:.2f} · same interval for Hard/Good/Easy: the grade moves only the ease"
        )
    else:
        text.append(f"ease {ease:.2f}, changed by the grade as shown · ↻ = back today")
    return _line(text)


class _Parts:
    """A line of parts joined by " · " that wraps only between parts (continuation lines
    indented), so that no part is split across lines."""

    SEP = " · "

    def __init__(self, text: Text):
        self.text = text

    def __rich_console__(self, console: Any, options: Any) -> Any:
        width = options.max_width
        parts = self.text.split(self.SEP, allow_blank=True)
        line = Text()
        for n, part in enumerate(parts):
            joined = line.cell_len + (len(self.SEP) if n else 0) + part.cell_len
            if n and joined > width:
                yield line
                line = Text("  ")
            elif n:
                line.append(self.SEP)
            line.append_text(part)
        yield line

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(min(options.max_width, 20), min(options.max_width, self.text.cell_len))


def summary_lines(summary: SessionSummary) -> RenderableType:
    """`summary_text`: its first line wrapped between parts when the terminal is narrow."""
    first, second = summary_text(summary).split("\n")
    return Group(_Parts(first), second)


def summary_text(summary: SessionSummary) -> Text:
    """The end of a session, then tomorrow's count on a line of its own (as `review` says it
    when nothing is due). Its time is the time spent answering (each answer up to 60 s), the
    definition `mlprep stats` uses; the sitting's wall-clock length is in parentheses when it
    differs by more than a minute."""
    text = Text()
    tomorrow = summary.due_tomorrow
    due = f"\nTomorrow: {plural(tomorrow, 'card')} due."
    if not summary.answered:
        text.append("Session done: no cards answered.", style="bold")
        text.append(due)
        return text
    text.append("Session done: ", style="bold")
    cards = len(summary.cards)
    text.append(f"{plural(summary.answered, 'answer')}, {plural(cards, 'card')}")
    text.append(f" · {_clock(summary.answering_ms / 1000)} answering")
    if abs(summary.seconds - summary.answering_ms / 1000) >= 60:
        text.append(f" ({_clock(summary.seconds)} in all)", style="dim")
    if summary.accuracy is not None:
        text.append(f" · {summary.accuracy:.0%} passed")
    text.append(due)
    return text


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m {secs:02d}s"


def nothing_due_text(
    next_due: date | None,
    today: date,
    tomorrow_count: int,
    new_today: int | None = None,
    new_limit: int | None = None,
) -> Text:
    """What `review` says with an empty queue: when the next card is due, how many come
    tomorrow, and when today's new cards are used up, how to get more (`--new` is the day's
    total, not "more")."""
    text = Text("Nothing is due right now. ", style="bold green")
    if next_due is None:
        text.append("No card is scheduled yet: new cards arrive as the daily limit allows. ")
    else:
        days = (next_due - today).days
        text.append(f"Next card is due {next_due.isoformat()} (in {plural(days, 'day')}). ")
    text.append(f"Tomorrow: {plural(tomorrow_count, 'card')} due.")
    if new_today is not None and new_limit is not None and new_today >= new_limit > 0:
        more = new_limit + 10
        text.append(
            f"\n{new_today} of {plural(new_limit, 'new card')} done today; "
            f"`mlprep review --new {more}` brings {more - new_today} more "
            "(--new is the day's total)."
        )
    return text


def _screen(console: Console, *parts: RenderableType) -> None:
    console.clear()
    console.print(Group(*parts))


def _hint(text: str) -> Text:
    return _line(Text(f" {text}", style="dim"))


@dataclass
class ReviewActions:
    """What the review screen can do to a card besides grading it, wired by the CLI:
    `edit(card)` opens it in the editor and returns the card as it is now (None: gone) and a
    message; `search(query)` returns what to show; `toggle_flag(card_id)` returns whether the
    card is flagged now; `is_flagged(card_id)`."""

    edit: Callable[[Card], tuple[Card | None, str]] | None = None
    search: Callable[[str], RenderableType] | None = None
    toggle_flag: Callable[[str], bool] | None = None
    is_flagged: Callable[[str], bool] | None = None


def undo_notice(undone: Any) -> Text:
    if undone is None:
        return Text(" Nothing to undo yet.", style="yellow")
    if undone.event == "suspend":
        return Text(f" Undid: suspended {undone.card_id}; it is back in the queue.", style="yellow")
    text = Text(f" Undid {undone.answer.grade.label} on {undone.card_id}", style="yellow")
    if undone.seed is not None:
        text.append(": the same problem again.")
    else:
        text.append(".")
    return text


def run_review(
    session: ReviewSession,
    card_of: Callable[[str], Card | None],
    console: Console,
    keys: KeyReader,
    *,
    expert: bool = False,
    show_computed: Callable[..., bool] | None = None,
    on_answered: Callable[[str], Text | None] | None = None,
    actions: ReviewActions | None = None,
    read_line: Callable[[str], str] = input,
) -> SessionSummary:
    """Drive a session from the keyboard until the queue is empty or the user quits.

    `card_of` looks a card up by id (None once it left the deck). `show_computed` runs a
    computed card through the drill engine and records it; it returns False when the user quit
    (it gets `notice`, what to say above the problem, and `seed`, the problem to show again
    after an undo). `on_answered` may return a notice to show (e.g. a leech). `actions` wires
    the keys e (edit), / (search) and f (flag); s (suspend) and u (undo) act on the session."""
    actions = actions or ReviewActions()
    notice: RenderableType | None = None  # about the previous action, shown once
    redo_seed: dict[str, int] = {}  # computed cards whose answer was undone: same problem
    interrupted = False

    def header_for(card: Card) -> RenderableType:
        header = card_header(session.answered + 1, session.counts(), card)
        return header if notice is None else Group(header, notice)

    try:
        with keys.raw():
            while session.current is not None:
                item = session.current
                card = card_of(item.card_id)
                if card is None:  # retired since the queue was built
                    session.skip()
                    continue
                if card.is_computed and show_computed is not None:
                    answered = session.answered
                    seed = redo_seed.pop(card.id, None)
                    first_screen, notice = header_for(card), None
                    outcome = show_computed(session, card, first_screen, seed=seed)
                    if outcome is False:
                        break
                    if isinstance(outcome, tuple):  # ("undo", Undone | None, this problem's seed)
                        _, undone, kept_seed = outcome
                        notice = undo_notice(undone)
                        if undone is not None and undone.seed is not None:
                            redo_seed[undone.card_id] = undone.seed
                        if kept_seed is not None:
                            redo_seed.setdefault(card.id, kept_seed)
                        continue
                    if on_answered is not None and session.answered > answered:
                        notice = on_answered(card.id)
                    continue
                flagged = bool(actions.is_flagged and actions.is_flagged(card.id))
                first = header_for(card)  # with the notice, shown once (question side)
                header = card_header(session.answered + 1, session.counts(), card)
                notice = None
                question = card_panel(card.q, question_title(card, flagged), "blue")

                def draw_question(first=first, question=question) -> None:
                    _screen(console, first, question, _hint("space/⏎ show answer · " + KEYS_HINT))

                draw_question()
                started = time.monotonic()
                key = keys.key()
                while key not in (" ", *ENTER, "q", "u", "e", "s", "f", "/", CTRL_C, CTRL_D):
                    if key == RESIZE:
                        draw_question()
                    key = keys.key()
                if key in (CTRL_C, CTRL_D):
                    interrupted = True
                    break
                if key == "q":
                    break
                if key in ("u", "e", "s", "f", "/"):
                    notice = _act(key, session, card, actions, keys, console, read_line)
                    continue
                answers = [answer for _, answer in answer_keys(expert).values()]
                preview = session.preview_grades(card.id, answers)
                cram = not session.policy.moves_schedule
                note = grade_note(preview, expert)
                parts: list[RenderableType] = [
                    header,
                    question,
                    card_panel(card.a, "Answer", "green"),
                    grade_bar(preview, expert, "cram: no schedule change" if cram else ""),
                ]
                if note is not None:
                    parts.append(note)
                parts.append(_hint("⏎ Good · " + KEYS_HINT))
                _screen(console, *parts)
                answer = _read_answer(keys, expert, lambda parts=parts: _screen(console, *parts))
                if answer in ("quit", "interrupt"):
                    interrupted = answer == "interrupt"
                    break
                if isinstance(answer, str):
                    notice = _act(answer, session, card, actions, keys, console, read_line)
                    continue
                kept = len(session.unsaved)
                try:
                    session.answer(answer, response_ms=int((time.monotonic() - started) * 1000))
                except RecordFailed as exc:
                    notice = unsaved_notice(str(exc), len(session.unsaved))
                    continue
                if kept and not session.unsaved:
                    notice = saved_notice(kept)
                if on_answered is not None:
                    notice = on_answered(card.id) or notice
    except KeyboardInterrupt:
        interrupted = True
    except EOFError:
        interrupted = True
    if interrupted:
        console.print()  # ^C or ^D left the cursor after the prompt: the summary gets its line
    if notice is not None:  # e.g. the last answer made a leech: say so before the summary
        console.print(notice)
    return session.summary()


def _act(
    key: str,
    session: ReviewSession,
    card: Card,
    actions: ReviewActions,
    keys: KeyReader,
    console: Console,
    read_line: Callable[[str], str],
) -> RenderableType | None:
    """The keys that act on the current card without grading it; returns the notice."""
    if key == "u":
        try:
            return undo_notice(session.undo())
        except RecordFailed as exc:
            return unsaved_notice(str(exc), len(session.unsaved))
    if key == "s":
        session.suspend()
        return Text(
            f" Suspended {card.id}: it leaves every queue. u undoes it; later, "
            f"`mlprep unsuspend {card.id}`.",
            style="yellow",
        )
    if key == "f":
        if actions.toggle_flag is None:
            return None
        on = actions.toggle_flag(card.id)
        if on:
            return Text(f" Flagged {card.id}: `mlprep list --flagged` lists it.", style="yellow")
        return Text(f" Unflagged {card.id}.", style="yellow")
    if key == "e":
        if actions.edit is None:
            return None
        _, message = actions.edit(card)
        return Text(f" {message}", style="yellow")
    if key == "/":
        if actions.search is None:
            return None
        with keys.cooked():
            try:
                query = read_line("search: ").strip()
            except EOFError:
                query = ""
        if not query:
            return None
        _screen(console, actions.search(query), _hint("any key: back to the card"))
        while keys.key() == RESIZE:
            pass
        return None
    return None


def _read_answer(keys: KeyReader, expert: bool, redraw: Callable[[], None]) -> Answer | str:
    while True:
        key = keys.key()
        if key == RESIZE:
            redraw()
            continue
        if key == "q":
            return "quit"
        if key in (CTRL_C, CTRL_D):
            return "interrupt"
        if key in ("u", "e", "s", "f", "/"):
            return key
        if key in ENTER:
            return Answer.of(Grade.GOOD)
        if key in (known := answer_keys(expert)):
            return known[key][1]
