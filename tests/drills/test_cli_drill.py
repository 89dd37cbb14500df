"""`mlprep drill` for scripts: --list, --json, --answer and --record."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from mlprep.app.config import Paths
from mlprep.cli import app
from mlprep.storage.store import Store

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["drill", *args])


def ols_answer(seed: int) -> tuple[dict, np.ndarray]:
    result = run("--generator", "ols", "--seed", str(seed), "--json")
    assert result.exit_code == 0, result.output
    problem = json.loads(result.output)
    X, y = np.array(problem["data"]["X"], float), np.array(problem["data"]["y"], float)
    return problem, np.linalg.lstsq(X, y, rcond=None)[0]


def test_list_json_names_every_generator():
    result = run("--list", "--json")
    gens = json.loads(result.output)
    names = {g["name"] for g in gens}
    assert {"ols", "ridge", "adam_step", "batchnorm", "bias_variance"} <= names
    assert len(names) >= 20
    assert all(g["topic"] and g["description"] for g in gens)


def test_json_has_the_public_keys_and_is_reproducible():
    problem, w = ols_answer(11)
    assert set(problem) == {
        "generator",
        "seed",
        "params",
        "topic",
        "prompt",
        "data",
        "answer",
        "rtol",
        "atol",
    }
    assert problem["generator"] == "ols" and problem["seed"] == 11
    np.testing.assert_allclose(problem["answer"], w, atol=1e-9)
    assert ols_answer(11)[0] == problem


def test_answer_correct_wrong_invalid_exit_codes():
    _, w = ols_answer(5)
    typed = ", ".join(f"{x:.4f}" for x in w)
    ok = run("--generator", "ols", "--seed", "5", "--answer", typed)
    assert ok.exit_code == 0 and json.loads(ok.output)["status"] == "correct"
    wrong = run("--generator", "ols", "--seed", "5", "--answer", ", ".join(str(x + 3) for x in w))
    assert wrong.exit_code == 1 and json.loads(wrong.output)["status"] == "wrong"
    invalid = run("--generator", "ols", "--seed", "5", "--answer", "one two")
    verdict = json.loads(invalid.output)
    assert invalid.exit_code == 3 and verdict["status"] == "invalid" and verdict["message"]


def test_record_logs_and_schedules_like_an_interactive_answer():
    _, w = ols_answer(9)
    typed = " ".join(f"{x:.3f}" for x in w)
    result = run("--generator", "ols", "--seed", "9", "--answer", typed, "--record")
    assert result.exit_code == 0, result.output
    card_id = json.loads(result.output)["recorded"]["card"]
    with Store(Paths.from_env().db) as store:
        (review,) = store.reviews(card_id)
        assert (review.kind, review.seed, review.typed, review.correct) == ("drill", 9, typed, True)
        assert review.quality == 4 and store.state(card_id).memory.interval == 1


def test_invalid_answer_is_not_recorded():
    result = run("--generator", "ols", "--seed", "9", "--answer", "nan", "--record")
    assert result.exit_code == 3
    with Store(Paths.from_env().db) as store:
        assert store.reviews() == []


def test_errors_are_clear():
    unknown = run("--generator", "nope", "--json")
    assert unknown.exit_code == 2 and "unknown generator 'nope'" in unknown.output
    bad_level = run("--generator", "ols", "--level", "7", "--json")
    assert bad_level.exit_code == 2
    missing = run("--json")
    assert missing.exit_code == 2 and "--generator NAME" in missing.output
    record_alone = run("--generator", "ols", "--record")
    assert record_alone.exit_code == 2 and "--record needs --answer" in record_alone.output


def test_broken_computed_cards_are_skipped_with_a_warning(capsys):
    from mlprep.cli.drill import DrillItem, _runnable
    from mlprep.decks.loader import Card

    def card(cid, gen, params):
        return Card(
            cid, "d", "", type="computed", generator=gen, params=params, path="d.yaml", line=3
        )

    good = DrillItem("f1", {}, card("ok", "f1", {}))
    items = [good, DrillItem("nope", {}, card("bad-gen", "nope", {}))]
    items.append(DrillItem("ridge", {"level": 9}, card("bad-level", "ridge", {"level": 9})))
    assert _runnable(items, None) == [good]
    err = capsys.readouterr().err
    assert "skipped: unknown generator 'nope'" in err and "(card bad-gen at d.yaml:3)" in err
    assert "(card bad-level at d.yaml:3)" in err


def test_usage_errors_are_not_verdicts():
    missing = run("--card", "no-such-card", "--answer", "1")
    assert missing.exit_code == 2 and "no computed card with id 'no-such-card'" in missing.output


def test_a_bare_generator_and_seed_needs_no_database(isolated_home):
    assert run("--generator", "ols", "--seed", "1", "--json").exit_code == 0
    assert run("--generator", "ols", "--seed", "1", "--answer", "0").exit_code == 3  # shape
    assert not isolated_home.exists()


def test_record_needs_a_generator_or_card():
    result = run("--answer", "1", "--record")
    assert result.exit_code == 2 and "--generator NAME" in result.output
