"""Terminal I/O: one-key input and the screens of a review session."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from mlprep.core.session import GOOD, GRADE_KEYS, Counts, ReviewSession, SessionSummary
from mlprep.term.render import markdown

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
            termios.tcsetattr(self.fd, termios.TCSADRAIN, old)

    @contextmanager
    def cooked(self):
        """Normal line input (echo, editing) for a moment inside `raw()`."""
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._cooked)
        try:
            yield self
        finally:
            tty.setcbreak(self.fd)

    def key(self) -> str:
        ch = os.read(self.fd, 1).decode(errors="replace")
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
    line.append(f"deck {card.deck}", style="bold")
    if card.tags:
        line.append("  tags " + ", ".join(card.tags), style="dim")
    return line


def card_panel(text: str, title: str, style: str) -> Panel:
    return Panel(
        markdown(text), title=title, title_align="left", border_style=style, padding=(0, 1)
    )


EXPERT_KEYS = {str(q): (f"q={q}", q) for q in range(6)}


def grade_bar(preview: dict[int, str], expert: bool = False) -> Text:
    """The keys with what each would do; in expert mode the keys are SM-2 qualities 0-5."""
    bar = Text(" ")
    for key, (label, quality) in (EXPERT_KEYS if expert else GRADE_KEYS).items():
        color = "red" if quality < 3 else "yellow" if quality == 3 else "green"
        bar.append(f"[{key}] {label} ", style=f"bold {color}")
        bar.append(f"{preview[quality]}   ", style="dim")
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
    console: Console,
    keys: KeyReader,
    *,
    expert: bool = False,
    show_computed: Callable[[ReviewSession, Card, RenderableType], bool] | None = None,
    on_answered: Callable[[str], Text | None] | None = None,
) -> SessionSummary:
    """Drive a session from the keyboard until the queue is empty or the user quits.

    `show_computed` runs a computed card through the drill engine and records it; it returns
    False when the user quit. `on_answered` may return a notice to show (e.g. a leech)."""
    notice: Text | None = None  # about the previous answer (a new leech), shown once
    try:
        with keys.raw():
            while session.current is not None:
                item = session.current
                card = session.store.card(item.card_id)
                if card is None:  # retired since the queue was built
                    session.queue.pop(0)
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
                    session.undo()
                    continue
                preview = session.preview(card.id)
                _screen(
                    console,
                    header,
                    card_panel(card.q, "Question", "blue"),
                    card_panel(card.a, "Answer", "green"),
                    grade_bar(preview, expert),
                )
                quality = _read_grade(keys, expert)
                if quality == "quit":
                    break
                if quality == "undo":
                    session.undo()
                    continue
                session.answer(quality, response_ms=int((time.monotonic() - started) * 1000))
                if on_answered is not None:
                    notice = on_answered(card.id)
    except KeyboardInterrupt:
        pass
    if notice is not None:  # the last answer made a leech: say so before the summary
        console.print(notice)
    return session.summary()


def _read_grade(keys: KeyReader, expert: bool) -> int | str:
    while True:
        key = keys.key()
        if key in ("q", CTRL_C):
            return "quit"
        if key == "u":
            return "undo"
        if key in ENTER:
            return GOOD
        grades = EXPERT_KEYS if expert else GRADE_KEYS
        if key in grades:
            return grades[key][1]
