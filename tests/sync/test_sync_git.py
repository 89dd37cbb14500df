"""A git repository as the sync folder: two clones of one remote, each device committing and
pulling its own, merge with no conflict (each device appends only to its own file)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mlprep.core.grades import Grade

from .helpers import Device

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture
def git(tmp_path, monkeypatch):
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[pull]\n\trebase = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")

    def run(*args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


def commit_and_share(git, clone: Path, message: str) -> None:
    git("add", "-A", cwd=clone)
    if git("status", "--porcelain", cwd=clone):
        git("commit", "-q", "-m", message, cwd=clone)
    git("pull", "-q", "--no-edit", "origin", "main", cwd=clone)
    git("push", "-q", "origin", "HEAD:main", cwd=clone)


def test_two_clones_merge_with_no_conflict(tmp_path, cards, git):
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote))
    seed = tmp_path / "seed"
    git("clone", "-q", str(remote), str(seed))
    (seed / "README").write_text("mlprep sync folder\n")
    git("add", "README", cwd=seed)
    git("commit", "-q", "-m", "start", cwd=seed)
    git("push", "-q", "origin", "HEAD:main", cwd=seed)
    clone_a, clone_b = tmp_path / "clone-a", tmp_path / "clone-b"
    git("clone", "-q", str(remote), str(clone_a))
    git("clone", "-q", str(remote), str(clone_b))
    a, b = Device(tmp_path / "home-a", cards), Device(tmp_path / "home-b", cards)

    def sync(dev: Device, clone: Path, now: str) -> None:
        result = dev.run("sync", str(clone), now=now)
        assert result.exit_code == 0, result.output

    # Both review the same day, both commit before either pulls: the pull is a real merge.
    a.answer("c1", Grade.GOOD, "2026-12-01T09:00")
    b.answer("c1", Grade.AGAIN, "2026-12-01T09:01")
    b.answer("c2", Grade.EASY, "2026-12-01T09:02")
    sync(a, clone_a, "2026-12-01T09:10")
    sync(b, clone_b, "2026-12-01T09:11")
    commit_and_share(git, clone_a, "a")
    commit_and_share(git, clone_b, "b")  # merges a's commit
    git("pull", "-q", "--no-edit", "origin", "main", cwd=clone_a)
    sync(a, clone_a, "2026-12-01T09:20")
    sync(b, clone_b, "2026-12-01T09:20")
    # A second round: both files grow on both sides of a merge.
    a.answer("c3", Grade.GOOD, "2026-12-02T09:00")
    b.answer("c1", Grade.GOOD, "2026-12-02T09:30")
    sync(a, clone_a, "2026-12-02T10:00")
    sync(b, clone_b, "2026-12-02T10:00")
    commit_and_share(git, clone_a, "a2")
    commit_and_share(git, clone_b, "b2")
    git("pull", "-q", "--no-edit", "origin", "main", cwd=clone_a)
    sync(a, clone_a, "2026-12-02T11:00")
    sync(b, clone_b, "2026-12-02T11:00")

    log = git("log", "--merges", "--oneline", cwd=clone_b)
    assert len(log.splitlines()) == 2  # two real merges happened
    for clone in (clone_a, clone_b):
        assert git("diff", "--name-only", "--diff-filter=U", cwd=clone) == ""
        for path in clone.glob("*.jsonl"):
            text = path.read_text()
            assert "<<<<<<<" not in text and ">>>>>>>" not in text and "=======" not in text
    assert sorted(p.name for p in clone_a.glob("*.jsonl")) == sorted(
        f"{d.device_id()}.jsonl" for d in (a, b)
    )
    assert a.log() == b.log() and len(a.log()) == 5
    assert a.states() == b.states()
