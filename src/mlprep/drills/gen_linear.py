"""Generators for linear models, feature maps and kernels.

Data keys (a public contract: see README, "mlprep drill") and answers:
- `ols` (linear-regression): `X` (n×d), `y` (n); w minimising ‖Xw − y‖², no intercept.
- `ridge` (ridge): `X`, `y`, `lam`; w = (XᵀX + lam·I)⁻¹Xᵀy, every coefficient penalised.
- `monomial_count` (features): `d` (variables), `p` (max degree); C(d+p, p), constant included.
- `feature_row` (features): `x` (2); φ(x) = (x₁², x₂², x₁x₂, x₁, x₂), the ellipse-fit row.
- `poly_kernel` (kernels): `x`, `z`, `c`, `degree`; (xᵀz + c)^degree.
- `kernel_ridge` (kernels): `X` (n×d), `y` (n), `x_star` (d), `lam`, `c`, `degree`;
  f(x*) = k*ᵀ(K + lam·I)⁻¹y with k(a, b) = (aᵀb + c)^degree.

Data are built backwards from a nice answer: integer weights for `ols` (with an integer residual
orthogonal to the columns of X, so the fit is a true least-squares one), `ridge` weights in
halves, integer dual coefficients for `kernel_ridge`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .answers import describe_shape
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = ["feature_row", "kernel_ridge", "monomial_count", "ols", "poly_kernel", "ridge"]

MAX_TRIES = 10_000  # rejection sampling bound; tests show a few tries suffice
WEIGHT_ATOL = 1e-2  # ols/ridge weights: "2 decimals if not exact"


def _ints(rng: np.random.Generator, bound: int, size: Any) -> np.ndarray:
    """Integers in [-bound, bound] as floats."""
    return rng.integers(-bound, bound, size=size, endpoint=True).astype(float)


def _nonzero_ints(rng: np.random.Generator, bound: int, size: Any) -> np.ndarray:
    """Integers in [-bound, -1] ∪ [1, bound] as floats."""
    magnitude = rng.integers(1, bound, size=size, endpoint=True)
    return (magnitude * rng.choice([-1, 1], size=size)).astype(float)


def _show(label: str, value: Any, digits: int = 4) -> str:
    """A solution step `label = value`, rounded to `digits` decimals (float noise from a
    solve, `-2.9e-16`, shows as 0); matrices go in a code block."""
    value = np.round(np.asarray(value, dtype=float), digits) + 0.0
    if value.ndim == 2:
        return f"{label} =\n```\n{fmt_array(value, digits)}\n```"
    return f"{label} = `{fmt_array(value, digits)}`"


def _problem(
    prompt: str,
    data: dict[str, Any],
    answer: Any,
    solution: list[str],
    *,
    atol: float = 0.0,
    rtol: float = 1e-2,
    precision: str,
    example: str,
    exact: bool = False,
) -> Problem:
    """An `exact` problem (a whole-number answer: a count) is checked without tolerance."""
    value = np.asarray(answer, dtype=float)
    shape = tuple(value.shape)
    if not exact and atol <= 0:
        raise ValueError("a problem checked with a tolerance needs atol > 0")
    return Problem(
        prompt=prompt,
        data=data,
        answer=float(value) if value.ndim == 0 else value,
        shape=shape,
        solution=tuple(solution),
        rtol=0.0 if exact else rtol,
        atol=0.0 if exact else atol,
        answer_format=f"{describe_shape(shape)}, {precision}, e.g. `{example}`",
        exact=exact,
    )


def _cofactor_vector(rows: np.ndarray) -> np.ndarray:
    """For a (d+1)×d integer matrix, the integer vector r with rᵀ·column = 0 for every column
    (generalised cross product: signed d×d minors)."""
    minors = [np.delete(rows, i, axis=0) for i in range(rows.shape[0])]
    return np.array([(-1) ** i * round(np.linalg.det(m)) for i, m in enumerate(minors)], float)


def _solve_steps(label: str, A: np.ndarray, b: np.ndarray, unknown: str) -> list[str]:
    """Steps for solving A·u = b: by the adjugate for a 2×2 (what one writes by hand),
    otherwise by elimination."""
    if A.shape != (2, 2):
        return [
            _show(
                f"Solve {label} by elimination (or with the inverse): {unknown}",
                np.linalg.solve(A, b),
            )
        ]
    det = float(A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0])
    adjugate = np.array([[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]])
    return [
        f"$\\det$ = {fmt_num(A[0, 0])}·{fmt_num(A[1, 1])} − ({fmt_num(A[0, 1])})·"
        f"({fmt_num(A[1, 0])}) = `{fmt_num(det)}`; the inverse is the adjugate (swap the "
        "diagonal, negate the off-diagonal) divided by the det.",
        f"inverse = (1/{fmt_num(det)}) ×\n```\n{fmt_array(adjugate)}\n```",
        _show(
            f"{unknown} = (1/{fmt_num(det)}) × `{fmt_array(adjugate @ b)}`", np.linalg.solve(A, b)
        ),
    ]


# --- ols ---------------------------------------------------------------------------------------

_OLS_SIZES = {1: (3, 2, 3), 2: (4, 3, 2), 3: (6, 4, 2)}  # level -> (n, d, |entries| bound)


def _draw_ols(rng: np.random.Generator, n: int, d: int, bound: int) -> tuple[np.ndarray, ...]:
    """X, y, w with w integer and y = Xw + r, r a small nonzero integer vector ⟂ columns of X."""
    for _ in range(MAX_TRIES):
        X = _ints(rng, bound, (n, d))
        rows = np.sort(rng.choice(n, d + 1, replace=False))
        r_rows = _cofactor_vector(X[rows])
        if not r_rows.any():
            continue  # X has rank < d
        r_rows /= math.gcd(*(int(v) for v in r_rows))
        if np.abs(r_rows).max() > 2 * d + 2 or np.linalg.cond(X.T @ X) > 60:
            continue
        w = _ints(rng, 3, d)
        if not w.any():
            continue
        r = np.zeros(n)
        r[rows] = r_rows * rng.choice([-1, 1])
        y = X @ w + r
        if np.abs(y).max() <= 25:
            return X, y, w
    raise RuntimeError("ols: no well-posed draw found")  # pragma: no cover


@generator(
    "ols",
    topic="linear-regression",
    description="least-squares weights w minimising ‖Xw − y‖² (no intercept)",
    params={"level": LEVEL},
)
def ols(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `X` (n×d), `y` (n); answer w = argmin ‖Xw − y‖² (integers by construction)."""
    n, d, bound = _OLS_SIZES[level]
    X, y, w = _draw_ols(rng, n, d, bound)  # w is the exact solution, by construction
    gram, xty = X.T @ X, X.T @ y
    prompt = (
        "Find the least-squares weights $w$ minimising $\\|Xw - y\\|^2$. "
        "No intercept: use $X$ exactly as given. "
        f"Type $w$ as {describe_shape((d,))}, 2 decimals if not exact."
    )
    solution = [
        "Set the gradient to zero: the normal equations $X^\\top X w = X^\\top y$.",
        _show("$X^\\top X$", gram),
        _show("$X^\\top y$", xty),
    ]
    solution += _solve_steps("$X^\\top X w = X^\\top y$", gram, xty, "$w$")
    residual = y - X @ w
    solution.append(
        _show("Check: the residual $y - Xw$", residual)
        + " is orthogonal to every column of $X$: $X^\\top(y - Xw) = 0$."
    )
    return _problem(
        prompt,
        {"X": X, "y": y},
        w,
        solution,
        atol=WEIGHT_ATOL,
        precision="2 decimals if not exact",
        example=fmt_array(np.array([1.5, -2.0, 0.25, 3.0][:d])),
    )


