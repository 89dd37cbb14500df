"""Generators for decision trees, information theory, PCA and k-means.

Data keys (a public contract: see README, "mlprep drill"):
- `gini_split`, `info_gain`: `counts` (children × classes) — `counts[i, j]` is the number of
  examples of class j sent to child i.
- `kl_divergence`: `p`, `q` — two discrete distributions over the same k outcomes, all q > 0.
- `cov_eigenvalues`: `C` — a 2×2 symmetric positive-definite covariance matrix.
- `kmeans_step`: `X` (n×d points), `centroids` (k×d, the current centroids, in order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import block, make_problem, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "cov_eigenvalues",
    "entropy_bits",
    "gini",
    "gini_split",
    "info_gain",
    "information_gain",
    "kl_divergence",
    "kmeans_step",
    "weighted_gini",
]

ATOL = 1e-3  # the prompts ask for 3 decimals; a correctly rounded answer is within 5e-4
ROUND_3 = "Round to 3 decimals (a fraction such as `2/3` is also accepted)."

SPLIT_SHAPE = {1: (2, 2), 2: (2, 3), 3: (3, 3)}  # (children, classes) by level
SPLIT_MAX_COUNT = {1: 5, 2: 6, 3: 8}  # largest count in one cell
KL_SIZE = {1: (3, 10), 2: (4, 10), 3: (5, 20)}  # (k outcomes, probabilities in units of 1/n)
KMEANS_SIZE = {1: (6, 2, 2), 2: (8, 3, 2), 3: (10, 3, 3)}  # (points n, clusters k, dims d)
MIN_CLUSTER = 2  # points per cluster after the assignment step
# Unit eigenvector directions (a, b)/√(a² + b²) that give short decimals in C = Λ₂I + Δvvᵀ.
EIGEN_DIRECTIONS = ((1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (3, 4), (4, 3))

# --- decision-tree splits -----------------------------------------------------------------


def _problem(**fields: Any) -> Problem:
    return make_problem(atol=ATOL, **fields)


def gini(counts: np.ndarray) -> float:
    """Gini impurity 1 − Σ p_j² of one node's class counts."""
    p = counts / counts.sum()
    return float(1.0 - np.sum(p**2))


def entropy_bits(counts: np.ndarray) -> float:
    """Entropy −Σ p_j log₂ p_j of one node's class counts (0·log 0 = 0)."""
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def _draw_counts(
    rng: np.random.Generator, level: int, score: Callable[[np.ndarray], float], floor: float
) -> np.ndarray:
    """A split with no empty child, every class present, and `score(counts) ≥ floor`."""
    shape, top = SPLIT_SHAPE[level], SPLIT_MAX_COUNT[level]

    def draw() -> np.ndarray | None:
        counts = rng.integers(0, top + 1, shape)
        if (counts.sum(axis=1) < 2).any() or (counts.sum(axis=0) == 0).any():
            return None
        return counts if score(counts) >= floor else None

    return redraw(draw)


SPLIT_PROMPT = (
    "A decision-tree split sends the training examples of a node to {children} children. "
    "`counts[i, j]` is the number of examples of **class j in child i** (rows = children, "
    "columns = classes). "
)


def weighted_gini(counts: np.ndarray) -> float:
    """Σ_i (n_i/n)·Gini(child i) for counts of shape (children, classes)."""
    sizes = counts.sum(axis=1)
    return float(sum(n / sizes.sum() * gini(row) for n, row in zip(sizes, counts, strict=True)))


