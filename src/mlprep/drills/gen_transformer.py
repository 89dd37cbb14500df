"""Generators for Transformer architecture and decoding: parameter and FLOP counts, softmax with
a temperature and the top-p (nucleus) set.

Data keys (a public contract: see README, "mlprep drill") and answers:
- `transformer_params` (transformers): `d_model`, `n_layers`, `vocab`, `tied`, `biases`,
  `layernorm` (the last three are 0/1 flags); the exact parameter count of a decoder-only
  Transformer with MLP hidden width 4·d_model and no position-embedding parameters.
- `attention_flops` (transformers): `n` (sequence length), `d_model`, `n_heads`; the exact FLOPs
  of one self-attention layer's forward pass, 2 FLOPs per multiply-add: 8·n·d² + 4·n²·d.
- `softmax_temperature` (decoding): `logits` (k), `T`; softmax(logits / T), 3 decimals.
- `top_p_set` (decoding): `probs` (n, distinct, summing to 1), `p`; the 0/1 mask, in the given
  token order, of the smallest set of most likely tokens whose probabilities sum to ≥ p.
"""

from __future__ import annotations

import numpy as np

from .common import make_problem, redraw
from .format import fmt_array, fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "attention_flops",
    "attention_flops_count",
    "nucleus_mask",
    "softmax_temperature",
    "top_p_set",
    "transformer_param_count",
    "transformer_params",
]

ATOL = 1e-3  # the prompts ask for 3 decimals; a correctly rounded answer is within 5e-4
ROUND_3 = "Round to 3 decimals."
WHOLE = "Type one whole number (digits only, no thousands separators); it is checked exactly."

# --- transformer_params --------------------------------------------------------------------

# level -> (d_model choices, n_layers choices, vocab choices)
PARAM_SIZES = {
    1: ((4, 8, 10, 16), (1, 2, 3), (10, 20, 50, 100)),
    2: ((64, 128, 256, 512), (2, 4, 6, 8, 12), (1000, 5000, 8000, 32000)),
    3: ((768, 1024, 2048, 4096), (12, 24, 32, 48), (32000, 50257, 50304, 128256)),
}


def transformer_param_count(
    d: int, n_layers: int, vocab: int, *, tied: bool, biases: bool, layernorm: bool
) -> dict[str, int]:
    """The parameter count by part (and `total`) of a decoder-only Transformer whose layers each
    hold W_Q, W_K, W_V, W_O (d×d) and an MLP d → 4d → d; biases, when present, on those six
    matrices; LayerNorm, when counted, a γ and β of length d in each of the two per-layer norms
    and the final one; no position-embedding parameters; an unembedding without a bias."""
    attention = 4 * d * d + (4 * d if biases else 0)
    mlp = 8 * d * d + (4 * d + d if biases else 0)
    norms = 2 * 2 * d if layernorm else 0
    per_layer = attention + mlp + norms
    embeddings = vocab * d * (1 if tied else 2)
    final_norm = 2 * d if layernorm else 0
    total = n_layers * per_layer + embeddings + final_norm
    return {
        "attention": attention,
        "mlp": mlp,
        "norms": norms,
        "per_layer": per_layer,
        "embeddings": embeddings,
        "final_norm": final_norm,
        "total": total,
    }


def _params_prompt(tied: bool, biases: bool, layernorm: bool) -> str:
    embedding = (
        "**tied**: one $V \\times d$ matrix serves as both the input embedding and the output "
        "projection"
        if tied
        else "**untied**: a $V \\times d$ input embedding and a separate $d \\times V$ output "
        "projection"
    )
    bias = (
        "**with biases** on $W_Q, W_K, W_V, W_O$ and both MLP matrices"
        if biases
        else "**no biases** anywhere"
    )
    norm = (
        "**count LayerNorm**: each of the two norms per layer and the final norm has a scale "
        "$\\gamma$ and a shift $\\beta$ of length $d$"
        if layernorm
        else "**ignore LayerNorm** parameters"
    )
    return (
        "A decoder-only (GPT-style) Transformer has `n_layers` layers of width $d$ = `d_model` "
        "and vocabulary size $V$ = `vocab`. Each layer has self-attention with "
        "$W_Q, W_K, W_V, W_O \\in \\mathbb{R}^{d \\times d}$ and an MLP $d \\to 4d \\to d$. "
        "Positions use RoPE (no position-embedding parameters) and the output projection has no "
        f"bias. Embeddings are {embedding}; {bias}; {norm}. Flags in the data: 1 = yes, 0 = no. "
        f"How many parameters does the model have? {WHOLE}"
    )


