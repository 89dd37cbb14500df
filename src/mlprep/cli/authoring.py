"""Authoring commands: `mlprep add`, `show`, `list` and `rename`.

The file work (YAML text, ids, the atomic write) lives in `mlprep.decks.authoring`; this module asks
the questions, opens the store and prints. Writes take a lock in the data dir
(`authoring.lock`) around "sync, check ids, write", so concurrent runs queue up."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from mlprep.cli.common import (
    CardsOption,
    DeckOption,
    JsonOption,
    TagOption,
    command,
    fail,
    latex_warnings,
    open_library,
    plural,
    scope_of,
    warn,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

    from mlprep.app.library import Library
    from mlprep.decks.loader import Card
    from mlprep.storage.store import Review, Store

LOCK_NAME = "authoring.lock"
SAMPLE_SEED = 0  # the sample problem shown for a computed card


# -- shared pieces -----------------------------------------------------------------------------


@dataclass
class _Context:
    """What `add` needs to know about the cards that exist."""

    folder: Path
    files: list[Path]
    counts: dict[Path, int] = field(default_factory=dict)  # live cards per file (resolved)
    declared: dict[Path, str] = field(default_factory=dict)  # deck name per file
    tags: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    known: set[str] = field(default_factory=set)


def _in_bundled(path: Path) -> bool:
    from mlprep.app.config import bundled_cards_dir

    bundled = bundled_cards_dir().resolve()
    resolved = path.expanduser().resolve()
    return resolved == bundled or bundled in resolved.parents


def _target_folder(cards_dir: Path | None) -> tuple[Any, Path]:
    from mlprep.app.config import Paths

    paths = Paths.from_env()
    folder = cards_dir.expanduser() if cards_dir is not None else paths.user_cards
    if _in_bundled(folder):
        fail(
            f"refusing to write into the bundled deck ({folder}): it belongs to the installed "
            f"mlprep. Your cards go to {paths.user_cards} (the default) or to a folder given "
            "with --cards DIR."
        )
    if folder.exists() and not folder.is_dir():
        if cards_dir is None:
            fail(
                f"your deck folder {folder} is a file; move it away so that mlprep can make the folder"
            )
        fail(f"--cards must be a folder to write into, but {folder} is a file")
    return paths, folder


def _open(folder: Path) -> Library:
    # fresh: ids are checked against the index, so it must be current (not a stale copy).
    return open_library([folder] if folder.is_dir() else None, quiet=True, fresh=True)


def _context(lib: Library, folder: Path) -> _Context:
    from mlprep.decks.loader import deck_files

    store = lib.store
    files = deck_files([folder])[0] if folder.is_dir() else []
    ctx = _Context(folder, files, known=store.known_ids())
    resolved: dict[str, Path] = {}
    for card in store.live_cards():
        key = resolved.setdefault(card.path, Path(card.path).resolve())
        ctx.counts[key] = ctx.counts.get(key, 0) + 1
        ctx.declared.setdefault(key, card.deck)
        ctx.cards.append(card)
    ctx.tags = store.live_tags()
    return ctx


def _load_context(folder: Path, lock: Path) -> _Context:
    """Sync and read what exists, under the lock (which also serialises creating the DB)."""
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.files import file_lock

    try:
        with file_lock(lock):
            lib = _open(folder)
            try:
                return _context(lib, folder)
            finally:
                lib.close()
    except AuthoringError as exc:
        fail(str(exc))


def _deck_file(ctx: _Context, name: str) -> Path:
    from mlprep.decks.files import deck_file_for

    declared = {f: ctx.declared[f.resolve()] for f in ctx.files if f.resolve() in ctx.declared}
    return deck_file_for(ctx.folder, name, ctx.files, declared)


def _clash_message(store: Store, card_id: str) -> str:
    card = store.card(card_id)
    live = card if card is not None and not store.is_retired(card_id) else None
    return _clash_text(card_id, live, card is not None or card_id in store.known_ids())


def _clash_text(card_id: str, live: Card | None, known: bool) -> str:
    if live is not None:
        return (
            f"id {card_id!r} is already used by a card in {_where(live)}; choose another with --id"
        )
    if known:
        return (
            f"id {card_id!r} belonged to a card that is retired but keeps its review history, "
            "and ids are never reused; choose another with --id"
        )
    return f"id {card_id!r} is used by more than one of the new cards"


def _where(card: Any) -> str:
    """`path:line` of a card, a bundled one as `bundled:NAME.yaml:line`."""
    from mlprep.app.config import display_path

    return f"{display_path(card.path)}:{card.line}"


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _split_tags(values: list[str] | None) -> list[str]:
    return [t for value in values or [] for t in value.replace(",", " ").split()]


def _card_panels(card: Any, problem: Any = None) -> list[RenderableType]:
    """The panels `review` shows for a card (a computed card: a sample problem)."""
    from mlprep.term.review import card_panel

    get = card.get if isinstance(card, dict) else lambda key, default=None: getattr(card, key)
    q = get("q") or ""
    if get("type") == "computed" or get("generator"):
        if problem is None:
            return [card_panel(q or "(no lead-in text)", "Question", "blue")]
        from mlprep.term.drill import problem_panel

        return [problem_panel(problem, q, title="Question (sample problem)")]
    return [card_panel(q, "Question", "blue"), card_panel(get("a") or "", "Answer", "green")]


def _header(card_id: str, deck: str, tags: Any, where: str) -> Any:
    """The card's id, deck and tags on one line (cut to the width), then where it lives: a
    path is never broken in the middle."""
    from rich.console import Group
    from rich.text import Text

    from mlprep.term.render import safe

    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f" {safe(card_id)}", style="bold")
    line.append(" · ")
    line.append(f"deck {safe(deck)}", style="bold")
    if tags:
        line.append(" · tags " + safe(", ".join(tags)), style="dim")
    return Group(line, Text(f" {safe(where)}", style="dim", no_wrap=True, overflow="fold"))


def _console() -> Any:
    from rich.console import Console

    # Card text, deck names and paths are the user's: never read them as rich markup.
    return Console(highlight=False, markup=False)


def _computed_problems(cards: list[dict[str, Any]]) -> tuple[list[str], list[Any]]:
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


def _problems(cards: list[dict[str, Any]], ctx: _Context) -> tuple[list[str], list[Any]]:
    from mlprep.decks.snippets import check_cards

    problems = check_cards(cards)
    live = {card.id: card for card in ctx.cards}
    for n, card in enumerate(cards, 1):
        card_id = card.get("id")
        if isinstance(card_id, str) and card_id in ctx.known:
            prefix = f"card {n}: " if len(cards) > 1 else ""
            problems.append(prefix + _clash_text(card_id, live.get(card_id), True))
    more, samples = _computed_problems(cards) if not problems else ([], [None] * len(cards))
    return problems + more, samples


def _fail_problems(problems: list[str], what: str = "cannot add the card") -> None:
    if problems:
        fail(f"{what}:\n" + "\n".join(f"  {p}" for p in problems))


def _near_duplicates_ok(
    cards: list[dict[str, Any]], ctx: _Context, force: bool, ask: bool
) -> list[dict[str, Any]]:
    """The cards that may be added, after warning about near-duplicate questions (of a card
    that exists, or of an earlier card of the same batch). With `force` all of them; in a
    terminal (`ask`) the user decides for each; otherwise a single card is an error and a
    batch skips only its near-duplicates, each reported by its number in the batch."""
    from mlprep.decks.ids import near_duplicates
    from mlprep.decks.loader import Card

    keep = []
    earlier: list[Card] = []  # the batch's own cards count too: two near-copies in one --stdin
    for n, card in enumerate(cards, 1):
        q = card.get("q")
        matches = near_duplicates(q, [*ctx.cards, *earlier]) if isinstance(q, str) else []
        if isinstance(q, str):
            earlier.append(Card(id=f"#{n} of this batch", deck="", q=q))
        if not matches:
            keep.append(card)
            continue
        best, ratio = matches[0]
        where = f"card {best.id} ({_where(best)})" if best.path else f"card {best.id}"
        if ratio == 1.0:
            message = f'"{_short(q)}" duplicates the question of {where}'
        else:
            message = (
                f'"{_short(q)}" is {ratio:.0%} similar to the question of {where}: '
                f'"{_short(best.q)}"'
            )
        label = f"card {n} of {len(cards)}: " if len(cards) > 1 else ""
        if force:
            warn(label + message + "; adding it anyway (--force)")
            keep.append(card)
        elif ask:
            warn(label + message)
            if _confirm("Add it anyway?", default=False):
                keep.append(card)
        elif len(cards) == 1:
            fail(message + ". Use --force to add it anyway.")
        else:
            warn(f"skipped {label}{message}. Use --force to add it anyway.")
    return keep


def _not_added(message: str = "Not added.") -> NoReturn:
    """The user chose not to add the card: say so, exit 0 (it is not an error)."""
    typer.echo(message)
    raise typer.Exit(0)


def _commit(folder: Path, lock: Path, target: Path, cards: list[dict[str, Any]]) -> list[Card]:
    """Under the lock: sync, give ids (a clash is an error), append, write."""
    from mlprep.decks.errors import AuthoringError, IdClashError
    from mlprep.decks.files import add_cards_to_file, check_inside, file_lock
    from mlprep.decks.ids import assign_ids

    if _in_bundled(target):
        fail(f"refusing to write into the bundled deck ({target.resolve()})")
    try:
        check_inside(folder, target)
        with file_lock(lock):
            lib = _open(folder)
            try:
                try:
                    cards = assign_ids(cards, lib.store.known_ids())
                except IdClashError as exc:
                    fail(_clash_message(lib.store, exc.card_id))
                added = add_cards_to_file(target, cards)
            finally:
                lib.close()
    except AuthoringError as exc:
        fail(str(exc))
    for card in added:
        typer.echo(f"Added {card.id} to {card.path}:{card.line}")
    for warning in latex_warnings(added):
        typer.echo(warning, err=True)
    return added


# -- prompts -----------------------------------------------------------------------------------


def _ask(prompt: str, default: str = "") -> str:
    try:
        reply = input(f"{prompt} [{default}]: " if default else f"{prompt}: ")
    except EOFError:
        typer.echo()  # Ctrl-D left the cursor on the prompt line
        fail("cancelled (Ctrl-D): nothing added.")
    return reply.strip() or default


def _confirm(prompt: str, default: bool) -> bool:
    while True:
        reply = _ask(f"{prompt} [{'Y/n' if default else 'y/N'}]").lower()
        if not reply:
            return default
        if reply in ("y", "yes"):
            return True
        if reply in ("n", "no"):
            return False
        typer.echo("Please answer y or n.")


def _ask_deck(ctx: _Context) -> Path:
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.snippets import DEFAULT_DECK

    files = ctx.files
    if files:
        typer.echo(f"Deck files in {ctx.folder}:")
        for n, f in enumerate(files, 1):
            count = ctx.counts.get(f.resolve(), 0)
            name = f.relative_to(ctx.folder).as_posix()
            typer.echo(f"  {n}) {name} ({count} card{'s' * (count != 1)})")
        latest = max(range(len(files)), key=lambda i: files[i].stat().st_mtime_ns)
        prompt, default = "Deck: a number, or a name for a new file", str(latest + 1)
    else:
        typer.echo(f"No deck files in {ctx.folder} yet: name your first one.")
        prompt, default = "Deck name", DEFAULT_DECK
    while True:
        reply = _ask(prompt, default)
        if reply.isdigit() and files:
            if 1 <= int(reply) <= len(files):
                return files[int(reply) - 1]
            typer.echo(f"Choose 1 to {len(files)}, or type a name.")
            continue
        try:
            return _deck_file(ctx, reply)
        except AuthoringError as exc:
            typer.echo(str(exc))


def _ask_text(prompt: str, what: str) -> str:
    while True:
        reply = _ask(prompt)
        if reply:
            return reply
        typer.echo(f"{what} is needed.")


ANSWER_END = "."


def _ask_answer() -> str:
    """Several lines and paragraphs: a blank line starts a new paragraph; a line with only
    `.`, two blank lines in a row, or Ctrl-D ends the answer."""
    typer.echo(
        "Answer (Markdown; a blank line starts a new paragraph; end with a line with only "
        "'.', two blank lines, or Ctrl-D):"
    )
    while True:
        lines: list[str] = []
        while True:
            try:
                line = input("> ")
            except EOFError:
                typer.echo()
                break
            if line.strip() == ANSWER_END:
                break
            if not line.strip() and lines and not lines[-1].strip():
                break  # the second blank line in a row
            lines.append(line)
        text = "\n".join(lines).strip("\n")
        if text.strip():
            return text
        typer.echo("An answer is needed (type it, then a line with only '.'):")


def _ask_tags(in_use: list[str], preset: list[str]) -> list[str]:
    import shutil
    import textwrap

    from mlprep.decks.loader import ID_PATTERN

    width = min(shutil.get_terminal_size().columns, 100)
    typer.echo(textwrap.fill("Tags in use: " + (", ".join(in_use) or "(none yet)"), width))
    while True:
        tags = _split_tags([_ask("Tags (space-separated, optional)", " ".join(preset))])
        bad = [t for t in tags if not ID_PATTERN.match(t)]
        if not bad:
            return tags
        typer.echo(f"Not a valid tag: {', '.join(bad)} (use lowercase letters, digits and '-').")


# -- add ---------------------------------------------------------------------------------------

ADD_HELP = """Add your own cards to a deck file in your deck folder.

