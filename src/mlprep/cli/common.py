"""What every command shares: the common options, `Error:` output, and the one place that
turns domain, SQLite and OS errors into an `Error: ...` line and an exit code."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import typer.core

from mlprep.app.errors import MlprepError

__all__ = [
    "CardsOption",
    "DeckOption",
    "ErrorHandlingGroup",
    "MlprepCommand",
    "JsonOption",
    "LevelOption",
    "TagOption",
    "command",
    "editor_command",
    "fail",
    "latex_warnings",
    "open_library",
    "plural",
    "scope_of",
    "warn",
]

CardsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--cards",
        "-c",
        help="Extra card folder or file (repeatable); MLPREP_CARDS adds more.",
        metavar="PATH",
    ),
]
DeckOption = Annotated[
    str | None, typer.Option("--deck", "-d", help="Only cards of this deck.", metavar="DECK")
]
TagOption = Annotated[
    str | None, typer.Option("--tag", "-t", help="Only cards with this tag.", metavar="TAG")
]
LevelOption = Annotated[
    str | None,
    typer.Option(
        "--level", "-l", help="Only cards of this level: basic, core or advanced.", metavar="LEVEL"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]

F = TypeVar("F", bound=Callable[..., Any])


# `--help` shows integer ranges short: `[0..2⁶²]`, `[≥ 1]`, not `[0<=x<=4611686018427387904]`.
_RANGE = re.compile(r"(-?\d+)<=x<=(-?\d+)|x>=(-?\d+)|x<=(-?\d+)")
_BIG = {str(2**62): "2⁶²", str(2**63 - 1): "2⁶³−1"}


def _short_range(match: re.Match[str]) -> str:
    low, high, at_least, at_most = (_BIG.get(g, g) if g else g for g in match.groups())
    if at_least is not None:
        return f"≥ {at_least}"
    if at_most is not None:
        return f"≤ {at_most}"
    return f"{low}..{high}"


class MlprepCommand(typer.core.TyperCommand):
    """A command whose help uses one placeholder style: `ID`, not `{ID}` for a required
    argument, and short ranges."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]

    def get_help(self, ctx: Any) -> str:
        return _RANGE.sub(_short_range, super().get_help(ctx))


def command(name: str | None = None, **options: Any) -> Callable[[F], F]:
    """Mark a function as a command (with typer's `app.command` options); `mlprep.cli`
    registers the marked functions from its explicit list, so importing a module registers
    nothing."""

    options.setdefault("cls", MlprepCommand)

    def mark(func: F) -> F:
        func.__mlprep_command__ = (name, options)  # type: ignore[attr-defined]
        return func

    return mark


def editor_command(command: str, path: str, line: int) -> list[str]:
    """The argv that opens `path` at `line` in the editor `command` ($VISUAL/$EDITOR): `+N
    FILE` (vi, vim, nvim, nano, emacs, micro, kak, ...), `-g FILE:N` for VS Code, `FILE:N`
    for Sublime Text and Zed."""
    import shlex

    argv = shlex.split(command)
    name = Path(argv[0]).name if argv else ""
    if name in ("code", "code-insiders", "codium", "cursor"):
        return [*argv, "-g", f"{path}:{line}"]
    if name in ("subl", "sublime_text", "zed", "zeditor"):
        return [*argv, f"{path}:{line}"]
    return [*argv, f"+{line}", path]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `Error: message` on stderr and exit."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 card`, `2 cards` (`many` for irregular plurals)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def latex_warnings(cards: Any) -> list[str]:
    """`path:line: warning: ...` for each LaTeX command in the cards' math that the renderer
    does not know (it is shown as written), at the line of the file that holds it."""
    import re

    from mlprep.app.config import display_path
    from mlprep.term.render import unsupported_latex

    out = []
    texts: dict[str, list[str]] = {}
    for card in cards:
        found = unsupported_latex(card.q) + unsupported_latex(card.a)
        if not found:
            continue
        if card.path not in texts:
            try:
                texts[card.path] = Path(card.path).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                texts[card.path] = []
        lines = texts[card.path]
        for command in dict.fromkeys(found):
            pattern = re.compile(re.escape(command) + ("" if "{" in command else r"(?![A-Za-z])"))
            line = next(
                (n for n in range(card.line, len(lines) + 1) if pattern.search(lines[n - 1])),
                card.line,
            )
            out.append(
                f"{display_path(card.path)}:{line}: warning: card {card.id}: unsupported LaTeX "
                f"{command} (shown as written)"
            )
    return out


def open_library(cards: list[Path] | None = None, *, quiet: bool = False) -> Any:
    """`app.open_library` with warnings on stderr."""
    from mlprep.app.library import open_library as open_

    return open_(cards, quiet=quiet, warn=warn)


def scope_of(deck: str | None = None, tag: str | None = None, level: str | None = None) -> Any:
    from mlprep.storage.store import Scope

    return Scope(deck, tag, level)


class ErrorHandlingGroup(typer.core.TyperGroup):
    """Runs a command and converts what it raises into `Error: ...` and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MlprepError as exc:
            fail(str(exc), exc.exit_code)
        except sqlite3.DatabaseError as exc:
            fail(f"the database failed: {exc}")
        except OSError as exc:
            if exc.filename:
                fail(f"{exc.filename}: {exc.strerror or exc}")
            fail(str(exc))
