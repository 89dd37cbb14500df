"""Generators in mlprep.drills.gen_llm: kv_cache_bytes, training_flops, training_days,
lora_params, perplexity, zero_memory, pipeline_bubble.

Every expected answer is recomputed here from `problem.data` with plain Python (integer
products, fractions, the math and statistics modules), never with the code under test.
"""

from __future__ import annotations

import json
import math
import statistics
from fractions import Fraction

import numpy as np
import pytest

from mlprep.drills import Problem
from mlprep.drills.answers import check_answer, format_answer

from .generated import LEVELS, all_levels, assert_well_posed, problems

TOPICS = {
    "kv_cache_bytes": "llm-inference",
    "training_flops": "llm-training",
    "training_days": "llm-training",
    "lora_params": "llm-training",
    "perplexity": "llm-training",
    "zero_memory": "distributed-training",
    "pipeline_bubble": "distributed-training",
}
EXACT = ("kv_cache_bytes", "lora_params", "zero_memory")


def assert_exact(problem: Problem, expected: int) -> None:
    """An exact count: a whole float equal to `expected`, no tolerance, checked for equality."""
    assert problem.exact and problem.rtol == 0 and problem.atol == 0
    assert isinstance(problem.answer, float) and problem.shape == ()
    assert expected < 2**53  # a float holds it exactly
    assert problem.answer == float(expected), f"{problem.generator} seed {problem.seed}"
    assert "exact whole number" in problem.prompt
    assert check_answer(problem, str(expected)).correct
    assert check_answer(problem, str(expected + 1)).status == "wrong"
    assert problem.solution and problem.answer_format
    json.dumps(problem.to_dict())


@pytest.mark.parametrize("level", LEVELS)
def test_kv_cache_bytes_is_the_product_of_its_factors(level: int) -> None:
    for problem in problems("kv_cache_bytes", level):
        d = problem.data
        assert list(d) == [
            "layers", "kv_heads", "head_dim", "seq_len", "batch", "bytes_per_value",
        ]  # fmt: skip
        assert all(isinstance(v, int) and v >= 1 for v in d.values())
        assert d["bytes_per_value"] in (1, 2)
        expected = 2  # keys and values
        for key in ("layers", "kv_heads", "head_dim", "seq_len", "batch", "bytes_per_value"):
            expected *= d[key]
        assert_exact(problem, expected)
        assert "key **and** the value" in problem.prompt


def test_kv_cache_levels_grow() -> None:
    lengths = [max(p.data["seq_len"] for p in problems("kv_cache_bytes", lv)) for lv in LEVELS]
    assert lengths == sorted(lengths) and len(set(lengths)) == 3
    assert max(p.data["seq_len"] for p in problems("kv_cache_bytes", 1)) < min(
        p.data["seq_len"] for p in problems("kv_cache_bytes", 2)
    )


def significant_figures(x: float) -> int:
    digits = f"{x:.12e}".split("e")[0].replace(".", "").rstrip("0")
    return len(digits)


@pytest.mark.parametrize("level", LEVELS)
def test_training_flops_is_six_n_d(level: int) -> None:
    for problem in problems("training_flops", level):
        n, d = problem.data["n_params"], problem.data["n_tokens"]
        assert list(problem.data) == ["n_params", "n_tokens"]
        assert n >= 1e9 and d >= 5 * n  # at least 5 tokens per parameter
        assert significant_figures(n) <= level and significant_figures(d) <= max(level, 2)
        zetta_flops = 6 * n * d / 10**21  # the prompt asks for units of 1e21 FLOPs
        assert problem.answer == pytest.approx(zetta_flops, rel=1e-12)
        assert 0.01 <= zetta_flops < 1e12  # prints as a plain number, well above atol
        assert not problem.exact and problem.rtol == 1e-2 and 0 < problem.atol < 1e-3
        assert "3 significant figures" in problem.prompt and "6ND" in problem.prompt
        assert "in units of $10^{21}$ FLOPs" in problem.prompt
        assert check_answer(problem, f"{zetta_flops:.3g}").correct  # what a person types
        assert check_answer(problem, f"{zetta_flops / 3:.3g}").status == "wrong"  # 2ND
        assert "e" not in format_answer(problem)  # the expected answer shows no float noise


@pytest.mark.parametrize("level", LEVELS)
def test_training_days_divides_compute_by_cluster_throughput(level: int) -> None:
    for problem in problems("training_days", level):
        d = problem.data
        assert list(d) == ["n_params", "n_tokens", "n_gpus", "peak_tflops", "mfu"]
        assert isinstance(d["n_gpus"], int) and 0 < d["mfu"] < 1
        flops = 6 * d["n_params"] * d["n_tokens"]
        per_second = d["n_gpus"] * d["peak_tflops"] * 10**12 * d["mfu"]
        days = flops / per_second / (24 * 60 * 60)
        assert problem.answer == pytest.approx(days, rel=1e-12)
        assert 0.5 <= days <= 400
        assert "Round to 2 decimals" in problem.prompt and "86400" in problem.prompt
        assert 5e-3 <= problem.atol <= 1e-2 and problem.rtol == 1e-2
        assert check_answer(problem, f"{days:.2f}").correct
        assert check_answer(problem, f"{days * 24:.2f}").status == "wrong"  # hours, not days


