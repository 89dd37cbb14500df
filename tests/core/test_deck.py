from pathlib import Path

import pytest

from mlprep.decks.loader import deck_files, duplicate_ids, load_paths, parse_file, parse_text


def issues_of(text: str) -> list[str]:
    return [str(i) for i in parse_text(text, "deck.yaml", "deck").issues]


def test_valid_file_with_defaults_and_file_tags():
    result = parse_text(
        "tags: [ml]\ncards:\n  - id: a-card\n    q: Q?\n    a: A.\n    tags: [ridge, ml]\n",
        "x.yaml",
        "x",
    )
    assert result.issues == []
    (card,) = result.cards
    assert card.deck == "x" and card.type == "basic"
    assert card.tags == ("ml", "ridge")
    assert (card.path, card.line) == ("x.yaml", 3)


def test_deck_key_overrides_file_name():
    result = parse_text("deck: custom\ncards:\n  - {id: c, q: q, a: a}\n", "x.yaml", "x")
    assert result.cards[0].deck == "custom"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cards:\n  - id: a\n    q: [\n", "deck.yaml:4: YAML syntax error"),
        ("cards:\n  - id: a\n    q: x\n", "deck.yaml:2: card a is missing 'a'"),
        ("cards:\n  - q: x\n    a: y\n", "deck.yaml:2: card is missing 'id'"),
        ("cards:\n  - id: Bad_Id\n    q: x\n    a: y\n", "deck.yaml:2: id 'Bad_Id' must match"),
        ("cards:\n  - id: a\n    q: 3\n    a: y\n", "deck.yaml:3: 'q' must be a string, got int"),
        (
            "cards:\n  - id: a\n    q: x\n    a: y\n    colour: red\n",
            "deck.yaml:5: unknown key 'colour'",
        ),
        ("cards:\n  - id: a\n    q: x\n    a: y\n    tags: ridge\n", None),
        (
            "cards:\n  - id: a\n    q: x\n    a: y\n    tags: [Bad Tag]\n",
            "deck.yaml:5: tag must match",
        ),
        (
            "cards:\n  - id: a\n    type: quiz\n    q: x\n",
            "deck.yaml:2: type must be 'basic' or 'computed'",
        ),
        (
            "cards:\n  - id: a\n    type: computed\n",
            "deck.yaml:2: computed card a is missing 'generator'",
        ),
        (
            "cards:\n  - id: a\n    q: x\n    a: y\n    generator: ols\n",
            "is only for cards with type: computed",
        ),
        ("- just a list\n", "deck.yaml:1: a card file must be a mapping"),
        ("deck: x\n", "deck.yaml:1: missing 'cards:' list"),
        ("cards: 3\n", "deck.yaml:1: 'cards' must be a list, got int"),
        ("cards:\n  - just text\n", "deck.yaml:2: each card must be a mapping"),
        ("title: x\ncards: []\n", "deck.yaml:1: unknown key 'title'"),
    ],
)
def test_problems_are_reported_with_file_and_line(text, expected):
    found = issues_of(text)
    if expected is None:
        assert found == []
    else:
        assert any(line.startswith(expected) or expected in line for line in found), found


def test_every_problem_in_a_file_is_reported():
    text = "cards:\n  - {id: a, q: x}\n  - {id: B, q: x, a: y}\n  - {id: c, q: x, a: y}\n"
    result = parse_text(text, "deck.yaml", "deck")
    assert len(result.issues) == 2
    assert [c.id for c in result.cards] == ["c"]


def test_empty_file_is_an_empty_deck():
    assert parse_text("", "e.yaml", "e").issues == []


def test_params_are_plain_data():
    text = "cards:\n  - id: c\n    type: computed\n    generator: ols\n    params: {level: 2}\n"
    (card,) = parse_text(text, "d.yaml", "d").cards
    assert card.params == {"level": 2} and card.is_computed


def test_unsafe_yaml_tags_are_rejected_not_executed(tmp_path):
    text = "cards:\n  - id: a\n    q: !!python/object/apply:os.system ['echo hacked']\n    a: y\n"
    found = issues_of(text)
    assert found and "deck.yaml" in found[0]


def test_duplicate_ids_across_files(tmp_path: Path):
    (tmp_path / "one.yaml").write_text("cards:\n  - {id: same, q: x, a: y}\n")
    (tmp_path / "two.yaml").write_text("cards:\n\n  - {id: same, q: z, a: w}\n")
    result = load_paths([tmp_path])
    assert [str(i) for i in result.issues] == [
        f"{tmp_path / 'two.yaml'}:3: duplicate id 'same' (first at {tmp_path / 'one.yaml'}:2)"
    ]
    assert duplicate_ids(result.cards)


def test_discovery_and_missing_paths(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("cards: []\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("cards: []\n")
    (tmp_path / "notes.txt").write_text("ignored")
    files, issues = deck_files([tmp_path, tmp_path / "missing"])
    assert [f.name for f in files] == ["a.yaml", "b.yml"]
    assert issues[0].message == "no such file or folder"


def test_non_utf8_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"cards:\n  - id: a\n    q: \xff\n")
    (issue,) = parse_file(bad).issues
    assert "not UTF-8" in issue.message


def test_a_repeated_key_is_reported_not_silently_dropped():
    twice = "cards:\n  - {id: a, q: x, a: y}\ncards:\n  - {id: b, q: x, a: y}\n"
    assert issues_of(twice) == ["deck.yaml:3: duplicate key 'cards' (first at line 1)"]
    card = "cards:\n  - id: b\n    q: x\n    q: z\n    a: y\n"
    assert issues_of(card) == ["deck.yaml:4: duplicate key 'q' (first at line 3)"]


def test_hidden_files_and_folders_are_not_decks(tmp_path: Path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    (tmp_path / "deck.yaml").write_text("cards: []\n")
    files, _ = deck_files([tmp_path])
    assert [f.name for f in files] == ["deck.yaml"]


def test_level_defaults_to_core_and_accepts_the_three_levels():
    text = (
        "cards:\n  - {id: a, q: q, a: a}\n  - {id: b, q: q, a: a, level: basic}\n"
        "  - {id: c, q: q, a: a, level: advanced}\n"
    )
    result = parse_text(text, "x.yaml", "x")
    assert result.issues == []
    assert [c.level for c in result.cards] == ["core", "basic", "advanced"]


def test_unknown_level_is_a_file_line_problem():
    assert issues_of("cards:\n  - {id: a, q: q, a: a, level: expert}\n") == [
        "deck.yaml:2: level must be one of basic, core, advanced, got 'expert'"
    ]
