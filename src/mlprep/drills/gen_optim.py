"""Generators for optimiser steps and gradients.

Data keys (a public contract: see README, "mlprep drill") and answers:
- `adam_step` (optimizers): `theta`, `grad`, `m`, `v`, `t`, `lr`, `beta1`, `beta2`, `eps`;
  θ after one Adam update. m, v are the moments before it, t is its number (from 1) and bias
  correction uses t; ε is added outside the square root.
- `momentum_step` (optimizers): `theta`, `grad`, `velocity`, `lr`, `momentum`;
  v' = momentum·velocity + grad, θ' = θ − lr·v'.
- `rmsprop_step` (optimizers): `theta`, `grad`, `v`, `lr`, `rho`, `eps`;
  v' = ρv + (1−ρ)g², θ' = θ − lr·g/(√v' + ε) (PyTorch's default: not centred, no momentum).
- `weight_decay_step` (regularization): `w`, `grad` (∇L(w), unregularised), `lr`, `lam`;
  one SGD step on L(w) + (lam/2)‖w‖²: w' = w − lr·(grad + lam·w).
- `clip_grad_norm` (gradients): `grad`, `max_norm`; grad · min(1, max_norm / ‖grad‖₂), no ε.
- `sigmoid_chain_grad` (gradients): `x` (a number), `w` (k weights);
  dh_k/dx for h_0 = x, h_i = σ(w_i·h_{i−1}), i.e. Π w_i σ'(z_i).

Update steps are graded with an absolute tolerance only (rtol = 0): a relative tolerance on θ'
could accept "no update at all". Every coordinate moves by at least 10·atol, so leaving one
unchanged is wrong; momentum and weight decay also make the μv / λw term at least that big.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .answers import describe_shape
from .common import make_problem, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "adam_step",
    "clip_grad_norm",
    "momentum_step",
    "rmsprop_step",
    "sigmoid_chain_grad",
    "weight_decay_step",
]

DECIMALS = 4  # optimiser answers are asked to 4 decimals ...
ATOL = 1e-4  # ... and a correctly rounded answer is within 5e-5 of the exact one
MIN_STEP = 10 * ATOL  # smallest per-component change, so no term can be forgotten unnoticed
DIMENSION = {1: 2, 2: 3, 3: 4}  # parameter vector length by level
EXAMPLE_VALUES = ("1.25", "-0.3", "0.5", "2", "-1.05")
PRECISION = f"{DECIMALS} decimals"
ROUND = f"Round to {DECIMALS} decimals."


def _tenths(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Values k/10 with integer k in [low, high]."""
    return rng.integers(low, high, size=size, endpoint=True) / 10