def test_training_levels_grow() -> None:
    flops = [statistics.median(p.answer for p in problems("training_flops", lv)) for lv in LEVELS]
    assert flops[0] < flops[1] and flops[0] < flops[2]
    gpus = [
        statistics.median(p.data["n_gpus"] for p in problems("training_days", lv)) for lv in LEVELS
    ]
    assert gpus == sorted(gpus) and len(set(gpus)) == 3


@pytest.mark.parametrize("level", LEVELS)
def test_lora_params_sums_rank_times_dimensions(level: int) -> None:
    for problem in problems("lora_params", level):
        layers, rank = problem.data["layers"], problem.data["rank"]
        shapes = problem.data["shapes"].tolist()
        assert list(problem.data) == ["layers", "rank", "shapes"]
        assert len(shapes) >= 2 and all(len(row) == 2 for row in shapes)
        per_layer = 0
        for d_out, d_in in shapes:
            assert rank < min(d_out, d_in)  # low rank
            per_layer += rank * d_out + rank * d_in  # B is d_out × r, A is r × d_in
        assert_exact(problem, layers * per_layer)
        for d_out, d_in in shapes:
            assert f"({d_out}×{d_in})" in problem.prompt


def test_lora_levels_grow() -> None:
    medians = [statistics.median(p.answer for p in problems("lora_params", lv)) for lv in LEVELS]
    assert medians == sorted(medians) and len(set(medians)) == 3


@pytest.mark.parametrize("level", LEVELS)
def test_perplexity_is_exp_of_mean_nll(level: int) -> None:
    for problem in problems("perplexity", level):
        logprobs = problem.data["logprobs"].tolist()
        assert list(problem.data) == ["logprobs"]
        assert all(lp < 0 for lp in logprobs)  # probabilities below 1
        assert all(round(lp, 2) == lp for lp in logprobs)
        expected = math.exp(-statistics.fmean(logprobs))
        assert problem.answer == pytest.approx(expected, abs=1e-9)
        assert_well_posed(problem)
        assert "natural log" in problem.prompt
        if level == 1:  # by hand: one-decimal log-probs whose mean is a multiple of 1/2
            assert all(round(lp, 1) == lp for lp in logprobs)
            mean_nll = -statistics.fmean(logprobs)
            assert abs(mean_nll * 2 - round(mean_nll * 2)) < 1e-9


def test_perplexity_levels_have_more_tokens() -> None:
    sizes = [len(problems("perplexity", lv)[0].data["logprobs"]) for lv in LEVELS]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3


# ZeRO (Rajbhandari et al., 2020): bytes per parameter kept whole and bytes split N_d ways.
ZERO_SPLIT = {1: (2 + 2, 12), 2: (2, 2 + 12), 3: (0, 2 + 2 + 12)}


@pytest.mark.parametrize("level", LEVELS)
def test_zero_memory_matches_the_paper_formulas(level: int) -> None:
    seen_stages = set()
    for problem in problems("zero_memory", level):
        psi, n_d, stage = (problem.data[k] for k in ("n_params", "n_devices", "stage"))
        assert list(problem.data) == ["n_params", "n_devices", "stage"]
        assert stage in ZERO_SPLIT and n_d >= 2
        whole, split = ZERO_SPLIT[stage]
        expected = Fraction(whole * psi) + Fraction(split * psi, n_d)
        assert expected.denominator == 1  # shards divide evenly
        assert expected < 16 * psi  # ZeRO always saves memory
        assert_exact(problem, int(expected))
        seen_stages.add(stage)
    assert seen_stages == {1, 2, 3}


def test_zero_memory_levels_grow() -> None:
    sizes = [
        statistics.median(p.data["n_params"] for p in problems("zero_memory", lv)) for lv in LEVELS
    ]
    assert sizes[0] < sizes[2]


@pytest.mark.parametrize("level", LEVELS)
def test_pipeline_bubble_is_the_gpipe_fraction(level: int) -> None:
    for problem in problems("pipeline_bubble", level):
        p, m = problem.data["stages"], problem.data["microbatches"]
        assert list(problem.data) == ["stages", "microbatches"]
        assert p >= 2 and m >= 2
        expected = Fraction(p - 1, m + p - 1)
        assert problem.answer == pytest.approx(float(expected), abs=1e-12)
        assert_well_posed(problem)
        assert "GPipe" in problem.prompt
        assert check_answer(problem, f"{expected.numerator}/{expected.denominator}").correct
        if level == 3:
            assert m >= p  # realistic: at least as many micro-batches as stages


def test_pipeline_levels_grow() -> None:
    stages = [max(pr.data["stages"] for pr in problems("pipeline_bubble", lv)) for lv in LEVELS]
    assert stages == sorted(stages) and len(set(stages)) == 3


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_answers_are_finite_and_worked_solutions_are_given(name: str) -> None:
    for problem in all_levels(name):
        assert problem.topic == TOPICS[name]
        assert np.isfinite(problem.answer) and problem.answer > 0
        assert problem.exact == (name in EXACT)
        assert len(problem.solution) >= 2
