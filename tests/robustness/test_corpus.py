"""The CLI over a corpus of hostile inputs: card files, stdin snippets, arguments, the
environment, settings and a damaged database. For every run: no traceback, a non-zero exit
where it failed (and zero where it must work), and afterwards the database and the card files
are byte for byte what they were."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from robustness.conftest import cli, integrity, snapshot
from robustness.test_adversarial import BOMB, HOSTILE

GOOD = """deck: good
cards:
  - id: good-one
    q: What does $\\lambda$ do in ridge?
    a: It weights the penalty.
  - id: good-two
    q: Second?
    a: Second.
  - id: good-drill
    type: computed
    generator: ridge
    params: {level: 1}
"""

HOSTILE_FILES: dict[str, str | bytes] = {
    "typed.yaml": "cards:\n"
    + "".join(
        f"  - id: typed-{n}\n    q: {value}\n    a: b\n"
        for n, value in enumerate(
            [
                "!!int x",
                "!!float abc",
                "!!timestamp 2020-99-99",
                '!!binary "abc"',
                "!!int " + "9" * 5000,
                "!mytag x",
                "!!python/name:os.system ''",
                "!!python/object/apply:os.system ['touch PWNED']",
            ]
        )
    ),
    "params.yaml": "cards:\n"
    + "".join(
        f"  - id: params-{n}\n    type: computed\n    generator: ridge\n    params: {value}\n"
        for n, value in enumerate(
            [
                "{level: 1, since: 2020-01-01}",
                "!!set {a, b}",
                "{level: !!binary aGVsbG8=}",
                "{[1, 2]: 3}",
                "{level: 1000000000, dim: 1000000}",
                "{level: .inf}",
                "[1, 2]",
            ]
        )
    ),
    "bomb.yaml": BOMB,
    "escapes.yaml": HOSTILE,
    "huge.yaml": "cards:\n  - id: huge-q\n    q: " + "word " * 250_000 + "\n    a: a\n",
    "nonutf8.yaml": b"cards:\n  - id: latin\n    q: caf\xe9\n    a: b\n",
    "tabs.yaml": "cards:\n\t- id: tabbed\n",
    "nul.yaml": "cards:\n  - id: nul\n    q: a\x00b\n    a: b\n",
    "deep.yaml": "cards: " + "[" * 10_000,
    "deepmap.yaml": "cards: " + "{a: " * 5_000,
    "scalar.yaml": "just a string\n",
    "multidoc.yaml": "cards: []\n---\ncards: []\n",
    "zz-dup.yaml": "cards:\n  - id: good-one\n    q: Taken?\n    a: Yes.\n",
    "ids.yaml": "cards:\n"
    + "".join(
        f"  - id: {value}\n    q: q\n    a: a\n"
        for value in ["../../etc/passwd", "café", '"ok-id\\n"', "12345", "null", "[a]"]
    ),
    "merge.yaml": "base: &b {q: x, a: y}\ncards:\n  - <<: *b\n    id: merged\n",
    "generators.yaml": "cards:\n"
    "  - {id: gen-1, type: computed, generator: os.system}\n"
    "  - {id: gen-2, type: computed, generator: [ridge]}\n",
    "keys.yaml": "cards:\n  - id: keys\n    q: q\n    a: a\n    ? [x]\n    : y\n    extra: z\n",
    "big-tags.yaml": "cards:\n  - id: tags\n    q: q\n    a: a\n    tags: ["
    + ", ".join(f"t{i}" for i in range(500))
    + "]\n",
}

SNIPPETS = [
    "q: x\na: y\ntags: [[a]]\n",
    "q: x\na: y\ntags: [{a: 1}]\n",
    "tags: [[a]]\ncards:\n  - q: x\n    a: y\n",
    "id: [a]\nq: x\na: y\n",
    "q: !!int x\na: y\n",
    "q: !!python/object/apply:os.system ['touch PWNED']\na: y\n",
    "q: x\na: y\n? [k]\n: v\n",
    "deck: ../../escaped\ncards:\n  - q: q\n    a: a\n",
    '"q": "\\e]0;TITLE\\a"\n"a": y\n',
    "[" * 5000,
    "",
    "42",
    "q: x\na: y\nparams: {since: 2020-01-01}\ntype: computed\ngenerator: ridge\n",
    BOMB.replace("type: computed\n    generator: ridge\n    params:", "q:"),
    "q: What does $\\lambda$ do in ridge?\na: duplicate\n",
    "q: x\na: y\nid: good-one\n",
    "q: " + "x" * 30_000 + "\na: y\n",
]

# (arguments, environment, must it fail?)
COMMANDS: list[tuple[list[str], dict[str, str], bool]] = [
    (["due"], {}, False),
    (["due", "--json"], {}, False),
    (["list"], {}, False),
    (["list", "--json", "--due"], {}, False),
    (["stats"], {}, False),
    (["stats", "--json"], {}, False),
    (["show", "good-one"], {}, False),
    (["show", "good-drill"], {}, False),
    (["show", "typed-0"], {}, True),
    (["show", "'; drop table reviews; --"], {}, True),
    (["list", "--tag", "x' OR 1=1 --"], {}, True),  # no such tag: an error naming the tags
    (["check"], {}, True),
    (["drill", "--list"], {}, False),
    (["drill", "--generator", "ridge", "--seed", "1", "--json"], {}, False),
    (["drill", "--card", "bomb", "--json"], {}, True),
    (["drill", "--card", "params-0", "--json"], {}, True),
    (["config"], {}, False),
    (["config", "new_per_day", "-1"], {}, True),
    (["config", "day_starts_at", "25"], {}, True),
    (["due", "--next", "100000000000000000000"], {}, True),
    (["review", "--new", "100000000000000000000"], {}, True),
    (["review"], {}, True),  # not a terminal
    (["stats", "--days", "100000000"], {}, True),
    (["drill", "--seed", "-1", "--generator", "ridge", "--json"], {}, True),
    (["drill", "--seed", str(10**30), "--generator", "ridge", "--json"], {}, True),
    (["add", "--q", "x?", "--a", "y", "--deck", "../../etc/x"], {}, True),
    (["add", "--q", "x?", "--a", "y", "--deck", "evil\x1b]0;x\x07"], {}, True),
    (["add", "--q", "x?", "--a", "y", "--deck", "shared"], {}, True),  # a dangling link
    (["add", "--q", "x?", "--a", "y", "--id", "../x"], {}, True),
    (["add", "--q", "x?", "--a", "y", "--id", "good-one"], {}, True),
    (["add", "--generator", "os.system"], {}, True),
    (["add", "--generator", "ridge", "--params", "[1]"], {}, True),
    (["add", "--generator", "ridge", "--params", '{"level": 1e400}'], {}, True),
    (["add", "--q", "What does $\\lambda$ do in ridge?", "--a", "dup"], {}, True),
    (["rename", "good-one", "../x"], {}, True),
    (["rename", "good-one", "good-two"], {}, True),
    (["rename", "nope", "nope-2"], {}, True),
    (["rename", "typed-0", "typed-new"], {}, True),
    (["rename", "opt-adam-update", "mine"], {}, True),  # a bundled card
    (["due"], {"MLPREP_NOW": "0001-01-01"}, True),
    (["due"], {"MLPREP_NOW": "9999-12-31T23:59"}, True),
    (["due"], {"MLPREP_NOW": "2026-13-45"}, True),
    (["due"], {"MLPREP_NOW": "garbage"}, True),
    (["due"], {"MLPREP_NOW": "+25:00"}, True),
]
ANSWERS = ["1e400", "nan", "-inf", "\x1b[2J", '__import__("os").system("true")', "[" * 5000, ""]


@pytest.fixture
def corpus_home(home, tmp_path):
    cards = home / "cards"
    (cards / "good.yaml").write_text(GOOD)
    for name, text in HOSTILE_FILES.items():
        path = cards / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    (cards / "shared.yaml").symlink_to(tmp_path / "outside" / "victim.yaml")
    return home


def assert_run(args, env, must_fail, input=None):
    result = cli(*args, env={"MLPREP_NOW": "2026-12-01T09:00", **env}, input=input)
    result.assert_clean()
    if must_fail:
        assert result.code != 0, (args, result)
        said = ("Error: ", "Usage: ", "problem")  # `check` lists problems, then counts them
        assert any(word in result.err for word in said), (args, result)
    else:
        assert result.code == 0, (args, result)
    assert "\x1b" not in result.out, (args, result)  # NO_COLOR: only a card could put one there
    return result


def record_one() -> None:
    """One answer on record (a wrong drill answer: exit 1, logged)."""
    result = cli(
        "drill",
        "--card",
        "good-drill",
        "--seed",
        "1",
        "--answer",
        "[0, 0]",
        "--record",
        env={"MLPREP_NOW": "2026-12-01T09:00"},
    )
    assert result.code == 1 and '"recorded"' in result.out, result


def test_the_cli_over_hostile_inputs(corpus_home, tmp_path):
    home = corpus_home
    warm = assert_run(["due"], {}, False)  # the first sync reads every file
    assert "problem" in warm.err
    # One answer on record, so that show/stats/list have history to read.
    record_one()
    conn = sqlite3.connect(home / "mlprep.db")
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1
    conn.close()
    before = snapshot(home / "mlprep.db", home / "cards")
    assert not (home / "mlprep.db-wal").exists()

    for args, env, must_fail in COMMANDS:
        assert_run(args, env, must_fail)
    good, dup = home / "cards" / "good.yaml", home / "cards" / "zz-dup.yaml"
    for path in sorted((home / "cards").glob("*.yaml")):
        if path.is_file() and path not in (good, dup):
            assert_run(["check", str(path)], {}, True)
    assert_run(["check", str(good)], {}, False)
    assert_run(["check", str(good), str(dup)], {}, True)  # the same id in two files
    for snippet in SNIPPETS:
        assert_run(["add", "--stdin"], {}, True, input=snippet)
    for answer in ANSWERS:
        result = cli("drill", "--generator", "ridge", "--seed", "1", "--answer", answer)
        result.assert_clean()
        assert result.code == 3, (answer, result)  # unreadable: a verdict, not a crash
        recorded = cli(
            "drill", "--card", "good-drill", "--seed", "1", "--answer", answer, "--record"
        )
        assert recorded.code == 3, (answer, recorded)

    assert snapshot(home / "mlprep.db", home / "cards") == before
    assert not (tmp_path / "outside").exists()
    assert not Path("PWNED").exists() and not (home / "PWNED").exists()
    assert integrity(home / "mlprep.db") == "ok"
    ids = {c["id"] for c in json.loads(cli("list", "--json").out)}
    assert {"good-one", "good-two", "good-drill", "bomb-neighbour"} <= ids
    assert not ids & {"typed-0", "bomb", "esc-q", "huge-q", "latin", "params-0"}


SETTINGS = [
    "new_per_day = ",
    "new_per_day = -1",
    "day_starts_at = 25",
    "day_starts_at = -1",
    "new_per_day = 100000000000000000000",
    "scheduler = 'nope'",
    "unknown = 1",
    "[table]\nx = 1",
    "new_per_day = 1\nnew_per_day = 2",
    "\xff\xfe",
]


@pytest.mark.parametrize("text", SETTINGS)
def test_hostile_settings_fail_every_command_and_touch_nothing(corpus_home, text):
    home = corpus_home
    assert_run(["due"], {}, False)
    (home / "settings.toml").write_bytes(text.encode("utf-8", "surrogateescape"))
    before = snapshot(home / "mlprep.db", home / "cards", home / "settings.toml")
    for args in (["due"], ["list"], ["stats"], ["review"], ["add", "--q", "q?", "--a", "a"]):
        result = assert_run(args, {}, True)
        assert "settings.toml" in result.err or "not a TTY" in result.err, result
    assert snapshot(home / "mlprep.db", home / "cards", home / "settings.toml") == before


DAMAGE = {
    "random bytes": lambda db: _overwrite(db, db.stat().st_size // 2, 4096),
    "header bytes": lambda db: _overwrite(db, 100, 100),
    "truncated": lambda db: _truncate(db, 8192),
    "text file": lambda db: db.write_text("hello\n"),
    "no reviews table": lambda db: _sql(db, "DROP TABLE reviews"),
    "no typed column": lambda db: _sql(db, "ALTER TABLE reviews DROP COLUMN typed"),
    "version 99": lambda db: _sql(db, "PRAGMA user_version = 99"),
    "version 0": lambda db: _sql(db, "PRAGMA user_version = 0"),
    "version -1": lambda db: _sql(db, "PRAGMA user_version = -1"),
    "impossible due": lambda db: _sql(db, "UPDATE state SET due = '2026-02-30'"),
    "impossible day": lambda db: _sql(db, "UPDATE reviews SET day = '2026-02-30'"),
    "broken params": lambda db: _sql(db, "UPDATE cards SET params = '{x' WHERE id = 'good-drill'"),
}


def _overwrite(db: Path, offset: int, n: int) -> None:
    with open(db, "r+b") as handle:
        handle.seek(offset)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(n)))


def _truncate(db: Path, size: int) -> None:
    with open(db, "r+b") as handle:
        handle.truncate(size)


def _sql(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_database_is_a_sentence_and_stays_as_it_was(corpus_home, damage):
    home = corpus_home
    assert_run(["due"], {}, False)
    record_one()
    db = home / "mlprep.db"
    DAMAGE[damage](db)
    failed = 0
    for args in (
        ["due"],
        ["list"],
        ["stats"],
        ["show", "good-one"],
        ["show", "good-drill"],
        ["add", "--q", "new?", "--a", "a"],
        ["rename", "good-one", "good-renamed"],
        ["drill", "--card", "good-drill", "--seed", "1", "--answer", "[0, 0]", "--record"],
    ):
        before = snapshot(db, home / "cards")
        result = cli(*args, env={"MLPREP_NOW": "2026-12-01T09:00"})
        result.assert_clean()
        if result.code and not (args[0] == "drill" and '"recorded"' in result.out):
            failed += 1
            assert "Error: " in result.err, (args, result)
            assert snapshot(db, home / "cards") == before, args  # a failure writes nothing
        elif args[0] in ("due", "list", "stats", "show"):
            assert snapshot(db, home / "cards") == before, args  # reading writes nothing
    assert failed, damage  # damage a command does not read may go unnoticed by it
    shutil.rmtree(home / "backups", ignore_errors=True)
