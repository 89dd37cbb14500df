"""mlprep.decks.ids, .snippets and .yaml_text, the pure part: slugs, ids, near-duplicates,
rendering, and appending to hand-written deck text without changing any byte that was already
there."""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.decks.errors import AuthoringError, IdClashError
from mlprep.decks.files import deck_file_for
from mlprep.decks.ids import assign_ids, near_duplicates, normalise_question, slugify, unique_id
from mlprep.decks.loader import Card, parse_text
from mlprep.decks.snippets import (
    check_cards,
    editor_template,
    make_card,
    parse_snippet,
    significant_text,
    strip_problems,
    with_problems,
)
from mlprep.decks.yaml_text import (
    Style,
    append_cards,
    detect_style,
    new_deck_text,
    rename_id_in_text,
    render_card,
    updated_deck_text,
)

NEW = [
    {
        "id": "new-one",
        "q": "What does $\\lambda$ do: in ridge?",
        "a": "It shrinks the weights.\n\n- bullet: with colon\n",
        "tags": ["ridge", "yes"],
    },
    {"id": "new-two", "q": "'Quoted' start?", "a": "#not a comment"},
]


def inserted_only(before: str, after: str) -> bool:
    """`after` is `before` with one run of characters inserted somewhere."""
    prefix = len(os.path.commonprefix([before, after]))
    suffix = len(os.path.commonprefix([before[prefix:][::-1], after[prefix:][::-1]]))
    return prefix + suffix == len(before) and len(after) > len(before)


def cards_of(text: str) -> list[Card]:
    result = parse_text(text, "deck.yaml", "deck")
    assert result.issues == []
    return result.cards


def check_append(text: str, new=NEW) -> str:
    out = updated_deck_text(text, new, "deck.yaml")
    assert inserted_only(text, out), out
    before, after = parse_text(text, "deck.yaml", "deck").cards, cards_of(out)
    assert [c.to_dict() | {"line": 0} for c in after[: len(before)]] == [
        c.to_dict() | {"line": 0} for c in before
    ]
    assert [c.id for c in after[len(before) :]] == [c["id"] for c in new]
    assert after[-len(new)].q == new[0]["q"] and after[-len(new)].a == new[0]["a"]
    return out


# -- hand-written files ------------------------------------------------------------------------

COMMENTS_AND_QUOTING = """\
# my deck: hand-written, with comments everywhere
deck: "mine"   # quoted on purpose
tags: [ 'hand' ]

cards:
    # --- a section header, indented like the items --------------------------------
    -   id: "first-card"        # double-quoted id
        q: 'What''s a ''quote''?'
        a: >
          Folded text
          over lines.

    -   {id: flow-card, q: "Flow mapping?", a: 'yes'}   # a flow item


    -   id: third
        q: |-
            Literal question
            # not a comment inside a block scalar
        a: "escaped \\"text\\"\\tand tab"
        tags:
          - t1
          - t2
    # trailing comment that belongs to nobody


# comment at the very end
"""

ANCHORS = """\
cards:
- &base
  id: anchor-one
  q: One?
  a: &answer |
    Shared answer.
  tags: &tags [x, y]
- id: anchor-two
  q: Two?
  a: *answer
  tags: *tags
"""

NOT_LAST_KEY = """\
cards:
  - id: a1
    q: A?
    a: A.
  - id: a2
    q: B?
    a: B.

# the deck name comes after the cards
deck: later
tags: [z]
"""

CRLF_NO_FINAL_NEWLINE = (
    "# windows file\r\ncards:\r\n  - id: w1\r\n    q: 'Win: dows?'\r\n    a: |\r\n"
    "      Line one.\r\n      Line two.\r\n\r\n  - id: w2\r\n    q: Two?\r\n    a: Two."
)

