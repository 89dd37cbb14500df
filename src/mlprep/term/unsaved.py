"""What a session shows when an answer could not be saved (the database is locked, full or
read-only), and when the answers it kept in memory were saved after all."""

from __future__ import annotations

from rich.text import Text

from mlprep.core.wording import plural
from mlprep.term.render import safe

__all__ = ["saved_notice", "unsaved_notice"]


def unsaved_notice(reason: str, kept: int) -> Text:
    """`reason` is the recorder's sentence (`the answer Good to card X is not saved yet: the
    database ... is locked ...`); `kept` counts the answers now held in memory. The heading
    says "not saved yet" once: the reason follows as what and why."""
    text = Text()
    text.append("Not saved yet: ", style="bold red")
    what, _, why = reason.partition(" is not saved yet: ")
    text.append(safe(f"{what}. {why[:1].upper()}{why[1:]}" if why else reason))
    these = "it" if kept == 1 else f"these {plural(kept, 'answer')}"
    text.append(
        f"\nmlprep keeps {these} in memory and saves "
        f"{'it' if kept == 1 else 'them'} with your next answer, or when you quit.",
        style="red",
    )
    return text


def saved_notice(count: int) -> Text:
    return Text(
        f"Saved: the {plural(count, 'answer')} kept in memory "
        f"{'are' if count != 1 else 'is'} in the log now.",
        style="bold green",
    )
