"""Terminal screens of a computed card: the problem with its data as aligned matrices, the
answer prompt with retries, and the worked solution."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mlprep.core.grades import DRILL_TRIES, Grade, drill_grade
from mlprep.term.render import inline, markdown
from mlprep.term.review import READABLE_WIDTH, KeyReader

if TYPE_CHECKING:
    from rich.console import Console

    from mlprep.core.session import ReviewSession
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem

__all__ = [
    "GIVE_UP",
    "UNDO",
    "Outcome",
    "ask",
    "ask_and_teach",
    "next_key",
    "problem_panel",
    "repeats_prompt",
    "review_computed",
    "solution_panel",
]

GIVE_UP = "?"
QUIT_WORDS = ("q", "quit", "exit")
UNDO_WORDS = ("u", "undo")
UNDO = "undo"  # what `ask` returns when the user typed u where undo is allowed
TRIES = DRILL_TRIES  # a miss allows one more try
# A card's lead-in that repeats this share of the generated prompt's words is not shown too.
LEAD_IN_OVERLAP = 0.6
NEXT_HINT = "⏎/space next · u undo · q quit"


@dataclass(frozen=True)
class Outcome:
    grade: Grade
    typed: str
    correct: bool
    gave_up: bool
    response_ms: int


def _shape_label(value: Any) -> str:
    shape = getattr(value, "shape", ())
    return "" if not shape else " (" + "×".join(map(str, shape)) + ")"


def data_table(problem: Problem) -> Table:
    """Each value on its own row: `name (shape) = ` and the numbers, matrices row-aligned."""
    from mlprep.drills.format import fmt_array

    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="bold")
    grid.add_column()
    for name, value in problem.data.items():
        grid.add_row(f"{name}{_shape_label(value)} =", Text(fmt_array(value), style="cyan"))
    return grid


def _words(text: str) -> set[str]:
    import re

    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def repeats_prompt(lead_in: str, prompt: str) -> bool:
    """Whether a card's lead-in says again what the generated prompt says (most of its words
    are in the prompt): then only the prompt is shown."""
    from mlprep.term.latex import latex_to_unicode

    words = _words(latex_to_unicode(lead_in) + " " + lead_in)
    if not words:
        return False
    return len(words & _words(prompt + " " + latex_to_unicode(prompt))) >= LEAD_IN_OVERLAP * len(
        words
    )


def problem_panel(problem: Problem, lead_in: str = "", title: str = "Problem") -> RenderableType:
    from rich.constrain import Constrain

    parts: list[RenderableType] = []
    if lead_in and not repeats_prompt(lead_in, problem.prompt):
        parts += [markdown(lead_in), Text("")]
    parts += [markdown(problem.prompt), Text(""), data_table(problem)]
    if problem.answer_format:
        parts += [Text(""), Text.assemble(("Answer: ", "bold"), inline(problem.answer_format))]
    subtitle = f"{problem.generator} · seed {problem.seed}"
    panel = Panel(
        Group(*parts), title=title, subtitle=subtitle, title_align="left", border_style="blue"
    )
    return Constrain(panel, READABLE_WIDTH)


def solution_panel(problem: Problem, expected: str) -> RenderableType:
    """The worked steps, negative operands in parentheses (`a − (−2)`), then the answer once
    (a final step that only states it is not repeated)."""
    from rich.constrain import Constrain

    from mlprep.drills.format import tidy_signs

    steps = Table.grid(padding=(0, 1))
    steps.add_column(justify="right", style="bold")
    steps.add_column()
    shown = list(problem.solution)
    if shown and shown[-1].lstrip().lower().startswith("answer:"):
        shown.pop()
    for number, step in enumerate(shown, 1):
        steps.add_row(f"{number}.", markdown(tidy_signs(step)))
    answer = Text.assemble(("Answer: ", "bold"), (expected, "bold green"))
    if "\n" in expected:  # a matrix: rows aligned under each other, as in the problem
        answer = Group(
            Text("Answer:", style="bold"), Padding(Text(expected, style="bold green"), (0, 0, 0, 2))
        )
    panel = Panel(
        Group(steps, Text(""), answer),
        title="Worked solution",
        title_align="left",
        border_style="green",
    )
    return Constrain(panel, READABLE_WIDTH)


def ask(
    problem: Problem,
    read_line: Callable[[str], str],
    say: Callable[[RenderableType], None],
    *,
    allow_undo: bool = False,
    again_note: str = "",
) -> Outcome | str | None:
    """Read answers until one is correct, the tries run out, or the user gives up with `?`.

    Invalid input (unreadable, wrong shape, NaN) is explained and costs no try. Returns None
    when the user quits (q, Ctrl-D) and `UNDO` when they type u (if `allow_undo`: undo the
    previous answer). `again_note` follows "Graded Again" (e.g. "it comes back later today")."""
    from mlprep.drills.answers import check_answer

    started = time.monotonic()
    tries = 0
    graded_again = "Graded Again" + (f": {again_note}" if again_note else "") + "."
    while True:
        try:
            typed = read_line("answer> ").strip()
        except EOFError:
            say(Text(""))  # Ctrl-D left the cursor on the prompt line
            return None
        if typed.lower() in QUIT_WORDS:
            return None
        if typed.lower() in UNDO_WORDS:
            if allow_undo:
                return UNDO
            say(Text("There is nothing to undo yet: type your answer, ? or q.", style="dim"))
            continue
        elapsed = int((time.monotonic() - started) * 1000)
        if typed == GIVE_UP:
            say(Text(f"Shown the solution. {graded_again}", style="yellow"))
            return Outcome(drill_grade(False, tries + 1), typed, False, True, elapsed)
        if not typed:
            say(Text("Type your answer, ? to see the solution, or q to quit.", style="dim"))
            continue
        result = check_answer(problem, typed)
        if result.status == "invalid":
            say(Text(f"Can't read that: {result.message}. Try again.", style="yellow"))
            continue
        tries += 1
        if result.correct:
            grade = drill_grade(True, tries)
            say(
                Text(
                    f"Correct! ({'first try' if tries == 1 else 'after a retry: graded Hard'})",
                    style="bold green",
                )
            )
            return Outcome(grade, typed, True, False, elapsed)
        if tries < TRIES:
            say(
                Text(
                    f"Not quite: {result.message}. One more try, or ? for the solution.",
                    style="red",
                )
            )
            continue
        say(Text(f"Not quite: {result.message}. {graded_again}", style="bold red"))
        return Outcome(drill_grade(False, tries), typed, False, False, elapsed)


def ask_and_teach(
    problem: Problem,
    lead_in: str,
    console: Console,
    read_line: Callable[[str], str],
    *,
    title: str = "Problem",
    allow_undo: bool = False,
    again_note: str = "",
) -> Outcome | str | None:
    """Show the problem, read answers, then always show the worked solution."""
    from mlprep.drills.answers import format_answer

    console.print(problem_panel(problem, lead_in, title=title))
    hint = "Type ? to see the solution" + (", u to undo the last answer" if allow_undo else "")
    console.print(Text(hint + ", q to quit.", style="dim"))
    outcome = ask(problem, read_line, console.print, allow_undo=allow_undo, again_note=again_note)
    if isinstance(outcome, Outcome):
        console.print(solution_panel(problem, format_answer(problem)))
    return outcome


def next_key(keys: KeyReader) -> str:
    """After a solution: one key, as in review. Returns "next", "undo" or "quit"."""
    from mlprep.term.review import CTRL_C, CTRL_D, RESIZE

    while True:
        key = keys.key()
        if key == RESIZE:
            continue
        if key in ("q", CTRL_D):
            return "quit"
        if key == CTRL_C:
            raise KeyboardInterrupt
        if key == "u":
            return "undo"
        return "next"


def review_computed(
    session: ReviewSession,
    card: Card,
    header: RenderableType,
    console: Console,
    keys: KeyReader,
    skipped: list[str],
    *,
    seed: int | None = None,
) -> bool | tuple[str, Any]:
    """Show a computed card inside `mlprep review`: True when it was answered (or skipped),
    False when the user quit, `("undo", Undone | None)` after u (at the prompt: the previous
    answer; after the solution: this one). `seed` shows a given problem again (after an undo).
    A broken card is left out and described in `skipped`, for the caller to report."""
    import readline  # noqa: F401

    from mlprep.app.drilling import DrillItem, DrillSetupError, problem_for, random_seed

    item = DrillItem(card.generator or "", card.params, card)
    problem_seed = random_seed() if seed is None else seed
    try:
        problem = problem_for(item, problem_seed)
    except DrillSetupError as exc:
        session.skip()  # a broken computed card must not end the session
        skipped.append(str(exc))
        return True
    console.clear()
    console.print(header)
    with keys.cooked():
        outcome = ask_and_teach(
            problem,
            card.q,
            console,
            input,
            title=f"Problem · {card.id}",
            allow_undo=True,
            again_note="it comes back later today",
        )
    if outcome is None:
        return False
    from mlprep.core.session import RecordFailed
    from mlprep.term.unsaved import unsaved_notice

    if outcome == UNDO:
        try:
            undone = session.undo()
        except RecordFailed as exc:
            console.print(unsaved_notice(str(exc), len(session.unsaved)))
            return True
        if undone is None or undone.card_id != card.id:
            # The current problem stays the same when this card comes up again.
            return ("undo", undone, problem_seed)
        return ("undo", undone, None)
    try:
        session.answer(
            outcome.grade,
            response_ms=outcome.response_ms,
            kind="drill",
            seed=problem_seed,
            typed=outcome.typed,
            correct=outcome.correct,
        )
    except RecordFailed as exc:
        console.print(unsaved_notice(str(exc), len(session.unsaved)))
    console.print(Text(NEXT_HINT, style="dim"))
    choice = next_key(keys)
    if choice == "undo":
        try:
            return ("undo", session.undo(), None)
        except RecordFailed as exc:
            console.print(unsaved_notice(str(exc), len(session.unsaved)))
            return True
    return choice != "quit"