FLOW_EMPTY = "deck: empty  # nothing yet\ncards: []   # fill me\ntags: [a]\n"
FLOW_ITEMS = "cards: [{id: f1, q: 'F?', a: F.}, {id: f2, q: G?, a: G.}]  # one line\n"
FLOW_MULTILINE = "cards: [\n    {id: f1, q: F?, a: F.},\n    {id: f2, q: G?, a: G.},\n]\n"
NULL_VALUE = "deck: x\ncards: ~  # none\n"
EMPTY_VALUE = "cards:\ndeck: x\n"
NO_CARDS_KEY = "# just a name so far\ndeck: x\n"
COMMENT_ONLY = "# nothing here yet\n"
BOM = "\ufeffcards:\n  - id: bom1\n    q: Q?\n    a: A.\n"
KEEP_CHOMP = "cards:\n  - id: k1\n    q: Q?\n    a: |+\n      kept\n\n\n# after\n"


@pytest.mark.parametrize(
    "text",
    [COMMENTS_AND_QUOTING, ANCHORS, NOT_LAST_KEY, CRLF_NO_FINAL_NEWLINE, FLOW_ITEMS],
    ids=["comments-quoting", "anchors", "cards-not-last", "crlf-no-final-newline", "flow-items"],
)
def test_append_keeps_every_existing_byte(text):
    check_append(text)


@pytest.mark.parametrize(
    "text",
    [FLOW_MULTILINE, NO_CARDS_KEY, COMMENT_ONLY, BOM, KEEP_CHOMP, ""],
    ids=["flow-multiline", "no-cards-key", "comment-only", "bom", "keep-chomp", "empty"],
)
def test_append_to_other_layouts(text):
    check_append(text)


@pytest.mark.parametrize("text", [FLOW_EMPTY, NULL_VALUE, EMPTY_VALUE])
def test_empty_cards_value_becomes_a_block_list(text):
    out = updated_deck_text(text, NEW, "deck.yaml")
    assert [c.id for c in cards_of(out)] == ["new-one", "new-two"]
    # Everything but the empty value itself is kept, comments included.
    for kept in [line for line in text.splitlines() if "cards" not in line]:
        assert kept in out
    assert "# fill me" in out if text is FLOW_EMPTY else True


def test_insert_point_is_after_the_last_card_before_trailing_comments():
    out = check_append(COMMENTS_AND_QUOTING)
    assert out.index("id: new-one") < out.index("# trailing comment that belongs to nobody")
    assert out.index("- t2") < out.index("id: new-one")
    out = check_append(NOT_LAST_KEY)
    assert out.index("id: new-two") < out.index("# the deck name comes after")


def test_new_cards_follow_the_files_layout():
    out = check_append(COMMENTS_AND_QUOTING)
    assert "\n\n    -   id: new-one\n        q:" in out  # 4-space indent, "-   " items, blank line
    assert "        tags:\n          - ridge\n          - 'yes'\n" in out  # block tag list
    assert "        a: |\n            It shrinks" in out  # block scalar indent 4
    out = check_append(ANCHORS)
    assert "\n- id: new-one\n  q:" in out and "\n\n- id" not in out  # no blank lines there
    assert "  tags: [ridge, 'yes']\n" in out


def test_crlf_and_missing_final_newline_are_kept():
    out = check_append(CRLF_NO_FINAL_NEWLINE)
    assert "\n" not in out.replace("\r\n", "")
    assert not out.endswith("\r\n") and out.endswith("a: '#not a comment'")
    assert out.startswith(CRLF_NO_FINAL_NEWLINE + "\r\n\r\n  - id: new-one\r\n")


def test_flow_list_gets_flow_items():
    out = check_append(FLOW_ITEMS)
    assert out.startswith("cards: [{id: f1, q: 'F?', a: F.}, {id: f2, q: G?, a: G.}, {id: new-one")
    assert out.endswith("]  # one line\n")
    out = check_append(FLOW_MULTILINE)
    assert "    {id: f2, q: G?, a: G.},\n    {id: new-one" in out


def test_block_scalar_keep_chomping_is_not_swallowed():
    out = check_append(KEEP_CHOMP)
    assert cards_of(out)[0].a == "kept\n\n\n"


