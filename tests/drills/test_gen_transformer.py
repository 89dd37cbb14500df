"""Generators in mlprep.drills.gen_transformer: transformer_params, attention_flops,
softmax_temperature, top_p_set.

Every expected answer is recomputed here from `problem.data` in plain Python: parameter counts
by listing every weight tensor's shape, FLOPs by adding up each matrix product, the softmax with
math.exp, and the nucleus by brute force over all subsets with exact fractions; never from the
code under test.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from mlprep.drills import Problem
from mlprep.drills.answers import check_answer, format_answer

from .generated import LEVELS, assert_well_posed, problems

# --- shared checks for the exact (integer) generators ---------------------------------------


def assert_exact_well_posed(problem: Problem) -> None:
    answer = np.asarray(problem.answer, dtype=float)
    assert problem.exact and problem.rtol == 0 and problem.atol == 0
    assert answer.shape == problem.shape
    assert np.all(answer == np.round(answer)), "an exact answer holds whole numbers"
    assert np.all(np.abs(answer) < 2**53), "and is exactly representable"
    assert problem.solution and all(isinstance(step, str) and step for step in problem.solution)
    assert problem.answer_format
    assert check_answer(problem, format_answer(problem)).correct
    json.dumps(problem.to_dict())


def off_by_one(problem: Problem) -> str:
    return str(int(problem.answer) + 1)


# --- transformer_params ----------------------------------------------------------------------


def weight_shapes(d: int, layers: int, vocab: int, tied: bool, biases: bool, norms: bool):
    """Every parameter tensor of the described decoder-only Transformer, by shape."""
    shapes = [(vocab, d)] if tied else [(vocab, d), (d, vocab)]
    for _ in range(layers):
        shapes += [(d, d)] * 4 + [(d, 4 * d), (4 * d, d)]  # W_Q, W_K, W_V, W_O; MLP in, out
        if biases:
            shapes += [(d,)] * 4 + [(4 * d,), (d,)]
        if norms:
            shapes += [(d,), (d,)] * 2  # γ, β of the two norms
    if norms:
        shapes += [(d,), (d,)]  # the final norm
    return shapes


def count(shapes) -> int:
    return sum(math.prod(shape) for shape in shapes)


def test_the_shape_listing_reproduces_gpt2_small() -> None:
    # GPT-2 small: 124,439,808 parameters with its 1024 learned positions (1024 × 768).
    shapes = weight_shapes(768, 12, 50257, tied=True, biases=True, norms=True)
    assert count(shapes) + 1024 * 768 == 124_439_808


@pytest.mark.parametrize("level", LEVELS)
def test_transformer_params_counts_every_tensor(level: int) -> None:
    for problem in problems("transformer_params", level):
        data = problem.data
        assert {data["tied"], data["biases"], data["layernorm"]} <= {0, 1}
        shapes = weight_shapes(
            data["d_model"],
            data["n_layers"],
            data["vocab"],
            tied=bool(data["tied"]),
            biases=bool(data["biases"]),
            norms=bool(data["layernorm"]),
        )
        assert problem.answer == float(count(shapes))
        assert_exact_well_posed(problem)
        assert not check_answer(problem, off_by_one(problem)).correct
        assert ("**tied**" in problem.prompt) == bool(data["tied"])
        assert ("**with biases**" in problem.prompt) == bool(data["biases"])
        assert ("**count LayerNorm**" in problem.prompt) == bool(data["layernorm"])
        assert "whole number" in problem.prompt and "4d" in problem.prompt
        if level == 1:  # by hand: 12d² per layer plus the embeddings
            assert data["biases"] == data["layernorm"] == 0


def test_transformer_params_draws_every_convention() -> None:
    seen = {
        (p.data["tied"], p.data["biases"], p.data["layernorm"])
        for p in problems("transformer_params", 3)
    }
    assert len(seen) == 8


# --- attention_flops -------------------------------------------------------------------------


def matmul_flops(rows: int, inner: int, cols: int) -> int:
    return 2 * rows * inner * cols  # one multiply and one add per term


@pytest.mark.parametrize("level", LEVELS)
def test_attention_flops_adds_up_each_matrix_product(level: int) -> None:
    for problem in problems("attention_flops", level):
        n, d, h = problem.data["n"], problem.data["d_model"], problem.data["n_heads"]
        assert d % h == 0
        head = d // h
        flops = 3 * matmul_flops(n, d, d)  # X W_Q, X W_K, X W_V
        flops += h * matmul_flops(n, head, n)  # Q Kᵀ per head
        flops += h * matmul_flops(n, n, head)  # weights · V per head
        flops += matmul_flops(n, d, d)  # output projection W_O
        assert problem.answer == float(flops)
        assert_exact_well_posed(problem)
        assert not check_answer(problem, off_by_one(problem)).correct
        assert "2 FLOPs" in problem.prompt and "whole number" in problem.prompt


# --- softmax_temperature ---------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_softmax_temperature_matches_math_exp(level: int) -> None:
    for problem in problems("softmax_temperature", level):
        z = problem.data["logits"].tolist()
        t = problem.data["T"]
        expected = [1 / sum(math.exp((zj - zi) / t) for zj in z) for zi in z]
        np.testing.assert_allclose(problem.answer, expected, rtol=0, atol=1e-9)
        assert_well_posed(problem)
        assert min(expected) >= 0.01 and t != 1  # no ~0 entries; the temperature matters
        assert len(set(z)) > 1
        untempered = [1 / sum(math.exp(zj - zi) for zj in z) for zi in z]
        assert not np.allclose(expected, untempered, atol=problem.atol)
        if level == 1:
            assert all(v == int(v) for v in z) and t in (0.5, 2.0)


# --- top_p_set -------------------------------------------------------------------------------


def nucleus_by_brute_force(probs: list[Fraction], p: Fraction) -> list[int]:
    """The smallest size k of any token subset with mass ≥ p; the nucleus is the top-k set."""
    n = len(probs)
    k = next(
        size
        for size in range(1, n + 1)
        if any(sum(probs[i] for i in subset) >= p for subset in combinations(range(n), size))
    )
    top = sorted(range(n), key=lambda i: probs[i], reverse=True)[:k]
    return [1 if i in top else 0 for i in range(n)]


@pytest.mark.parametrize("level", LEVELS)
def test_top_p_set_is_the_smallest_set_reaching_p(level: int) -> None:
    for problem in problems("top_p_set", level):
        probs = [Fraction(round(v * 1000), 1000) for v in problem.data["probs"].tolist()]
        p = Fraction(round(problem.data["p"] * 100), 100)
        assert np.allclose([float(v) for v in probs], problem.data["probs"], rtol=0, atol=1e-12)
        assert sum(probs) == 1 and min(probs) > 0
        assert len(set(probs)) == len(probs)  # no ties, so the set is unique
        ranked = sorted(probs, reverse=True)
        prefixes = [sum(ranked[: i + 1]) for i in range(len(ranked))]
        assert p not in prefixes  # the ≥ p boundary is never hit exactly
        mask = nucleus_by_brute_force(probs, p)
        assert problem.answer.tolist() == mask
        assert 2 <= sum(mask) <= len(mask) - 1
        assert_exact_well_posed(problem)
        assert "at least p" in problem.prompt and "token order" in problem.prompt
        if level == 1:
            assert all(v.denominator in (1, 2, 4, 5, 10, 20) for v in probs)  # multiples of 0.05


def test_top_p_set_lists_tokens_unsorted() -> None:
    assert any(
        p.data["probs"].tolist() != sorted(p.data["probs"].tolist(), reverse=True)
        for p in problems("top_p_set")
    )


# --- sizes by level --------------------------------------------------------------------------

SIZE = {
    "transformer_params": lambda data: data["d_model"],
    "attention_flops": lambda data: data["n"] * data["d_model"],
    "softmax_temperature": lambda data: len(data["logits"]),
    "top_p_set": lambda data: len(data["probs"]),
}


@pytest.mark.parametrize("name", sorted(SIZE))
def test_bigger_levels_give_bigger_problems(name: str) -> None:
    largest = [max(SIZE[name](p.data) for p in problems(name, level)) for level in LEVELS]
    smallest = [min(SIZE[name](p.data) for p in problems(name, level)) for level in LEVELS]
    assert smallest[1] > largest[0] or name in ("softmax_temperature", "top_p_set")
    assert largest == sorted(largest) and len(set(largest)) == 3