In a terminal, with no options, it asks for the deck file, the question, the answer and the
tags, shows the card as review will show it, and asks to confirm. Files are only ever appended
to: comments, quoting and layout already in them stay byte for byte. Ids are slugs of the
question (a suffix on a clash); an id in any deck or in your history is never reused.

\b
Examples:
  mlprep add
  mlprep add --q "What does ridge penalize?" --a "Squared weights." -t ridge
  mlprep add --editor
  mlprep add --stdin < new-cards.yaml
  mlprep add --generator ridge --params '{"level": 1}' --deck drills
"""


@command(help=ADD_HELP)
def add(
    question: Annotated[
        str | None,
        typer.Option("--q", help="The question (Markdown; math as $...$).", metavar="TEXT"),
    ] = None,
    answer: Annotated[
        str | None, typer.Option("--a", help="The answer (Markdown).", metavar="TEXT")
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="A tag (repeatable, or comma-separated).", metavar="TAG"),
    ] = None,
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            "-d",
            help="Deck file to add to: its name (an existing file, or a new NAME.yaml). "
            "Default: asked in a terminal, else my-cards.",
            metavar="NAME",
        ),
    ] = None,
    card_id: Annotated[
        str | None,
        typer.Option("--id", help="The card's id (default: a slug of the question).", metavar="ID"),
    ] = None,
    from_stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read cards as YAML from stdin: a card mapping, a list of cards, or a mapping "
            "with cards: (and optionally deck:).",
        ),
    ] = False,
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator", "-g", help="Add a computed card using this generator.", metavar="NAME"
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="The generator's params as JSON, e.g. '{\"level\": 1}'.",
            metavar="JSON",
        ),
    ] = None,
    editor: Annotated[
        bool,
        typer.Option("--editor", "-e", help="Write the card in $VISUAL or $EDITOR instead."),
    ] = False,
    cards_dir: Annotated[
        Path | None,
        typer.Option(
            "--cards", "-c", help="Folder to write into (default: your deck folder).", metavar="DIR"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Add even if a near-duplicate question exists.")
    ] = False,
) -> None:
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.snippets import DEFAULT_DECK, make_card, parse_snippet

    paths, folder = _target_folder(cards_dir)
    lock = paths.data_dir / LOCK_NAME
    tag_list = _split_tags(tags)
    flags = (question, answer, card_id, generator, params)
    if from_stdin and (editor or any(v is not None for v in flags)):
        fail(
            "--stdin reads whole cards from standard input; it cannot be combined with --q, "
            "--a, --id, --generator, --params or --editor",
            2,
        )
    if params is not None and generator is None:
        fail("--params needs --generator NAME, e.g. --generator ridge --params '{\"level\": 1}'", 2)
    if generator is not None and answer is not None:
        fail("a computed card has no --a: its generator computes the answer", 2)
    param_values = _parse_params(params)
    preset = make_card(
        question, answer, tags=tag_list, card_id=card_id, generator=generator, params=param_values
    )

    if editor:
        _add_with_editor(paths, folder, lock, deck, preset, force)
        return
    half = not from_stdin and generator is None and (question is None) != (answer is None)
    if half and sys.stdin.isatty():  # --q without --a (or the other way): ask for the rest
        _add_interactively(folder, lock, deck, preset, force)
        return
    if from_stdin or question is not None or answer is not None or generator is not None:
        if half:
            fail("give both --q and --a (or run `mlprep add` in a terminal to be asked)", 2)
        ctx = _load_context(folder, lock)
        if from_stdin:
            if sys.stdin.isatty():
                typer.echo(
                    "Reading YAML cards from stdin; end with Ctrl-D (or use `mlprep add --editor`).",
                    err=True,
                )
            try:
                text = sys.stdin.read()
            except KeyboardInterrupt:
                typer.echo(err=True)
                fail("cancelled: nothing added.", 130)
            snippet = parse_snippet(text)
            _fail_problems(snippet.problems, "cannot read the cards from stdin")
            new_cards = [
                {**c, "tags": list(dict.fromkeys([*(c.get("tags") or []), *tag_list]))}
                if tag_list
                else c
                for c in snippet.cards
            ]
            deck = deck or snippet.deck
        else:
            new_cards = [preset]
        problems, samples = _problems(new_cards, ctx)
        _fail_problems(
            problems, "cannot add the cards" if len(new_cards) > 1 else "cannot add the card"
        )
        try:
            target = _deck_file(ctx, deck or DEFAULT_DECK)
        except AuthoringError as exc:
            fail(str(exc))
        for card, sample in zip(new_cards, samples, strict=True):
            if sample is not None:
                _console().print(*_card_panels(card, sample))
        keep = _near_duplicates_ok(new_cards, ctx, force, ask=False)
        if not keep:
            fail("nothing added: every card is a near-duplicate (--force adds them anyway)")
        _commit(folder, lock, target, keep)
        if len(keep) < len(new_cards):
            skipped = len(new_cards) - len(keep)
            fail(
                f"added {len(keep)} of {len(new_cards)} cards; skipped "
                f"{plural(skipped, 'near-duplicate')} (listed above)"
            )
        return
    if not sys.stdin.isatty():
        fail(
            "nothing to add: give --q and --a, or --stdin with YAML, or --editor; "
            "or run `mlprep add` in a terminal to be asked for the card",
            2,
        )
    _add_interactively(folder, lock, deck, preset, force)


def _parse_params(params: str | None) -> dict[str, Any] | None:
    if params is None:
        return None
    import json

    try:
        value = json.loads(params)
    except json.JSONDecodeError as exc:
        fail(f"--params is not valid JSON ({exc.msg}); example: --params '{{\"level\": 1}}'", 2)
    if not isinstance(value, dict):
        fail("--params must be a JSON object, e.g. '{\"level\": 1}'", 2)
    return value


def _add_interactively(
    folder: Path, lock: Path, deck: str | None, preset: dict[str, Any], force: bool
) -> None:
    """The questions of `mlprep add` in a terminal; Ctrl-C cancels on a line of its own."""
    try:
        _ask_for_card(folder, lock, deck, preset, force)
    except KeyboardInterrupt:
        typer.echo()  # ^C left the cursor on the prompt line
        fail("cancelled (Ctrl-C): nothing added.", 130)


def _ask_for_card(
    folder: Path, lock: Path, deck: str | None, preset: dict[str, Any], force: bool
) -> None:
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.ids import assign_ids
    from mlprep.decks.snippets import make_card

    ctx = _load_context(folder, lock)
    typer.echo(f"New card (Ctrl-C to cancel). Your deck folder: {folder}")
    if deck is None:
        target = _ask_deck(ctx)
    else:
        try:
            target = _deck_file(ctx, deck)
        except AuthoringError as exc:
            fail(str(exc))
    computed = preset.get("type") == "computed"
    if computed:
        q = _ask("Lead-in text shown above the problem (optional)")
    elif preset.get("q"):
        q = preset["q"]
        typer.echo(f"Question: {_short(q, 70)}")
    else:
        q = _ask_text("Question (Markdown; math as $...$)", "A question")
    if not computed and not _near_duplicates_ok([{"q": q}], ctx, force, ask=True):
        _not_added()
    if computed:
        a = None
    elif preset.get("a"):
        a = preset["a"]
    else:
        a = _ask_answer()
    tag_list = _ask_tags(ctx.tags, list(preset.get("tags") or []))
    card = make_card(
        q,
        a,
        tags=tag_list,
        card_id=preset.get("id"),
        generator=preset.get("generator"),
        params=preset.get("params"),
    )
    problems, samples = _problems([card], ctx)
    _fail_problems(problems)
    shown = assign_ids([card], ctx.known)[0]
    deck_name = ctx.declared.get(target.resolve(), target.stem)
    console = _console()
    typer.echo("\nPreview (as review will show it):")
    console.print(
        _header(shown["id"], deck_name, tag_list, target.name), *_card_panels(card, samples[0])
    )
    if not _confirm(f"Add this card to {target.name}?", default=True):
        _not_added()
    _commit(folder, lock, target, [card])


def _add_with_editor(
    paths: Any, folder: Path, lock: Path, deck: str | None, preset: dict[str, Any], force: bool
) -> None:
    import shlex
    import subprocess
    from datetime import datetime

    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.snippets import (
        DEFAULT_DECK,
        editor_template,
        parse_snippet,
        significant_text,
        strip_problems,
        with_problems,
    )

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        fail("--editor needs $VISUAL or $EDITOR to name your editor, e.g. `export EDITOR=nano`", 2)
    ctx = _load_context(folder, lock)
    drafts = paths.data_dir / "drafts"
    if drafts.exists() and not drafts.is_dir():
        fail(
            f"{drafts} is a file, but mlprep keeps the texts of `add --editor` in a folder of "
            "that name; move the file away"
        )
    drafts.mkdir(parents=True, exist_ok=True)
    draft = drafts / f"add-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.yaml"
    template = editor_template(deck or DEFAULT_DECK, preset, ctx.tags, str(folder))
    draft.write_text(template, encoding="utf-8")
    kept = f"Your text is kept in {draft} (add it later with `mlprep add --stdin < {draft}`)."
    baseline, previous = significant_text(template), None
    try:
        while True:
            try:
                status = subprocess.run([*shlex.split(command), str(draft)], check=False).returncode
            except OSError as exc:
                fail(f"cannot run the editor {command!r}: {exc.strerror}")
            if status != 0:
                fail(f"the editor {command!r} exited with status {status}; nothing added")
            body = strip_problems(draft.read_text(encoding="utf-8"))
            text = significant_text(body)
            if not text or text == baseline:
                draft.unlink()
                fail("Nothing added: the card was left empty.")
            if text == previous:
                fail("Nothing added: the text still has the problems listed at its top.")
            snippet = parse_snippet(body)
            problems, samples = snippet.problems, []
            if not problems:
                problems, samples = _problems(snippet.cards, ctx)
            if not problems:
                try:
                    target = _deck_file(ctx, deck or snippet.deck or DEFAULT_DECK)
                except AuthoringError as exc:
                    problems = [str(exc)]
            if not problems:
                break
            previous = text
            draft.write_text(with_problems(body, problems), encoding="utf-8")
            typer.echo(
                f"The card has problems; reopening the editor ({len(problems)} listed at the top).",
                err=True,
            )
        for card, sample in zip(snippet.cards, samples, strict=True):
            if sample is not None:
                _console().print(*_card_panels(card, sample))
        keep = _near_duplicates_ok(snippet.cards, ctx, force, ask=sys.stdin.isatty())
        if not keep:
            _not_added()
        _commit(folder, lock, target, keep)
    except (typer.Exit, KeyboardInterrupt) as exc:
        if draft.exists():
            typer.echo(kept, err=True)
        if isinstance(exc, KeyboardInterrupt):
            raise typer.Exit(130) from None
        raise
    draft.unlink()


# -- show --------------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day{'s' * (n != 1)}"


def card_status(
    retired: bool, repetitions: int | None, interval: int | None, relearning: bool
) -> str:
    """The state `list` shows: new, learning, review (young or mature in `stats`) or retired."""
    from mlprep.core.grades import card_state

    state = card_state(retired, repetitions, interval, relearning)
    return "review" if state in ("young", "mature") else state


def history_table(reviews: list[Review], eases: list[float | None] | None = None) -> Any:
    """The review log of one card: date, the grade as pressed (its name, never the SM-2
    quality number unless typed with --expert), resulting interval, due date and, SM-2, the
    ease after the answer."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD, title="History", title_justify="left", show_edge=False, pad_edge=False
    )
    show_ease = eases is not None and any(e is not None for e in eases)
    for name in ("date", "grade", "interval", "due", *(("ease",) if show_ease else ())):
        table.add_column(name, justify="right" if name == "ease" else "left")
    for n, review in enumerate(reviews):
        grade = review.grade.label
        if review.quality != review.grade.quality:  # typed as an SM-2 quality (--expert)
            grade += f" (q={review.quality})"
        if review.kind == "cram":
            grade += " (cram)"
        if review.kind == "drill":
            grade += " (drill" + {True: ", right)", False: ", wrong)"}.get(review.correct, ")")
        if review.scheduled and review.interval is not None:
            interval, due = _days(review.interval), str(review.due or "")
        else:
            interval, due = "same-day repeat", ""
        cells = [review.day.isoformat(), grade, interval, due]
        if show_ease:
            ease = eases[n] if review.scheduled else None
            cells.append("" if ease is None else f"{ease:.2f}")
        table.add_row(*cells)
    return table