@generator(
    "gini_split",
    topic="decision-trees",
    description="weighted Gini impurity of a split's children (data: counts children×classes)",
    params={"level": LEVEL},
)
def gini_split(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer Σ_i (n_i/n)·(1 − Σ_j p_ij²) for data `counts` (children × classes)."""
    counts = _draw_counts(rng, level, weighted_gini, 0.05)
    sizes = counts.sum(axis=1)
    n = int(sizes.sum())
    answer = weighted_gini(counts)
    child_steps = [
        f"Child {i}: n = {size}, p = {fmt_array(row / size)}, Gini = 1 − Σp² = {fmt_num(gini(row))}"
        for i, (size, row) in enumerate(zip(sizes, counts, strict=True))
    ]
    weighted = " + ".join(
        f"{size}/{n}·{fmt_num(gini(row))}" for size, row in zip(sizes, counts, strict=True)
    )
    return _problem(
        prompt=SPLIT_PROMPT.format(children=len(counts))
        + "Compute the **weighted Gini impurity of the children**: each child's impurity "
        "$1 - \\sum_j p_j^2$ weighted by its share $n_i / n$ of the examples. " + ROUND_3,
        data={"counts": counts},
        answer=answer,
        solution=[
            *child_steps,
            f"Weighted by child size (n = {n}): {weighted} = {fmt_num(answer)}",
        ],
        answer_format="one number, 3 decimals or a fraction",
    )


def information_gain(counts: np.ndarray) -> float:
    """H(parent) − Σ_i (n_i/n)·H(child i) in bits for counts of shape (children, classes)."""
    sizes = counts.sum(axis=1)
    children = sum(
        n / sizes.sum() * entropy_bits(row) for n, row in zip(sizes, counts, strict=True)
    )
    return float(entropy_bits(counts.sum(axis=0)) - children)


@generator(
    "info_gain",
    topic="decision-trees",
    description="information gain of a split in bits (data: counts children×classes)",
    params={"level": LEVEL},
)
def info_gain(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer H(parent) − Σ_i (n_i/n)·H(child_i), entropies in bits (log₂, 0·log 0 = 0)."""
    counts = _draw_counts(rng, level, information_gain, 0.02)
    sizes = counts.sum(axis=1)
    parent = counts.sum(axis=0)
    n = int(sizes.sum())
    h_parent = entropy_bits(parent)
    h_children = [entropy_bits(row) for row in counts]
    h_after = sum(size / n * h for size, h in zip(sizes, h_children, strict=True))
    answer = information_gain(counts)
    weighted = " + ".join(
        f"{size}/{n}·{fmt_num(h)}" for size, h in zip(sizes, h_children, strict=True)
    )
    return _problem(
        prompt=SPLIT_PROMPT.format(children=len(counts))
        + "Compute the **information gain** of the split in **bits**: the parent's entropy "
        "minus the children's entropies weighted by their shares $n_i / n$, with "
        "$H = -\\sum_j p_j \\log_2 p_j$ and $0 \\log 0 = 0$. Round to 3 decimals.",
        data={"counts": counts},
        answer=answer,
        solution=[
            f"Parent counts (column sums) {fmt_array(parent)}, n = {n}: "
            f"p = {fmt_array(parent / n)}, H(parent) = {fmt_num(h_parent)} bits",
            *(
                f"Child {i}: counts {fmt_array(row)}, H = {fmt_num(h)} bits"
                for i, (row, h) in enumerate(zip(counts, h_children, strict=True))
            ),
            f"Weighted child entropy: {weighted} = {fmt_num(h_after)}",
            f"Gain = {fmt_num(h_parent)} − {fmt_num(h_after)} = {fmt_num(answer)} bits",
        ],
        answer_format="one number (bits), 3 decimals",
    )


# --- KL divergence ------------------------------------------------------------------------


@generator(
    "kl_divergence",
    topic="information-theory",
    description="KL(P‖Q) in nats between two discrete distributions p and q (all q > 0)",
    params={"level": LEVEL},
)
def kl_divergence(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer Σ_i p_i ln(p_i / q_i) over the outcomes with p_i > 0 (nats)."""
    k, units = KL_SIZE[level]

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        p = rng.multinomial(units, np.full(k, 1 / k))
        q = rng.multinomial(units, np.full(k, 1 / k))
        if (q == 0).any():
            return None
        p, q = np.round(p / units, 2), np.round(q / units, 2)
        mask = p > 0
        kl = float(np.sum(p[mask] * np.log(p[mask] / q[mask])))
        return (p, q) if kl >= 0.02 else None

    p, q = redraw(draw)
    mask = p > 0
    terms = np.zeros_like(p)
    terms[mask] = p[mask] * np.log(p[mask] / q[mask])
    answer = float(terms.sum())
    ratio = np.divide(p, q)
    return _problem(
        prompt=(
            f"`p` and `q` are two distributions over the same {k} outcomes (all $q_i > 0$). "
            "Compute $KL(P \\| Q) = \\sum_i p_i \\ln \\frac{p_i}{q_i}$ in **nats** (natural log); "
            "a term with $p_i = 0$ contributes 0. Round to 3 decimals."
        ),
        data={"p": p, "q": q},
        answer=answer,
        solution=[
            f"Ratios p/q = {fmt_array(ratio)}",
            f"Terms p·ln(p/q) = {fmt_array(terms)}" + (" (0 where p = 0)" if (~mask).any() else ""),
            f"KL(P‖Q) = sum = {fmt_num(answer)} nats",
        ],
        answer_format="one number (nats), 3 decimals",
    )


# --- PCA: eigenvalues of a 2×2 covariance ------------------------------------------------


def _nice_covariance(rng: np.random.Generator, level: int) -> np.ndarray:
    """C = λ₂I + (λ₁ − λ₂)vvᵀ with integer λ₁ > λ₂ ≥ 1 and v from EIGEN_DIRECTIONS, so the
    entries have at most 2 decimals and the eigenvalues are integers."""
    a, b = EIGEN_DIRECTIONS[int(rng.integers(len(EIGEN_DIRECTIONS)))]
    sign = float(rng.choice([-1, 1]))
    r = a * a + b * b
    low, gap_max = (1, 8) if level == 1 else (1, 20)
    step = 5 if r == 25 else 1  # Δ·a²/25 is a short decimal only when Δ is a multiple of 5
    lam2 = int(rng.integers(low, 6 if level == 1 else 16))
    gap = step * int(rng.integers(1, gap_max // step + 1))
    outer = np.array([[a * a, sign * a * b], [sign * a * b, b * b]], dtype=float)
    return np.round(lam2 * np.eye(2) + gap * outer / r, 2)


def _random_covariance(rng: np.random.Generator) -> np.ndarray:
    """An integer symmetric positive-definite C with a nonzero off-diagonal."""

    def draw() -> np.ndarray | None:
        c11, c22 = rng.integers(1, 10, 2)
        c12 = rng.integers(-5, 6)
        if c12 == 0 or c11 * c22 - c12 * c12 < 1:
            return None
        return np.array([[c11, c12], [c12, c22]], dtype=float)

    return redraw(draw)


@generator(
    "cov_eigenvalues",
    topic="pca",
    description="eigenvalues of a 2×2 covariance matrix, largest first",
    params={"level": LEVEL},
)
def cov_eigenvalues(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer [λ₁, λ₂], λ₁ ≥ λ₂, for data `C`. Levels 1-2 are built backwards from integer
    eigenvalues (bigger at level 2); level 3 is any integer SPD matrix."""
    C = _random_covariance(rng) if level == 3 else _nice_covariance(rng, level)
    trace = float(C[0, 0] + C[1, 1])
    det = float(C[0, 0] * C[1, 1] - C[0, 1] * C[1, 0])
    half = trace / 2
    disc = half * half - det
    root = float(np.sqrt(disc))
    answer = np.array([half + root, half - root])
    return _problem(
        prompt=(
            "`C` is the 2×2 covariance matrix of two features. Compute its eigenvalues "
            "(the variances along the principal components), **sorted in descending order**. "
            "Round to 3 decimals."
        ),
        data={"C": C},
        answer=answer,
        solution=[
            "Characteristic equation: λ² − tr(C)·λ + det(C) = 0",
            f"tr(C) = {fmt_num(C[0, 0])} + {fmt_num(C[1, 1])} = {fmt_num(trace)}; "
            f"det(C) = {fmt_num(C[0, 0])}·{fmt_num(C[1, 1])} − ({fmt_num(C[0, 1])})² = "
            f"{fmt_num(det)}",
            f"λ = tr/2 ± √((tr/2)² − det) = {fmt_num(half)} ± √{fmt_num(disc)} = "
            f"{fmt_num(half)} ± {fmt_num(root)}",
            f"Largest first: {fmt_array(answer)} (check: sum = trace, product = det)",
        ],
        answer_format="a vector of 2 numbers, largest first, e.g. `[5, 1]`",
    )


# --- k-means ------------------------------------------------------------------------------


def _sq_distances(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances, shape (n points, k centroids)."""
    return ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)


@generator(
    "kmeans_step",
    topic="k-means",
    description="centroids after one Lloyd iteration (assign to nearest, then average)",
    params={"level": LEVEL},
)
def kmeans_step(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer the k×d centroid matrix after assigning each row of `X` to its nearest centroid
    (Euclidean) and replacing each centroid by its cluster's mean, in the given order.
    Draws with a tie for the nearest centroid or a cluster of < 2 points are rejected."""
    n, k, d = KMEANS_SIZE[level]

    def draw() -> tuple[np.ndarray, np.ndarray] | None:
        X = rng.integers(0, 10, (n, d)).astype(float)
        centroids = rng.integers(0, 10, (k, d)).astype(float)
        dist = np.sort(_sq_distances(X, centroids), axis=1)
        if (dist[:, 1] - dist[:, 0] < 1).any():  # integer data: a gap below 1 is a tie
            return None
        labels = _sq_distances(X, centroids).argmin(axis=1)
        if np.bincount(labels, minlength=k).min() < MIN_CLUSTER:
            return None  # no empty (or single-point) cluster
        return X, centroids

    X, centroids = redraw(draw)
    dist = _sq_distances(X, centroids)
    labels = dist.argmin(axis=1)
    new = np.array([X[labels == j].mean(axis=0) for j in range(k)])
    rows = "\n".join(
        f"x{i} {fmt_array(x)}: d² = {fmt_array(dist[i])} → centroid {labels[i]}"
        for i, x in enumerate(X)
    )
    members = [
        f"Centroid {j}: points {', '.join(f'x{i}' for i in np.flatnonzero(labels == j))}; "
        f"sum {fmt_array(X[labels == j].sum(axis=0))} / {int((labels == j).sum())} = "
        f"{fmt_array(new[j])}"
        for j in range(k)
    ]
    return _problem(
        prompt=(
            f"Run **one** Lloyd iteration of k-means on the {n} points (rows of `X`) with the "
            f"{k} current `centroids` (rows, centroid 0 first): assign each point to the nearest "
            "centroid (Euclidean distance), then move each centroid to the mean of its points. "
            f"Answer the new centroids as a {k}×{d} matrix **in the given order**. " + ROUND_3
        ),
        data={"X": X, "centroids": centroids},
        answer=new,
        solution=[
            "Squared distances to each centroid and the nearest one:\n```\n" + rows + "\n```",
            *members,
            block("New centroids:", new),
        ],
        answer_format=f"a {k}×{d} matrix, rows as `1 2; 3 4` or `[[1, 2], [3, 4]]`",
    )
