"""Card text between Markdown and Anki's HTML: math, escaping, the HTML subset, clozes, names."""

from __future__ import annotations

import pytest

from mlprep.interop.markup import (
    cloze_numbers,
    cloze_sides,
    deck_slug,
    html_to_markdown,
    markdown_to_html,
    tag_slug,
)

# -- Markdown -> HTML ----------------------------------------------------------------------------


def test_inline_and_display_math_become_mathjax_untouched_by_markdown():
    html = markdown_to_html("Is $x_i^* = w_j^*$ here?\n\n$$\\sum_i a_i b_i$$")
    assert html == (
        "<p>Is \\(x_i^* = w_j^*\\) here?</p>\n<p>\\[\\sum_i a_i b_i\\]</p>"
    )  # no <em> from the underscores or stars inside the math


def test_math_is_html_escaped_inside_mathjax():
    assert markdown_to_html("$a < b \\& c > d$") == "<p>\\(a &lt; b \\&amp; c &gt; d\\)</p>"


def test_escaped_dollar_is_a_dollar_not_math():
    assert markdown_to_html("It costs \\$5 and \\$10.") == "<p>It costs $5 and $10.</p>"


def test_dollars_in_code_are_not_math():
    html = markdown_to_html("Run `echo $HOME$` then\n\n```\n$x$\n```")
    assert "<code>echo $HOME$</code>" in html
    assert "<pre><code>$x$\n</code></pre>" in html
    assert "\\(" not in html


def test_raw_html_in_a_card_is_escaped_never_passed_through():
    html = markdown_to_html('Hi <script>alert(1)</script> <img src=x onerror="y">')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_javascript_links_are_not_made_links():
    assert "href" not in markdown_to_html("[click](javascript:alert(1))")


def test_markdown_structure_lists_tables_bold():
    html = markdown_to_html("**Adam**:\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<strong>Adam</strong>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<td>1</td>" in html and "<th>a</th>" in html


def test_placeholder_characters_in_the_input_cannot_inject_math():
    assert markdown_to_html("a \ue0000\ue001 b $x$") == "<p>a 0 b \\(x\\)</p>"


# -- HTML -> Markdown ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("plain", "plain"),
        ("<b>bold</b> and <strong>strong</strong>", "**bold** and **strong**"),
        ("<i>it</i> <em>em</em>", "*it* *em*"),
        ("one<br>two<br/>three", "one\n\ntwo\n\nthree"),
        ("first<div>second</div><div>third</div>", "first\n\nsecond\n\nthird"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ("<ul><li>a<ul><li>deep</li></ul></li><li>b</li></ul>", "- a\n  - deep\n- b"),
        ("use <code>x*y</code> here", "use `x*y` here"),
        ("<pre>line 1\n  line 2 &amp; $x$</pre>", "```\nline 1\n  line 2 & $x$\n```"),
        ("a&nbsp;b &lt;c&gt; &amp;", "a b <c> &"),
        ("<script>alert(1)</script>shown<style>.x{}</style>", "shown"),
        ("<span style='color:red'>red</span> <u>under</u>", "red under"),
        ("costs $5 or $6", "costs \\$5 or \\$6"),
        ('<img src="cat.png">', "[image: cat.png]"),
        ('<a href="https://x.org">site</a>', "site (https://x.org)"),
        ("<h2>Title</h2>text", "**Title**\n\ntext"),
        (
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "| a | b |\n|---|---|\n| 1 | 2 |",
        ),
    ],
)
def test_html_to_markdown(html, markdown):
    assert html_to_markdown(html) == markdown


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("\\(x_i &lt; 1\\)", "$x_i < 1$"),
        ("see \\[\\sum_i x_i\\] done", "see $$\\sum_i x_i$$ done"),
        ("[$]a^2[/$] and [$$]b[/$$]", "$a^2$ and $$b$$"),
        ("[latex]\\frac{a}{b}[/latex]", "$\\frac{a}{b}$"),
        ("[latex]Area $\\pi r^2$[/latex]", "Area $\\pi r^2$"),
        ("\\(a<br>+ b\\)", "$a + b$"),
        ("<b>\\(x\\)</b> costs $1", "**$x$** costs \\$1"),
    ],
)
def test_math_delimiters_become_dollars(html, markdown):
    assert html_to_markdown(html) == markdown


def test_control_characters_are_dropped():
    assert html_to_markdown("a\x00b\x07c\td\x0b") == "abc d"


# -- clozes --------------------------------------------------------------------------------------


def test_cloze_sides_hide_one_deletion_and_show_the_others():
    text = "{{c1::Paris::city}} is in {{c2::<i>France</i>}}, \\(x_1\\)"
    assert cloze_numbers(text) == [1, 2]
    assert cloze_sides(text, 1) == (
        "[city] is in *France*, $x_1$",
        "**Paris** is in *France*, $x_1$",
    )
    assert cloze_sides(text, 2) == ("Paris is in [...], $x_1$", "Paris is in ***France***, $x_1$")


def test_cloze_of_markdown_text_keeps_dollars():
    assert cloze_sides("{{c1::$x$}} wins", 1, html=False) == ("[...] wins", "**$x$** wins")


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "slug"),
    [
        ("ML::Linear_Models", "ml-linear-models"),
        ("Ökonomie", "okonomie"),
        ("日本", None),
        ("x", "x"),
    ],
)
def test_tag_slug(tag, slug):
    assert tag_slug(tag) == slug


def test_deck_slug():
    assert deck_slug("Machine Learning::Stats") == "machine-learning-stats"
    assert deck_slug("::") == "anki"


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("a <!-- note --> b", "a b"),
        ("<script>if (a<b) {x()}</script>after", "after"),
        ("<STYLE>p{}</style >after", "after"),
        ("<B>loud</B> <BR> <IMG SRC=cat.png>", "**loud**\n\n[image: cat.png]"),
        ('<a href="https://x.org/?a=1&amp;b=2">x</a>', "x (https://x.org/?a=1&b=2)"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("<![CDATA[gone]]>kept", "kept"),
        ("<pre>keep  two  spaces</pre>", "```\nkeep  two  spaces\n```"),
    ],
)
def test_html_edge_cases(html, markdown):
    assert html_to_markdown(html) == markdown