def _signed_tenths(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Values ±k/10 with integer k in [low, high] (never 0 when low ≥ 1)."""
    return _tenths(rng, low, high, size) * rng.choice([-1.0, 1.0], size=size)


def _show(label: str, value: Any, digits: int = 6) -> str:
    """One solution step, `label = value`, rounded to `digits` decimals (so ε-sized
    remainders show as 0, not as 5.6e-10)."""
    value = np.round(np.asarray(value, dtype=float), digits) + 0.0
    return f"{label} = `{fmt_array(value, digits)}`"


def _step_problem(
    *,
    prompt: str,
    data: dict[str, Any],
    answer: np.ndarray,
    solution: list[str],
    rtol: float = 0.0,
    atol: float = ATOL,
    precision: str = PRECISION,
) -> Problem:
    shape = tuple(answer.shape)
    example = "[" + ", ".join(EXAMPLE_VALUES[: shape[0]]) + "]" if shape else "0.0123"
    return make_problem(
        prompt=prompt,
        data=data,
        answer=float(answer) if not shape else answer,
        solution=solution,
        answer_format=f"{describe_shape(shape)}, {precision}, e.g. `{example}`",
        atol=atol,
        rtol=rtol,
    )


def _steps_ok(before: np.ndarray, after: np.ndarray) -> bool:
    """Every component moves by at least MIN_STEP and the result is not all ≈ 0."""
    return bool(np.abs(after - before).min() >= MIN_STEP and np.abs(after).max() > 10 * ATOL)


# --- adam_step ---------------------------------------------------------------------------------

BETA1, BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


def _adam(
    theta: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> dict[str, np.ndarray]:
    """The intermediate results of one Adam update (θ itself is not needed for the step)."""
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    step = lr * m_hat / (np.sqrt(v_hat) + eps)
    return {"m": m_new, "v": v_new, "m_hat": m_hat, "v_hat": v_hat, "step": step}


def _draw_adam(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    d = DIMENSION[level]
    theta = _tenths(rng, -20, 20, d)
    grad = _signed_tenths(rng, 1, 20, d)
    if level == 1:  # the first update: m = v = 0, t = 1
        m, v, t = np.zeros(d), np.zeros(d), 1
    else:  # moments with at most 4 decimals, so the numbers shown are exact
        m = rng.integers(-30, 30, size=d, endpoint=True) / 100
        v = rng.integers(1, 100, size=d, endpoint=True) / 10_000
        t = 2 if level == 2 else int(rng.integers(3, 20, endpoint=True))
    lr = float(rng.choice([0.1, 0.05, 0.01]))
    data = {
        "theta": theta,
        "grad": grad,
        "m": m,
        "v": v,
        "t": t,
        "lr": lr,
        "beta1": BETA1,
        "beta2": BETA2,
        "eps": ADAM_EPS,
    }
    after = theta - _adam(**data)["step"]
    return data if _steps_ok(theta, after) else None


@generator(
    "adam_step",
    topic="optimizers",
    description="θ after one Adam update with bias correction (m, v before it; t from 1)",
    params={"level": LEVEL},
)
def adam_step(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `theta`, `grad`, `m`, `v`, `t`, `lr`, `beta1`, `beta2`, `eps`; answer θ after one
    Adam update: m, v are the moments before it, t this update's number (from 1)."""
    data = redraw(lambda: _draw_adam(rng, level))
    parts = _adam(**data)
    theta_new = data["theta"] - parts["step"]
    t, b1, b2 = data["t"], data["beta1"], data["beta2"]
    d = theta_new.size
    prompt = (
        "Apply one Adam update to $\\theta$ with gradient `grad`, elementwise. "
        "$m$ and $v$ are the first and second moment estimates *before* this update and "
        "$t$ is this update's number (counting from 1). Use bias correction with $t$: "
        "$\\hat m = m' / (1 - \\beta_1^t)$, $\\hat v = v' / (1 - \\beta_2^t)$, and add "
        "$\\epsilon = 10^{-8}$ outside the square root, $\\sqrt{\\hat v} + \\epsilon$. "
        f"Type the new $\\theta$ as {describe_shape((d,))}. {ROUND}"
    )
    solution = [
        _show(
            f"$m' = \\beta_1 m + (1 - \\beta_1) g$ = {fmt_num(b1)}·m + {fmt_num(1 - b1)}·g",
            parts["m"],
        ),
        _show(
            f"$v' = \\beta_2 v + (1 - \\beta_2) g^2$ = {fmt_num(b2)}·v + {fmt_num(1 - b2)}·g²",
            parts["v"],
            8,
        ),
        _show(
            f"$\\hat m = m' / (1 - {fmt_num(b1)}^{{{t}}})$ = m' / {fmt_num(1 - b1**t, 6)}",
            parts["m_hat"],
        ),
        _show(
            f"$\\hat v = v' / (1 - {fmt_num(b2)}^{{{t}}})$ = v' / {fmt_num(1 - b2**t, 6)}",
            parts["v_hat"],
            8,
        ),
        _show("$\\sqrt{\\hat v}$", np.sqrt(parts["v_hat"])),
        _show(
            f"step $= \\mathrm{{lr}} \\cdot \\hat m / (\\sqrt{{\\hat v}} + \\epsilon)$, "
            f"lr = {fmt_num(data['lr'])}",
            parts["step"],
        ),
        _show("$\\theta' = \\theta - $ step", theta_new),
    ]
    if t == 1:
        solution.append(
            "At t = 1 with zero moments, $\\hat m = g$ and $\\sqrt{\\hat v} = |g|$: every "
            "coordinate moves by lr against the sign of its gradient, whatever the gradient's size."
        )
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=theta_new,
        solution=solution,
    )


# --- momentum_step -----------------------------------------------------------------------------


