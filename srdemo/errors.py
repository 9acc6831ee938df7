"""The one error srdemo raises on purpose, worded for the person using the app (the UI shows it, the CLI prints
it and exits with status 2); anything else that escapes is a bug."""

from __future__ import annotations

from .wording import text


class SrdemoError(Exception):
    """A problem the user can understand and usually fix (bad file, missing model...)."""


class Cancelled(SrdemoError):
    """The user pressed Cancel; work stopped between two tiles."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(text("cancelled") if message is None else message)