def ease_after_each(scheduler: Any, facts: list[Any]) -> list[float | None]:
    """The ease after each logged answer (None before the first scheduling one), replayed."""
    from mlprep.core.scheduling import replay_steps

    return [
        None if state is None else scheduler.ease(state.memory)
        for state in replay_steps(scheduler, facts)
    ]


def _status_line(
    status: str,
    state: Any,
    scheduler: Any,
    today: date,
    eases: list[float | None] | None = None,
    marks: tuple[str, ...] = (),
) -> str:
    """The card's status, then on a second line its ease and how it moved."""
    if status == "retired":
        return (
            "Status: retired: no deck file has this id any more. Its history is kept and comes "
            "back with the id."
        )
    mark = "".join(f" · {m}" for m in marks)
    if state is None:
        return f"Status: new: not reviewed yet{mark}."
    days = (state.due - today).days
    when = (
        "today" if days == 0 else (f"in {_days(days)}" if days > 0 else f"{_days(-days)} overdue")
    )
    lines = [
        f"Status: {status}{mark} · interval {_days(state.interval)} · due "
        f"{state.due.isoformat()} ({when})",
        f"{plural(state.reviews, 'review')}, {plural(state.lapses, 'lapse')}",
    ]
    value = scheduler.ease(state.memory)
    if value is not None:
        trail = _changes([scheduler.ease(scheduler.initial()), *(eases or [])])
        moved = " → ".join(f"{e:.2f}" for e in trail if e is not None)
        lines[1] = f"Ease {value:.2f} ({moved}) · " + lines[1]
    return "\n".join(lines)


