"""What `mlprep sync`, `mlprep backup` and `mlprep export/import json` print: plain text
builders and the backup table (rich is imported inside the function that needs it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlprep.core.wording import plural

if TYPE_CHECKING:
    from rich.table import Table

    from mlprep.interop.sync_folder import SyncResult
    from mlprep.storage.backups import BackupInfo

__all__ = ["backup_table", "human_bytes", "plural", "sync_lines"]


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def sync_lines(result: SyncResult) -> list[str]:
    """What a sync did, in two or three lines."""
    m = result.merged
    others = (
        f"{plural(len(result.devices), 'other device')} ({', '.join(result.devices)})"
        if result.devices
        else "no other device yet"
    )
    lines = [f"Synced with {result.folder} as {result.device}: {others}."]
    got = []
    if m.answers_added:
        got.append(plural(m.answers_added, "answer"))
    if m.undos:
        taken = f" ({plural(m.answers_removed, 'answer')} taken back)" if m.answers_removed else ""
        got.append(plural(m.undos, "undo") + taken)
    if m.renames:
        got.append(plural(m.renames, "rename"))
    if m.events:
        got.append(plural(m.events, "card event"))
    received = "received " + ", ".join(got) if got else "nothing new to receive"
    sent = f"sent {plural(result.sent, 'fact')} to {result.own_file.name}"
    lines.append(f"{received[0].upper()}{received[1:]}; {sent}.")
    if m.cards:
        extra = f"; backup {result.backup}" if result.backup else ""
        lines.append(f"Replayed {plural(len(m.cards), 'card')}{extra}.")
    return lines


def backup_table(backups: list[BackupInfo], folder: Any) -> Table:
    """The backups, newest first, with the names `mlprep backup --restore` takes."""
    from rich.table import Table

    table = Table(title=f"Backups in {folder}", title_justify="left")
    table.add_column("name")
    table.add_column("taken (local time)")
    table.add_column("reason")
    table.add_column("size", justify="right")
    for info in reversed(backups):
        taken = info.taken.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(info.name, taken, info.reason, human_bytes(info.size))
    return table
