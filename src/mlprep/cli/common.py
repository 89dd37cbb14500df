"""What every command shares: the common options, `Error:` output, and the one place that
turns domain, SQLite and OS errors into an `Error: ...` line and an exit code; and what the
authoring commands (`add`, `show`, `rename`) share: the lock's name, id clashes, where a card
lives, computed cards' sample problems."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import typer.core

from mlprep.app.errors import MlprepError
from mlprep.core.wording import plural

if TYPE_CHECKING:
    from mlprep.decks.loader import Card
    from mlprep.storage.store import Store

__all__ = [
    "LOCK_NAME",
    "MAX_COUNT",
    "SAMPLE_SEED",
    "CardsOption",
    "DeckOption",
    "ErrorHandlingGroup",
    "MlprepCommand",
    "NegativeValuesCommand",
    "JsonOption",
    "LevelOption",
    "TagOption",
    "card_where",
    "clash_message",
    "clash_text",
    "command",
    "computed_problems",
    "echo_wrapped",
    "editor_command",
    "fail",
    "in_bundled",
    "latex_warnings",
    "open_library",
    "plural",
    "scope_of",
    "warn",
]

# The bound of every count option (--new, --next, --limit, ...): far above any sensible
# count, and small enough for SQLite's 64-bit integers and for loops.
MAX_COUNT = 100_000

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

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """A range error reads like the help: `-1 is not in the range 0..100000`."""
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as exc:
            exc.message = _RANGE.sub(_short_range, exc.message)
            raise


class NegativeValuesCommand(MlprepCommand):
    """A command whose positional values may be negative numbers (`mlprep config KEY -1`):
    such a token is an argument, not an unknown option."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" not in args:
            negative = [a for a in args if _NEGATIVE_NUMBER.fullmatch(a)]
            if negative:
                args = [a for a in args if not _NEGATIVE_NUMBER.fullmatch(a)] + ["--", *negative]
        return super().parse_args(ctx, args)


_NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d*)?(e[+-]?\d+)?|-\.\d+")


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
    from mlprep.core.text import escape_controls

    _echo_err(f"Error: {escape_controls(message)}")
    raise typer.Exit(code)