def _changes(values: list[float | None]) -> list[float | None]:
    """The values where they change (a trend without repeats)."""
    out: list[float | None] = []
    for value in values:
        if value is not None and (not out or out[-1] != value):
            out.append(value)
    return out


def _unknown_id(store: Any, card_id: str) -> str:
    from mlprep.app.library import unknown_card

    return str(unknown_card(store, card_id))


@command()
def show(
    card_id: Annotated[str, typer.Argument(help="The card's id.", metavar="ID")],
    cards: CardsOption = None,
) -> None:
    """Show a card as review shows it, then its history and schedule.

    The history lists each answer's date, grade (as pressed), resulting interval, due date
    and ease; then the status, interval and due date, and how the ease moved (or that the card
    is new, suspended or retired).

    Example: mlprep show opt-adam-update
    """
    lib = open_library(cards, quiet=True)
    try:
        store = lib.store
        card = store.card(card_id)
        reviews = store.reviews(card_id)
        if card is None and not reviews:
            fail(_unknown_id(store, card_id))
        state = store.state(card_id)
        retired = card is None or store.is_retired(card_id)
        relearning = any(r[0] == card_id for r in store.relearning_cards(lib.today))
        recall = _recall_line(store, card_id, lib.today, lib.settings.desired_retention)
        eases = ease_after_each(store.scheduler, store.facts(card_id))
        marks = tuple(
            name
            for name, ids in (
                ("suspended", store.suspended_ids()),
                ("⚑ flagged", store.flagged_ids()),
            )
            if card_id in ids
        )
    finally:
        lib.close()
    status = card_status(
        retired,
        state.streak if state else None,
        state.interval if state else None,
        relearning,
    )
    console = _console()
    if card is not None:
        problem = None
        if card.is_computed:
            problem = _computed_problems([card.to_dict()])[1][0]
        console.print(
            _header(card.id, card.deck, card.tags, _where(card)), *_card_panels(card, problem)
        )
        if card.is_computed:
            console.print(f"Computed card: generator {card.generator}, params {card.params or {}}")
    else:
        console.print(f" {card_id}  ·  (no card text: the id is only in the review history)")
    if reviews:
        console.print(history_table(reviews, eases))
    console.print(_status_line(status, state, lib.store.scheduler, lib.today, eases, marks))
    if recall:
        console.print(recall)