# --- ridge -------------------------------------------------------------------------------------

_RIDGE_SIZES = {1: (3, 2, 2), 2: (4, 3, 2), 3: (6, 4, 2)}
_RIDGE_LAMBDAS = (0.5, 1.0, 2.0, 3.0)


def _draw_ridge(rng: np.random.Generator, n: int, d: int, bound: int) -> tuple[Any, ...]:
    """Backwards: pick X and an integer residual u, then w = Xᵀu/λ and y = Xw + u, so that
    (XᵀX + λI)w = XᵀXw + Xᵀu = Xᵀy. Keep w in halves, small, and X of full column rank."""
    for _ in range(MAX_TRIES):
        X = _ints(rng, bound, (n, d))
        u = _ints(rng, 2, n)
        lam = float(rng.choice(_RIDGE_LAMBDAS))
        w = X.T @ u / lam
        if not w.any() or np.abs(w).max() > 5 or not np.allclose(2 * w, np.round(2 * w)):
            continue
        if np.linalg.matrix_rank(X) < d:
            continue
        y = X @ w + u
        # forgetting the penalty (plain least squares) must be graded wrong
        ols_w = np.linalg.solve(X.T @ X, X.T @ y)
        if np.all(np.abs(ols_w - w) <= 3 * (WEIGHT_ATOL + 1e-2 * np.abs(w))):
            continue
        if np.abs(y).max() <= 20:
            return X, y, lam, w
    raise RuntimeError("ridge: no well-posed draw found")  # pragma: no cover


