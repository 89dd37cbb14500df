"""Helpers for the robustness tests: run the CLI (in process or as a real process), take
snapshots of the data dir, and mount a tiny tmpfs where the machine allows it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlprep.cli import app

MAIN = "from mlprep.cli import main; main()"


class Ran:
    """What one CLI run did: exit code, stdout, stderr, and whether a traceback escaped."""

    def __init__(self, code: int, out: str, err: str, exception: BaseException | None = None):
        self.code, self.out, self.err, self.exception = code, out, err, exception

    @property
    def text(self) -> str:
        return self.out + self.err

    def assert_clean(self) -> None:
        """No traceback, in the output or as an exception that escaped the CLI."""
        assert "Traceback" not in self.text, self.text
        assert self.exception is None or isinstance(self.exception, SystemExit), repr(
            self.exception
        )

    def __repr__(self) -> str:
        return f"Ran(code={self.code}, out={self.out[-600:]!r}, err={self.err[-600:]!r})"


def cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Ran:
    """The CLI in this process (fast)."""
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        result = CliRunner().invoke(app, list(args), input=input)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Ran(result.exit_code, result.stdout, result.stderr, result.exception)


def run(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> Ran:
    """The CLI as a real process (its own stdio encoding, signals, a timeout for hangs)."""
    full = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=full,
        timeout=timeout,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def snapshot(*roots: Path) -> dict[str, str]:
    """sha256 of every file under `roots` (the DB, its -wal, the card files...)."""
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def integrity(db: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def home(isolated_home) -> Path:
    (isolated_home / "cards").mkdir(parents=True, exist_ok=True)
    return isolated_home


def _mount(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size='256k') -> a fresh tmpfs folder; skips the test where mounting is not
    allowed (not root, no CAP_SYS_ADMIN in a container). Unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str = "256k") -> Path:
        target = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
        if not _mount(target, f"size={size},mode=0755"):
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def remount_readonly(target: Path) -> None:
    done = subprocess.run(
        ["mount", "-o", "remount,ro", str(target)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")


def fill(target: Path) -> Path:
    """Fill the file system at `target` to the last byte; returns the filler file."""
    filler = target / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
        try:
            while True:
                handle.write(b"\0")
        except OSError:
            pass
    return filler
