"""Who asks: the owner a job belongs to, whether they may name server paths, and their token.

Every request carries a :class:`Caller`. The app builds one per visitor
(``trusted=False``: only listed models, the visitor's own runs and Hub repos);
the command line and the Python API run as the machine's user (``trusted=True``:
local weights files too). A token is wrapped in :class:`Secret`, whose repr
and str hide it and which refuses to be pickled, so it cannot reach a log, a
saved request or a page by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SrdemoError
from .wording import text


class Secret:
    """A value that never shows itself: ``repr``/``str`` print a mask; ``reveal()`` gives it to the one call that needs it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("A Secret is never saved.")

    def __deepcopy__(self, memo) -> Secret:
        return self  # immutable; dataclasses.asdict deep-copies fields


def secret(value: str | None) -> Secret | None:
    """Wrap a token typed by a user; blank means none.

    A token goes into an HTTP header, so it must be printable ASCII without spaces; anything else
    is refused here with a plain message instead of failing deep inside a request.
    """
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 512 or not all(33 <= ord(c) < 127 for c in value):
        raise SrdemoError(text("err_token_malformed"))
    return Secret(value)


@dataclass(frozen=True)
class Caller:
    """Who a request comes from. ``owner`` keys their workspace and their trained models."""

    owner: str = "local"
    trusted: bool = True  # may name weights files on this machine (CLI, Python); the app's visitors may not
    token: Secret | None = field(default=None, repr=False, compare=False)

    @classmethod
    def visitor(cls, owner: str, token: str | None = None) -> Caller:
        """A stranger using the public app."""
        return cls(owner=owner, trusted=False, token=secret(token))

    @property
    def token_value(self) -> str | None:
        return self.token.reveal() if self.token is not None else None


LOCAL = Caller()
"""The machine's own user: the command line and the Python API."""