def _recall_line(store: Store, card_id: str, today: date, desired_retention: float) -> str:
    """The memory model's view of the card: FSRS stability, difficulty, recall today."""
    from mlprep.app.memory import memory_scheduler
    from mlprep.core.memory import recall_on

    found = recall_on(store.facts(card_id), today, memory_scheduler(store, desired_retention))
    if found is None:
        return ""
    memory, recall = found
    return (
        f"Memory (FSRS): stability {memory.stability:.1f} days · difficulty "
        f"{memory.difficulty:.1f} / 10 · recall today {recall:.0%}"
    )


# -- list --------------------------------------------------------------------------------------


SearchOption = Annotated[
    str | None,
    typer.Option(
        "--search",
        "-s",
        help="Only cards whose id, tags, deck, question or answer contain every word of TEXT, "
        "best match first.",
        metavar="TEXT",
    ),
]


@command("list")
def list_cards(
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    due: Annotated[
        bool, typer.Option("--due", help="Only cards due today (including same-day relearning).")
    ] = False,
    suspended: Annotated[
        bool, typer.Option("--suspended", help="Only suspended cards (`mlprep unsuspend ID`).")
    ] = False,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only cards flagged with f in review.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List cards with their status, due date and tags.

    Status: new, learning, review, suspended or retired. One line per card at any width (tags are cut first; ids never). learning = failed and not
    yet recalled, or answered below Good today (as in stats); ⚑ = flagged.

    Example: mlprep list --tag ridge --due
    Example: mlprep list --search "bias correction"
    """
    from mlprep.app.library import check_scope

    lib = open_library(cards, quiet=as_json)
    try:
        check_scope(lib, scope_of(deck, tag))
        rows = _list_rows(lib, deck, tag)
        docs = lib.store.scoped_cards(scope_of(deck, tag)) if search else []
    finally:
        lib.close()
    if due:
        today = lib.today.isoformat()
        rows = [
            r
            for r in rows
            if r["status"] in ("learning", "review") and (r["due"] <= today or r["relearning"])
        ]
    if suspended:
        rows = [r for r in rows if r["status"] == "suspended"]
    if flagged:
        rows = [r for r in rows if r["flagged"]]
    if search:
        ranked = {hit.card_id: n for n, hit in enumerate(_search(search, docs))}
        rows = sorted((r for r in rows if r["id"] in ranked), key=lambda r: ranked[r["id"]])
    for row in rows:
        del row["relearning"]
    if as_json:
        import json

        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(
            "No cards match."
            if (deck or tag or due or search or suspended or flagged)
            else "No cards yet."
        )
        return
    from collections import Counter

    from mlprep.term.listing import build_card_list

    console = _console()
    console.print(build_card_list(rows))
    counts = Counter(r["status"] for r in rows)
    summary = ", ".join(
        f"{counts[s]} {s}"
        for s in ("new", "learning", "review", "suspended", "retired")
        if counts[s]
    )
    marked = sum(r["flagged"] for r in rows)
    more = f", {marked} flagged" if marked else ""
    console.print(f"{plural(len(rows), 'card')}: {summary}{more}")


def _search(query: str, cards: list[Card]) -> list[Any]:
    from mlprep.core.search import SearchDoc
    from mlprep.core.search import search as rank

    return rank(query, [SearchDoc(c.id, c.deck, c.q, c.a, c.tags) for c in cards])


def _list_rows(lib: Library, deck: str | None, tag: str | None) -> list[dict[str, Any]]:
    store = lib.store
    scope = scope_of(deck, tag)
    relearning = {r[0] for r in store.relearning_cards(lib.today, scope)}
    suspended = store.suspended_ids()
    flagged = store.flagged_ids()
    out = []
    for (
        card_id,
        card_deck,
        kind,
        tags,
        path,
        line,
        retired,
        reps,
        interval,
        due_day,
    ) in store.list_rows(scope):
        status = card_status(bool(retired), reps, interval, card_id in relearning)
        if status != "retired" and card_id in suspended:
            status = "suspended"
        out.append(
            {
                "id": card_id,
                "deck": card_deck,
                "type": kind,
                "status": status,
                "due": due_day if status in ("learning", "review") else None,
                "tags": tags.split() if tags else [],
                "path": path,
                "line": line,
                "flagged": card_id in flagged,
                "relearning": card_id in relearning,
            }
        )
    return out


@command()
def search(
    text: Annotated[str, typer.Argument(help="Words to find (all of them).", metavar="TEXT")],
    cards: CardsOption = None,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="Show at most N cards.", metavar="N", min=1)
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """Find cards by the words of their id, tags, text or deck.

    Cards are ranked best first by where the words occur: id, tags, deck, question, answer.
    Every word must occur (case-insensitive; part of a word counts). Each card is shown with
    the text that matched; `/` in review searches the same way.

    Example: mlprep search adam bias correction
    """
    from mlprep.app.library import check_scope

    with open_library(cards, quiet=as_json) as lib:
        check_scope(lib, scope_of(deck, tag))
        hits = _search(text, lib.store.scoped_cards(scope_of(deck, tag)))
    shown = hits[:limit]
    if as_json:
        import json
        from dataclasses import asdict

        typer.echo(json.dumps([asdict(hit) for hit in shown], indent=2))
        return
    from mlprep.term.listing import build_search_results

    _console().print(build_search_results(shown, text))
    if len(hits) > len(shown):
        typer.echo(f"... and {len(hits) - len(shown)} more (--limit N shows more)")


# -- rename ------------------------------------------------------------------------------------


@command()
def rename(
    old: Annotated[str, typer.Argument(help="The card's current id.", metavar="OLD")],
    new: Annotated[str, typer.Argument(help="Its new id.", metavar="NEW")],
    cards: CardsOption = None,
) -> None:
    """Change a card's id in its YAML file, moving its review history.

    Only the id changes in the file: comments, quoting and layout stay byte for byte. The new
    id must be unused in every deck and in the history. Bundled cards cannot be renamed. If
    the id was already changed by hand in the file, this moves OLD's history to NEW.

    Example: mlprep rename scale-features-ridge ridge-feature-scaling
    """
    from mlprep.app.config import Paths
    from mlprep.decks.errors import AuthoringError
    from mlprep.decks.files import check_inside, file_lock, rename_id
    from mlprep.decks.loader import ID_PATTERN

    if not ID_PATTERN.match(new):
        fail(f"new id {new!r} must match [a-z0-9][a-z0-9-]* (lowercase letters, digits and '-')")
    if old == new:
        fail(f"the old and new ids are the same ({old!r})")
    try:
        with file_lock(Paths.from_env().data_dir / LOCK_NAME):
            lib = open_library(cards, quiet=True, fresh=True)
            try:
                store = lib.store
                card = store.card(old)
                known = old in store.known_ids()
                if card is None and not known:
                    fail(_unknown_id(store, old))
                if card is None or store.is_retired(old):
                    target = store.card(new)
                    if target is not None and not store.is_retired(new) and store.reviews(old):
                        # The id was already changed in the file: bring the history along.
                        had = len(store.reviews(new))
                        try:
                            moved = store.reattach_history(old, new)
                        except ValueError:
                            fail(
                                f"{new!r} has answers given while {old!r} still had its own, "
                                "so they are two cards' histories; they are not merged"
                            )
                        joined = (
                            f", before the {had} answer{'s' * (had != 1)} {new} already had"
                            if had
                            else ""
                        )
                        typer.echo(
                            f"{old} is no longer in any file and {new} is: moved {moved} "
                            f"review{'s' * (moved != 1)} from {old} to {new}{joined}."
                        )
                        return
                    fail(
                        f"card {old!r} is retired: no deck file loaded this time has it, so there "
                        "is nothing to rename (its history stays under that id). If its file is "
                        "in a folder you pass with --cards, pass it here too"
                    )
                if _in_bundled(Path(card.path)):
                    fail(
                        f"{old!r} is in the bundled deck ({_where(card)}); only your own cards "
                        "can be renamed"
                    )
                if new in store.known_ids():
                    fail(_clash_message(store, new).replace("with --id", "for NEW"))
                path = Path(card.path)
                check_inside(_source_folder(path, cards), path)
                # Noted first: if this process dies after the file write, the next sync
                # moves the history; answers given meanwhile to OLD follow it to NEW.
                store.plan_rename(old, new)
                rename_id(path, old, new)
                moved = store.rename_card(old, new)
            finally:
                lib.close()
    except AuthoringError as exc:
        fail(str(exc))
    typer.echo(f"Renamed {old} to {new} in {card.path}; moved {moved} review{'s' * (moved != 1)}.")


def _source_folder(path: Path, cards: list[Path] | None) -> Path:
    """The card folder (or the explicit file's folder) that `path` was loaded from."""
    from mlprep.app.config import Paths, card_sources

    for source in card_sources(Paths.from_env(), cards or []):
        if source == path:
            return path.parent
        try:
            path.relative_to(source)
        except ValueError:
            continue
        return source
    return path.parent
