"""Generators for neural-network building blocks: normalisation, softmax cross-entropy,
logistic-regression gradient and scaled dot-product attention.

Data keys (a public contract: see README, "mlprep drill"):
- `batchnorm`, `layernorm`: `X` (2-D), `eps`.
- `softmax_xent`, `xent_grad`: `logits` (k), `label` (index into logits, from 0).
- `logistic_grad`: `w` (d), `x` (d), `y` (0 or 1); no bias term.
- `attention`: `Q` (n_q×d_k), `K` (n_k×d_k), `V` (n_k×d_v), with d_k = 4 so √d_k = 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import block, make_problem, matrix_format, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "attention",
    "batchnorm",
    "layernorm",
    "logistic_grad",
    "softmax",
    "softmax_xent",
    "xent_grad",
]

ATOL = 1e-3  # the prompts ask for 3 decimals; a correctly rounded answer is within 5e-4
ROUND_3 = "Round to 3 decimals."
EPS = 1e-5  # PyTorch's default; its effect is far below the rounding asked for
EPS_TEXT = "1e-5"

BATCHNORM_SHAPE = {1: (5, 2), 2: (6, 3), 3: (8, 4)}  # (batch, features) of X by level
LAYERNORM_SHAPE = {1: (2, 5), 2: (3, 6), 3: (4, 8)}  # (rows, features) of X by level
# Largest |x − μ| by the length of the normalised axis: 5 needs room for enough patterns.
NORM_SPREAD = {5: 8, 6: 6, 8: 6}
LOGIT_COUNT = {1: 3, 2: 4, 3: 6}
LOGISTIC_DIM = {1: 2, 2: 3, 3: 4}
ATTENTION_SIZES = {1: (2, 2, 2), 2: (2, 3, 3), 3: (3, 4, 3)}  # (n_q, n_k, d_v)
D_K = 4


def _problem(**fields: Any) -> Problem:
    return make_problem(atol=ATOL, **fields)


EXAMPLE_ENTRIES = ("0.5", "-1.25", "2", "0.1", "-3", "1")


def _vector_format(n: int) -> str:
    """What to type, with an example of exactly `n` entries (a `...` read as a longer one)."""
    example = ", ".join(EXAMPLE_ENTRIES[i % len(EXAMPLE_ENTRIES)] for i in range(n))
    return f"a vector of {n} numbers, e.g. `[{example}]`"


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along `axis`."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- normalisation ------------------------------------------------------------------------


def _square_variance_columns(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """`count` integer deviation columns of length n, each summing to 0 with a biased variance
    that is a perfect square σ² ≥ 1, so (x − μ)/σ are simple fractions. Columns whose
    deviations all have the same size (every output ±1) are skipped. Shape (n, count)."""
    spread = NORM_SPREAD[n]
    columns: list[np.ndarray] = []
    while len(columns) < count:
        head = rng.integers(-spread, spread + 1, size=(2048, n - 1))
        cand = np.hstack([head, -head.sum(axis=1, keepdims=True)])  # each row sums to 0
        sq = (cand**2).sum(axis=1)
        var = sq // n
        root = np.round(np.sqrt(var))
        size = np.abs(cand)
        ok = (
            (size.max(axis=1) <= spread)
            & (sq % n == 0)
            & (var >= 1)
            & (root**2 == var)
            & (size.min(axis=1) != size.max(axis=1))
        )
        columns.extend(cand[ok][: count - len(columns)])
    return np.array(columns, dtype=float).T


def _normalised_data(rng: np.random.Generator, shape: tuple[int, int], axis: int) -> np.ndarray:
    """Integer data whose slices along `axis` have perfect-square biased variances."""
    n = shape[axis]
    slices = shape[1 - axis]
    dev = _square_variance_columns(rng, n, slices)  # (n, slices)
    means = rng.integers(-2, 7, size=slices).astype(float)
    data = dev + means
    return data if axis == 0 else data.T


def _norm_solution(X: np.ndarray, eps: float, axis: int) -> tuple[np.ndarray, list[str]]:
    """Normalise X along `axis` and return the worked steps."""
    mu = X.mean(axis=axis, keepdims=True)
    centred = X - mu
    var = (centred**2).mean(axis=axis, keepdims=True)
    denom = np.sqrt(var + eps)
    out = centred / denom
    what = "Column (per-feature) means over the batch" if axis == 0 else "Row means"
    steps = [
        f"{what}: μ = {fmt_array(mu.ravel())}",
        block("Centred X − μ:", centred),
        "Biased variances (mean of the squared deviations, divide by "
        f"{X.shape[axis]}): σ² = {fmt_array(var.ravel())}",
        f"√(σ² + eps) = {fmt_array(denom.ravel())} (eps = {EPS_TEXT} only moves the 6th decimal)",
        block("Divide each centred entry by its σ:", out),
    ]
    return out, steps


@generator(
    "batchnorm",
    topic="normalization",
    description="BatchNorm output: per feature over the batch (axis 0), biased variance, γ=1, β=0",
    params={"level": LEVEL},
)
def batchnorm(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer (X − mean₀(X)) / √(var₀(X) + eps), biased variance over the batch axis 0."""
    X = _normalised_data(rng, BATCHNORM_SHAPE[level], axis=0)
    out, steps = _norm_solution(X, EPS, axis=0)
    return _problem(
        prompt=(
            f"Apply BatchNorm (training mode, $\\gamma = 1$, $\\beta = 0$) to the batch `X` "
            f"({X.shape[0]} examples × {X.shape[1]} features): normalise **each feature (column) "
            "over the batch (axis 0)** with the batch mean and the **biased variance** (divide "
            "by the batch size): "
            "$\\hat{x} = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$, "
            f"$\\epsilon$ = `eps` = {EPS_TEXT}. " + ROUND_3
        ),
        data={"X": X, "eps": EPS},
        answer=out,
        solution=steps,
        answer_format=matrix_format(out.shape),
    )


