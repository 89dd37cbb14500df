"""Card text as the screen shows it: LaTeX environments, unknown commands kept as written,
spacing, line breaks the author meant, and inline math that does not break across lines."""

from __future__ import annotations

import pytest

from mlprep.term.latex import latex_to_unicode, unsupported_commands
from mlprep.term.render import markdown, plain_text, unsupported_latex


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize(
    ("latex", "inline"),
    [
        (
            r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
            "{ 1 if x > 0; 0 otherwise }",
        ),
        (
            r"\begin{cases} x & \text{if } x > 0 \\ 0 & \text{else} \end{cases}",
            "{ x if x > 0; 0 else }",
        ),
        (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", "(1 2; 3 4)"),
        (r"\begin{bmatrix} a & b \end{bmatrix}", "[a b]"),
        (r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}", "|a b; c d|"),
        (
            r"\begin{aligned} f(x) &= (x+1)^2 \\ &= x^2 + 2x + 1 \end{aligned}",
            "f(x) = (x+1)²; = x² + 2x + 1",
        ),
        (r"x^\intercal y", "xᵀy"),
        (r"a \overset{?}{=} b", "a ≟ b"),
        # Spacing: scripts stay on their operator, closing delimiters take no space.
        (r"\arg\min_\beta", "arg minᵦ"),
        (r"\max_k z_k", "maxₖ zₖ"),
        (r"\log_2 p", "log₂ p"),
        (r"\lVert x \rVert", "‖x‖"),
        (r"\langle x, y\rangle", "⟨x, y⟩"),
        # Dots keep their spaces; a fraction of two single factors gets no parentheses.
        (r"J_1^T \cdots J_L^T \frac{\partial \mathcal{L}}{\partial h_L}", "J₁ᵀ ⋯ J_Lᵀ ∂ℒ/∂h_L"),
    ],
)
def test_inline_forms(latex, inline):
    assert latex_to_unicode(latex) == inline


def test_display_cases_and_matrices_are_laid_out_on_lines():
    relu = latex_to_unicode(
        r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", display=True
    )
    assert relu.split("\n") == ["f′(x) = ⎧ 1   x > 0", "        ⎩ 0   otherwise"]
    matrix = latex_to_unicode(
        r"A = \begin{bmatrix} 1 & 20 \\ 300 & 4 \\ 5 & 6 \end{bmatrix}", display=True
    )
    assert matrix.split("\n") == ["    ⎡  1  20⎤", "A = ⎢300   4⎥", "    ⎣  5   6⎦"]
    aligned = latex_to_unicode(r"\begin{aligned} L &= a + b \\ &\le c \end{aligned}", display=True)
    assert aligned.split("\n") == ["L = a + b", "  ≤ c"]


def test_unknown_commands_are_kept_raw_and_listed():
    assert latex_to_unicode(r"\foo{bar} + \alpha") == r"\foo{bar} + α"
    assert latex_to_unicode(r"\begin{tikzcd} a \end{tikzcd}") == r"\begin{tikzcd} a \end{tikzcd}"
    assert unsupported_commands(r"\foo{x} + \underbrace{a}_{n} + \foo + \alpha") == [
        r"\foo",
        r"\underbrace",
    ]
    assert unsupported_commands(r"\begin{tikzcd} a \end{tikzcd}") == [r"\begin{tikzcd}"]
    text = "Known $\\alpha$, unknown $x^\\weird$ and $$\\begin{cases} 1 & \\bad \\end{cases}$$"
    assert unsupported_latex(text) == [r"\weird", r"\bad"]
    assert unsupported_latex("No math, a \\$5 note and $\\frac{1}{2}$.") == []


def test_the_render_zoo_of_the_trial_is_not_mangled():
    zoo = (
        "Piecewise: $\\begin{cases} 1 & x>0 \\\\ 0 & \\text{otherwise} \\end{cases}$\n\n"
        "Matrix: $\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}$, transpose $x^\\intercal y$, "
        "unknown $\\foo{bar}$."
    )
    screen = plain_text(markdown(zoo), 80)
    assert "{ 1 if x>0; 0 otherwise }" in screen
    assert "(1 2; 3 4)" in screen and "xᵀy" in screen and "\\foo{bar}" in screen
    for garbage in ("begincases", "beginpmatrix", "ⁱⁿᵗᵉʳᶜᵃˡ", "foobar"):
        assert garbage not in screen


def test_single_line_breaks_are_kept_when_meant():
    # Two short answer lines (typed in `mlprep add`): both lines stay.
    short = plain_text(markdown("The sigmoid's derivative is at most 1/4.\nPeak at $z = 0$."), 80)
    assert lines(short)[:2] == ["The sigmoid's derivative is at most 1/4.", "Peak at z = 0."]
    labelled = "Nested: $\\sqrt[3]{8}$\nMatrix: $A^{-1}$\nText: plain"
    assert lines(plain_text(markdown(labelled), 80))[:3] == [
        "Nested: ∛8",
        "Matrix: A⁻¹",
        "Text: plain",
    ]
    # Hand-wrapped prose (lines near one width) still flows as one paragraph.
    prose = (
        "The forward pass evaluates the nodes in topological order and keeps their values,\n"
        "the backward pass visits them in reverse order and carries each node's adjoint to its\n"
        "inputs, so one sweep gives every gradient."
    )
    flowed = [line for line in lines(plain_text(markdown(prose), 300)) if line]
    assert len(flowed) == 1 and flowed[0].endswith("gives every gradient.")
    # A hard break (two trailing spaces or a backslash) is always kept.
    hard = "A long line of prose that is wrapped by the author at about this width here  \n" + (
        "and a second line, also long, that the author wanted on a line of its own, really."
    )
    assert lines(plain_text(markdown(hard), 200))[0].endswith("about this width here")


def test_inline_math_does_not_break_across_lines():
    text = "Kernel ridge in the dual: $(\\Phi^T\\Phi + \\lambda I_D)^{-1} \\Phi^T y$ is the same."
    for width in range(30, 90, 3):
        screen = plain_text(markdown(text), width)
        assert any("(ΦᵀΦ + λI_D)⁻¹ Φᵀ y" in line for line in lines(screen)), (width, screen)
    # Wider than the screen: it must still show, folded.
    assert "λ" in plain_text(markdown(text), 12)
