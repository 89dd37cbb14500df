import re

import pytest

from mlprep.latex import latex_to_unicode
from mlprep.render import markdown, plain_text


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"w^* = (X^TX + \lambda I)^{-1}X^Ty", "w* = (XᵀX + λI)⁻¹Xᵀy"),
        (r"\|Xw - y\|_2^2", "‖Xw − y‖₂²"),
        (r"\hat{y} = \sigma(w^\top x)", "ŷ = σ(wᵀx)"),
        (r"\frac{a+b}{2}", "(a+b)/2"),
        (r"\sqrt{d_k}", "√dₖ"),
        (r"x \in \mathbb{R}^d", "x ∈ ℝᵈ"),
        (r"\mathcal{N}(0, \sigma^2)", "𝒩(0, σ²)"),
        (r"\binom{d+p}{p}", "C(d+p, p)"),
        (r"\beta_1 = 0.9", "β₁ = 0.9"),
        (r"\theta \mid D", "θ | D"),
        (r"\operatorname{softmax}(z)_i", "softmax(z)ᵢ"),
        (r"\left( a \right)", "( a )"),
        (r"w_{OLS}", "w_OLS"),
    ],
)
def test_latex_to_unicode(latex, expected):
    assert latex_to_unicode(latex) == expected


def test_unknown_commands_leave_no_backslash():
    assert "\\" not in latex_to_unicode(r"\weirdcommand{x} + \alpha")


def test_markdown_renders_math_and_emphasis_without_markup():
    text = plain_text(markdown("Ridge: $w^* = (X^TX + \\lambda I)^{-1}X^Ty$ is **unique**."), 80)
    assert "w* = (XᵀX + λI)⁻¹Xᵀy" in text
    assert "**" not in text and "$" not in text


def test_markdown_lists_code_tables_and_display_math():
    text = plain_text(
        markdown(
            "Intro\n\n- one `x_i`\n- two\n\n$$\\sum_i x_i$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        ),
        60,
    )
    assert "• one x_i" in text and "• two" in text
    assert "∑ᵢ xᵢ" in text
    assert re.search(r"a\s+b", text) and re.search(r"1\s+2", text)
    assert "|" not in text


def test_escaped_dollar_is_literal():
    assert "costs $5" in plain_text(markdown(r"costs \$5"), 40)
