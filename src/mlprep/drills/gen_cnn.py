"""Generators for convolutional layers and backpropagation: conv output shape, conv parameter
count, receptive field of a stack of layers, and the gradients of a tiny 2-layer MLP.

Data keys (a public contract: see README, "mlprep drill"):
- `conv_output_shape` (cnn): `input_shape` (C_in, H_in, W_in), `out_channels`, `kernel_size`,
  `stride`, `padding`, `dilation` — square kernel, stride, padding and dilation, PyTorch's
  `nn.Conv2d` with zero padding; answer [C_out, H_out, W_out], exact.
- `conv_params` (cnn): `in_channels`, `out_channels`, `kernel_size` (kH, kW), `groups`,
  `bias` (1 = bias=True, 0 = bias=False); answer the parameter count, exact.
- `receptive_field` (cnn): `kernels`, `strides`, `dilations` — one entry per layer, input
  first; answer the receptive field (along one axis, in input pixels) of one unit of the last
  layer, exact.
- `mlp_grad` (backprop): `x` (d), `W1` (h×d), `b1` (h), `W2` (k×h), `b2` (k), `y` (k) — a
  ReLU MLP with column vectors and L = ½‖ŷ − y‖²; answer ∂L/∂W1 (h×d), exact integers.

Every answer here is a whole number, checked exactly (`Problem.exact`): shapes and counts by
definition, and the MLP's data are small integers, so its gradient is integral too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import block, make_problem, matrix_format, redraw
from .format import fmt_array
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "conv_output_shape",
    "conv_params",
    "mlp_grad",
    "receptive_field",
]

EXACT = "Type exact integers."


def _exact_problem(**fields: Any) -> Problem:
    return make_problem(exact=True, **fields)


def _pick(rng: np.random.Generator, options: tuple[int, ...] | list[int]) -> int:
    return int(options[int(rng.integers(len(options)))])


# --- conv_output_shape -----------------------------------------------------------------------

# Per level: (C_in choices, C_out choices, spatial size range, kernels, strides, dilations).
CONV_SHAPE_LEVELS: dict[int, dict[str, Any]] = {
    1: {"c_in": (1, 3, 16), "c_out": (8, 16, 32, 64), "size": (5, 32), "square": True,
        "kernels": (3, 5), "strides": (1, 2), "dilations": (1,)},
    2: {"c_in": (3, 16, 32, 64), "c_out": (16, 32, 64, 128), "size": (16, 96), "square": False,
        "kernels": (3, 5, 7), "strides": (1, 2, 3), "dilations": (1,)},
    3: {"c_in": (32, 64, 128, 256), "c_out": (64, 128, 256, 512), "size": (32, 224),
        "square": False, "kernels": (3, 5, 7), "strides": (1, 2, 3), "dilations": (2, 3)},
}  # fmt: skip


def conv_out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch's ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _size_step(axis: str, n: int, k_eff: int, s: int, p: int, out: int) -> str:
    num = n + 2 * p - k_eff
    return (
        f"{axis}_out = ⌊({n} + 2·{p} − {k_eff})/{s}⌋ + 1 = ⌊{num}/{s}⌋ + 1 = {num // s} + 1 = {out}"
    )


@generator(
    "conv_output_shape",
    topic="cnn",
    description="output shape (C_out, H_out, W_out) of a Conv2d (PyTorch floor convention)",
    params={"level": LEVEL},
)
def conv_output_shape(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `input_shape`, `out_channels`, `kernel_size`, `stride`, `padding`, `dilation`;
    answer [C_out, H_out, W_out] with H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (exact)."""
    spec = CONV_SHAPE_LEVELS[level]

    def draw() -> tuple[int, ...] | None:
        lo, hi = spec["size"]
        h = int(rng.integers(lo, hi, endpoint=True))
        w = h if spec["square"] else int(rng.integers(lo, hi, endpoint=True))
        k, s, d = (_pick(rng, spec[key]) for key in ("kernels", "strides", "dilations"))
        k_eff = d * (k - 1) + 1
        p = int(rng.integers(0, (k_eff - 1) // 2, endpoint=True))
        h_out, w_out = conv_out_size(h, k, s, p, d), conv_out_size(w, k, s, p, d)
        if min(h_out, w_out) < 2 or (not spec["square"] and h == w):
            return None
        return _pick(rng, spec["c_in"]), h, w, _pick(rng, spec["c_out"]), k, s, p, d

    c_in, h, w, c_out, k, s, p, d = redraw(draw)
    k_eff = d * (k - 1) + 1
    h_out, w_out = conv_out_size(h, k, s, p, d), conv_out_size(w, k, s, p, d)
    answer = np.array([c_out, h_out, w_out], dtype=float)
    kernel_step = (
        f"Effective kernel size with dilation: d(k − 1) + 1 = {d}·({k} − 1) + 1 = {k_eff}"
        if d > 1
        else f"Dilation 1: the kernel covers k = {k} pixels along each axis"
    )
    prompt = (
        "A `torch.nn.Conv2d` with `out_channels` filters of size `kernel_size`×`kernel_size` "
        "and the given `stride`, `padding` (zeros, added on every side) and `dilation` (the "
        "same along height and width) is applied to one input of shape "
        "`input_shape` = (C_in, H_in, W_in), no batch dimension. What is the output shape "
        "(C_out, H_out, W_out)? As in PyTorch, the division by the stride is rounded **down** "
        f"(floor). {EXACT}"
    )
    return _exact_problem(
        prompt=prompt,
        data={
            "input_shape": np.array([c_in, h, w]),
            "out_channels": c_out,
            "kernel_size": k,
            "stride": s,
            "padding": p,
            "dilation": d,
        },
        answer=answer,
        solution=[
            kernel_step,
            _size_step("H", h, k_eff, s, p, h_out),
            _size_step("W", w, k_eff, s, p, w_out),
            f"C_out = `out_channels` = {c_out}: one output channel per filter, whatever C_in "
            f"= {c_in} is. Shape: {fmt_array(answer)}",
        ],
        answer_format="a vector of 3 whole numbers `[C_out, H_out, W_out]`, e.g. `[16, 28, 28]`",
    )


# --- conv_params -----------------------------------------------------------------------------

CONV_PARAM_CHANNELS = {1: (1, 3, 8, 16, 32, 64), 2: (16, 32, 64, 96, 128, 256, 512)}
CONV_PARAM_OUT = {1: (8, 16, 32, 64, 128), 2: (32, 64, 128, 256, 512)}
SQUARE_KERNELS = ((1, 1), (3, 3), (5, 5))
KERNELS_2D = ((1, 3), (3, 1), (1, 7), (7, 1), (3, 5), (5, 3), (3, 3), (5, 5), (7, 7))
GROUPED_CHANNELS = (32, 64, 128, 256, 512, 1024)
GROUPS = (2, 4, 8, 32)


def _draw_conv_layer(rng: np.random.Generator, level: int) -> tuple[int, int, int, int, int]:
    """(C_in, C_out, kH, kW, groups); level 3 is grouped or depthwise."""
    if level < 3:
        c_in, c_out = _pick(rng, CONV_PARAM_CHANNELS[level]), _pick(rng, CONV_PARAM_OUT[level])
        kernels = SQUARE_KERNELS if level == 1 else KERNELS_2D
        kh, kw = kernels[int(rng.integers(len(kernels)))]
        return c_in, c_out, kh, kw, 1
    c_in = _pick(rng, GROUPED_CHANNELS)
    kh = kw = _pick(rng, (3, 5, 7))
    if rng.random() < 0.5:  # depthwise: one group per input channel, multiplier 1 or 2
        return c_in, c_in * _pick(rng, (1, 2)), kh, kw, c_in
    groups = _pick(rng, GROUPS)
    return c_in, _pick(rng, GROUPED_CHANNELS), kh, kw, groups


@generator(
    "conv_params",
    topic="cnn",
    description="learnable parameters of a Conv2d: C_out·(C_in/groups)·kH·kW (+ C_out bias)",
    params={"level": LEVEL},
)
def conv_params(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `in_channels`, `out_channels`, `kernel_size` (kH, kW), `groups`, `bias` (0/1);
    answer C_out·(C_in/groups)·kH·kW + bias·C_out (exact)."""
    c_in, c_out, kh, kw, groups = _draw_conv_layer(rng, level)
    bias = int(rng.integers(0, 2))
    per_filter = (c_in // groups) * kh * kw
    weights = c_out * per_filter
    total = weights + bias * c_out
    grouped = (
        f"groups = {groups}: each filter sees only C_in/groups = {c_in}/{groups} = "
        f"{c_in // groups} input channel{'s' if c_in // groups > 1 else ''}"
        + (" (a depthwise convolution)" if groups == c_in else "")
        if groups > 1
        else "groups = 1: each filter sees all C_in input channels"
    )
    bias_step = (
        f"Bias: one per output channel, {c_out}; total {weights} + {c_out} = {total}"
        if bias
        else f"No bias (bias=False); total {weights}"
    )
    prompt = (
        "How many learnable parameters does "
        "`nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=...)` have? "
        "`kernel_size` is (kH, kW); `bias` = 1 means `bias=True`, 0 means `bias=False`. With "
        "`groups` = g, the channels are split into g groups and each output channel is "
        "connected only to the C_in/g input channels of its group. Type one exact integer."
    )
    return _exact_problem(
        prompt=prompt,
        data={
            "in_channels": c_in,
            "out_channels": c_out,
            "kernel_size": np.array([kh, kw]),
            "groups": groups,
            "bias": bias,
        },
        answer=float(total),
        solution=[
            grouped + ".",
            f"Weight tensor shape (C_out, C_in/groups, kH, kW) = ({c_out}, {c_in // groups}, "
            f"{kh}, {kw}): {c_out}·{c_in // groups}·{kh}·{kw} = {weights} weights",
            bias_step,
        ],
        answer_format="one whole number, e.g. `1792`",
    )


# --- receptive_field -------------------------------------------------------------------------

# Per level: (number of layers range, dilated convolutions allowed).
RF_LEVELS = {1: ((2, 3), False), 2: ((4, 5), True), 3: ((6, 8), True)}
RF_LAYERS = {  # (name, kernel, stride) of the layer kinds drawn
    "conv3": ("conv 3×3", 3, 1),
    "conv3s2": ("conv 3×3", 3, 2),
    "conv5": ("conv 5×5", 5, 1),
    "conv7s2": ("conv 7×7", 7, 2),
    "pool2": ("max-pool 2×2", 2, 2),
    "pool3s2": ("max-pool 3×3", 3, 2),
}
RF_KINDS = ("conv3", "conv3", "conv3s2", "conv5", "pool2", "pool3s2")
DILATIONS = (2, 4)


def _draw_rf_layers(rng: np.random.Generator, level: int) -> list[tuple[str, int, int, int]]:
    """(name, kernel, stride, dilation) per layer, input first."""
    (lo, hi), dilated = RF_LEVELS[level]
    count = int(rng.integers(lo, hi, endpoint=True))
    layers = []
    for index in range(count):
        kinds = RF_KINDS + (("conv7s2",) if index == 0 else ())
        name, k, s = RF_LAYERS[kinds[int(rng.integers(len(kinds)))]]
        d = 1
        if dilated and name.startswith("conv") and s == 1 and rng.random() < 0.3:
            d = _pick(rng, DILATIONS)
            name = f"{name} dilation {d}"
        layers.append((name, k, s, d))
    return layers


@generator(
    "receptive_field",
    topic="cnn",
    description="receptive field of a stack of conv/pool layers: r += (k_eff − 1)·(product of earlier strides)",
    params={"level": LEVEL},
)
def receptive_field(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `kernels`, `strides`, `dilations` (one per layer, input first); answer
    r_L = 1 + Σ_l (d_l(k_l − 1) + 1 − 1)·Π_{i<l} s_i (exact)."""

    def draw() -> list[tuple[str, int, int, int]] | None:
        layers = _draw_rf_layers(rng, level)
        if all(s == 1 for _, _, s, _ in layers[:-1]):
            return None  # no stride before the last layer: the product of strides never matters
        return layers

    layers = redraw(draw)
    r, jump = 1, 1
    steps = ["Start at the input: r₀ = 1 pixel, jump (product of strides so far) J₀ = 1."]
    for index, (name, k, s, d) in enumerate(layers, start=1):
        k_eff = d * (k - 1) + 1
        grown = r + (k_eff - 1) * jump
        kernel = f"effective kernel {d}·({k} − 1) + 1 = {k_eff}; " if d > 1 else ""
        steps.append(
            f"Layer {index} ({name}, stride {s}): {kernel}r{index} = {r} + ({k_eff} − 1)·{jump} "
            f"= {grown}; J{index} = {jump}·{s} = {jump * s}"
        )
        r, jump = grown, jump * s
    described = "; ".join(f"{i}. {name}, stride {s}" for i, (name, _, s, _) in enumerate(layers, 1))
    dilated = (
        " A kernel of size $k$ with dilation $d$ counts as $d(k - 1) + 1$."
        if any(d > 1 for *_, d in layers)
        else ""
    )
    prompt = (
        f"A stack of layers, input first: {described}. What is the receptive field of one unit "
        "of the last layer, in input pixels along one axis? Pooling layers count like "
        "convolutions; padding does not change the size. Use "
        "$r_l = r_{l-1} + (k_l - 1) \\cdot J_{l-1}$ with $r_0 = 1$, where $J_{l-1}$ is the "
        f"product of the strides of the layers before layer $l$.{dilated} "
        "Type one exact integer."
    )
    return _exact_problem(
        prompt=prompt,
        data={
            "kernels": np.array([k for _, k, _, _ in layers]),
            "strides": np.array([s for _, _, s, _ in layers]),
            "dilations": np.array([d for _, _, _, d in layers]),
        },
        answer=float(r),
        solution=steps,
        answer_format="one whole number (pixels), e.g. `11`",
    )


# --- mlp_grad --------------------------------------------------------------------------------

MLP_SIZES = {1: (2, 2, 1), 2: (3, 3, 1), 3: (3, 4, 2)}  # (d inputs, h hidden, k outputs)
MLP_MAX_ENTRY = {1: 12, 2: 24, 3: 40}  # largest |∂L/∂W1| entry kept hand-sized


def _ints(rng: np.random.Generator, bound: int, size: Any) -> np.ndarray:
    """Integers in [-bound, bound] as floats."""
    return rng.integers(-bound, bound, size=size, endpoint=True).astype(float)


def _nonzero_ints(rng: np.random.Generator, bound: int, size: Any) -> np.ndarray:
    """Integers in [-bound, -1] ∪ [1, bound] as floats."""
    magnitude = rng.integers(1, bound, size=size, endpoint=True)
    return (magnitude * rng.choice([-1, 1], size=size)).astype(float)


def _draw_mlp(rng: np.random.Generator, level: int) -> dict[str, np.ndarray]:
    d, h, k = MLP_SIZES[level]

    def draw() -> dict[str, np.ndarray] | None:
        data = {
            "x": _ints(rng, 2, d),
            "W1": _ints(rng, 2, (h, d)),
            "b1": _ints(rng, 1, h),
            "W2": _nonzero_ints(rng, 2, (k, h)),
            "b2": _ints(rng, 1, k),
            "y": _ints(rng, 3, k),
        }
        z = data["W1"] @ data["x"] + data["b1"]
        if np.any(z == 0) or not np.any(z > 0):
            return None  # ReLU'(0) is ambiguous; some unit must be active
        if level > 1 and not np.any(z < 0):
            return None  # levels 2-3: the ReLU mask must block some unit
        _, _, _, delta2, _, delta1, grad = _mlp_backward(data)
        if not np.all(delta2) or np.abs(grad).max() > MLP_MAX_ENTRY[level]:
            return None  # every output contributes an error; entries stay hand-sized
        if np.count_nonzero(data["x"]) < d - 1 or np.count_nonzero(grad) < 2:
            return None  # keep the outer product informative
        if level > 1 and np.count_nonzero(delta1) < 2:
            return None  # levels 2-3: at least two hidden units pass a gradient back
        return data

    return redraw(draw)


def _mlp_backward(data: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(z, h, ŷ, δ₂, W₂ᵀδ₂, δ₁, ∂L/∂W₁) for one example."""
    z = data["W1"] @ data["x"] + data["b1"]
    hidden = np.maximum(z, 0.0)
    y_hat = data["W2"] @ hidden + data["b2"]
    delta2 = y_hat - data["y"]
    back = data["W2"].T @ delta2
    delta1 = back * (z > 0)
    return z, hidden, y_hat, delta2, back, delta1, np.outer(delta1, data["x"]) + 0.0


@generator(
    "mlp_grad",
    topic="backprop",
    description="∂L/∂W1 of a ReLU 2-layer MLP, column vectors, L = ½‖ŷ − y‖² (δ₁xᵀ)",
    params={"level": LEVEL},
)
def mlp_grad(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `x`, `W1`, `b1`, `W2`, `b2`, `y`; answer ∂L/∂W1 = δ₁xᵀ with
    δ₁ = (W₂ᵀ(ŷ − y)) ⊙ 1[z > 0] (exact integers)."""
    data = _draw_mlp(rng, level)
    z, hidden, y_hat, delta2, back, delta1, grad = _mlp_backward(data)
    d, h, k = MLP_SIZES[level]
    mask = fmt_array((z > 0).astype(float))
    prompt = (
        "One example through a 2-layer MLP, column vectors: $z = W_1 x + b_1$, "
        "$h = \\mathrm{ReLU}(z)$, $\\hat{y} = W_2 h + b_2$, with the loss "
        "$L = \\frac{1}{2}\\|\\hat{y} - y\\|^2$ (no averaging). Compute "
        f"$\\partial L / \\partial W_1$: a {h}×{d} matrix, the shape of $W_1$, whose entry (i, j) "
        "is $\\partial L / \\partial (W_1)_{ij}$. ReLU′(z) is 1 for z > 0 and 0 for z < 0 (no "
        f"entry of z is exactly 0). {EXACT}"
    )
    return _exact_problem(
        prompt=prompt,
        data=data,
        answer=grad,
        solution=[
            f"Forward: z = W₁x + b₁ = {fmt_array(z)}; h = ReLU(z) = {fmt_array(hidden)}; "
            f"ŷ = W₂h + b₂ = {fmt_array(y_hat)}",
            f"Output error δ₂ = ∂L/∂ŷ = ŷ − y = {fmt_array(delta2)} ({k} entr"
            f"{'y' if k == 1 else 'ies'}, like ŷ)",
            f"Back through W₂: ∂L/∂h = W₂ᵀδ₂ = {fmt_array(back)} ({h} entries, like h)",
            f"Through the ReLU: δ₁ = ∂L/∂z = (W₂ᵀδ₂) ⊙ 1[z > 0], with 1[z > 0] = {mask}: "
            f"δ₁ = {fmt_array(delta1)}",
            block(f"∂L/∂W₁ = δ₁xᵀ, the outer product of δ₁ ({h}) and x ({d}):", grad),
        ],
        answer_format=f"{matrix_format((h, d))}; whole numbers",
    )
