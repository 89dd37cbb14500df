"""`mlprep add`: new cards from flags, prompts, `--stdin` or the editor, checked (ids,
near-duplicates, computed cards' sample problems) and appended to a deck file.

The file work (YAML text, ids, the atomic write) lives in `mlprep.decks`; this module asks the
questions, opens the store and prints. Writes take a lock in the data dir (`authoring.lock`)
around "sync, check ids, write", so concurrent runs queue up."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from mlprep.cli.common import (
    LOCK_NAME,
    card_where,
    clash_message,
    clash_text,
    command,
    computed_problems,
    fail,
    in_bundled,
    latex_warnings,
    open_library,
    plural,
    warn,
)
from mlprep.term.card import card_header, card_panels, plain_console

if TYPE_CHECKING:
    from mlprep.app.library import Library
    from mlprep.decks.loader import Card


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


def _target_folder(cards_dir: Path | None) -> tuple[Any, Path]:
    from mlprep.app.config import Paths

    paths = Paths.from_env()
    folder = cards_dir.expanduser() if cards_dir is not None else paths.user_cards
    if in_bundled(folder):
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


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _split_tags(values: list[str] | None) -> list[str]:
    return [t for value in values or [] for t in value.replace(",", " ").split()]


def _problems(cards: list[dict[str, Any]], ctx: _Context) -> tuple[list[str], list[Any]]:
    from mlprep.decks.snippets import check_cards

    problems = check_cards(cards)
    live = {card.id: card for card in ctx.cards}
    for n, card in enumerate(cards, 1):
        card_id = card.get("id")
        if isinstance(card_id, str) and card_id in ctx.known:
            prefix = f"card {n}: " if len(cards) > 1 else ""
            problems.append(prefix + clash_text(card_id, live.get(card_id), True))
    more, samples = computed_problems(cards) if not problems else ([], [None] * len(cards))
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
        where = f"card {best.id} ({card_where(best)})" if best.path else f"card {best.id}"
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

    if in_bundled(target):
        fail(f"refusing to write into the bundled deck ({target.resolve()})")
    try:
        check_inside(folder, target)
        with file_lock(lock):
            lib = _open(folder)
            try:
                try:
                    cards = assign_ids(cards, lib.store.known_ids())
                except IdClashError as exc:
                    fail(clash_message(lib.store, exc.card_id))
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
            typer.echo(f"  {n}) {name} ({plural(count, 'card')})")
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
            "--cards", help="Folder to write into (default: your deck folder).", metavar="DIR"
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
                plain_console().print(*card_panels(card, sample))
        keep = _near_duplicates_ok(new_cards, ctx, force, ask=False)
        if not keep:
            fail("nothing added: every card is a near-duplicate (--force adds them anyway)")
        _commit(folder, lock, target, keep)
        if len(keep) < len(new_cards):
            skipped = len(new_cards) - len(keep)
            fail(
                f"added {len(keep)} of {plural(len(new_cards), 'card')}; skipped "
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
    console = plain_console()
    typer.echo("\nPreview (as review will show it):")
    console.print(
        card_header(shown["id"], deck_name, tag_list, target.name), *card_panels(card, samples[0])
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
                plain_console().print(*card_panels(card, sample))
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