def _draw_momentum(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    d = DIMENSION[level]
    theta = _tenths(rng, -20, 20, d)
    grad = _tenths(rng, -20, 20, d)
    velocity = _tenths(rng, -10, 10, d)
    lr = float(rng.choice([0.1, 0.01] if level < 3 else [0.1, 0.05, 0.01]))
    momentum = 0.9 if level < 3 else float(rng.choice([0.5, 0.9, 0.99]))
    v_new = momentum * velocity + grad
    carried = np.abs(lr * momentum * velocity).max()  # forgetting μv must be visibly wrong
    if not _steps_ok(theta, theta - lr * v_new) or carried < MIN_STEP:
        return None
    return {"theta": theta, "grad": grad, "velocity": velocity, "lr": lr, "momentum": momentum}


@generator(
    "momentum_step",
    topic="optimizers",
    description="θ after one SGD-momentum step: v' = μv + g, θ' = θ − lr·v'",
    params={"level": LEVEL},
)
def momentum_step(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `theta`, `grad`, `velocity`, `lr`, `momentum`; answer θ' = θ − lr·v' with
    v' = momentum·velocity + grad (PyTorch's form: no (1 − μ) factor, lr outside)."""
    data = redraw(lambda: _draw_momentum(rng, level))
    mu, lr = data["momentum"], data["lr"]
    v_new = mu * data["velocity"] + data["grad"]
    theta_new = data["theta"] - lr * v_new
    prompt = (
        "Apply one SGD-with-momentum step, elementwise: first the velocity "
        "$v' = \\mu v + g$ (with $\\mu$ = `momentum`, $v$ = `velocity`, $g$ = `grad`), then "
        "$\\theta' = \\theta - \\mathrm{lr} \\cdot v'$. "
        f"Type the new $\\theta$ as {describe_shape(theta_new.shape)}. {ROUND}"
    )
    solution = [
        _show(f"$\\mu v$ = {fmt_num(mu)}·v", mu * data["velocity"]),
        _show("$v' = \\mu v + g$", v_new),
        _show(f"$\\mathrm{{lr}} \\cdot v'$ = {fmt_num(lr)}·v'", lr * v_new),
        _show("$\\theta' = \\theta - \\mathrm{lr} \\cdot v'$", theta_new),
    ]
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=theta_new,
        solution=solution,
    )


# --- rmsprop_step ------------------------------------------------------------------------------

RMS_EPS = 1e-8


def _rmsprop(
    theta: np.ndarray, grad: np.ndarray, v: np.ndarray, lr: float, rho: float, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """v' and θ' after one RMSProp update."""
    v_new = rho * v + (1 - rho) * grad**2
    return v_new, theta - lr * grad / (np.sqrt(v_new) + eps)


def _draw_rmsprop(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    d = DIMENSION[level]
    theta = _tenths(rng, -20, 20, d)
    grad = _signed_tenths(rng, 1, 20, d)
    if level == 1:  # the first step from v = 0
        v, rho = np.zeros(d), 0.99
        lr = float(rng.choice([0.01, 0.005, 0.001]))
    else:
        v = rng.integers(1, 500, size=d, endpoint=True) / 10_000
        rho = float(rng.choice([0.9, 0.99]))
        lr = float(rng.choice([0.01, 0.005, 0.001]))
    data = {"theta": theta, "grad": grad, "v": v, "lr": lr, "rho": rho, "eps": RMS_EPS}
    _, after = _rmsprop(**data)
    return data if _steps_ok(theta, after) else None


@generator(
    "rmsprop_step",
    topic="optimizers",
    description="θ after one RMSProp update (PyTorch default: ε outside the root, no momentum)",
    params={"level": LEVEL},
)
def rmsprop_step(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `theta`, `grad`, `v` (running mean of g² before the update), `lr`, `rho`, `eps`;
    answer θ' = θ − lr·g/(√v' + ε) with v' = ρv + (1−ρ)g² (PyTorch's default RMSprop:
    not centred, no momentum)."""
    data = redraw(lambda: _draw_rmsprop(rng, level))
    v_new, theta_new = _rmsprop(**data)
    rho, lr = data["rho"], data["lr"]
    prompt = (
        "Apply one RMSProp update, elementwise (PyTorch's default: not centred, no momentum): "
        "$v' = \\rho v + (1 - \\rho) g^2$, then "
        "$\\theta' = \\theta - \\mathrm{lr} \\cdot g / (\\sqrt{v'} + \\epsilon)$ with "
        "$\\rho$ = `rho`, $g$ = `grad`, $v$ the running average of $g^2$ before this update "
        "and $\\epsilon = 10^{-8}$ outside the square root. "
        f"Type the new $\\theta$ as {describe_shape(theta_new.shape)}. {ROUND}"
    )
    root = np.sqrt(v_new)
    solution = [
        _show(
            f"$v' = \\rho v + (1 - \\rho) g^2$ = {fmt_num(rho)}·v + {fmt_num(1 - rho)}·g²", v_new, 8
        ),
        _show("$\\sqrt{v'}$", root),
        _show(
            f"step $= \\mathrm{{lr}} \\cdot g / (\\sqrt{{v'}} + \\epsilon)$, lr = {fmt_num(lr)}",
            lr * data["grad"] / (root + data["eps"]),
        ),
        _show("$\\theta' = \\theta - $ step", theta_new),
    ]
    if not data["v"].any():
        solution.append(
            f"From $v = 0$, $\\sqrt{{v'}} = \\sqrt{{1 - \\rho}}\\,|g|$: each coordinate moves by "
            f"lr/√(1 − ρ) = {fmt_num(lr / np.sqrt(1 - rho))} against the sign of its gradient."
        )
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=theta_new,
        solution=solution,
    )