def test_detect_style():
    style = detect_style(COMMENTS_AND_QUOTING)
    assert style == Style(
        indent=4, offset=4, block_indent=4, list_indent=2, flow_tags=False, blank_between=True
    )
    assert detect_style(ANCHORS) == Style(indent=0, list_indent=2, blank_between=False)
    assert detect_style(CRLF_NO_FINAL_NEWLINE).newline == "\r\n"
    assert detect_style("") == Style()


@pytest.mark.parametrize(
    "text, message",
    [
        ("cards:\n  - id: ok\n    q: Q?\n  a: bad indent\n", "YAML syntax error"),
        ("cards:\n  - id: Bad_Id\n    q: Q?\n    a: A.\n", "already has problems"),
        (
            "cards:\n  - id: dup\n    q: Q?\n    a: A.\n  - id: dup\n    q: R?\n    a: B.\n",
            "duplicate id",
        ),
        ("- just\n- a list\n", "already has problems"),
    ],
)
def test_invalid_files_are_refused(text, message):
    with pytest.raises(AuthoringError, match=message):
        updated_deck_text(text, NEW, "deck.yaml")


def test_an_invalid_new_card_is_refused():
    with pytest.raises(AuthoringError, match="would make deck.yaml invalid"):
        updated_deck_text(ANCHORS, [{"id": "anchor-one", "q": "Q", "a": "A"}], "deck.yaml")
    with pytest.raises(AuthoringError, match="would make deck.yaml invalid"):
        updated_deck_text(
            ANCHORS, [{"id": "x", "q": "Q", "a": "A", "tags": ["Bad Tag"]}], "deck.yaml"
        )


def test_new_deck_text():
    text = new_deck_text("ridge.yaml", NEW)
    assert text.startswith("# ridge.yaml: your own mlprep cards (deck 'ridge')")
    assert [c.id for c in cards_of(text)] == ["new-one", "new-two"]
    assert updated_deck_text(None, NEW, "x/ridge.yaml") == text


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "key: value",
        "yes",
        "123",
        "- dash",
        "# hash",
        "@at `tick`",
        "trailing space ",
        "multi\nline\n",
        "multi\nno newline",
        "  indented first line\nsecond\n",
        "\nleading blank line\n",
        "two trailing\n\n",
        "tab\there",
        "carriage\rreturn",
        "é ü λ ∑ 😀",
        "\u2028odd break",
        "",
    ],
)
def test_render_card_reads_back_exactly(value):
    card = {"id": "c", "q": value, "a": value, "tags": ["null", "x-1"]}
    loaded = yaml.safe_load("cards:\n" + render_card(card))["cards"][0]
    assert loaded == card


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_render_card_reads_back_any_text(value):
    card = {"id": "c", "q": value, "a": value}
    loaded = yaml.safe_load("cards:\n" + render_card(card, Style(newline="\r\n")))["cards"][0]
    assert loaded == card


def test_render_card_layout():
    card = make_card("What is it?", "Line one\nline two  \n\n", tags=["a", "b"], card_id="it")
    assert render_card(card) == (
        "  - id: it\n    q: What is it?\n    a: |\n      Line one\n      line two\n    tags: [a, b]\n"
    )
    computed = make_card(generator="ridge", params={"level": 2}, tags=["ridge"])
    assert render_card(computed, Style(indent=0)) == (
        "- type: computed\n  generator: ridge\n  params: {level: 2}\n  tags: [ridge]\n"
    )


# -- ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, slug",
    [
        ("What does Adam do?", "adam"),
        ("What does $\\lambda$ do in ridge regression?", "lambda-ridge-regression"),
        ("Why is $\\frac{1}{n}$ biased?", "1-n-biased"),
        ("Qu'est-ce que la régression?", "qu-est-ce-que-la-regression"),
        ("What is it?", "what-is-it"),  # nothing but stop words: keep them all
        ("???", "card"),
        (
            "How does the bias-variance trade-off change with more training data and model size?",
            "bias-variance-trade-off-change-more",
        ),
        ("Supercalifragilisticexpialidocious" * 2, ("supercalifragilisticexpialidocious" * 2)[:40]),
    ],
)
def test_slugify(question, slug):
    assert slugify(question) == slug
    assert len(slug) <= 40