def echo_wrapped(text: str, *, indent: str = "", err: bool = False) -> None:
    """Print `text` wrapped at the terminal's width (COLUMNS, else the terminal's) at spaces
    only, so that an id, a tag, a path or a hyphenated word is never split; lines after the
    first of each paragraph start with `indent`. Output to a pipe or a file is not wrapped
    (one line per line, for grep) unless COLUMNS says a width. A no-break space (U+00A0) holds
    two words together (`ridge\xa0(10)`) and prints as a plain space."""
    import os
    import sys
    import textwrap

    width = _columns(os.environ.get("COLUMNS"))
    if width is None:
        stream = sys.stderr if err else sys.stdout
        with suppress(AttributeError, ValueError, OSError):
            if stream.isatty():
                width = os.get_terminal_size(stream.fileno()).columns
    for paragraph in text.split("\n"):
        wrapped = paragraph
        if width is not None:
            wrapped = textwrap.fill(
                paragraph,
                width=max(width, 20),
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        with suppress(OSError):
            typer.echo(wrapped.replace("\xa0", " "), err=err)


def _columns(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def warn(message: str) -> None:
    from mlprep.core.text import escape_controls

    _echo_err(f"warning: {escape_controls(message)}")


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


def _echo_err(text: str) -> None:
    # OSError: the terminal is gone (closed while SIGHUP is ignored); nothing left to tell.
    with suppress(OSError):
        typer.echo(text, err=True)


def open_library(
    cards: list[Path] | None = None, *, quiet: bool = False, fresh: bool = False
) -> Any:
    """`app.open_library` with warnings on stderr."""
    from mlprep.app.library import open_library as open_

    return open_(cards, quiet=quiet, warn=warn, fresh=fresh)


def scope_of(deck: str | None = None, tag: str | None = None, level: str | None = None) -> Any:
    from mlprep.storage.store import Scope

    return Scope(deck, tag, level)


# Exit code of an error mlprep did not expect (a bug): BSD's EX_SOFTWARE.
EXIT_INTERNAL = 70


class ErrorHandlingGroup(typer.core.TyperGroup):
    """Runs a command and converts what it raises into `Error: ...` and an exit code: domain
    errors, SQLite errors (damaged, locked, full, read-only), OS errors (read-only or full
    disk, a folder where a file belongs), and, as a last resort, anything else (a bug) as one
    sentence; MLPREP_DEBUG=1 shows the traceback instead. Answers kept unsaved (the database
    could not be written) are named before exiting."""

    def invoke(self, ctx: Any) -> Any:
        import click

        code: int | None = None
        try:
            return self._invoke(ctx)
        except (typer.Exit, click.exceptions.Exit) as exc:
            code = exc.exit_code
            raise
        finally:
            _report_unsaved(code)

    def _invoke(self, ctx: Any) -> Any:
        import click

        from mlprep.storage.safety import NotSaved, StoreError

        try:
            return super().invoke(ctx)
        except (
            typer.Exit,
            typer.Abort,
            click.exceptions.Exit,
            click.ClickException,
            click.exceptions.Abort,
        ):
            raise
        except MlprepError as exc:
            fail(str(exc), exc.exit_code)
        except NotSaved:
            raise typer.Exit(1) from None  # `_report_unsaved` names it, with the reason
        except StoreError as exc:
            fail(str(exc))
        except sqlite3.Error as exc:
            fail(_sqlite_message(exc))
        except OSError as exc:
            fail(os_error_message(exc))
        except RecursionError:
            fail("the input is nested too deeply to process")
        except MemoryError:
            fail("out of memory (is a card file or an input enormous?)")
        except Exception as exc:
            import os

            # typer's and click's own exceptions (usage errors, exits; typer vendors a click
            # of its own) are theirs to show; MLPREP_DEBUG=1 wants the traceback.
            if type(exc).__module__.split(".")[0] in ("click", "typer") or os.environ.get(
                "MLPREP_DEBUG"
            ):
                raise
            fail(
                f"mlprep hit an unexpected problem ({type(exc).__name__}: {exc}). This is a "
                "bug: please report it with the command you ran (MLPREP_DEBUG=1 shows where "
                "it happened)",
                EXIT_INTERNAL,
            )


def _sqlite_message(exc: sqlite3.Error) -> str:
    from mlprep.app.config import Paths
    from mlprep.storage.safety import classify

    return str(classify(exc, Paths.from_env().db))


def os_error_message(exc: OSError) -> str:
    """An OSError as a sentence naming the path and what to do."""
    import errno

    name = exc.filename
    where = f"{name}: " if name else ""
    number = exc.errno
    if number == errno.EROFS:
        return f"{where}the disk is read-only, so mlprep cannot write there"
    if number == errno.ENOSPC:
        return f"{where}no space left on the disk; nothing was written"
    if number == errno.EDQUOT:
        return f"{where}your disk quota is exceeded; nothing was written"
    if number in (errno.EACCES, errno.EPERM):
        return f"{where}permission denied"
    if number == errno.EISDIR:
        return f"{name} is a folder where mlprep expects a file; move it away"
    if number == errno.ENOTDIR:
        return f"{where}a part of that path is a file where mlprep expects a folder"
    if number == errno.EIO and not name:
        return "the terminal went away (input/output error)"
    return f"{where}{exc.strerror or exc}"


def _report_unsaved(code: int | None) -> None:
    """Name every answer kept in memory that could still not be written, and exit 1."""
    import sys

    safety = sys.modules.get("mlprep.storage.safety")
    pending = safety.pending_unsaved() if safety is not None else []
    if not pending:
        return
    reasons = list(dict.fromkeys(p.reason for p in pending if p.reason))
    because = f" ({'; '.join(reasons)})" if reasons else ""
    lines = [f"{plural(len(pending), 'answer')} could not be saved{because}:"]
    lines += [f"  {p.description}" for p in pending]
    lines.append("Give them again once the database can be written.")
    _echo_err("Error: " + "\n".join(lines))
    for p in pending:
        p.discarded = True  # named once
    raise typer.Exit(code or 1)


# -- shared by the authoring commands (add, rename, show) --------------------------------------

LOCK_NAME = "authoring.lock"  # taken around "sync, check ids, write" so concurrent runs queue up
SAMPLE_SEED = 0  # the sample problem shown for a computed card


def in_bundled(path: Path) -> bool:
    from mlprep.app.config import bundled_cards_dir

    bundled = bundled_cards_dir().resolve()
    resolved = path.expanduser().resolve()
    return resolved == bundled or bundled in resolved.parents


def clash_message(store: Store, card_id: str) -> str:
    card = store.card(card_id)
    live = card if card is not None and not store.is_retired(card_id) else None
    return clash_text(card_id, live, card is not None or card_id in store.known_ids())


def clash_text(card_id: str, live: Card | None, known: bool) -> str:
    if live is not None:
        return f"id {card_id!r} is already used by a card in {card_where(live)}; choose another with --id"
    if known:
        return (
            f"id {card_id!r} belonged to a card that is retired but keeps its review history, "
            "and ids are never reused; choose another with --id"
        )
    return f"id {card_id!r} is used by more than one of the new cards"


def card_where(card: Any) -> str:
    """`path:line` of a card, a bundled one as `bundled:NAME.yaml:line`."""
    from mlprep.app.config import display_path

    return f"{display_path(card.path)}:{card.line}"


def computed_problems(cards: list[dict[str, Any]]) -> tuple[list[str], list[Any]]:
    """Generator and params checks of computed cards, by generating a sample problem each."""
    problems: list[str] = []
    samples: list[Any] = [None] * len(cards)
    if not any(card.get("type") == "computed" for card in cards):
        return problems, samples
    from mlprep.drills import ParamsError, UnknownGeneratorError, generate, get_generator

    for n, card in enumerate(cards):
        if card.get("type") != "computed":
            continue
        prefix = f"card {n + 1}: " if len(cards) > 1 else ""
        name, params = str(card.get("generator")), card.get("params") or {}
        try:
            get_generator(name).validate_params(params)
            samples[n] = generate(name, SAMPLE_SEED, params)
        except UnknownGeneratorError as exc:
            problems.append(prefix + str(exc))
        except ParamsError as exc:
            problems.append(f"{prefix}bad params: {exc}")
        except Exception as exc:  # a generator bug must not lose the user's input
            problems.append(f"{prefix}generator {name!r} failed on a sample problem: {exc}")
    return problems, samples
