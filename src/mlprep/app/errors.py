"""Domain errors: what went wrong, in a sentence a user can act on. The CLI turns each into
`Error: ...` on stderr and an exit code, in one place (`mlprep.cli.common`)."""

from __future__ import annotations

__all__ = ["MlprepError", "UsageError"]


class MlprepError(Exception):
    """A failure to report as `Error: <message>`, exiting with `exit_code`."""

    exit_code = 1


class UsageError(MlprepError):
    """The command was asked for something that cannot be (an unknown deck, tag or card)."""

    exit_code = 2
