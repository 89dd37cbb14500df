"""`mlprep backup`: a backup now, the list, and restoring one (the automatic backups are
taken by `open_library`, the store's migrations, `mlprep sync` and imports)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mlprep.app.errors import MlprepError, UsageError

if TYPE_CHECKING:
    from mlprep.app.config import Paths, Settings
    from mlprep.storage.backups import BackupInfo

__all__ = ["Restored", "backup_now", "find_backup", "restore_backup"]


def _policy(paths: Paths, settings: Settings):  # -> BackupPolicy
    from mlprep.app.config import now
    from mlprep.storage.backups import BackupPolicy

    return BackupPolicy(paths.backups, settings.backups_kept, now)


def backup_now(paths: Paths, settings: Settings) -> Path:
    """A backup of the database as it is, whatever it holds (reason `manual`)."""
    from mlprep.app.library import open_store
    from mlprep.storage.store import StoreError

    if not paths.db.exists():
        raise MlprepError(f"there is no database to back up yet ({paths.db})")
    try:
        with open_store(paths, settings, _policy(paths, settings)) as store:
            made = store.backups.take(store.conn, "manual", force=True)
    except StoreError as exc:
        raise MlprepError(str(exc)) from None
    assert made is not None  # forced
    return made


def find_backup(paths: Paths, name: str) -> BackupInfo:
    """The backup called `name` (its file name, with or without `.db`)."""
    from mlprep.storage.backups import list_backups

    backups = list_backups(paths.backups)
    wanted = name if name.endswith(".db") else f"{name}.db"
    for info in backups:
        if info.name == wanted:
            return info
    if not backups:
        raise UsageError(f"no backup named {name!r}: {paths.backups} holds no backups yet")
    recent = ", ".join(b.name for b in reversed(backups[-3:]))
    raise UsageError(
        f"no backup named {name!r} in {paths.backups}; the newest are {recent} "
        "(`mlprep backup --list` shows them all)"
    )


@dataclass(frozen=True)
class Restored:
    backup: BackupInfo
    safety: Path | None  # the backup of the database as it was before the restore
    schema: int  # the restored backup's schema version (older ones are migrated)


def restore_backup(paths: Paths, settings: Settings, name: str) -> Restored:
    """Put backup `name` in place of the database, after backing up the database as it is.
    The restored database becomes a device of its own for `mlprep sync`, since the original
    may have synced facts after the backup under the numbers the backup would reuse."""
    from mlprep.app.config import now
    from mlprep.app.library import open_store
    from mlprep.storage.backups import (
        BackupError,
        backup_database,
        check_backup,
        prune_backups,
        restore_database,
    )
    from mlprep.storage.schema import SCHEMA_VERSION
    from mlprep.storage.store import StoreError

    info = find_backup(paths, name)
    try:
        schema = check_backup(info.path, SCHEMA_VERSION)
    except BackupError as exc:
        raise MlprepError(f"{exc}; nothing was restored") from None
    policy = _policy(paths, settings)
    safety = None
    if paths.db.exists():
        try:
            with open_store(paths, settings, policy) as store:
                # Not pruned yet: pruning could delete the backup about to be restored.
                safety = backup_database(store.conn, paths.backups, "before-restore", now())
        except (StoreError, sqlite3.DatabaseError):
            # A damaged database (the reason to restore, often): keep its bytes, start afresh.
            safety = _raw_copy(paths, now())
            for suffix in ("", "-wal", "-shm"):
                Path(f"{paths.db}{suffix}").unlink(missing_ok=True)
    restore_database(paths.db, info.path)
    try:
        with open_store(paths, settings, policy) as store:
            store.new_device()
    except StoreError as exc:
        raise MlprepError(str(exc)) from None
    prune_backups(paths.backups, max(settings.backups_kept, 1))
    return Restored(info, safety, schema)


def _raw_copy(paths: Paths, moment: datetime) -> Path:
    import shutil

    from mlprep.storage.backups import STAMP

    paths.backups.mkdir(parents=True, exist_ok=True)
    stamp = moment.astimezone(timezone.utc).strftime(STAMP)
    target = paths.backups / f"{stamp}-damaged.db"
    shutil.copyfile(paths.db, target)
    return target
