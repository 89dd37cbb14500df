"""Generators of gen_optim: answers against independent, element-by-element computations,
well-posedness, common mistakes graded wrong, determinism, level sizes and params."""

from __future__ import annotations

import contextlib
import math
import re

import numpy as np
import pytest

from mlprep.drills import Problem
from mlprep.drills.answers import InvalidAnswer, check_answer, format_answer, parse_answer
from mlprep.drills.format import fmt_array

from .generated import LEVELS, all_levels, assert_matches, problems

STEPS = ("adam_step", "momentum_step", "rmsprop_step", "weight_decay_step")
NAMES = (*STEPS, "clip_grad_norm", "sigmoid_chain_grad")
TOPICS = {
    "adam_step": "optimizers",
    "momentum_step": "optimizers",
    "rmsprop_step": "optimizers",
    "weight_decay_step": "regularization",
    "clip_grad_norm": "gradients",
    "sigmoid_chain_grad": "gradients",
}
DATA_KEYS = {
    "adam_step": ["theta", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"],
    "momentum_step": ["theta", "grad", "velocity", "lr", "momentum"],
    "rmsprop_step": ["theta", "grad", "v", "lr", "rho", "eps"],
    "weight_decay_step": ["w", "grad", "lr", "lam"],
    "clip_grad_norm": ["grad", "max_norm"],
    "sigmoid_chain_grad": ["x", "w"],
}
PARAMETER = {  # the data key an update step starts from
    "adam_step": "theta",
    "momentum_step": "theta",
    "rmsprop_step": "theta",
    "weight_decay_step": "w",
}


def graded(problem: Problem, value: object) -> str:
    return check_answer(problem, fmt_array(np.asarray(value, dtype=float), 10)).status


# --- independent computations, one coordinate at a time ----------------------------------------


def adam_reference(d: dict, bias_correction: bool = True) -> list[float]:
    """Kingma & Ba (2015), Algorithm 1, for one step t from moments m, v."""
    t, lr, b1, b2, eps = d["t"], d["lr"], d["beta1"], d["beta2"], d["eps"]
    out = []
    for theta, g, m, v in zip(d["theta"], d["grad"], d["m"], d["v"], strict=True):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if bias_correction:
            m, v = m / (1 - b1**t), v / (1 - b2**t)
        out.append(theta - lr * m / (math.sqrt(v) + eps))
    return out


def test_adam_matches_the_paper() -> None:
    for p in all_levels("adam_step"):
        d = p.data
        assert_matches(p, adam_reference(d))
        assert (d["beta1"], d["beta2"], d["eps"]) == (0.9, 0.999, 1e-8)
        assert isinstance(d["t"], int) and d["t"] >= 1
        assert np.all(d["v"] >= 0)
        # forgetting the bias correction is graded wrong
        assert graded(p, adam_reference(d, bias_correction=False)) == "wrong"


def test_adam_first_step_moves_by_lr_against_the_gradient() -> None:
    for p in problems("adam_step", 1):
        d = p.data
        assert d["t"] == 1 and not d["m"].any() and not d["v"].any()
        np.testing.assert_allclose(p.answer, d["theta"] - d["lr"] * np.sign(d["grad"]), atol=1e-8)


def test_momentum_matches_the_definition() -> None:
    for p in all_levels("momentum_step"):
        d = p.data
        expected = []
        for theta, g, v in zip(d["theta"], d["grad"], d["velocity"], strict=True):
            v_new = d["momentum"] * v + g
            expected.append(theta - d["lr"] * v_new)
        assert_matches(p, expected)
        # plain SGD (forgetting the velocity) is graded wrong
        assert graded(p, d["theta"] - d["lr"] * d["grad"]) == "wrong"


def test_rmsprop_matches_pytorch_default() -> None:
    for p in all_levels("rmsprop_step"):
        d = p.data
        expected = []
        for theta, g, v in zip(d["theta"], d["grad"], d["v"], strict=True):
            v_new = d["rho"] * v + (1 - d["rho"]) * g * g
            expected.append(theta - d["lr"] * g / (math.sqrt(v_new) + d["eps"]))
        assert_matches(p, expected)
        assert d["eps"] == 1e-8 and 0 < d["rho"] < 1
        # using the old v (not updated first) is graded wrong where v is nonzero
        if d["v"].any():
            stale = d["theta"] - d["lr"] * d["grad"] / (np.sqrt(d["v"]) + d["eps"])
            assert graded(p, stale) == "wrong"


def test_rmsprop_first_step_moves_by_lr_over_sqrt_one_minus_rho() -> None:
    for p in problems("rmsprop_step", 1):
        d = p.data
        step = d["lr"] / math.sqrt(1 - d["rho"])  # up to ε's effect, below 1e-6
        np.testing.assert_allclose(p.answer, d["theta"] - step * np.sign(d["grad"]), atol=1e-6)


def test_weight_decay_step_matches_the_regularised_gradient() -> None:
    for p in all_levels("weight_decay_step"):
        d = p.data
        w, g, lr, lam = d["w"], d["grad"], d["lr"], d["lam"]
        # gradient of L(w) + (λ/2)‖w‖² by central differences of the penalty
        h = 1e-6
        penalty = [(lam / 2 * ((wi + h) ** 2 - (wi - h) ** 2)) / (2 * h) for wi in w.tolist()]
        assert_matches(p, [wi - lr * (gi + pi) for wi, gi, pi in zip(w, g, penalty, strict=True)])
        assert_matches(p, (1 - lr * lam) * w - lr * g)  # the "decay" form
        # plain SGD, or a penalty gradient of 2λw (dropping the 1/2), is graded wrong
        assert graded(p, w - lr * g) == "wrong"
        assert graded(p, w - lr * (g + 2 * lam * w)) == "wrong"


def test_clip_grad_norm_matches_the_definition() -> None:
    clipped_some = unclipped_some = False
    for p in all_levels("clip_grad_norm"):
        g, max_norm = p.data["grad"], p.data["max_norm"]
        norm = math.sqrt(sum(x * x for x in g))
        scale = min(1.0, max_norm / norm)
        assert_matches(p, [x * scale for x in g])
        if scale < 1:
            clipped_some = True
            assert math.isclose(float(np.linalg.norm(p.answer)), max_norm, rel_tol=1e-12)
            assert graded(p, g) == "wrong"  # forgetting to clip
        else:
            unclipped_some = True
            assert max_norm >= 1.1 * norm  # clearly below the threshold
    assert clipped_some and unclipped_some


def test_clip_grad_norm_level_one_has_an_integer_norm() -> None:
    for p in problems("clip_grad_norm", 1):
        norm = np.linalg.norm(p.data["grad"])
        assert norm == round(norm)


def sigmoid_chain_reference(x: float, w: list[float]) -> float:
    """Forward pass with the derivative carried along (forward-mode chain rule)."""
    h, dh_dx = x, 1.0
    for wi in w:
        s = 1 / (1 + math.exp(-wi * h))
        dh_dx *= s * (1 - s) * wi
        h = s
    return dh_dx


def chain_output(x: float, w: list[float]) -> float:
    h = x
    for wi in w:
        h = 1 / (1 + math.exp(-wi * h))
    return h


def test_sigmoid_chain_grad_matches_chain_rule_and_finite_differences() -> None:
    for p in all_levels("sigmoid_chain_grad"):
        x, w = p.data["x"], p.data["w"].tolist()
        assert isinstance(x, float)
        assert_matches(p, sigmoid_chain_reference(x, w))
        h = 1e-5
        numeric = (chain_output(x + h, w) - chain_output(x - h, w)) / (2 * h)
        assert abs(numeric - p.answer) < 1e-8
        assert len(w) == {1: 2, 2: 3, 3: 5}[p.params["level"]]
        assert f"h_{len(w)}" in p.prompt


# --- every generator: contract, well-posedness, determinism ------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_data_keys_and_shapes(name: str) -> None:
    for p in all_levels(name):
        assert list(p.data) == DATA_KEYS[name]
        assert p.generator == name and p.topic == TOPICS[name]
        assert np.asarray(p.answer).shape == p.shape
        if name == "sigmoid_chain_grad":
            assert p.shape == () and isinstance(p.answer, float)
        else:
            assert p.shape == p.data["grad"].shape
        for value in p.data.values():
            assert isinstance(value, (int, float, np.ndarray)) and not isinstance(value, bool)


@pytest.mark.parametrize("name", NAMES)
def test_well_posed(name: str) -> None:
    for p in all_levels(name):
        answer = np.asarray(p.answer, dtype=float)
        assert np.isfinite(answer).all()
        assert p.atol > 0 and p.rtol >= 0
        assert np.abs(answer).max() > 10 * p.atol, "answer so near 0 that atol makes it exact"
        for key, value in p.data.items():
            assert np.isfinite(np.asarray(value, dtype=float)).all()
            if key != "eps":  # every number shown has at most 4 decimals: the display is exact
                assert np.all(np.abs(value - np.round(value, 4)) <= 1e-12), value


@pytest.mark.parametrize("name", STEPS)
def test_no_update_is_wrong_in_every_coordinate(name: str) -> None:
    """A step moves every coordinate by more than the tolerance: not updating one is wrong."""
    for p in all_levels(name):
        before = p.data[PARAMETER[name]]
        assert graded(p, before) == "wrong"
        for i in range(before.size):
            partial = p.answer.copy()
            partial[i] = before[i]
            assert graded(p, partial) == "wrong"


def asked_decimals(p: Problem) -> int:
    found = re.search(r"(\d+) decimals", p.prompt)
    assert found, p.prompt
    assert f"{found.group(1)} decimals" in p.answer_format
    return int(found.group(1))


@pytest.mark.parametrize("name", NAMES)
def test_expected_and_rounded_answers_are_correct(name: str) -> None:
    for p in all_levels(name):
        assert check_answer(p, format_answer(p)).status == "correct"
        decimals = asked_decimals(p)
        assert p.atol >= 0.5 * 10.0**-decimals
        rounded = np.round(p.answer, decimals)
        assert check_answer(p, fmt_array(rounded, decimals)).status == "correct"


def shown_values(step: str) -> list[np.ndarray]:
    """The numbers and arrays a solution step shows in `backticks`."""
    values = []
    for text in re.findall(r"`([^`]+)`", step):
        with contextlib.suppress(InvalidAnswer):
            values.append(parse_answer(text))
    return values


@pytest.mark.parametrize("name", NAMES)
def test_prompt_and_solution(name: str) -> None:
    for p in problems(name):
        assert p.prompt and p.answer_format and len(p.solution) >= 3
        assert "`" in p.answer_format
        shown = [v for step in p.solution for v in shown_values(step)]
        assert any(v.shape == p.shape and np.allclose(v, p.answer, atol=1e-5) for v in shown)
        for step in p.solution:
            assert not re.search(r"\de-\d", step), step  # no float noise such as 2.8e-16
    if name in ("adam_step", "rmsprop_step"):
        assert "10^{-8}" in problems(name)[0].prompt  # ε is stated in the prompt


@pytest.mark.parametrize("name", NAMES)
def test_higher_levels_are_bigger(name: str) -> None:
    key = "w" if name == "sigmoid_chain_grad" else "grad"
    sizes = [problems(name, level)[0].data[key].size for level in LEVELS]
    assert sizes[0] < sizes[1] < sizes[2]


def test_adam_levels_use_later_steps() -> None:
    assert {p.data["t"] for p in problems("adam_step", 1)} == {1}
    assert {p.data["t"] for p in problems("adam_step", 2)} == {2}
    assert min(p.data["t"] for p in problems("adam_step", 3)) >= 3