@generator(
    "transformer_params",
    topic="transformers",
    description="exact parameter count of a decoder-only Transformer (≈ 12d² per layer + Vd)",
    params={"level": LEVEL},
)
def transformer_params(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer L·(12d² + biases 9d + norms 4d) + Vd (tied) or 2Vd (untied) + final norm 2d.

    Level 1 has no biases and no LayerNorm (12d² per layer plus the embeddings); levels 2-3 draw
    every convention."""
    d_choices, layer_choices, vocab_choices = PARAM_SIZES[level]
    d = int(rng.choice(d_choices))
    n_layers = int(rng.choice(layer_choices))
    vocab = int(rng.choice(vocab_choices))
    tied = bool(rng.integers(0, 2))
    biases = bool(rng.integers(0, 2)) if level > 1 else False
    layernorm = bool(rng.integers(0, 2)) if level > 1 else False
    parts = transformer_param_count(
        d, n_layers, vocab, tied=tied, biases=biases, layernorm=layernorm
    )
    total = parts["total"]

    attention = f"Attention: $4d^2$ = 4·{d}² = {4 * d * d}"
    mlp = f"MLP: $d \\cdot 4d + 4d \\cdot d = 8d^2$ = {8 * d * d}"
    if biases:
        attention += f", plus biases 4d = {4 * d}: {parts['attention']}"
        mlp += f", plus biases 4d + d = {5 * d}: {parts['mlp']}"
    steps = [f"{attention}.", f"{mlp}."]
    if layernorm:
        steps.append(f"Two LayerNorms per layer, γ and β each: 4d = {parts['norms']}.")
    steps.append(
        f"Per layer: {parts['per_layer']}; × L = {n_layers}: {n_layers * parts['per_layer']}."
    )
    if tied:
        steps.append(f"Embeddings (tied, counted once): Vd = {vocab}·{d} = {parts['embeddings']}.")
    else:
        steps.append(
            f"Embeddings (untied, input and output): 2Vd = 2·{vocab}·{d} = {parts['embeddings']}."
        )
    if layernorm:
        steps.append(f"Final LayerNorm: 2d = {parts['final_norm']}.")
    added = " + ".join(
        str(value)
        for value in (n_layers * parts["per_layer"], parts["embeddings"], parts["final_norm"])
        if value
    )
    steps.append(f"Total = {added} = {total}.")
    return make_problem(
        prompt=_params_prompt(tied, biases, layernorm),
        data={
            "d_model": d,
            "n_layers": n_layers,
            "vocab": vocab,
            "tied": int(tied),
            "biases": int(biases),
            "layernorm": int(layernorm),
        },
        answer=float(total),
        solution=steps,
        answer_format="one whole number (exact), e.g. `2336`",
        exact=True,
    )


# --- attention_flops -----------------------------------------------------------------------

# level -> (sequence lengths, widths, head counts)
FLOP_SIZES = {
    1: ((4, 8, 10, 16), (4, 8, 16), (1, 2, 4)),
    2: ((128, 256, 512, 1000), (64, 128, 256, 512), (4, 8)),
    3: ((1024, 2048, 4096, 8192), (768, 1024, 2048, 4096), (12, 16, 32)),
}


def attention_flops_count(n: int, d: int) -> dict[str, int]:
    """FLOPs (2 per multiply-add) of one self-attention layer's forward pass on n tokens of width
    d, by part: projections to Q, K, V and out, scores QKᵀ, weighted sum of V; softmax,
    scaling and masking not counted. The head count does not change any of them."""
    projections = 4 * 2 * n * d * d
    scores = 2 * n * n * d
    weighted = 2 * n * n * d
    return {
        "projections": projections,
        "scores": scores,
        "weighted": weighted,
        "total": projections + scores + weighted,
    }


@generator(
    "attention_flops",
    topic="transformers",
    description="exact FLOPs of one self-attention layer's forward pass, 8nd² + 4n²d",
    params={"level": LEVEL},
)
def attention_flops(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer 8·n·d² (Q, K, V, O projections) + 4·n²·d (QKᵀ and the weighted sum of V)."""
    lengths, widths, heads = FLOP_SIZES[level]
    n = int(rng.choice(lengths))
    h = int(rng.choice(heads))
    d = int(rng.choice([w for w in widths if w % h == 0]))
    parts = attention_flops_count(n, d)
    d_k = d // h
    return make_problem(
        prompt=(
            "One multi-head self-attention layer (width $d$ = `d_model`, $h$ = `n_heads` heads "
            "of size $d/h$) runs forward on one sequence of `n` tokens. Count its FLOPs: the "
            "projections $XW_Q, XW_K, XW_V$ and the output projection ($W_O$, all $d \\times d$), "
            "the scores $QK^\\top$ for all $n \\times n$ pairs (no causal saving), and the "
            "weighted sum of the values. A multiply-add counts as **2 FLOPs**; ignore the "
            f"softmax, the $1/\\sqrt{{d_k}}$ scaling and biases. {WHOLE}"
        ),
        data={"n": n, "d_model": d, "n_heads": h},
        answer=float(parts["total"]),
        solution=[
            f"Projections: 4 matrices × (n×d)·(d×d) = 4 · 2nd² = 8·{n}·{d}² = "
            f"{parts['projections']}.",
            f"Scores: each of the h = {h} heads multiplies (n×{d_k})·({d_k}×n): "
            f"{h} · 2·n²·{d_k} = 2n²d = {parts['scores']}.",
            f"Weighted sum: each head multiplies (n×n)·(n×{d_k}): again 2n²d = "
            f"{parts['weighted']}. The head count cancels: h · (d/h) = d.",
            f"Total = 8nd² + 4n²d = {parts['projections']} + {parts['scores'] + parts['weighted']}"
            f" = {parts['total']}.",
        ],
        answer_format="one whole number (exact), e.g. `2048`",
        exact=True,
    )


# --- softmax_temperature -------------------------------------------------------------------

LOGIT_COUNT = {1: 3, 2: 4, 3: 5}
MIN_PROB, MAX_PROB = 0.01, 0.95  # every probability shows as a nonzero 3-decimal number
TEMPERATURES = {1: (0.5, 2.0), 2: (0.25, 0.5, 0.8, 1.5, 2.0), 3: (0.2, 0.3, 0.7, 1.5, 2.5, 4.0)}


def _stable_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@generator(
    "softmax_temperature",
    topic="decoding",
    description="next-token probabilities softmax(z / T) for logits z and a temperature T",
    params={"level": LEVEL},
)
def softmax_temperature(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer softmax(logits / T). Level 1: integer logits and T ∈ {0.5, 2}; levels 2-3: one-decimal
    logits, more tokens and more temperatures. The logits are not all equal and every
    probability lies in [0.01, 0.95]."""
    k = LOGIT_COUNT[level]

    def draw() -> tuple[np.ndarray, float] | None:
        integers = rng.integers(-2, 4, k) if level == 1 else rng.integers(-30, 41, k)
        z = np.round(integers / (1 if level == 1 else 10), 1)
        temperature = float(rng.choice(TEMPERATURES[level]))
        probs = _stable_softmax(z / temperature)
        if np.ptp(z) == 0 or probs.min() < MIN_PROB or probs.max() > MAX_PROB:
            return None  # all equal, or so peaked that the answer is a one-hot vector
        return z, temperature

    logits, temperature = redraw(draw)
    scaled = logits / temperature
    shifted = scaled - scaled.max()
    exps = np.exp(shifted)
    probs = exps / exps.sum()
    return make_problem(
        prompt=(
            f"A language model gives the next-token `logits` $z$ over {k} tokens. Compute the "
            "sampling distribution at temperature $T$: $p_i = \\exp(z_i/T) / \\sum_j \\exp(z_j/T)$. "
            + ROUND_3
        ),
        data={"logits": logits, "T": temperature},
        answer=probs,
        solution=[
            f"z / T = {fmt_array(logits)} / {fmt_num(temperature)} = {fmt_array(scaled)}",
            f"Subtract the max ({fmt_num(scaled.max())}) for stability: {fmt_array(shifted)}",
            f"exp: {fmt_array(exps)}; sum = {fmt_num(exps.sum())}",
            f"p = exp / sum = {fmt_array(probs, 3)}"
            + (" (T < 1 sharpens the distribution)" if temperature < 1 else " (T > 1 flattens it)"),
        ],
        answer_format=f"a vector of {k} numbers, e.g. `[0.665, 0.245, 0.09]`",
        atol=ATOL,
    )


# --- top_p_set -----------------------------------------------------------------------------

# level -> (number of tokens, probability grid in units of 1/scale, scale, choices of p)
TOP_P_SIZES = {
    1: (5, 5, 100, (0.5, 0.6, 0.7, 0.75, 0.8)),
    2: (6, 1, 100, (0.8, 0.85, 0.9, 0.95)),
    3: (8, 1, 1000, (0.9, 0.92, 0.95, 0.97)),
}


def nucleus_mask(units: np.ndarray, threshold: int) -> np.ndarray:
    """0/1 mask (in the given order) of the smallest set of largest `units` whose sum reaches
    `threshold`; integer arithmetic, so no rounding decides the boundary."""
    order = np.argsort(-units, kind="stable")
    mask = np.zeros(len(units))
    total = 0
    for index in order:
        mask[index] = 1.0
        total += int(units[index])
        if total >= threshold:
            break
    return mask


@generator(
    "top_p_set",
    topic="decoding",
    description="the top-p (nucleus) set as a 0/1 mask: smallest set of top tokens with mass ≥ p",
    params={"level": LEVEL},
)
def top_p_set(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer the 0/1 mask of the nucleus. Probabilities are distinct multiples of the level's
    grid, summing exactly to 1; no prefix of the sorted list sums exactly to p, and the nucleus
    holds at least 2 tokens and leaves at least 1 out."""
    n, step, scale, p_choices = TOP_P_SIZES[level]

    def draw() -> tuple[np.ndarray, float] | None:
        raw = rng.dirichlet(np.full(n, 1.0)) * scale / step
        units = np.maximum(np.round(raw), 1).astype(int) * step
        units[np.argmax(units)] += scale - units.sum()
        if units.min() <= 0 or len(set(units.tolist())) < n:
            return None
        p = float(rng.choice(p_choices))
        threshold = round(p * scale)
        prefix = np.cumsum(np.sort(units)[::-1])
        if threshold in prefix.tolist():
            return None  # a prefix summing exactly to p: the boundary would hinge on ≥ vs >
        size = int(np.searchsorted(prefix, threshold) + 1)
        if not 2 <= size <= n - 1:
            return None
        return units, p

    units, p = redraw(draw)
    threshold = round(p * scale)
    mask = nucleus_mask(units, threshold)
    probs = units / scale
    digits = 3 if scale == 1000 else 2
    order = np.argsort(-units, kind="stable")
    cumulative = np.cumsum(units[order]) / scale
    size = int(mask.sum())
    ranked = ", ".join(
        f"token {index + 1}: {fmt_num(probs[index], digits)} (Σ {fmt_num(c, digits)})"
        for index, c in zip(order[: size + 1], cumulative[: size + 1], strict=True)
    )
    kept = ", ".join(str(int(i) + 1) for i in sorted(order[:size]))
    return make_problem(
        prompt=(
            f"`probs` is a next-token distribution over tokens 1 to {n} (listed in token order, "
            "not sorted). Top-p (nucleus) sampling with threshold $p$ keeps the **smallest set of "
            "most probable tokens whose probabilities sum to at least p**. Type the set as a 0/1 "
            f"mask in token order (1 = kept), e.g. `[1, 0, 1, 0, 0]` for tokens 1 and 3; it is "
            "checked exactly."
        ),
        data={"probs": probs, "p": p},
        answer=mask,
        solution=[
            f"Sort by probability, largest first, with the running sum: {ranked}",
            f"The running sum first reaches p = {fmt_num(p)} at {size} tokens: keep tokens {kept}.",
            f"Mask in token order: {fmt_array(mask)}. Sampling then renormalises over these "
            f"{size} tokens (their mass: {fmt_num(cumulative[size - 1], digits)}).",
        ],
        answer_format=f"a 0/1 vector of {n} entries in token order, e.g. `[1, 0, 1, 0, 0]`",
        exact=True,
    )
