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

from mlprep.core.grades import Grade, drill_grade
from mlprep.term.render import inline, markdown

if TYPE_CHECKING:
    from rich.console import Console

    from mlprep.core.session import ReviewSession
    from mlprep.decks.loader import Card
    from mlprep.drills import Problem
    from mlprep.term.review import KeyReader

__all__ = [
    "GIVE_UP",
    "Outcome",
    "ask",
    "ask_and_teach",
    "problem_panel",
    "review_computed",
    "solution_panel",
]

GIVE_UP = "?"
QUIT_WORDS = ("q", "quit", "exit")
TRIES = 2  # a miss allows one more try


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


def problem_panel(problem: Problem, lead_in: str = "", title: str = "Problem") -> Panel:
    parts: list[RenderableType] = []
    if lead_in:
        parts += [markdown(lead_in), Text("")]
    parts += [markdown(problem.prompt), Text(""), data_table(problem)]
    if problem.answer_format:
        parts += [Text(""), Text.assemble(("Answer: ", "bold"), inline(problem.answer_format))]
    subtitle = f"{problem.generator} · seed {problem.seed}"
    return Panel(
        Group(*parts), title=title, subtitle=subtitle, title_align="left", border_style="blue"
    )


def solution_panel(problem: Problem, expected: str) -> Panel:
    steps = Table.grid(padding=(0, 1))
    steps.add_column(justify="right", style="bold")
    steps.add_column()
    for number, step in enumerate(problem.solution, 1):
        steps.add_row(f"{number}.", markdown(step))
    answer = Text.assemble(("Answer: ", "bold"), (expected, "bold green"))
    if "\n" in expected:  # a matrix: rows aligned under each other, as in the problem
        answer = Group(
            Text("Answer:", style="bold"), Padding(Text(expected, style="bold green"), (0, 0, 0, 2))
        )
    return Panel(
        Group(steps, Text(""), answer),
        title="Worked solution",
        title_align="left",
        border_style="green",
    )


def ask(
    problem: Problem,
    read_line: Callable[[str], str],
    say: Callable[[RenderableType], None],
) -> Outcome | None:
    """Read answers until one is correct, the tries run out, or the user gives up with `?`.

    Invalid input (unreadable, wrong shape, NaN) is explained and costs no try. Returns None
    when the user quits (q, Ctrl-D)."""
    from mlprep.drills.answers import check_answer

    started = time.monotonic()
    tries = 0
    while True:
        try:
            typed = read_line("answer> ").strip()
        except EOFError:
            return None
        if typed.lower() in QUIT_WORDS:
            return None
        elapsed = int((time.monotonic() - started) * 1000)
        if typed == GIVE_UP:
            say(Text("Shown the solution: graded Again.", style="yellow"))
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
                    f"Correct! ({'first try' if tries == 1 else 'after a retry'})",
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
        say(Text(f"Not quite: {result.message}.", style="bold red"))
        return Outcome(drill_grade(False, tries), typed, False, False, elapsed)


def ask_and_teach(
    problem: Problem, lead_in: str, console: Console, read_line: Callable[[str], str]
) -> Outcome | None:
    """Show the problem, read answers, then always show the worked solution."""
    from mlprep.drills.answers import format_answer

    console.print(problem_panel(problem, lead_in))
    console.print(Text("Type ? to see the solution, q to quit.", style="dim"))
    outcome = ask(problem, read_line, console.print)
    if outcome is not None:
        console.print(solution_panel(problem, format_answer(problem)))
    return outcome


def review_computed(
    session: ReviewSession,
    card: Card,
    header: RenderableType,
    console: Console,
    keys: KeyReader,
    skipped: list[str],
) -> bool:
    """Show a computed card inside `mlprep review`; False means the user quit. A broken card
    is left out and described in `skipped`, for the caller to report after the session."""
    import readline  # noqa: F401

    from mlprep.app.drilling import DrillItem, DrillSetupError, problem_for, random_seed

    item = DrillItem(card.generator or "", card.params, card)
    problem_seed = random_seed()
    try:
        problem = problem_for(item, problem_seed)
    except DrillSetupError as exc:
        session.skip()  # a broken computed card must not end the session
        skipped.append(str(exc))
        return True
    console.clear()
    console.print(header)
    with keys.cooked():
        outcome = ask_and_teach(problem, card.q, console, input)
    if outcome is None:
        return False
    from mlprep.core.session import RecordFailed
    from mlprep.term.unsaved import unsaved_notice

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
    console.print(Text("any key: next card · u undo · q quit", style="dim"))
    try:
        key = keys.key()
    except EOFError:
        return False
    if key == "u":
        try:
            session.undo()
        except RecordFailed as exc:
            console.print(unsaved_notice(str(exc), len(session.unsaved) + 1))
    return key not in ("q", "\x03")
