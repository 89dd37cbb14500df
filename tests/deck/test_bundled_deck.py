"""The bundled deck: coverage, correctness guards and rendering, computed from the files."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pytest

from mlprep.app.config import bundled_cards_dir
from mlprep.decks.loader import check_generators, load_paths
from mlprep.drills import all_generators, generate
from mlprep.drills.answers import check_answer, format_answer
from mlprep.term.render import markdown, plain_text

# Minimum basic cards per topic tag, from shared/CONTENT.md.
FROM_THE_NOTES = [
    "linear-regression", "ridge", "features", "hyperparameters", "kernels", "systems",
    "normalization", "optimizers", "regularization", "gradients", "bias-variance", "metrics",
]  # fmt: skip
BEYOND_THE_NOTES = [
    "logistic-regression", "softmax-cross-entropy", "gradient-descent", "initialization",
    "cross-validation", "class-imbalance", "roc-auc", "mle-map", "pca", "k-means",
    "decision-trees", "ensembles", "svm", "naive-bayes", "curse-of-dimensionality", "attention",
    "residual-connections", "information-theory",
]  # fmt: skip
# v2 topics (CONTENT.md "v2"), each with at least 6 basic cards; one list per area of the deck.
V2_ARCHITECTURE = ["transformers", "positional-encoding", "tokenization", "decoding"]
V2_LLM_SYSTEMS: list[str] = ["llm-inference", "llm-training", "distributed-training"]
V2_DEEP_LEARNING: list[str] = ["cnn", "backprop", "generative"]
V2_APPLIED = ["calibration", "experimentation", "data-and-shift", "ranking-recsys", "statistics"]
V2 = [*V2_ARCHITECTURE, *V2_LLM_SYSTEMS, *V2_DEEP_LEARNING, *V2_APPLIED]
MINIMUM = {
    **dict.fromkeys(FROM_THE_NOTES, 3),
    **dict.fromkeys(BEYOND_THE_NOTES, 2),
    **dict.fromkeys(V2, 6),
}
ALLOWED_TAGS = set(MINIMUM) | {"derivation"}
WORDS, DERIVATION_WORDS = 80, 150


@pytest.fixture(scope="module")
def deck():
    result = load_paths([bundled_cards_dir()])
    assert result.issues == []
    return result.cards


def basic(cards):
    return [c for c in cards if not c.is_computed]


def test_deck_loads_clean_with_valid_generators(deck):
    assert check_generators(deck) == []


def test_at_least_120_basic_cards(deck):
    assert len(basic(deck)) >= 120


def test_minimum_cards_per_topic(deck):
    counts = Counter(tag for card in basic(deck) for tag in card.tags)
    short = {tag: counts[tag] for tag, need in MINIMUM.items() if counts[tag] < need}
    assert short == {}


def test_only_known_tags_and_every_card_tagged(deck):
    for card in deck:
        assert set(card.tags) & set(MINIMUM), f"{card.id} has no topic tag"
        assert set(card.tags) <= ALLOWED_TAGS, f"{card.id}: {card.tags}"


def test_every_generator_is_used_with_its_topic(deck):
    used = {(c.generator, t) for c in deck if c.is_computed for t in c.tags}
    for gen in all_generators():
        assert (gen.name, gen.topic) in used, f"no computed card uses {gen.name} tagged {gen.topic}"


def test_computed_cards_sit_after_a_basic_card_on_their_topic(deck):
    by_file: dict[str, list] = {}
    for card in deck:
        by_file.setdefault(card.path, []).append(card)
    for cards in by_file.values():
        for index, card in enumerate(cards):
            if card.is_computed:
                before = [c for c in cards[:index] if not c.is_computed]
                assert before, card.id
                assert set(before[-1].tags) & set(card.tags), f"{card.id} follows {before[-1].id}"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\W_]+", " ", text).strip()


def test_no_duplicate_questions(deck):
    seen: dict[str, str] = {}
    for card in basic(deck):
        key = normalise(card.q)
        assert key not in seen, f"{card.id} repeats {seen[key]}"
        seen[key] = card.id


def test_answers_stay_within_length_limits(deck):
    for card in basic(deck):
        limit = DERIVATION_WORDS if "derivation" in card.tags else WORDS
        words = len(card.a.split())
        assert words <= limit, f"{card.id}: {words} words"


RAW_LATEX = re.compile(r"\\[A-Za-z]+|\\[{}|,;!]|\^\{|_\{|\$")


def test_every_card_renders_without_raw_latex(deck):
    for card in deck:
        for field in (card.q, card.a):
            screen = plain_text(markdown(field), 80)
            leftover = RAW_LATEX.search(screen)
            assert leftover is None, f"{card.id}: {leftover.group()!r} in {screen!r}"


def test_known_mistakes_of_the_notes_are_corrected(deck):
    text = {c.id: f"{c.q}\n{c.a}" for c in deck}
    linreg = [f"{c.q}\n{c.a}" for c in deck if "linear-regression" in c.tags]
    assert any(re.search(r"\\arg\s*\\?min", t) for t in linreg)  # the loss is minimised
    assert not any(re.search(r"w\^\*\s*=\s*\\arg\s*\\?max", t) for t in text.values())
    bn = [t for t in text.values() if "BatchNorm" in t and "normali" in t.lower()]
    assert any(
        "batch" in t.lower() and ("feature" in t.lower() or "channel" in t.lower()) for t in bn
    )
    assert any(
        "bias correction" in t.lower() or "bias-corrected" in t.lower() for t in text.values()
    )
    assert any("x_2^2" in t or "x_2^{2}" in t for t in text.values())  # the ellipse, fixed


@pytest.mark.parametrize("seed", range(50))
def test_every_computed_card_gives_a_valid_problem(deck, seed):
    for card in (c for c in deck if c.is_computed):
        problem = generate(card.generator, seed, card.params)
        answer = np.asarray(problem.answer, dtype=float)
        assert np.all(np.isfinite(answer)), card.id
        assert answer.shape == tuple(problem.shape), card.id
        assert check_answer(problem, format_answer(problem)).correct, card.id
        assert problem.prompt and problem.solution, card.id
