"""Generators for LLM systems: KV-cache size, training compute and time, LoRA parameter counts,
perplexity, ZeRO memory and the pipeline bubble.

Data keys (a public contract: see README, "mlprep drill") and answers:
- `kv_cache_bytes` (llm-inference): `layers`, `kv_heads`, `head_dim`, `seq_len`, `batch`,
  `bytes_per_value`; 2 · layers · kv_heads · head_dim · bytes_per_value · seq_len · batch bytes
  (keys and values, every layer), exact.
- `training_flops` (llm-training): `n_params` (N), `n_tokens` (D); C = 6ND in units of 10²¹
  FLOPs, 3 significant figures.
- `training_days` (llm-training): `n_params`, `n_tokens`, `n_gpus` (K), `peak_tflops` (per GPU,
  TFLOP/s), `mfu`; 6ND / (K · peak · 10¹² · mfu) seconds in days of 86 400 s, 2 decimals.
- `lora_params` (llm-training): `layers`, `rank` (r), `shapes` (k × 2: one row (d_out, d_in) per
  adapted matrix of a layer); layers · r · Σ (d_out + d_in), exact.
- `perplexity` (llm-training): `logprobs` (natural-log probabilities of the tokens); exp of the
  mean negative log-probability, 3 decimals.
- `zero_memory` (distributed-training): `n_params` (Ψ), `n_devices` (N_d), `stage` (1, 2 or 3);
  bytes of model states per device with 2 + 2 + 12 bytes per parameter, exact.
- `pipeline_bubble` (distributed-training): `stages` (p), `microbatches` (m);
  GPipe bubble fraction (p − 1)/(m + p − 1), 3 decimals.

Data are drawn so that answers are whole numbers where the prompt asks for an exact integer
(ZeRO shards divide evenly), and a level-1 perplexity has a mean negative log-probability in halves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .common import make_problem, redraw
from .format import fmt_num
from .problem import Problem
from .registry import LEVEL, generator

__all__ = [
    "kv_cache_bytes",
    "lora_params",
    "perplexity",
    "pipeline_bubble",
    "sci",
    "training_days",
    "training_flops",
    "zero_memory",
]

ATOL_3 = 1e-3  # "round to 3 decimals": a correctly rounded answer is within 5e-4
ATOL_2 = 1e-2  # "round to 2 decimals": within 5e-3
SECONDS_PER_DAY = 86_400
ZETTA = 1e21  # training_flops answers in units of 10²¹ FLOPs
EXACT_BYTES = (
    "Type an exact whole number of bytes (scientific notation such as `1.5e9` is read too)."
)


def sci(x: float, digits: int = 3) -> str:
    """`5.88e22`: `digits` significant figures, scientific notation, trailing zeros dropped."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _int(x: float) -> str:
    """A whole number with thousands separators: `1,048,576`."""
    return f"{int(x):,}"


def _binary_size(n_bytes: int) -> str:
    """`2 GiB`, `512 KiB`, `1.5 MiB`: the largest binary unit giving a value of at least 1."""
    value, unit = float(n_bytes), "bytes"
    for next_unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{fmt_num(value, 2)} {unit}"