def test_unique_id_adds_a_short_suffix():
    assert unique_id("adam", set()) == "adam"
    assert unique_id("adam", {"adam"}) == "adam-2"
    assert unique_id("adam", {"adam", "adam-2"}) == "adam-3"
    long = "x" * 40
    assert unique_id(long, {long}) == "x" * 38 + "-2"


def test_assign_ids():
    cards = [make_card("What does Adam do?", "A"), make_card("Adam does what?", "B"), {"id": "own"}]
    out = assign_ids(cards, {"adam"})
    assert [c["id"] for c in out] == ["adam-2", "adam-3", "own"]
    assert list(out[0]) == ["id", "q", "a"]
    assert assign_ids([make_card(generator="adam_step")], set())[0]["id"] == "adam-step-drill"
    with pytest.raises(IdClashError) as info:
        assign_ids([{"id": "taken", "q": "Q", "a": "A"}], {"taken"})
    assert info.value.card_id == "taken"
    with pytest.raises(IdClashError):
        assign_ids([{"id": "twice"}, {"id": "twice"}], set())


# -- near-duplicates ---------------------------------------------------------------------------


def test_normalise_question():
    assert normalise_question("What is $\\lambda$,  really?") == "whatislambdareally"


def test_near_duplicates():
    existing = [
        Card(id="adam", deck="d", q="What does **Adam** do?"),
        Card(id="adamw", deck="d", q="What does AdamW do differently from Adam with L2?"),
        Card(id="empty", deck="d", q=""),
    ]
    assert [(c.id, r) for c, r in near_duplicates("what does adam do", existing)] == [("adam", 1.0)]
    found = near_duplicates("What does Adam do??!", existing)
    assert found[0][0].id == "adam"
    close = near_duplicates("What does the Adam do?", existing)
    assert close and close[0][0].id == "adam" and 0.9 <= close[0][1] < 1
    assert near_duplicates("What does RMSProp do?", existing) == []
    assert near_duplicates("", existing) == []


# -- snippets ----------------------------------------------------------------------------------


def test_parse_snippet_forms():
    single = parse_snippet("q: One?\na: One.\n")
    assert single.cards == [{"q": "One?", "a": "One."}] and single.problems == []
    many = parse_snippet("- q: One?\n  a: One.\n- q: Two?\n  a: Two.\n")
    assert len(many.cards) == 2
    deck = parse_snippet("deck: mine\ntags: [t]\ncards:\n  - q: One?\n    a: One.\n    tags: [u]\n")
    assert deck.deck == "mine" and deck.cards[0]["tags"] == ["t", "u"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "nothing to add"),
        ("cards: []\n", "the list of cards is empty"),
        ("q: [unclosed\n", "line 2: YAML syntax error"),
        ("42\n", "expected a card mapping, a list of cards, or a mapping with 'cards:', got int"),
        ("- just a string\n", "card 1: expected a mapping with q and a, got str"),
        ("cards: []\nextra: 1\n", "unknown key(s) 'extra' next to 'cards:'"),
        ("!!python/object:os.system {}\n", "YAML"),
    ],
)
def test_parse_snippet_problems(text, problem):
    assert any(problem in p for p in parse_snippet(text).problems)


