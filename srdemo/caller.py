"""Who asks: the owner a job belongs to, whether they may name server paths, and their token.

Every request carries a :class:`Caller`; nothing has a default one. The app builds one per visitor
(``Caller.visitor``); the command line and the Python API use ``LOCAL`` or ``Caller.local(token)``.
An owner in the app is never a word the client chose: it is a key this server minted and signed
(:func:`mint_key`, :func:`owner_of_key`). A token is wrapped in :class:`Secret`, so it cannot reach a log by accident.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SrdemoError
from .settings import get_settings
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
    """Wrap a token typed by a user; blank means none. It goes into an HTTP header, so anything but printable
    ASCII without spaces is refused here with a plain message."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 512 or not all(33 <= ord(c) < 127 for c in value):
        raise SrdemoError(text("err_token_malformed"))
    return Secret(value)


@dataclass(frozen=True)
class Caller:
    """Who a request comes from. ``owner`` keys their workspace and their trained models."""

    owner: str
    trusted: bool = False  # may name weights files on this machine: only ``Caller.local`` (CLI, Python API)
    token: Secret | None = field(default=None, repr=False, compare=False)

    @classmethod
    def visitor(cls, owner: str, token: str | None = None) -> Caller:
        """A stranger using the public app."""
        return cls(owner=owner, trusted=False, token=secret(token))

    @classmethod
    def local(cls, token: str | None = None) -> Caller:
        """The machine's own user (the command line, the Python API): may name weights files on this machine."""
        return cls(owner="local", trusted=True, token=secret(token))

    def job_owner(self) -> str:
        """The owner work that outlives the request (batches, training) is kept for; a plain refusal for ``ANONYMOUS``."""
        if self.owner in ("", ANONYMOUS):  # no sign-in, no key this server minted: no jobs, no runs
            raise SrdemoError(text("err_no_identity"))
        return self.owner

    @property
    def token_value(self) -> str | None:
        return self.token.reveal() if self.token is not None else None


ANONYMOUS = "anonymous"
"""The owner of a visitor without a sign-in or a key this server minted."""

ANYONE = Caller.visitor(ANONYMOUS)
"""A visitor with no identity: what the app shows or allows before it knows who asks (the public model list)."""

LOCAL = Caller.local()
"""The machine's own user without a token: the command line and the Python API ask for it by name."""


KEY_VERSION = "k1"
_RANDOM_HEX = 32  # 128 bits
_MAC_HEX = 32


@functools.lru_cache(maxsize=8)
def _secret(configured: str, path: Path) -> bytes:
    """This server's signing secret: ``SRDEMO_SECRET`` if set (replicas of one app share it), else a random
    one kept at ``path`` (mode 0600), so keys stay valid across restarts."""
    if configured:
        return configured.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier (or by another process just now): use it
        return bytes.fromhex(path.read_text().strip())
    value = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(value.hex())
    return value


def _mac(kind: str, random_part: str) -> str:
    key = _secret(os.environ.get("SRDEMO_SECRET", ""), get_settings().run_dir / "owner-secret")
    return hmac.new(key, f"{KEY_VERSION}:{kind}:{random_part}".encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]


def mint_key(kind: str = "browser") -> str:
    """A new owner key of a ``kind`` ("browser" for a page, "batch" for an agent's batch): random and signed."""
    random_part = secrets.token_hex(_RANDOM_HEX // 2)
    return f"{KEY_VERSION}.{kind}.{random_part}.{_mac(kind, random_part)}"


def owner_of_key(key: str | None, kind: str | None = None) -> str | None:
    """The owner a minted key stands for (``"<kind>:<random part>"``; the signature never leaves this
    function), or None for anything this server did not mint, of another ``kind``, or malformed."""
    if not isinstance(key, str) or len(key) > 128:
        return None
    parts = key.strip().split(".")
    if len(parts) != 4 or parts[0] != KEY_VERSION or (kind is not None and parts[1] != kind):
        return None
    _, found_kind, random_part, mac = parts
    if len(random_part) != _RANDOM_HEX or not all(c in "0123456789abcdef" for c in random_part):
        return None
    return f"{found_kind}:{random_part}" if hmac.compare_digest(mac, _mac(found_kind, random_part)) else None
