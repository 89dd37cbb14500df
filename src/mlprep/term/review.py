"""Terminal I/O: one-key input and the screens of a review session."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from mlprep.core.grades import GRADE_KEYS, Answer, Grade
from mlprep.core.queue import Counts
from mlprep.core.session import RecordFailed, ReviewSession, SessionSummary
from mlprep.term.render import markdown, safe
from mlprep.term.unsaved import saved_notice, unsaved_notice

if TYPE_CHECKING:
    from mlprep.decks.loader import Card

__all__ = ["KeyReader", "card_header", "card_panel", "grade_bar", "run_review", "summary_text"]

CTRL_C = "\x03"
ENTER = ("\r", "\n")


class KeyReader:
    """Reads single keypresses from a terminal in cbreak mode (Ctrl-C still interrupts)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()

    @contextmanager
    def raw(self):
        import termios
        import tty

        old = termios.tcgetattr(self.fd)
        self._cooked = old
        try:
            tty.setcbreak(self.fd)
            yield self
        finally:
            # termios.error: the terminal is gone (closed while SIGHUP is ignored).
            with suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, old)

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
        try:
            ch = os.read(self.fd, 1).decode(errors="replace")
        except OSError as exc:  # EIO: the terminal was closed
            raise EOFError from exc
        if ch == "\x1b":  # swallow escape sequences (arrow keys and the like)
            import select

            while select.select([self.fd], [], [], 0.01)[0]:
                os.read(self.fd, 16)
            return "\x1b"
        if ch == "":
            raise EOFError
        return ch


def card_header(index: int, counts: Counts, card: Card) -> Text:
    line = Text()
    line.append(f" card {index}", style="bold")
    line.append("  ·  ")
    line.append(f"new {counts.new}", style="blue")
    line.append("  ")
    line.append(f"relearn {counts.relearn}", style="red")
    line.append("  ")
    line.append(f"review {counts.review}", style="green")
    line.append("  ·  ")
    line.append(f"deck {safe(card.deck)}", style="bold")
    if card.tags:
        line.append("  tags " + safe(", ".join(card.tags)), style="dim")
    return line


def card_panel(text: str, title: str, style: str) -> Panel:
    return Panel(
        markdown(text), title=title, title_align="left", border_style=style, padding=(0, 1)
    )


# The answer each key gives: 1-4 are the grades; in expert mode 0-5 are SM-2 qualities.
ANSWER_KEYS = {key: (grade.label, Answer.of(grade)) for key, grade in GRADE_KEYS.items()}
EXPERT_KEYS = {str(q): (f"q={q}", Answer.expert(q)) for q in range(6)}


def answer_keys(expert: bool) -> dict[str, tuple[str, Answer]]:
    return EXPERT_KEYS if expert else ANSWER_KEYS


def grade_bar(preview: dict[Answer, str], expert: bool = False, note: str = "") -> Text:
    """The keys with what each would do; in expert mode the keys are SM-2 qualities 0-5.
    `note` says something about the whole bar (cram: no schedule change)."""
    bar = Text(" ")
    for key, (label, answer) in answer_keys(expert).items():
        color = "red" if not answer.passed else "yellow" if answer.grade is Grade.HARD else "green"
        bar.append(f"[{key}] {label} ", style=f"bold {color}")
        bar.append(f"{preview[answer]}   ", style="dim")
    if note:
        bar.append(f"· {note} ", style="bold magenta")
    bar.append("· enter = Good · u undo · q quit", style="dim")
    return bar


def summary_text(summary: SessionSummary) -> Text:
    minutes, seconds = divmod(int(round(summary.seconds)), 60)
    text = Text()
    text.append("Session done: ", style="bold")
    cards = len(summary.cards)
    text.append(
        f"{summary.answered} answer{'s' * (summary.answered != 1)} on {cards} card{'s' * (cards != 1)}"
    )
    text.append(f" · {minutes}m {seconds:02d}s")
    if summary.accuracy is not None:
        text.append(f" · accuracy {summary.accuracy:.0%}")
    text.append(f" · {summary.due_tomorrow} due tomorrow")
    return text


