import re

import pytest

from mlprep.term.latex import latex_to_unicode
from mlprep.term.render import markdown, plain_text


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


def test_unknown_commands_are_kept_as_written():
    # Dropping the backslash turned `\foo{bar}` into `foobar`: keep what the author wrote.
    assert latex_to_unicode(r"\weirdcommand{x} + \alpha") == r"\weirdcommand{x} + α"


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


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        # A denominator of more than one factor keeps its parentheses.
        (r"\frac{\eta g}{\sqrt{s} + \epsilon}", "ηg/(√s + ε)"),
        (r"\frac{1}{2\sigma^2}", "1/(2σ²)"),
        (r"\frac{\partial L}{\partial z}", "∂L/∂z"),
        (r"\frac{P(x)}{Q(x)}", "P(x)/Q(x)"),
        # A fraction that multiplies what follows is bracketed.
        (r"\frac{1}{n}\sum_i x_i", "(1/n)∑ᵢ xᵢ"),
        (r"\frac{1-\rho}{B}\sigma^2", "((1−ρ)/B)σ²"),
        (r"\frac{a}{b} \cdot c", "a/b · c"),
        # Named operators are spaced from their neighbours.
        (r"-y\ln p", "−y ln p"),
        (r"\ln\frac{p}{1-p}", "ln(p/(1−p))"),
        (r"n_{\text{in}}\operatorname{Var}(w)", "nᵢₙ Var(w)"),
        # Scripts without a Unicode form stay readable.
        (r"\sqrt{8d}", "√(8d)"),
        (r"e^{z_k}", "e^(zₖ)"),
        (r"\lambda_{1,2}", "λ₁,₂"),
        (r"\partial \mathcal{L}", "∂ℒ"),
    ],
)
def test_latex_readability_rules(latex, expected):
    assert latex_to_unicode(latex) == expected