@generator(
    "layernorm",
    topic="normalization",
    description="LayerNorm output: per row over its features (axis 1), biased variance, no affine",
    params={"level": LEVEL},
)
def layernorm(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer (X − mean₁(X)) / √(var₁(X) + eps), biased variance over the feature axis 1."""
    X = _normalised_data(rng, LAYERNORM_SHAPE[level], axis=1)
    out, steps = _norm_solution(X, EPS, axis=1)
    return _problem(
        prompt=(
            f"Apply LayerNorm (gain $\\gamma = 1$, bias $\\beta = 0$) to `X` ({X.shape[0]} "
            f"examples × {X.shape[1]} features): normalise **each row over its features "
            "(axis 1)** with the row mean and the **biased variance** (divide by the number of "
            "features): $\\hat{x} = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}$, "
            f"$\\epsilon$ = `eps` = {EPS_TEXT}. " + ROUND_3
        ),
        data={"X": X, "eps": EPS},
        answer=out,
        solution=steps,
        answer_format=matrix_format(out.shape),
    )


# --- softmax cross-entropy ----------------------------------------------------------------


def _draw_logits(rng: np.random.Generator, level: int) -> tuple[np.ndarray, int]:
    """Integer logits (one decimal at level 3) and a label whose probability is ≤ 0.95."""
    k = LOGIT_COUNT[level]

    def draw() -> tuple[np.ndarray, int] | None:
        if level == 3:
            logits = np.round(rng.integers(-30, 31, k) / 10, 1)
        else:
            logits = rng.integers(-2, 4, k).astype(float)
        label = int(rng.integers(0, k))
        if softmax(logits)[label] > 0.95:
            return None  # the loss and the gradient would be too close to 0
        return logits, label

    return redraw(draw)


def _softmax_steps(logits: np.ndarray) -> tuple[np.ndarray, list[str]]:
    e = np.exp(logits)
    p = e / e.sum()
    return p, [
        f"exp(logits) = {fmt_array(e)}",
        f"Sum Σ = {fmt_num(e.sum())}",
        f"p = softmax(logits) = exp(logits)/Σ = {fmt_array(p)}",
    ]


LOGITS_PROMPT = (
    "A classifier outputs the `logits` $z$ (length {k}) for one example whose true class is "
    "`label` = {label} (**0-based index**). With $p = \\operatorname{{softmax}}(z)$, "
)


@generator(
    "softmax_xent",
    topic="softmax-cross-entropy",
    description="softmax cross-entropy loss −ln softmax(logits)[label] (natural log)",
    params={"level": LEVEL},
)
def softmax_xent(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer −ln softmax(logits)[label] = logsumexp(logits) − logits[label], in nats."""
    logits, label = _draw_logits(rng, level)
    p, steps = _softmax_steps(logits)
    loss = float(-np.log(p[label]))
    return _problem(
        prompt=LOGITS_PROMPT.format(k=len(logits), label=label)
        + "compute the cross-entropy loss $-\\ln p_{label}$ (**natural log**). "
        + ROUND_3,
        data={"logits": logits, "label": label},
        answer=loss,
        solution=[
            *steps,
            f"Loss = −ln p[{label}] = −ln {fmt_num(p[label])} = {fmt_num(loss)} "
            f"(equivalently ln Σ − z[{label}] = {fmt_num(np.log(np.exp(logits).sum()))} − "
            f"{fmt_num(logits[label])})",
        ],
        answer_format="one number, 3 decimals",
    )


@generator(
    "xent_grad",
    topic="softmax-cross-entropy",
    description="gradient of softmax cross-entropy w.r.t. the logits, p − onehot(label)",
    params={"level": LEVEL},
)
def xent_grad(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer ∂(−ln softmax(z)[label])/∂z = softmax(z) − onehot(label)."""
    logits, label = _draw_logits(rng, level)
    p, steps = _softmax_steps(logits)
    onehot = np.zeros_like(p)
    onehot[label] = 1.0
    grad = p - onehot
    return _problem(
        prompt=LOGITS_PROMPT.format(k=len(logits), label=label)
        + "compute the gradient of the loss $-\\ln p_{label}$ (natural log) **with respect to "
        "the logits** $z$. " + ROUND_3,
        data={"logits": logits, "label": label},
        answer=grad,
        solution=[
            *steps,
            f"One-hot target y = {fmt_array(onehot)}",
            f"∂loss/∂z = p − y = {fmt_array(grad)} (its entries sum to 0)",
        ],
        answer_format=_vector_format(len(grad)),
    )


# --- logistic regression ------------------------------------------------------------------


@generator(
    "logistic_grad",
    topic="logistic-regression",
    description="gradient of the logistic log loss for one example, (σ(wᵀx) − y)x",
    params={"level": LEVEL},
)
def logistic_grad(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer ∇_w of −[y ln σ(wᵀx) + (1 − y) ln(1 − σ(wᵀx))] = (σ(wᵀx) − y)·x."""
    d = LOGISTIC_DIM[level]

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        w = rng.integers(-2, 3, d).astype(float)
        x = rng.integers(-3, 4, d).astype(float)
        if abs(w @ x) > 2 or not w.any() or not x.any():
            return None  # keep z small so σ(z) is far from 0 and 1
        return w, x

    w, x = redraw(draw)
    y = int(rng.integers(0, 2))
    z = float(w @ x)
    sig = 1.0 / (1.0 + np.exp(-z))
    grad = (sig - y) * x + 0.0  # + 0.0 turns -0.0 into 0.0
    return _problem(
        prompt=(
            "Logistic regression **without a bias term**: $\\hat{y} = \\sigma(w^\\top x)$ with "
            "$\\sigma(z) = \\frac{1}{1 + e^{-z}}$. For the single example (`x`, `y`) and weights "
            "`w`, compute the gradient **with respect to w** of the log loss "
            "$-[y \\ln \\hat{y} + (1 - y) \\ln(1 - \\hat{y})]$ (natural log). " + ROUND_3
        ),
        data={"w": w, "x": x, "y": y},
        answer=grad,
        solution=[
            f"z = wᵀx = {fmt_num(z)}",
            f"σ(z) = 1/(1 + e^(−z)) = {fmt_num(sig)}",
            f"Error σ(z) − y = {fmt_num(sig)} − {y} = {fmt_num(sig - y)}",
            f"Gradient (σ(z) − y)·x = {fmt_num(sig - y)} · {fmt_array(x)} = {fmt_array(grad)}",
        ],
        answer_format=_vector_format(d),
    )


# --- attention ----------------------------------------------------------------------------


@generator(
    "attention",
    topic="attention",
    description="scaled dot-product attention softmax(QKᵀ/√d_k)V on tiny matrices (d_k = 4)",
    params={"level": LEVEL},
)
def attention(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer softmax(QKᵀ/√d_k)V with a row-wise softmax (each query over the keys), d_k = 4."""
    n_q, n_k, d_v = ATTENTION_SIZES[level]
    top = 1 if level == 1 else 2

    def draw() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        Q = rng.integers(-top, top + 1, (n_q, D_K)).astype(float)
        K = rng.integers(-top, top + 1, (n_k, D_K)).astype(float)
        V = rng.integers(-3, 4, (n_k, d_v)).astype(float)
        scaled = Q @ K.T / np.sqrt(D_K)
        if np.abs(scaled).max() > 3 or np.ptp(scaled, axis=1).max() == 0:
            return None  # keep exponents small; at least one query must not attend uniformly
        out = softmax(scaled, axis=1) @ V
        if np.abs(out).max() < 0.1:
            return None
        return Q, K, V

    Q, K, V = redraw(draw)
    scores = Q @ K.T
    scaled = scores / np.sqrt(D_K)
    weights = softmax(scaled, axis=1)
    out = weights @ V
    return _problem(
        prompt=(
            "Compute scaled dot-product attention "
            "$\\operatorname{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right) V$ for the "
            f"queries `Q` ({n_q}×{D_K}), keys `K` ({n_k}×{D_K}) and values `V` ({n_k}×{d_v}), "
            f"with $d_k = {D_K}$ (so $\\sqrt{{d_k}} = 2$). The softmax is **row-wise**: each "
            "query's weights over the keys sum to 1. No masking. " + ROUND_3
        ),
        data={"Q": Q, "K": K, "V": V},
        answer=out,
        solution=[
            block("Scores QKᵀ:", scores),
            block(f"Scaled by 1/√{D_K} = 1/2:", scaled),
            block("exp of the scaled scores:", np.exp(scaled)),
            block(
                "Row-wise softmax (divide each row by its sum), the attention weights A:", weights
            ),
            block("Output A·V:", out),
        ],
        answer_format=matrix_format(out.shape),
    )
