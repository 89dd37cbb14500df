"""`list`, `search`, `show`, `suspend`/`unsuspend`/`flag` and the drill screens: at 80
columns, with one definition of each filter and mark."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime

import pytest
from rich.cells import cell_len
from rich.console import Console, Group
from typer.testing import CliRunner

from mlprep.app.config import Paths
from mlprep.cli import app
from mlprep.core.grades import Answer
from mlprep.core.search import SearchDoc, search
from mlprep.drills import all_generators, generate
from mlprep.drills.answers import format_answer
from mlprep.drills.format import tidy_signs
from mlprep.storage.store import Store
from mlprep.term.drill import problem_panel, repeats_prompt, solution_panel

runner = CliRunner()


def cli(*args, **env):
    return runner.invoke(
        app, list(args), env={"COLUMNS": "80", "MLPREP_NOW": "2026-12-01T09:00", **env}
    )


def render(renderable, width=80) -> list[str]:
    c = Console(file=io.StringIO(), width=width, color_system=None)
    c.print(Group(renderable))
    return c.file.getvalue().rstrip("\n").split("\n")


def test_list_at_80_columns_is_one_line_per_card_and_never_cuts_ids():
    result = cli("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    body = lines[1:-1]
    with Store(Paths.from_env().db) as store:
        ids = [c.id for c in store.live_cards()]
    assert len(body) == len(ids)  # one line per card
    for line in lines:
        assert cell_len(line) <= 80, line
    listed = [line.split()[0] for line in body]
    assert sorted(listed) == sorted(ids)  # every id whole
    assert lines[0].split()[:4] == ["id", "deck", "status", "due"]


def test_list_marks_suspended_and_flagged_cards_and_filters_them():
    assert cli("suspend", "bv-bias-definition").stdout == (
        "bv-bias-definition: suspended; `mlprep unsuspend bv-bias-definition` brings it back.\n"
    )
    assert cli("suspend", "bv-bias-definition").stdout == (
        "bv-bias-definition was already suspended; nothing to do.\n"
    )
    assert cli("flag", "opt-adam-update").exit_code == 0
    suspended = json.loads(cli("list", "--suspended", "--json").stdout)
    assert [(r["id"], r["status"]) for r in suspended] == [("bv-bias-definition", "suspended")]
    flagged = json.loads(cli("list", "--flagged", "--json").stdout)
    assert [(r["id"], r["flagged"]) for r in flagged] == [("opt-adam-update", True)]
    text = cli("list", "--flagged").stdout
    assert re.search(r"opt-adam-update +optimizers +new ⚑", text)
    assert text.splitlines()[-1] == "1 card: 1 new, 1 flagged"
    due = json.loads(cli("due", "--json").stdout)
    assert "bv-bias-definition" not in json.dumps(due)
    assert cli("unsuspend", "bv-bias-definition").stdout == (
        "bv-bias-definition: unsuspended; it comes back in review.\n"
    )
    assert json.loads(cli("list", "--suspended", "--json").stdout) == []
    assert cli("flag", "--off", "opt-adam-update").stdout == "opt-adam-update: flag removed.\n"
    missing = cli("suspend", "bv-bias-definiton")
    assert missing.exit_code == 1
    assert "no card with id 'bv-bias-definiton'; did you mean bv-bias-definition" in missing.stderr


def test_every_command_handles_an_unknown_filter_the_same_way():
    for command in (["list"], ["due"], ["stats"], ["search", "x"]):
        for flag in ("--deck", "--tag"):
            result = cli(*command, flag, "nope")
            what = flag.strip("-")
            assert result.exit_code == 1, (command, flag)
            assert result.stderr.startswith(f"Error: no {what} named 'nope'; {what}s: "), command


def test_search_ranks_and_shows_the_match():
    docs = [
        SearchDoc(
            "adam-in-one-line",
            "optimizers",
            "What does Adam do?",
            "Momentum plus RMSProp.",
            ("adam",),
        ),
        SearchDoc(
            "adam-bias", "optimizers", "Why does Adam need bias correction?", "Zero init.", ()
        ),
        SearchDoc("madam", "misc", "Who is madam?", "A bias correction in Adam is not this.", ()),
    ]
    hits = search("adam bias correction", docs)
    assert [h.card_id for h in hits] == ["adam-bias", "madam"]
    best = hits[0]
    assert best.field == "question" and best.snippet == "Why does Adam need bias correction?"
    assert best.snippet[best.start : best.end] == "Adam"  # the match, to highlight
    assert search("ADAM", docs)[0].card_id in ("adam-in-one-line", "adam-bias")
    assert search("nothing-like-this", docs) == []


def test_search_command_and_list_search():
    result = cli("search", "adam", "bias", "correction")  # words as they are typed
    assert result.exit_code == 0, result.output
    assert cli("search", "adam bias correction").stdout == result.stdout  # or quoted
    assert cli("search").exit_code == 2  # at least one word
    lines = result.stdout.splitlines()
    assert lines[0].endswith("match 'adam bias correction', best first:")
    assert lines[1].startswith(" opt-adam-bias-correction")
    assert "Adam need bias correction" in lines[2]
    assert all(cell_len(line) <= 80 for line in lines)
    listed = json.loads(cli("list", "--search", "adam bias correction", "--json").stdout)
    assert listed[0]["id"] == "opt-adam-bias-correction"
    as_json = json.loads(cli("search", "kv cache", "--json").stdout)
    assert as_json[0]["card_id"].startswith("llminf-kv-cache") and as_json[0]["field"] == "question"


def test_show_example_works_and_history_shows_grades_as_pressed():
    # The example in `mlprep show --help` names a card of the bundled deck.
    example = re.search(r"Example: mlprep show (\S+)", cli("show", "--help").stdout).group(1)
    assert cli("show", example).exit_code == 0
    with Store(Paths.from_env().db) as store:
        day = date(2026, 11, 30)
        store.record(example, Answer.expert(4), datetime(2026, 11, 30, 9).astimezone(), day)
    out = cli("show", example).stdout
    assert out.splitlines()[1].startswith(" bundled:optimizers.yaml:")
    row = next(line for line in out.splitlines() if line.strip().startswith("2026-11-30"))
    assert row.split()[:2] == ["2026-11-30", "Good"]  # the key's name, not SM-2's "4"
    assert all(cell_len(line) <= 80 for line in out.splitlines())
    assert out.splitlines()[-2] == "Ease 2.50 (2.50) · 1 review, 0 lapses"
    assert out.splitlines()[-1].startswith("Memory (FSRS): stability 2.3 days")


@pytest.mark.parametrize("generator", [g.name for g in all_generators()])
def test_drill_screens_fit_80_columns(generator):
    problem = generate(generator, 3, {})
    for panel in (
        problem_panel(problem, "A lead-in."),
        solution_panel(problem, format_answer(problem)),
    ):
        for line in render(panel):
            assert cell_len(line) <= 80, (generator, line)


def test_solutions_put_negative_operands_in_parentheses():
    assert tidy_signs("ln Σ − z[2] = 2.7023 − -2") == "ln Σ − z[2] = 2.7023 − (−2)"
    assert tidy_signs("3 · -2 = `-6`") == "3 · (−2) = `−6`"  # one minus sign
    assert tidy_signs("x = -1 and [1, -2]") == "x = −1 and [1, −2]"
    screen = "\n".join(render(solution_panel(generate("softmax_xent", 1, {}), "0.4076")))
    assert "− -" not in screen and "· -" not in screen


def test_the_answer_is_not_repeated_after_the_last_step():
    problem = generate("precision_recall", 0, {})
    assert problem.solution[-1].startswith("Answer:")
    screen = "\n".join(render(solution_panel(problem, format_answer(problem))))
    assert screen.count("Answer:") == 1


def test_a_lead_in_that_repeats_the_prompt_is_not_shown_twice():
    problem = generate("attention", 0, {})
    lead_in = "Compute $\\operatorname{softmax}(QK^\\top/\\sqrt{d_k})V$ for these matrices."
    assert repeats_prompt(lead_in, problem.prompt)
    screen = "\n".join(render(problem_panel(problem, lead_in)))
    assert "for these matrices" not in screen
    assert not repeats_prompt("Remember the scaling by the key dimension.", problem.prompt)


def test_vector_answer_formats_show_the_right_number_of_entries():
    problem = generate("logistic_grad", 0, {"level": 1})
    assert problem.answer_format == "a vector of 2 numbers, e.g. `[0.5, -1.25]`"


def test_search_says_one_card_matches():
    from mlprep.term.listing import build_search_results

    hit = search("adam", [SearchDoc("a", "d", "Adam?", "", ())])
    assert render(build_search_results(hit, "adam"))[0] == "1 card matches 'adam', best first:"


def test_a_drill_on_a_new_card_counts_against_the_new_cards_of_the_day(tmp_path):
    from mlprep.app.library import day_queue

    deck = tmp_path / "d.yaml"
    deck.write_text(
        "cards:\n  - {id: c1, type: computed, generator: f1}\n"
        + "".join(f"  - {{id: b{i}, q: q{i}, a: a{i}}}\n" for i in range(5))
    )
    day = date(2026, 12, 1)
    with Store(tmp_path / "db.sqlite") as store:
        store.sync([deck])
        assert len(day_queue(store, day, new_per_day=3)) == 3
        store.record(
            "c1", Answer.expert(4), datetime(2026, 12, 1, 9).astimezone(), day, kind="drill"
        )
        assert store.new_seen_on(day) == 1
        assert len([q for q in day_queue(store, day, new_per_day=3) if q.kind == "new"]) == 2


def test_the_leech_notice_says_how_to_act_on_the_card():
    from mlprep.term.leech import leech_notice

    text = "\n".join(render(leech_notice(None, "x", 8)))
    assert "e opens it in your editor and s suspends it" in " ".join(text.split())
