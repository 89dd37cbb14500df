"""What every registered generator promises, checked once for all of them: its name and topic
(a public contract), determinism, redrawn seeds, params validation and a self-consistent answer."""

from __future__ import annotations

import json

import pytest

from mlprep.drills import ParamsError, all_generators, generate, get_generator
from mlprep.drills.answers import check_answer, format_answer

# The public contract: generator name -> topic tag.
TOPICS = {
    "ols": "linear-regression",
    "ridge": "ridge",
    "monomial_count": "features",
    "feature_row": "features",
    "poly_kernel": "kernels",
    "kernel_ridge": "kernels",
    "batchnorm": "normalization",
    "layernorm": "normalization",
    "adam_step": "optimizers",
    "momentum_step": "optimizers",
    "rmsprop_step": "optimizers",
    "weight_decay_step": "regularization",
    "clip_grad_norm": "gradients",
    "sigmoid_chain_grad": "gradients",
    "bias_variance": "bias-variance",
    "precision_recall": "metrics",
    "f1": "metrics",
    "roc_auc": "roc-auc",
    "softmax_xent": "softmax-cross-entropy",
    "xent_grad": "softmax-cross-entropy",
    "logistic_grad": "logistic-regression",
    "gini_split": "decision-trees",
    "info_gain": "decision-trees",
    "kl_divergence": "information-theory",
    "cov_eigenvalues": "pca",
    "attention": "attention",
    "kmeans_step": "k-means",
}
# v2 generators, one dict per area of the deck.
TOPICS_ARCHITECTURE: dict[str, str] = {
    "transformer_params": "transformers",
    "attention_flops": "transformers",
    "softmax_temperature": "decoding",
    "top_p_set": "decoding",
}

TOPICS_LLM_SYSTEMS: dict[str, str] = {
    "kv_cache_bytes": "llm-inference",
    "training_flops": "llm-training",
    "training_days": "llm-training",
    "lora_params": "llm-training",
    "perplexity": "llm-training",
    "zero_memory": "distributed-training",
    "pipeline_bubble": "distributed-training",
}

TOPICS_DEEP_LEARNING: dict[str, str] = {
    "conv_output_shape": "cnn",
    "conv_params": "cnn",
    "receptive_field": "cnn",
    "mlp_grad": "backprop",
}

TOPICS_APPLIED: dict[str, str] = {
    "ece": "calibration",
    "ab_sample_size": "experimentation",
    "psi": "data-and-shift",
    "ndcg_at_k": "ranking-recsys",
    "bayes_rule": "statistics",
    "xgboost_leaf_weight": "ensembles",
    "xgboost_split_gain": "ensembles",
}
TOPICS |= TOPICS_ARCHITECTURE | TOPICS_LLM_SYSTEMS | TOPICS_DEEP_LEARNING | TOPICS_APPLIED
NAMES = sorted(TOPICS)


def test_the_registered_generators_are_the_documented_ones():
    assert sorted(g.name for g in all_generators()) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_topic_description_and_level_param(name: str) -> None:
    gen = get_generator(name)
    assert gen.topic == TOPICS[name] and generate(name, 0).topic == TOPICS[name]
    assert gen.description
    assert "level" in gen.params and gen.params["level"].default == 1


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_problem_and_seeds_differ(name: str) -> None:
    for seed in range(30):
        assert generate(name, seed).to_dict() == generate(name, seed).to_dict()
    assert generate(name, 3).to_dict() == generate(name, 3, {"level": 1}).to_dict()
    shown = {json.dumps(generate(name, seed).to_dict()["data"]) for seed in range(30)}
    assert len(shown) > 5  # monomial_count draws from few (d, p) pairs


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_expected_answer_checks_correct(name: str, level: int) -> None:
    for seed in range(20):
        problem = generate(name, seed, {"level": level})
        assert check_answer(problem, format_answer(problem)).status == "correct"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"level": 0}, "'level' must be in [1, 3]"),
        ({"level": 4}, "'level' must be in [1, 3]"),
        ({"level": "2"}, "'level' must be int"),
        ({"level": 1.5}, "'level' must be int"),
        ({"level": True}, "'level' must be int"),
        ({"size": 3}, "unknown param 'size'"),
    ],
)
def test_bad_params_raise_params_error(name: str, params: dict, needle: str) -> None:
    with pytest.raises(ParamsError) as excinfo:
        generate(name, 0, params)
    assert needle in str(excinfo.value)
    assert str(excinfo.value).startswith(f"{name}: ")