# --- weight_decay_step -------------------------------------------------------------------------


def _draw_weight_decay(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    d = DIMENSION[level]
    w = _signed_tenths(rng, 1, 30, d)
    grad = _tenths(rng, -20, 20, d)
    lr = float(rng.choice([0.1, 0.5] if level == 1 else [0.1, 0.05, 0.01]))
    lam = float(rng.choice([0.1, 0.5, 1.0] if level == 1 else [0.01, 0.1, 0.5, 1.0]))
    after = w - lr * (grad + lam * w)
    decay = np.abs(lr * lam * w).max()  # forgetting the penalty must be visibly wrong
    if not _steps_ok(w, after) or decay < MIN_STEP:
        return None
    return {"w": w, "grad": grad, "lr": lr, "lam": lam}


@generator(
    "weight_decay_step",
    topic="regularization",
    description="one SGD step on L(w) + (λ/2)‖w‖²: w' = w − lr(g + λw), i.e. weight decay",
    params={"level": LEVEL},
)
def weight_decay_step(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `w`, `grad` (∇L(w) of the unregularised loss), `lr`, `lam`; answer
    w' = w − lr·(grad + lam·w), one gradient step on L(w) + (lam/2)‖w‖²."""
    data = redraw(lambda: _draw_weight_decay(rng, level))
    w, grad, lr, lam = data["w"], data["grad"], data["lr"], data["lam"]
    full_grad = grad + lam * w
    w_new = w - lr * full_grad
    prompt = (
        "Take one gradient-descent step with learning rate lr on the L2-regularised loss "
        "$L(w) + \\frac{\\lambda}{2}\\|w\\|^2$, with $\\lambda$ = `lam`. "
        "`grad` is $\\nabla L(w)$, the gradient of the *unregularised* loss at $w$. "
        f"Type the new $w$ as {describe_shape(w_new.shape)}. {ROUND}"
    )
    solution = [
        "The penalty's gradient is $\\lambda w$, so the full gradient is $g + \\lambda w$.",
        _show(f"$\\lambda w$ = {fmt_num(lam)}·w", lam * w),
        _show("$g + \\lambda w$", full_grad),
        _show(f"$w' = w - \\mathrm{{lr}} (g + \\lambda w)$, lr = {fmt_num(lr)}", w_new),
        "Same thing as weight decay: "
        f"$w' = (1 - \\mathrm{{lr}}\\,\\lambda) w - \\mathrm{{lr}}\\, g$"
        f" = {fmt_num(1 - lr * lam)}·w − {fmt_num(lr)}·g: every step shrinks w by a factor "
        f"{fmt_num(1 - lr * lam)} before the gradient step.",
    ]
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=w_new,
        solution=solution,
    )


# --- clip_grad_norm ----------------------------------------------------------------------------

CLIP_DIMENSION = {1: 2, 2: 3, 3: 5}


def _draw_clip(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    d = CLIP_DIMENSION[level]
    grad = rng.integers(-9, 9, size=d, endpoint=True).astype(float)
    norm = float(np.sqrt(grad @ grad))
    if level < 3 and (norm != round(norm) or not grad.all()):  # nice: an integer norm
        return None
    if norm < 2:
        return None
    if rng.random() < 0.25:  # below the threshold: nothing to clip
        max_norm = float(np.ceil(1.1 * norm + rng.integers(0, 3)))
    else:
        max_norm = float(rng.integers(1, int(0.9 * norm), endpoint=True))
    return {"grad": grad, "max_norm": max_norm}


@generator(
    "clip_grad_norm",
    topic="gradients",
    description="gradient clipped by its global L2 norm: g · min(1, max_norm / ‖g‖₂)",
    params={"level": LEVEL},
)
def clip_grad_norm(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `grad`, `max_norm`; answer grad · min(1, max_norm / ‖grad‖₂) (no ε)."""
    data = redraw(lambda: _draw_clip(rng, level))
    grad, max_norm = data["grad"], data["max_norm"]
    norm = float(np.sqrt(grad @ grad))
    scale = min(1.0, max_norm / norm)
    clipped = grad * scale
    prompt = (
        "Clip the gradient by its global L2 norm with threshold $c$ = `max_norm`: "
        "$g \\leftarrow g \\cdot \\min(1, c / \\|g\\|_2)$, where $\\|g\\|_2$ is taken over all "
        "entries together (no $\\epsilon$). "
        f"Type the clipped gradient as {describe_shape(clipped.shape)}. {ROUND}"
    )
    squares = " + ".join(fmt_num(g * g) for g in grad)
    solution = [
        f"$\\|g\\|_2 = \\sqrt{{{squares}}}$ = `{fmt_num(norm, 6)}`",
        f"scale = min(1, {fmt_num(max_norm)} / {fmt_num(norm, 6)}) = `{fmt_num(scale, 6)}`"
        + (" — the norm is already within the threshold, g is unchanged." if scale == 1 else ""),
        _show("clipped $g$", clipped),
    ]
    if scale < 1:
        solution.append(
            f"Check: the clipped gradient has norm {fmt_num(max_norm)} and the same direction."
        )
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=clipped,
        solution=solution,
        rtol=1e-2,
    )


# --- sigmoid_chain_grad ------------------------------------------------------------------------

CHAIN_LENGTH = {1: 2, 2: 3, 3: 5}
CHAIN_DECIMALS = 5
CHAIN_ATOL = 1e-5
MIN_CHAIN_GRAD = 1e-3  # ≥ 100·atol, so the answer is never a near-0 exact match


def _sigmoid_chain(x: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Pre-activations z_i = w_i h_{i-1}, activations h_i = σ(z_i), and dh_k/dx."""
    z, h = np.empty(w.size), np.empty(w.size)
    previous = x
    for i, weight in enumerate(w):
        z[i] = weight * previous
        h[i] = 1 / (1 + np.exp(-z[i]))
        previous = h[i]
    return z, h, float(np.prod(w * h * (1 - h)))


def _draw_chain(rng: np.random.Generator, level: int) -> dict[str, Any] | None:
    x = float(rng.integers(-20, 20, endpoint=True) / 10)
    w = _signed_tenths(rng, 5, 30, CHAIN_LENGTH[level])
    _, _, grad = _sigmoid_chain(x, w)
    return {"x": x, "w": w} if abs(grad) >= MIN_CHAIN_GRAD else None


@generator(
    "sigmoid_chain_grad",
    topic="gradients",
    description="dh_k/dx through a chain h_i = σ(w_i·h_{i−1}), h_0 = x (vanishing gradients)",
    params={"level": LEVEL},
)
def sigmoid_chain_grad(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `x` (a number), `w` (k weights); answer dh_k/dx = Π w_i σ'(z_i) for the chain
    h_0 = x, z_i = w_i h_{i−1}, h_i = σ(z_i)."""
    data = redraw(lambda: _draw_chain(rng, level))
    x, w = data["x"], data["w"]
    z, h, grad = _sigmoid_chain(x, w)
    k = w.size
    prompt = (
        f"A chain of {k} scalar sigmoid units: $h_0 = x$, $h_i = \\sigma(w_i h_{{i-1}})$ for "
        f"$i = 1, \\ldots, {k}$, with $\\sigma(z) = 1 / (1 + e^{{-z}})$ and $w_i$ the entries "
        f"of `w` in order. Compute the derivative $d h_{k} / d x$. "
        f"Type one number, rounded to {CHAIN_DECIMALS} decimals."
    )
    factors = w * h * (1 - h)
    solution = [
        "Chain rule: $\\frac{d h_k}{d x} = \\prod_i w_i \\sigma'(z_i)$ with "
        "$z_i = w_i h_{i-1}$ and $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$.",
        _show("forward: $z$", z),
        _show("$h = \\sigma(z)$", h),
        _show("$\\sigma'(z) = h(1 - h)$", h * (1 - h)),
        _show("factors $w_i \\sigma'(z_i)$", factors),
        f"product = `{fmt_num(grad, 8)}`",
        "Each factor is at most $|w_i|/4$ (σ' ≤ 1/4): with small weights the gradient "
        "shrinks geometrically with depth (vanishing gradients).",
    ]
    return _step_problem(
        prompt=prompt,
        data=data,
        answer=np.asarray(grad),
        solution=solution,
        rtol=1e-2,
        atol=CHAIN_ATOL,
        precision=f"{CHAIN_DECIMALS} decimals",
    )