@generator(
    "ridge",
    topic="ridge",
    description="ridge weights w = (XᵀX + λI)⁻¹Xᵀy, every coefficient penalised",
    params={"level": LEVEL},
)
def ridge(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `X` (n×d), `y` (n), `lam`; answer w = (XᵀX + lam·I)⁻¹Xᵀy (halves by construction)."""
    n, d, bound = _RIDGE_SIZES[level]
    X, y, lam, w = _draw_ridge(rng, n, d, bound)  # w exact, by construction
    gram, xty = X.T @ X, X.T @ y
    regularised = gram + lam * np.eye(d)
    prompt = (
        "Ridge regression: find $w = (X^\\top X + \\lambda I)^{-1} X^\\top y$ with "
        "$\\lambda$ = `lam`. Every coefficient is penalised (no intercept, no centring). "
        f"Type $w$ as {describe_shape((d,))}, 2 decimals if not exact."
    )
    solution = [
        "Minimising $\\|Xw - y\\|^2 + \\lambda\\|w\\|^2$ gives $(X^\\top X + \\lambda I) w = "
        "X^\\top y$.",
        _show("$X^\\top X$", gram),
        _show(f"$X^\\top X + \\lambda I$ (add {fmt_num(lam)} to the diagonal)", regularised),
        _show("$X^\\top y$", xty),
    ]
    solution += _solve_steps("$(X^\\top X + \\lambda I) w = X^\\top y$", regularised, xty, "$w$")
    return _problem(
        prompt,
        {"X": X, "y": y, "lam": lam},
        w,
        solution,
        atol=WEIGHT_ATOL,
        precision="2 decimals if not exact",
        example=fmt_array(np.array([1.5, -2.0, 0.25, 3.0][:d])),
    )


# --- monomial_count ----------------------------------------------------------------------------

_MONOMIAL_RANGES = {1: ((2, 5), (2, 4)), 2: ((3, 10), (2, 5)), 3: ((10, 100), (2, 4))}


@generator(
    "monomial_count",
    topic="features",
    description="number of monomials of degree ≤ p in d variables, C(d+p, p)",
    params={"level": LEVEL},
)
def monomial_count(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `d` (number of variables), `p` (maximum degree); answer C(d+p, p), exact."""
    (d_lo, d_hi), (p_lo, p_hi) = _MONOMIAL_RANGES[level]
    d = int(rng.integers(d_lo, d_hi, endpoint=True))
    p = int(rng.integers(p_lo, p_hi, endpoint=True))
    count = math.comb(d + p, p)
    numerator = " \\cdot ".join(str(d + p - i) for i in range(p))
    prompt = (
        "How many monomials of degree at most $p$ are there in $d$ variables "
        "(the constant 1 included)? This is the length of the full polynomial feature map. "
        "Type one whole number; it is checked exactly."
    )
    solution = [
        "A monomial of degree ≤ p in d variables is a degree-exactly-p monomial in d + 1 "
        "variables (pad with a dummy $x_0 = 1$): choose p factors from d + 1 symbols with "
        "repetition, i.e. stars and bars.",
        f"Count = $\\binom{{d+p}}{{p}} = \\binom{{{d + p}}}{{{p}}}$.",
        f"$\\binom{{{d + p}}}{{{p}}} = \\frac{{{numerator}}}{{{p}!}}$ = `{count}`",
    ]
    return _problem(
        prompt,
        {"d": d, "p": p},
        float(count),
        solution,
        precision="a whole number, checked exactly",
        example="21",
        exact=True,
    )


# --- feature_row -------------------------------------------------------------------------------


def _draw_point(rng: np.random.Generator, level: int) -> np.ndarray:
    if level == 1:
        return _nonzero_ints(rng, 3, 2)
    return _nonzero_ints(rng, 50 if level == 2 else 100, 2) / 10  # one decimal, up to 5 or 10


@generator(
    "feature_row",
    topic="features",
    description="the design-matrix row φ(x) = (x₁², x₂², x₁x₂, x₁, x₂) of the ellipse fit",
    params={"level": LEVEL},
)
def feature_row(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `x` (2); answer φ(x) = [x₁², x₂², x₁x₂, x₁, x₂] (exact, ≤ 2 decimals)."""
    x = _draw_point(rng, level)
    x1, x2 = x
    phi = np.array([x1 * x1, x2 * x2, x1 * x2, x1, x2])
    prompt = (
        "Fitting an ellipse $w_1 x_1^2 + w_2 x_2^2 + w_3 x_1 x_2 + w_4 x_1 + w_5 x_2 = 1$ "
        "by least squares turns each point into one row of the design matrix, "
        "$\\phi(x) = (x_1^2, x_2^2, x_1 x_2, x_1, x_2)$, with target 1. "
        "Compute the row $\\phi(x)$ for the point $x$, in exactly this order."
    )
    solution = [
        f"$x_1^2$ = {fmt_num(x1)}² = `{fmt_num(phi[0])}`, "
        f"$x_2^2$ = {fmt_num(x2)}² = `{fmt_num(phi[1])}`",
        f"$x_1 x_2$ = {fmt_num(x1)} · {fmt_num(x2)} = `{fmt_num(phi[2])}`",
        _show("$\\phi(x)$", phi),
        "Stacking one such row per point gives $\\Phi$; the fit solves "
        "$\\min_w \\|\\Phi w - \\mathbf{1}\\|^2$.",
    ]
    return _problem(
        prompt,
        {"x": x},
        phi,
        solution,
        atol=1e-3,
        precision="exact (at most 2 decimals)",
        example="[4, 1, -2, 2, -1]",
    )


# --- poly_kernel -------------------------------------------------------------------------------

# level -> (dimension, |entries| bound, choices of c, choices of degree)
_POLY_SIZES = {
    1: (2, 2, (0, 1), (2,)),
    2: (3, 2, (0, 1, 2), (2, 3)),
    3: (4, 3, (0, 1, 2), (2, 3, 4)),
}


@generator(
    "poly_kernel",
    topic="kernels",
    description="polynomial kernel value (xᵀz + c)^degree, without building φ",
    params={"level": LEVEL},
)
def poly_kernel(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `x`, `z` (d), `c`, `degree`; answer (xᵀz + c)^degree (an integer)."""
    dim, bound, cs, degrees = _POLY_SIZES[level]
    for _ in range(MAX_TRIES):
        x, z = _ints(rng, bound, dim), _ints(rng, bound, dim)
        c, degree = int(rng.choice(cs)), int(rng.choice(degrees))
        base = float(x @ z) + c
        if abs(base) >= 2 and abs(base) ** degree <= 10_000:
            break
    else:  # pragma: no cover
        raise RuntimeError("poly_kernel: no well-posed draw found")
    value = base**degree
    prompt = (
        "Evaluate the polynomial kernel $k(x, z) = (x^\\top z + c)^{d}$ with $d$ = `degree`. "
        "It equals $\\phi(x)^\\top \\phi(z)$ for a feature map of all monomials up to that "
        "degree, without ever building $\\phi$. The data are integers, so the value is one: "
        "type one whole number; it is checked exactly."
    )
    products = " + ".join(f"({fmt_num(a)})({fmt_num(b)})" for a, b in zip(x, z, strict=True))
    solution = [
        f"$x^\\top z$ = {products} = `{fmt_num(x @ z)}`",
        f"$x^\\top z + c$ = {fmt_num(x @ z)} + {c} = `{fmt_num(base)}`",
        f"$({fmt_num(base)})^{{{degree}}}$ = `{fmt_num(value)}`",
        f"Cost: O(d) = {dim} multiplications instead of a dot product of two "
        f"{math.comb(dim + degree, degree)}-dimensional feature vectors.",
    ]
    return _problem(
        prompt,
        {"x": x, "z": z, "c": c, "degree": degree},
        value,
        solution,
        precision="a whole number, checked exactly",
        example="49",
        exact=True,
    )


# --- kernel_ridge ------------------------------------------------------------------------------

# level -> (n points, dimension, |entries| bound, degree choices, |y| bound)
_KRR_SIZES = {1: (2, 1, 2, (2,), 40), 2: (3, 2, 1, (2, 3), 60), 3: (4, 2, 1, (2, 3), 80)}
_KRR_LAMBDAS = (0.5, 1.0, 2.0)


def _poly_gram(A: np.ndarray, B: np.ndarray, c: int, degree: int) -> np.ndarray:
    return (A @ B.T + c) ** degree


def _draw_krr(rng: np.random.Generator, level: int) -> tuple[Any, ...]:
    """Backwards: distinct training points, integer dual coefficients α, y = (K + λI)α."""
    n, dim, bound, degrees, y_bound = _KRR_SIZES[level]
    for _ in range(MAX_TRIES):
        X = _ints(rng, bound, (n, dim))
        if len({tuple(row) for row in X}) < n:
            continue
        x_star = _ints(rng, bound, dim)
        c, degree = 1, int(rng.choice(degrees))
        lam = float(rng.choice(_KRR_LAMBDAS))
        alpha = _nonzero_ints(rng, 2, n)
        K = _poly_gram(X, X, c, degree)
        y = (K + lam * np.eye(n)) @ alpha
        k_star = _poly_gram(x_star[None, :], X, c, degree)[0]
        if abs(k_star @ alpha) >= 1 and np.abs(y).max() <= y_bound and np.abs(y).min() > 0:
            return X, y, x_star, lam, c, degree, alpha
    raise RuntimeError("kernel_ridge: no well-posed draw found")  # pragma: no cover


@generator(
    "kernel_ridge",
    topic="kernels",
    description="kernel ridge prediction f(x*) = k*ᵀ(K + λI)⁻¹y with a polynomial kernel",
    params={"level": LEVEL},
)
def kernel_ridge(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `X` (n×d training inputs), `y` (n), `x_star` (d), `lam`, `c`, `degree`;
    answer f(x*) = k*ᵀ(K + lam·I)⁻¹y with k(a, b) = (aᵀb + c)^degree."""
    X, y, x_star, lam, c, degree, alpha = _draw_krr(rng, level)  # α exact, by construction
    n = X.shape[0]
    K = _poly_gram(X, X, c, degree)
    regularised = K + lam * np.eye(n)
    k_star = _poly_gram(x_star[None, :], X, c, degree)[0]
    prediction = float(k_star @ alpha)
    prompt = (
        "Kernel ridge regression with the kernel $k(a, b) = (a^\\top b + c)^{d}$, "
        "$d$ = `degree`, on the training rows of $X$ with targets $y$: predict "
        "$f(x_*) = k_*^\\top (K + \\lambda I)^{-1} y$ where $K_{ij} = k(x_i, x_j)$, "
        "$(k_*)_i = k(x_i, x_*)$ and $\\lambda$ = `lam`. Type one number, 2 decimals if not exact."
    )
    solution = [
        _show("$K$ ($K_{ij} = (x_i^\\top x_j + c)^d$)", K),
        _show(f"$K + \\lambda I$ (add {fmt_num(lam)} to the diagonal)", regularised),
        *_solve_steps("$(K + \\lambda I) \\alpha = y$", regularised, y, "$\\alpha$"),
        _show("$k_*$ ($(k_*)_i = (x_i^\\top x_* + c)^d$)", k_star),
        f"$f(x_*) = k_*^\\top \\alpha$ = `{fmt_num(prediction)}`",
    ]
    return _problem(
        prompt,
        {"X": X, "y": y, "x_star": x_star, "lam": lam, "c": c, "degree": degree},
        prediction,
        solution,
        atol=1e-2,
        precision="2 decimals if not exact",
        example="-3.5",
    )
