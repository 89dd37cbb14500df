"""Opening the library: paths, settings, the clock, the store synced with the deck files, and
the scheduler the settings ask for. Commands call `open_library`, then the core."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlprep.app.errors import MlprepError
from mlprep.core.wording import plural

if TYPE_CHECKING:
    from mlprep.app.config import Paths, Settings
    from mlprep.core.queue import QueueItem, QueuePolicy
    from mlprep.decks.loader import DeckIssue
    from mlprep.storage.backups import BackupPolicy
    from mlprep.storage.store import Scope, Store

__all__ = [
    "FSRS_PARAMETERS_KEY",
    "Library",
    "check_scope",
    "day_queue",
    "open_library",
    "open_store",
    "unknown_card",
]

# The meta key of the FSRS parameters fitted by `mlprep optimize` (with their metrics).
FSRS_PARAMETERS_KEY = "fsrs_parameters"


@dataclass
class Library:
    """What most commands need: paths, settings, the clock, and the synced store."""

    paths: Paths
    settings: Settings
    store: Store
    now: datetime
    today: date
    issues: list[DeckIssue]
    warnings: list[str] = field(default_factory=list)
    closed: bool = field(default=False, init=False, repr=False)

    def close(self) -> None:
        """Close the store (after its last try at the writes kept unsaved); once: `review
        --jsonl` closes it before its last event, and the `with` block's end is then a no-op."""
        if self.closed:
            return
        self.closed = True
        self.store.close()

    def backup(self, reason: str) -> Path | None:
        """An automatic backup before a change from elsewhere (a sync, an import), pruned to
        `backups_kept`; None when the log is empty (nothing to lose)."""
        if self.store.backups is None:
            return None
        return self.store.backups.take(self.store.conn, reason)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_library(
    cards: list[Path] | None = None,
    *,
    quiet: bool = False,
    warn: Callable[[str], None] | None = None,
    fresh: bool = False,
) -> Library:
    """Open the store and sync the deck files into it; `warn` hears once about each broken
    file (unless `quiet`). Raises MlprepError for settings, clock or database problems.

    If the card index cannot be updated (the database is locked for longer than the wait,
    full or read-only), the cards as of the last update are used, with a warning, unless
    `fresh` (commands that write cards need the index to be current)."""
    from mlprep.app.config import ConfigError, Paths, card_sources, load_settings, now, study_day
    from mlprep.decks.loader import deck_files
    from mlprep.storage.backups import BackupPolicy
    from mlprep.storage.safety import StoreBusy, StoreFull, StoreReadOnly
    from mlprep.storage.store import StoreError, SyncReport

    say = warn or (lambda message: None)
    paths = Paths.from_env()
    try:
        settings = load_settings(paths)
        moment = now()
    except ConfigError as exc:
        raise MlprepError(str(exc)) from None
    # Backups before a migration and once a study day; `now` is checked above.
    backups = BackupPolicy(paths.backups, settings.backups_kept, now)
    try:
        store = open_store(paths, settings, backups)
    except StoreError as exc:
        raise MlprepError(str(exc)) from None
    today = study_day(moment, settings.day_starts_at)
    try:
        backups.daily(store.conn, today, settings.day_starts_at)
    except (OSError, sqlite3.Error) as exc:
        say(f"the daily backup into {paths.backups} failed ({exc}); carrying on without it")
    try:
        files, missing = deck_files(card_sources(paths, cards or []))
        for issue in missing:
            if issue.path != str(paths.user_cards):
                say(f"{issue.path}: {issue.message}")
        try:
            report = store.sync(files)
        except (StoreBusy, StoreFull, StoreReadOnly) as exc:
            if fresh:
                raise
            say(f"the card index was not updated ({exc}); using the cards as they were")
            report = SyncReport()
    except StoreError as exc:
        store.close()
        raise MlprepError(str(exc)) from None
    except BaseException:
        store.close()
        raise
    if not quiet:
        for path in report.broken_files:
            n = sum(i.path == path for i in report.issues)
            say(
                f"{path} has {plural(n, 'problem')}; its broken cards are skipped. "
                f"Run `mlprep check {path}` for details."
            )
    return Library(paths, settings, store, moment, today, report.issues)


