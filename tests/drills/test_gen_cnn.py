"""Generators in mlprep.drills.gen_cnn: conv_output_shape, conv_params, receptive_field,
mlp_grad.

Every expected answer is recomputed here from `problem.data` without the code under test:
sliding-window positions counted one by one, a channel-connectivity table for the parameter
count, a backward walk of index intervals for the receptive field, and scalar loops (plus
central finite differences) for the MLP gradient.
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

from mlprep.drills import Problem, generate
from mlprep.drills.answers import check_answer, format_answer

from .generated import LEVELS, all_levels, assert_matches, problems

TOPICS = {
    "conv_output_shape": "cnn",
    "conv_params": "cnn",
    "receptive_field": "cnn",
    "mlp_grad": "backprop",
}
NAMES = tuple(TOPICS)
DATA_KEYS = {
    "conv_output_shape": ["input_shape", "out_channels", "kernel_size", "stride", "padding",
                          "dilation"],
    "conv_params": ["in_channels", "out_channels", "kernel_size", "groups", "bias"],
    "receptive_field": ["kernels", "strides", "dilations"],
    "mlp_grad": ["x", "W1", "b1", "W2", "b2", "y"],
}  # fmt: skip


def assert_exact_well_posed(problem: Problem) -> None:
    """Whole-number answers checked exactly: no tolerance, finite, integral, said in the prompt."""
    answer = np.asarray(problem.answer, dtype=float)
    assert problem.exact and problem.rtol == 0 and problem.atol == 0
    assert answer.shape == problem.shape
    if problem.shape == ():
        assert isinstance(problem.answer, float)
    else:
        assert isinstance(problem.answer, np.ndarray)
    assert np.isfinite(answer).all() and np.all(answer == np.round(answer))
    assert not np.any(np.signbit(answer) & (answer == 0)), "no −0 in an exact answer"
    assert np.abs(answer).max() >= 1
    assert "exact integer" in problem.prompt
    assert problem.solution and all(isinstance(step, str) and step for step in problem.solution)
    assert problem.answer_format
    json.dumps(problem.to_dict())


def window_count(n: int, k: int, s: int, p: int, d: int) -> int:
    """Positions of a dilated window (taps at start + t·d, t < k) inside the padded input,
    visiting the starts 0, s, 2s, ... one by one."""
    padded, count, start = n + 2 * p, 0, 0
    while start + d * (k - 1) <= padded - 1:
        count += 1
        start += s
    return count


@pytest.mark.parametrize("level", LEVELS)
def test_conv_output_shape_counts_window_positions(level: int) -> None:
    for problem in problems("conv_output_shape", level):
        data = problem.data
        c_in, h, w = (int(v) for v in data["input_shape"])
        k, s, p, d = (int(data[key]) for key in ("kernel_size", "stride", "padding", "dilation"))
        expected = [data["out_channels"], window_count(h, k, s, p, d), window_count(w, k, s, p, d)]
        assert_matches(problem, expected)
        assert_exact_well_posed(problem)
        assert min(expected[1:]) >= 2 and 2 * p <= d * (k - 1)
        assert "floor" in problem.prompt
        if level == 1:
            assert h == w and d == 1
        if level == 3:
            assert d > 1 and h != w


def test_conv_output_shape_needs_the_floor_at_higher_levels() -> None:
    def truncates(problem: Problem) -> bool:
        data = problem.data
        k_eff = data["dilation"] * (data["kernel_size"] - 1) + 1
        spare = data["input_shape"][1] + 2 * data["padding"] - k_eff
        return bool(spare % data["stride"])

    for level in (2, 3):
        assert sum(truncates(p) for p in problems("conv_output_shape", level)) >= 20


def connectivity_params(c_in: int, c_out: int, kh: int, kw: int, groups: int, bias: int) -> int:
    """Count the kH×kW weight blocks of every (output, input) channel pair that is connected."""
    per_in, per_out = c_in // groups, c_out // groups
    assert per_in * groups == c_in and per_out * groups == c_out
    group_of_out = np.arange(c_out)[:, None] // per_out  # (C_out, 1)
    group_of_in = np.arange(c_in)[None, :] // per_in  # (1, C_in)
    connected = int(np.sum(group_of_out == group_of_in))  # pairs in the same group
    return connected * kh * kw + (c_out if bias else 0)


@pytest.mark.parametrize("level", LEVELS)
def test_conv_params_match_a_connectivity_count(level: int) -> None:
    for problem in problems("conv_params", level):
        data = problem.data
        kh, kw = (int(v) for v in data["kernel_size"])
        assert data["bias"] in (0, 1)
        expected = connectivity_params(
            data["in_channels"], data["out_channels"], kh, kw, data["groups"], data["bias"]
        )
        assert_matches(problem, expected)
        assert_exact_well_posed(problem)
        assert (data["groups"] == 1) == (level < 3)
    assert any(
        p.data["kernel_size"][0] != p.data["kernel_size"][1] for p in problems("conv_params", 2)
    )
    level3 = problems("conv_params", 3)
    assert any(p.data["groups"] == p.data["in_channels"] for p in level3)  # depthwise
    assert any(1 < p.data["groups"] < p.data["in_channels"] for p in level3)  # grouped
    assert {p.data["bias"] for p in all_levels("conv_params")} == {0, 1}


def receptive_span(kernels: list[int], strides: list[int], dilations: list[int]) -> int:
    """Walk back from one unit of the last layer: a unit j of layer l reads the units
    j·s + t·d (t < k) of layer l − 1; the input indices reached span the receptive field."""
    lo = hi = 0
    for k, s, d in reversed(list(zip(kernels, strides, dilations, strict=True))):
        lo, hi = lo * s, hi * s + d * (k - 1)
    return hi - lo + 1


def receptive_set(kernels: list[int], strides: list[int], dilations: list[int]) -> set[int]:
    """The same walk with explicit index sets (small stacks only)."""
    reached = {0}
    for k, s, d in reversed(list(zip(kernels, strides, dilations, strict=True))):
        reached = {j * s + t * d for j in reached for t in range(k)}
    return reached


@pytest.mark.parametrize("level", LEVELS)
def test_receptive_field_matches_a_backward_walk(level: int) -> None:
    for problem in problems("receptive_field", level):
        layers = [problem.data[key].tolist() for key in ("kernels", "strides", "dilations")]
        expected = receptive_span(*layers)
        assert_matches(problem, expected)
        assert_exact_well_posed(problem)
        if level == 1:
            assert set(layers[2]) == {1}
            reached = receptive_set(*layers)
            assert max(reached) - min(reached) + 1 == expected
        assert any(s > 1 for s in layers[1][:-1])  # an earlier stride multiplies later kernels
    dilated = [p for p in all_levels("receptive_field") if max(p.data["dilations"]) > 1]
    assert dilated and all("dilation" in p.prompt for p in dilated)


def mlp_forward_loss(data: dict[str, np.ndarray], W1: list[list[float]]) -> float:
    """L = ½‖ŷ − y‖² with explicit loops."""
    x, b1, W2, b2, y = (data[key].tolist() for key in ("x", "b1", "W2", "b2", "y"))
    hidden = [
        max(0.0, sum(wi * xi for wi, xi in zip(row, x, strict=True)) + b)
        for row, b in zip(W1, b1, strict=True)
    ]
    outputs = [
        sum(w * h for w, h in zip(row, hidden, strict=True)) + b
        for row, b in zip(W2, b2, strict=True)
    ]
    return 0.5 * sum((o - t) ** 2 for o, t in zip(outputs, y, strict=True))


def mlp_grad_loops(data: dict[str, np.ndarray]) -> list[list[float]]:
    """∂L/∂W1[i][j] = Σ_k (ŷ_k − y_k)·W2[k][i]·1[z_i > 0]·x_j, entry by entry."""
    x, W1, b1, W2, b2, y = (data[key].tolist() for key in ("x", "W1", "b1", "W2", "b2", "y"))
    z = [
        sum(w * xi for w, xi in zip(row, x, strict=True)) + b for row, b in zip(W1, b1, strict=True)
    ]
    assert all(zi != 0 for zi in z)  # the prompt promises no ReLU kink
    hidden = [max(0.0, zi) for zi in z]
    errors = [
        sum(w * h for w, h in zip(row, hidden, strict=True)) + b - t
        for row, b, t in zip(W2, b2, y, strict=True)
    ]
    return [
        [
            sum(errors[k] * W2[k][i] for k in range(len(errors))) * (z[i] > 0) * x[j]
            for j in range(len(x))
        ]
        for i in range(len(z))
    ]


def central_difference(data: dict[str, np.ndarray], step: float = 1e-3) -> list[list[float]]:
    W1 = data["W1"].tolist()
    grad = []
    for i, row in enumerate(W1):
        grad.append([])
        for j in range(len(row)):
            plus = [r[:] for r in W1]
            minus = [r[:] for r in W1]
            plus[i][j] += step
            minus[i][j] -= step
            grad[i].append(
                (mlp_forward_loss(data, plus) - mlp_forward_loss(data, minus)) / (2 * step)
            )
    return grad


@pytest.mark.parametrize("level", LEVELS)
def test_mlp_grad_matches_scalar_loops_and_finite_differences(level: int) -> None:
    for problem in problems("mlp_grad", level):
        data = problem.data
        assert all(np.array_equal(v, np.round(v)) for v in data.values())  # integer data
        expected = mlp_grad_loops(data)
        assert_matches(problem, expected)
        assert_exact_well_posed(problem)
        assert problem.shape == data["W1"].shape
        # L is quadratic in W1 away from the ReLU kinks, so the central difference is exact
        np.testing.assert_allclose(problem.answer, central_difference(data), rtol=0, atol=1e-6)
        z = data["W1"] @ data["x"] + data["b1"]
        if level > 1:
            assert np.any(z < 0) and np.count_nonzero(np.abs(problem.answer).sum(axis=1)) >= 2


def test_mlp_grad_prompt_states_the_conventions() -> None:
    prompt = generate("mlp_grad", 0).prompt
    for needle in ("column vectors", "W_1 x + b_1", "\\frac{1}{2}", "no averaging", "ReLU′"):
        assert needle in prompt


@pytest.mark.parametrize("name", NAMES)
def test_data_keys_topics_and_checking(name: str) -> None:
    for problem in all_levels(name)[::25]:
        assert list(problem.data) == DATA_KEYS[name]
        assert problem.topic == TOPICS[name]
        assert check_answer(problem, format_answer(problem)).correct
        off_by_one = np.asarray(problem.answer, dtype=float) + 1
        assert check_answer(problem, json.dumps(off_by_one.tolist())).status == "wrong"


SIZE = {
    "conv_output_shape": lambda p: p.data["input_shape"][1],
    "conv_params": lambda p: p.data["in_channels"],
    "receptive_field": lambda p: len(p.data["kernels"]),
    "mlp_grad": lambda p: p.data["W1"].size,
}


@pytest.mark.parametrize("name", NAMES)
def test_higher_levels_are_bigger(name: str) -> None:
    means = [statistics.fmean(SIZE[name](p) for p in problems(name, level)) for level in LEVELS]
    assert means == sorted(means) and means[0] < means[-1]