def nothing_due_text(next_due: date | None, today: date, tomorrow_count: int) -> Text:
    text = Text("Nothing is due right now. ", style="bold green")
    if next_due is None:
        text.append("No card is scheduled yet: new cards arrive as the daily limit allows. ")
    else:
        days = (next_due - today).days
        text.append(f"Next card is due {next_due.isoformat()} (in {days} day{'s' * (days != 1)}). ")
    text.append(f"Tomorrow: {tomorrow_count} card{'s' * (tomorrow_count != 1)} due.")
    return text


def _screen(console: Console, *parts: RenderableType) -> None:
    console.clear()
    console.print(Group(*parts))


def run_review(
    session: ReviewSession,
    card_of: Callable[[str], Card | None],
    console: Console,
    keys: KeyReader,
    *,
    expert: bool = False,
    show_computed: Callable[[ReviewSession, Card, RenderableType], bool] | None = None,
    on_answered: Callable[[str], Text | None] | None = None,
) -> SessionSummary:
    """Drive a session from the keyboard until the queue is empty or the user quits.

    `card_of` looks a card up by id (None once it left the deck). `show_computed` runs a computed card through the drill engine and records it; it returns
    False when the user quit. `on_answered` may return a notice to show (e.g. a leech)."""
    notice: Text | None = None  # about the previous answer (a new leech), shown once
    try:
        with keys.raw():
            while session.current is not None:
                item = session.current
                card = card_of(item.card_id)
                if card is None:  # retired since the queue was built
                    session.skip()
                    continue
                header = card_header(session.answered + 1, session.counts(), card)
                first_screen: RenderableType = header
                if notice is not None:
                    first_screen, notice = Group(header, notice), None
                if card.is_computed and show_computed is not None:
                    answered = session.answered
                    if not show_computed(session, card, first_screen):
                        break
                    if on_answered is not None and session.answered > answered:
                        notice = on_answered(card.id)
                    continue
                hint = Text(" space/enter: show answer · u undo · q quit", style="dim")
                _screen(console, first_screen, card_panel(card.q, "Question", "blue"), hint)
                started = time.monotonic()
                key = keys.key()
                while key not in (" ", *ENTER, "q", "u", CTRL_C):
                    key = keys.key()
                if key in ("q", CTRL_C):
                    break
                if key == "u":
                    notice = _undo(session) or notice
                    continue
                answers = [answer for _, answer in answer_keys(expert).values()]
                preview = session.preview(card.id, answers)
                note = "" if session.policy.moves_schedule else "cram: no schedule change"
                _screen(
                    console,
                    header,
                    card_panel(card.q, "Question", "blue"),
                    card_panel(card.a, "Answer", "green"),
                    grade_bar(preview, expert, note),
                )
                answer = _read_answer(keys, expert)
                if answer == "quit":
                    break
                if answer == "undo":
                    notice = _undo(session) or notice
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
    except (KeyboardInterrupt, EOFError):
        pass
    if notice is not None:  # the last answer made a leech: say so before the summary
        console.print(notice)
    return session.summary()


def _undo(session: ReviewSession) -> Text | None:
    """Undo the last answer; a notice if the removal could not be saved yet."""
    try:
        session.undo()
    except RecordFailed as exc:
        return unsaved_notice(str(exc), len(session.unsaved) + 1)
    return None


def _read_answer(keys: KeyReader, expert: bool) -> Answer | str:
    while True:
        key = keys.key()
        if key in ("q", CTRL_C):
            return "quit"
        if key == "u":
            return "undo"
        if key in ENTER:
            return Answer.of(Grade.GOOD)
        if key in (known := answer_keys(expert)):
            return known[key][1]