def open_store(paths: Paths, settings: Settings, backups: BackupPolicy | None = None) -> Store:
    """The store with the scheduler the settings name and the memory model beside it, both with
    the FSRS parameters `mlprep optimize` fitted (or the defaults). Raises StoreError."""
    from mlprep.core.scheduling import make_scheduler
    from mlprep.storage.store import Store

    store = Store(paths.db, None, backups)
    try:
        fitted = store.meta(FSRS_PARAMETERS_KEY)
        parameters = fitted["parameters"] if fitted else None
        options = {
            "desired_retention": settings.desired_retention,
            "maximum_interval": settings.maximum_interval,
        }
        store.use_scheduler(
            make_scheduler(settings.scheduler, parameters=parameters, **options),
            memory=make_scheduler("fsrs", parameters=parameters, **options),
        )
    except BaseException:
        store.close()
        raise
    return store


def check_scope(lib: Library, scope: Scope | None) -> None:
    """Raise MlprepError with the known names when --deck, --tag or --level names nothing (a
    typo, usually)."""
    if scope is None:
        return
    store = lib.store
    for what, value, known in (
        ("deck", scope.deck, store.deck_names),
        ("tag", scope.tag, store.tag_names),
        ("level", scope.level, store.level_names),
    ):
        if value and value not in (names := known()):
            raise MlprepError(unknown_name(what, value, names))


# An unknown-name error fits one 80-column line (with its `Error: `) whatever the number of
# names: past this, the closest names come first and the rest are counted.
ERROR_WIDTH = 80


def unknown_name(what: str, value: str, names: list[str]) -> str:
    """`no tag named 'ridg'; tags: a, b, c`, every name when they fit in one line; else the
    closest names first, then as many others as fit, then how many more and where to see
    them all (`mlprep check` lists every deck and tag)."""
    import difflib

    head = f"no {what} named {value!r}; {what}s: "
    everything = ", ".join(names) or "(none)"
    if len("Error: ") + len(head) + len(everything) <= ERROR_WIDTH:
        return head + everything
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    ordered = close + [n for n in names if n not in close]
    shown: list[str] = []
    for name in ordered:
        rest = len(ordered) - len(shown) - 1
        tail = f", +{rest} more (see `mlprep check`)" if rest else ""
        line = "Error: " + head + ", ".join([*shown, name]) + tail
        if shown and len(line) > ERROR_WIDTH:
            break
        shown.append(name)
    rest = len(ordered) - len(shown)
    tail = f", +{rest} more (see `mlprep check`)" if rest else ""
    return head + ", ".join(shown) + tail


def unknown_card(store: Store, card_id: str) -> MlprepError:
    """The error for an id the store has never seen, with the closest ids as suggestions."""
    import difflib

    known = sorted(store.known_ids() - {card_id})
    close = difflib.get_close_matches(card_id, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `mlprep list` shows every id"
    return MlprepError(f"no card with id {card_id!r}{hint}")


def day_queue(
    store: Store,
    today: date,
    scope: Scope | None = None,
    policy: QueuePolicy | None = None,
    *,
    new_per_day: int = 10,
    reviews_per_day: int = 0,
    limit: int = -1,
) -> list[QueueItem]:
    """Today's queue under `policy` (default normal): the store reads the candidate rows, the
    core orders them. Normal: relearning, due (up to the review cap; 0 = no cap), new (up to
    the new-card limit). Cram: every card in scope, up to `limit`."""
    from mlprep.core.queue import CRAM, QueueRows, build_queue

    if policy is CRAM:
        return build_queue(QueueRows([], store.scope_cards(scope, limit), []))
    review_limit = -1
    if reviews_per_day:
        review_limit = max(0, reviews_per_day - store.reviewed_on(today))
    new_left = max(0, new_per_day - store.new_seen_on(today))
    return build_queue(
        QueueRows(
            relearn=store.relearning_cards(today, scope),
            due=store.due_cards(today, scope, review_limit),
            new=store.new_cards(scope, new_left) if new_left else [],
        )
    )