def test_check_cards():
    assert check_cards([make_card("Q?", "A.")]) == []
    assert check_cards([{"q": "Q?"}]) == ["the answer (a) is empty"]
    assert check_cards([{"q": " ", "a": "A"}, {"q": "Q", "a": "A", "x": 1}]) == [
        "card 1: the question (q) is empty",
        "card 2: unknown key 'x'; expected one of id, type, q, a, generator, params, tags, level",
    ]
    assert check_cards([{"id": "Bad Id", "q": "Q", "a": "A"}]) == [
        "id 'Bad Id' must match [a-z0-9][a-z0-9-]* (lowercase, digits, '-')"
    ]
    assert check_cards([{"q": "Q", "a": "A", "tags": ["Nope"]}]) == [
        "tag must match [a-z0-9][a-z0-9-]* (e.g. 'ridge'), got 'Nope'"
    ]
    assert check_cards([{"id": "a", "q": "Q", "a": "A"}, {"id": "a", "q": "R", "a": "B"}]) == [
        "card 2: id 'a' is used by more than one new card"
    ]
    assert check_cards([{"type": "computed"}]) == ["computed card new-card is missing 'generator'"]


def test_editor_template_round_trip():
    template = editor_template("mine", {}, ["a", "b"], "/cards")
    snippet = parse_snippet(template)
    assert snippet.deck == "mine" and check_cards(snippet.cards) == [
        "the question (q) is empty",
        "the answer (a) is empty",
    ]
    filled = editor_template("mine", make_card("Q?", "Line\nline", tags=["t"]), [], "/cards")
    assert parse_snippet(filled).cards == [{"q": "Q?", "a": "Line\nline\n", "tags": ["t"]}]
    assert significant_text(template) != significant_text(filled)
    marked = with_problems(filled, ["one", "two\nlines"])
    assert marked.startswith("#! ") and "#!   - lines" in marked
    assert strip_problems(with_problems(marked, ["again"])) == filled


# -- rename ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, old, expected",
    [
        (COMMENTS_AND_QUOTING, "first-card", '    -   id: "renamed"        # double-quoted id'),
        (COMMENTS_AND_QUOTING, "flow-card", "    -   {id: renamed, q:"),
        (ANCHORS, "anchor-one", "  id: renamed\n"),
        (CRLF_NO_FINAL_NEWLINE, "w2", "  - id: renamed\r\n"),
    ],
)
def test_rename_changes_only_the_id(text, old, expected):
    out = rename_id_in_text(text, old, "renamed")
    assert expected in out
    assert out.replace("renamed", old) == text
    assert [c.id for c in cards_of(out)] == [
        "renamed" if c.id == old else c.id for c in cards_of(text)
    ]


def test_rename_quotes_an_id_yaml_would_misread():
    out = rename_id_in_text(ANCHORS, "anchor-two", "no")
    assert "- id: 'no'\n" in out and cards_of(out)[1].id == "no"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("missing", "x", "no card with id 'missing' in deck.yaml"),
        ("anchor-one", "anchor-two", "already in use"),
        ("anchor-one", "Bad", "must match"),
    ],
)
def test_rename_errors(old, new, message):
    with pytest.raises(AuthoringError, match=message):
        rename_id_in_text(ANCHORS, old, new, "deck.yaml")


# -- choosing the file -------------------------------------------------------------------------


def test_deck_file_for(tmp_path):
    a, b = tmp_path / "alpha.yaml", tmp_path / "sub" / "beta.yml"
    files = [a, b]
    assert deck_file_for(tmp_path, "alpha", files) == a
    assert deck_file_for(tmp_path, "alpha.yaml", files) == a
    assert deck_file_for(tmp_path, "beta", files) == b
    assert deck_file_for(tmp_path, "declared", files, {b: "declared"}) == b
    assert deck_file_for(tmp_path, "new-deck", files) == tmp_path / "new-deck.yaml"
    assert deck_file_for(tmp_path, "new.yml", files) == tmp_path / "new.yml"
    with pytest.raises(AuthoringError, match="may only use letters"):
        deck_file_for(tmp_path, "../escape", files)
    with pytest.raises(AuthoringError, match="matches several files"):
        deck_file_for(tmp_path, "alpha", [a, tmp_path / "other" / "alpha.yaml"])


def test_append_nothing_is_identity():
    assert append_cards(COMMENTS_AND_QUOTING, []) == COMMENTS_AND_QUOTING