def _choice(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


# --- kv_cache_bytes ------------------------------------------------------------------------

_KV_OPTIONS: dict[int, dict[str, tuple[int, ...]]] = {
    1: {
        "layers": (2, 3, 4, 6, 8),
        "kv_heads": (1, 2, 4),
        "head_dim": (8, 16, 32, 64),
        "seq_len": (10, 16, 20, 32, 50, 64, 100),
        "batch": (1, 2, 4),
        "bytes_per_value": (1, 2),
    },
    2: {
        "layers": (12, 16, 24, 28, 32),
        "kv_heads": (4, 8, 16, 32),
        "head_dim": (64, 128),
        "seq_len": (512, 1000, 1024, 2048, 4096),
        "batch": (1, 2, 4, 8, 16),
        "bytes_per_value": (1, 2),
    },
    3: {
        "layers": (32, 40, 48, 60, 64, 80, 126),
        "kv_heads": (1, 8, 16),
        "head_dim": (128, 256),
        "seq_len": (8192, 16384, 32768, 100_000, 131_072),
        "batch": (8, 16, 32, 64),
        "bytes_per_value": (1, 2),
    },
}
_VALUE_FORMAT = {1: "an 8-bit cache (int8 or fp8)", 2: "fp16/bf16"}


@generator(
    "kv_cache_bytes",
    topic="llm-inference",
    description="KV-cache size in bytes: 2 · layers · kv_heads · head_dim · bytes · tokens · batch",
    params={"level": LEVEL},
)
def kv_cache_bytes(rng: np.random.Generator, *, level: int) -> Problem:
    """Answer 2 · L · n_kv · d_head · b · S · B bytes (keys and values in every layer), exact."""
    data = {key: int(_choice(rng, options)) for key, options in _KV_OPTIONS[level].items()}
    L, n_kv, d_head = data["layers"], data["kv_heads"], data["head_dim"]
    seq_len, batch, b = data["seq_len"], data["batch"], data["bytes_per_value"]
    per_layer = 2 * n_kv * d_head
    per_token = per_layer * L * b
    tokens = seq_len * batch
    total = per_token * tokens
    prompt = (
        "A decoder-only Transformer caches the key **and** the value vectors of every token in "
        "every layer. It has `layers` layers with `kv_heads` key/value heads of dimension "
        f"`head_dim` each, and the cache is stored as {_VALUE_FORMAT[b]}: `bytes_per_value` "
        f"byte{'s' if b > 1 else ''} per number. How many bytes does the KV cache take for a batch "
        "of `batch` sequences of `seq_len` tokens each? Count only the cache (no weights, no "
        f"padding or paging overhead). {EXACT_BYTES}"
    )
    solution = [
        f"Numbers per token per layer: 2 (K and V) × kv_heads × head_dim = 2 × {n_kv} × {d_head}"
        f" = {_int(per_layer)}",
        f"Bytes per token, all layers: {_int(per_layer)} × {L} layers × {b} byte"
        f"{'s' if b > 1 else ''} = {_int(per_token)} ({_binary_size(per_token)})",
        f"Cached tokens: seq_len × batch = {seq_len} × {batch} = {_int(tokens)}",
        f"Total: {_int(per_token)} × {_int(tokens)} = {_int(total)} bytes "
        f"({_binary_size(total)}, with 1 KiB = 1024 bytes)",
    ]
    return make_problem(
        prompt=prompt,
        data=data,
        answer=float(total),
        solution=solution,
        answer_format="one whole number of bytes, e.g. `1048576`",
        exact=True,
    )


# --- training_flops and training_days ------------------------------------------------------


def _mantissa(
    rng: np.random.Generator, decimals: int, low: float = 1.0, high: float = 9.9
) -> float:
    """A number in [low, high] with `decimals` decimals (a mantissa for scientific notation)."""
    scale = 10**decimals
    return float(rng.integers(round(low * scale), round(high * scale), endpoint=True)) / scale


def _draw_model_and_tokens(rng: np.random.Generator, level: int) -> tuple[float, float]:
    """(N, D) as shown: one significant figure at level 1, two at level 2, three at level 3,
    with 5 to 2000 tokens per parameter (Chinchilla-optimal is about 20)."""
    if level == 1:
        n_params = float(_choice(rng, (1, 2, 3, 5, 7))) * 10.0 ** int(rng.integers(9, 11))
        ratio = float(_choice(rng, (20, 50, 100)))
        return n_params, n_params * ratio
    mantissa = _mantissa(rng, level - 1)
    n_params = float(f"{mantissa * 10.0 ** int(rng.integers(9, 12)):.{level}g}")
    ratio = 10 ** rng.uniform(math.log10(5), math.log10(2000))
    return n_params, float(f"{n_params * ratio:.{level}g}")


@generator(
    "training_flops",
    topic="llm-training",
    description="training compute C = 6ND FLOPs for N parameters and D tokens",
    params={"level": LEVEL},
)
def training_flops(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `n_params` (N), `n_tokens` (D); answer 6ND in units of 10²¹ FLOPs (3 significant
    figures), so that the expected answer prints as a plain number."""
    n_params, n_tokens = _draw_model_and_tokens(rng, level)
    flops = 6 * n_params * n_tokens
    prompt = (
        f"A dense decoder-only Transformer with `n_params` = {sci(n_params)} parameters is trained "
        f"on `n_tokens` = {sci(n_tokens)} tokens. Using the standard estimate $C \\approx 6ND$ "
        "(forward plus backward, attention's context-length term ignored), how much compute does "
        "training take? Give $C$ **in units of $10^{21}$ FLOPs** (so $8.4 \\cdot 10^{23}$ FLOPs is "
        "typed `840`), to 3 significant figures."
    )
    solution = [
        f"Forward ≈ 2N = {sci(2 * n_params)} FLOPs per token; backward ≈ 4N = "
        f"{sci(4 * n_params)}; together 6N = {sci(6 * n_params)} FLOPs per token.",
        f"C = 6N · D = {sci(6 * n_params)} × {sci(n_tokens)} = {sci(flops, 5)} FLOPs",
        f"In units of 10²¹ FLOPs: {sci(flops, 5)} / 1e21 = {fmt_num(flops / ZETTA, 4)}",
    ]
    return make_problem(
        prompt=prompt,
        data={"n_params": n_params, "n_tokens": n_tokens},
        answer=float(flops / ZETTA),
        solution=solution,
        answer_format="one number of 10²¹ FLOPs, 3 significant figures, e.g. `58.8`",
        atol=1e-6,  # answers are 0.1 or more: the relative tolerance (1%) decides
    )


_CLUSTER_OPTIONS: dict[int, dict[str, tuple[Any, ...]]] = {
    1: {
        "n_gpus": (8, 16, 32, 64),
        "peak_tflops": (100, 200, 250, 400, 500),
        "mfu": (0.25, 0.4, 0.5),
    },
    2: {
        "n_gpus": (128, 256, 512, 1024, 2048),
        "peak_tflops": (125, 312, 400, 989),
        "mfu": (0.3, 0.35, 0.38, 0.4, 0.42, 0.45, 0.5),
    },
    3: {
        "n_gpus": (1024, 2048, 3072, 4096, 6144, 8192, 16384),
        "peak_tflops": (312, 989),
        "mfu": (0.32, 0.35, 0.38, 0.41, 0.43, 0.46, 0.52),
    },
}
_DAYS_RANGE = (0.5, 400.0)  # redraw runs that would take hours or years


@generator(
    "training_days",
    topic="llm-training",
    description="training time in days: 6ND FLOPs on K GPUs at a peak FLOP/s and an MFU",
    params={"level": LEVEL},
)
def training_days(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `n_params`, `n_tokens`, `n_gpus`, `peak_tflops`, `mfu`; answer
    6ND / (n_gpus · peak_tflops · 10¹² · mfu) / 86 400 days (2 decimals)."""
    options = _CLUSTER_OPTIONS[level]

    def draw() -> dict[str, Any] | None:
        n_params, n_tokens = _draw_model_and_tokens(rng, level)
        data = {
            "n_params": n_params,
            "n_tokens": n_tokens,
            "n_gpus": int(_choice(rng, options["n_gpus"])),
            "peak_tflops": float(_choice(rng, options["peak_tflops"])),
            "mfu": float(_choice(rng, options["mfu"])),
        }
        rate = data["n_gpus"] * data["peak_tflops"] * 1e12 * data["mfu"]
        days = 6 * n_params * n_tokens / rate / SECONDS_PER_DAY
        return data if _DAYS_RANGE[0] <= days <= _DAYS_RANGE[1] else None

    data = redraw(draw)
    flops = 6 * data["n_params"] * data["n_tokens"]
    rate = data["n_gpus"] * data["peak_tflops"] * 1e12 * data["mfu"]
    seconds = flops / rate
    days = seconds / SECONDS_PER_DAY
    prompt = (
        f"A dense Transformer with `n_params` = {sci(data['n_params'])} parameters is trained on "
        f"`n_tokens` = {sci(data['n_tokens'])} tokens, using $C \\approx 6ND$ FLOPs. The cluster has "
        f"`n_gpus` = {data['n_gpus']} GPUs with a peak of `peak_tflops` = "
        f"{fmt_num(data['peak_tflops'])} TFLOP/s each (1 TFLOP/s = $10^{{12}}$ FLOP/s) and runs at "
        f"model FLOPs utilization `mfu` = {fmt_num(data['mfu'])}. How many days (of 86400 s) does "
        "training take? Round to 2 decimals."
    )
    solution = [
        f"C = 6ND = 6 × {sci(data['n_params'])} × {sci(data['n_tokens'])} = {sci(flops, 4)} FLOPs",
        f"Achieved throughput = n_gpus × peak × MFU = {data['n_gpus']} × "
        f"{fmt_num(data['peak_tflops'])}e12 × {fmt_num(data['mfu'])} = {sci(rate, 4)} FLOP/s",
        f"Time = C / throughput = {sci(seconds, 4)} s",
        f"Days = {sci(seconds, 4)} / 86400 = {fmt_num(days, 3)}",
    ]
    return make_problem(
        prompt=prompt,
        data=data,
        answer=float(days),
        solution=solution,
        answer_format="one number of days, 2 decimals, e.g. `38.04`",
        atol=ATOL_2,
    )


# --- lora_params ---------------------------------------------------------------------------

_ATTENTION = ("W_q", "W_k", "W_v", "W_o")
_MLP = ("W_gate", "W_up", "W_down")


def _lora_targets(rng: np.random.Generator, level: int) -> tuple[int, int, list[str], np.ndarray]:
    """(layers, rank, names, shapes) with shapes[i] = (d_out, d_in) of the i-th adapted matrix."""
    if level == 1:
        d = int(_choice(rng, (16, 32, 64, 128)))
        layers = int(_choice(rng, (1, 2, 3, 4)))
        rank = int(_choice(rng, (1, 2, 4, 8)))
        names = ["W_q", "W_v"]
        return layers, rank, names, np.array([[d, d], [d, d]])
    d = int(_choice(rng, (1024, 2048, 4096) if level == 2 else (2048, 4096, 5120, 8192)))
    heads = d // 128
    kv = 128 * int(_choice(rng, (heads, 8)))  # plain multi-head or 8 key/value heads (GQA)
    d_ff = int(_choice(rng, (4 * d, 256 * math.ceil(8 * d / 3 / 256))))
    shape = {
        "W_q": (d, d),
        "W_k": (kv, d),
        "W_v": (kv, d),
        "W_o": (d, d),
        "W_gate": (d_ff, d),
        "W_up": (d_ff, d),
        "W_down": (d, d_ff),
    }
    pool = _ATTENTION if level == 2 else _ATTENTION + _MLP
    count = int(rng.integers(2, len(pool) + 1))
    chosen = set(rng.choice(len(pool), size=count, replace=False).tolist())
    names = [name for i, name in enumerate(pool) if i in chosen]
    layers = int(_choice(rng, (12, 16, 24, 32) if level == 2 else (32, 40, 48, 80)))
    rank = int(_choice(rng, (4, 8, 16, 32) if level == 2 else (8, 16, 32, 64, 128)))
    return layers, rank, names, np.array([shape[name] for name in names])


@generator(
    "lora_params",
    topic="llm-training",
    description="trainable LoRA parameters: layers · r · Σ (d_out + d_in) over the adapted matrices",
    params={"level": LEVEL},
)
def lora_params(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `layers`, `rank`, `shapes`; answer layers · rank · Σ (d_out + d_in), exact."""
    layers, rank, names, shapes = _lora_targets(rng, level)
    per_matrix = [rank * (int(d_out) + int(d_in)) for d_out, d_in in shapes]
    per_layer = sum(per_matrix)
    total = per_layer * layers
    listing = ", ".join(
        f"`{name}` ({d_out}×{d_in})" for name, (d_out, d_in) in zip(names, shapes, strict=True)
    )
    prompt = (
        f"LoRA with rank `rank` = {rank} is applied to these weight matrices in each of the "
        f"`layers` = {layers} Transformer layers: {listing}; `shapes` lists them as rows "
        "(d_out, d_in). Each adapted $W \\in \\mathbb{R}^{d_{out} \\times d_{in}}$ is frozen and gets "
        "trainable $B \\in \\mathbb{R}^{d_{out} \\times r}$ and $A \\in \\mathbb{R}^{r \\times d_{in}}$ "
        "(no biases). How many parameters are trainable? Type an exact whole number."
    )
    steps = [
        f"{name}: r(d_out + d_in) = {rank} × ({d_out} + {d_in}) = {_int(count)}"
        for name, (d_out, d_in), count in zip(names, shapes, per_matrix, strict=True)
    ]
    solution = [
        "Per adapted matrix: " + "; ".join(steps),
        f"Per layer: {' + '.join(_int(c) for c in per_matrix)} = {_int(per_layer)}",
        f"All layers: {_int(per_layer)} × {layers} = {_int(total)} trainable parameters",
    ]
    return make_problem(
        prompt=prompt,
        data={"layers": layers, "rank": rank, "shapes": shapes},
        answer=float(total),
        solution=solution,
        answer_format="one whole number, e.g. `4194304`",
        exact=True,
    )


# --- perplexity ----------------------------------------------------------------------------

_PPL_TOKENS = {1: 4, 2: 8, 3: 16}
_PPL_MAX_NLL = {1: 3.0, 2: 5.0, 3: 8.0}  # largest −log p of one token, by level
_PPL_MAX_MEAN = 5.0  # perplexity at most e^5 ≈ 148


@generator(
    "perplexity",
    topic="llm-training",
    description="perplexity exp(−mean log p) from natural-log token probabilities",
    params={"level": LEVEL},
)
def perplexity(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `logprobs` (ln p of each token, one decimal at level 1, two above); answer
    exp(−mean(logprobs)), 3 decimals. Level 1 is built backwards from a mean in halves."""
    n = _PPL_TOKENS[level]
    max_nll = _PPL_MAX_NLL[level]

    def draw() -> np.ndarray | None:
        if level == 1:
            mean = float(_choice(rng, (0.5, 1.0, 1.5, 2.0)))
            head = rng.integers(1, round(max_nll * 10), size=n - 1, endpoint=True)
            last = round(mean * 10 * n) - int(head.sum())
            if not 1 <= last <= round(max_nll * 10):
                return None
            nll = np.append(head, last) / 10
        else:
            nll = rng.integers(1, round(max_nll * 100), size=n, endpoint=True) / 100
            if nll.mean() > _PPL_MAX_MEAN:
                return None
        return np.round(-nll.astype(float), 2)

    logprobs = redraw(draw)
    total_nll = -float(np.sum(logprobs))
    mean_nll = total_nll / n
    ppl = math.exp(mean_nll)
    return make_problem(
        prompt=(
            "A language model gives the tokens of a sequence the log-probabilities `logprobs`, "
            "$\\ln p(x_t \\mid x_{<t})$ (**natural log**). Compute the perplexity of the sequence, "
            "$\\exp\\left(-\\frac{1}{T} \\sum_t \\ln p(x_t \\mid x_{<t})\\right)$. Round to 3 decimals."
        ),
        data={"logprobs": logprobs},
        answer=float(ppl),
        solution=[
            f"Total negative log-likelihood: −Σ logprobs = {fmt_num(total_nll)}",
            f"Mean per token: {fmt_num(total_nll)} / {n} = {fmt_num(mean_nll, 6)} nats",
            f"Perplexity = exp({fmt_num(mean_nll, 6)}) = {fmt_num(ppl, 4)}",
        ],
        answer_format="one number, 3 decimals",
        atol=ATOL_3,
    )


# --- zero_memory ---------------------------------------------------------------------------

_ZERO_OPTIONS: dict[int, dict[str, tuple[int, ...]]] = {
    1: {"units": (1, 2, 3, 4, 5, 6, 8, 10), "n_devices": (2, 4, 8)},
    2: {"units": tuple(range(10, 701)), "n_devices": (8, 16, 32, 64, 128, 256)},
    3: {"units": tuple(range(7, 501)), "n_devices": (64, 128, 256, 512)},
}
_ZERO_UNIT = {1: 10**9, 2: 10**8, 3: 10**9}  # n_params = units · unit, divisible by n_devices
_ZERO_MAX_BYTES = 320 * 10**9  # redraw set-ups no accelerator could hold
_ZERO_STAGE = {
    1: ("the optimizer state", 4, 12),  # (what is sharded, replicated bytes, sharded bytes)
    2: ("the optimizer state and the gradients", 2, 14),
    3: ("the optimizer state, the gradients and the weights", 0, 16),
}


@generator(
    "zero_memory",
    topic="distributed-training",
    description="per-device bytes of model states under ZeRO stage 1/2/3 (2 + 2 + 12 bytes/param)",
    params={"level": LEVEL},
)
def zero_memory(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `n_params` (Ψ), `n_devices` (N_d), `stage`; answer, exact:
    stage 1: 4Ψ + 12Ψ/N_d, stage 2: 2Ψ + 14Ψ/N_d, stage 3: 16Ψ/N_d bytes."""
    options = _ZERO_OPTIONS[level]

    def draw() -> tuple[int, int, int] | None:
        n_params = int(_choice(rng, options["units"])) * _ZERO_UNIT[level]
        n_devices = int(_choice(rng, options["n_devices"]))
        stage = int(rng.integers(1, 4))
        _, replicated, sharded = _ZERO_STAGE[stage]
        per_device = replicated * n_params + sharded * n_params // n_devices
        return (n_params, n_devices, stage) if per_device <= _ZERO_MAX_BYTES else None

    n_params, n_devices, stage = redraw(draw)
    sharded_what, replicated, sharded = _ZERO_STAGE[stage]
    kept = replicated * n_params
    shard = sharded * n_params // n_devices
    total = kept + shard
    prompt = (
        "Mixed-precision training with Adam keeps, per parameter, a 2-byte 16-bit weight, a 2-byte "
        "16-bit gradient and 12 bytes of fp32 optimizer state (master weight, momentum, variance). "
        f"With ZeRO stage `stage` = {stage}, which partitions {sharded_what} evenly across the "
        f"`n_devices` = {n_devices} data-parallel devices, how many bytes of these model states does "
        f"each device hold for a model of `n_params` = {_int(n_params)} parameters? Ignore "
        f"activations, buffers and fragmentation. {EXACT_BYTES}"
    )
    replicated_parts = {1: "weights 2 + gradients 2", 2: "weights 2", 3: "nothing"}[stage]
    solution = [
        f"Replicated on every device ({replicated_parts}): {replicated} bytes × Ψ = {_int(kept)}",
        f"Sharded ({sharded} bytes per parameter): {sharded} × {_int(n_params)} / {n_devices} = "
        f"{_int(shard)}",
        f"Per device: {_int(kept)} + {_int(shard)} = {_int(total)} bytes "
        f"(≈ {fmt_num(total / 1e9, 2)} GB, vs {fmt_num(16 * n_params / 1e9, 2)} GB without ZeRO)",
    ]
    return make_problem(
        prompt=prompt,
        data={"n_params": n_params, "n_devices": n_devices, "stage": stage},
        answer=float(total),
        solution=solution,
        answer_format="one whole number of bytes, e.g. `31406250000`",
        exact=True,
    )


# --- pipeline_bubble -----------------------------------------------------------------------

_PIPELINE_OPTIONS: dict[int, tuple[tuple[int, ...], tuple[int, int]]] = {
    1: ((2, 3, 4), (2, 8)),  # (stage counts p, micro-batch range m)
    2: ((4, 6, 8), (8, 32)),
    3: ((8, 12, 16, 32), (32, 256)),
}


@generator(
    "pipeline_bubble",
    topic="distributed-training",
    description="GPipe pipeline bubble fraction (p − 1)/(m + p − 1) for p stages, m micro-batches",
    params={"level": LEVEL},
)
def pipeline_bubble(rng: np.random.Generator, *, level: int) -> Problem:
    """Data `stages` (p), `microbatches` (m); answer (p − 1)/(m + p − 1), 3 decimals."""
    stage_counts, (m_low, m_high) = _PIPELINE_OPTIONS[level]
    p = int(_choice(rng, stage_counts))
    m = int(rng.integers(m_low, m_high, endpoint=True))
    slots = m + p - 1
    bubble = (p - 1) / slots
    return make_problem(
        prompt=(
            f"A GPipe schedule splits each mini-batch into `microbatches` = {m} micro-batches and "
            f"runs them through `stages` = {p} pipeline stages: all forward passes, then all "
            "backward passes, then one optimizer step. Every stage takes the same time per "
            "micro-batch; ignore communication. What fraction of the step's time is each stage "
            "idle (the bubble fraction)? Round to 3 decimals (a fraction such as `3/19` is also "
            "accepted)."
        ),
        data={"stages": p, "microbatches": m},
        answer=float(bubble),
        solution=[
            f"Each phase (forward, then backward) takes m + p − 1 = {m} + {p} − 1 = {slots} slots "
            f"instead of m = {m}: the pipeline fills and drains.",
            f"Idle slots per stage in each phase: p − 1 = {p - 1}",
            f"Bubble fraction = (p − 1)/(m + p − 1) = {p - 1}/{slots} = {fmt_num(bubble, 4)}",
        ],
        answer_format="one number in (0, 1), 3 decimals or a fraction",
        atol=ATOL_3,
    )
