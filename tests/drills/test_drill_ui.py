"""The drill screens as builder functions, rendered to text at 80 columns."""

from __future__ import annotations

from mlprep.drills import generate
from mlprep.drills.answers import format_answer
from mlprep.term.drill import problem_panel, solution_panel
from mlprep.term.render import plain_text


def test_problem_panel_shows_named_shaped_aligned_data():
    problem = generate("ridge", 5)
    screen = plain_text(problem_panel(problem, "Lead-in text."), 80)
    assert "Lead-in text." in screen
    assert "X (3×2) = [[" in screen and "y (3) = [" in screen and "lam = " in screen
    rows = [line for line in screen.splitlines() if line.strip("│ ").startswith("[")]
    assert len({line.index("[") for line in rows[1:3]}) == 1  # matrix rows line up
    assert "ridge · seed 5" in screen


def test_solution_panel_numbers_steps_and_ends_with_the_answer():
    problem = generate("batchnorm", 5)
    screen = plain_text(solution_panel(problem, format_answer(problem)), 80)
    lines = [line.strip("│ ") for line in screen.splitlines()]
    numbered = [line for line in lines if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert len(numbered) == len(problem.solution)
    assert lines.index("Answer:") > lines.index(numbered[-1])
    assert all(len(line) <= 80 for line in screen.splitlines())
