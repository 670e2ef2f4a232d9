"""RPC authentication: the `.cookie` file and `rpcauth` salted credentials (HTTP Basic).

Cookie: at start the server writes `__cookie__:<64 hex>` to `<datadir>/<network>/.cookie`
(mode 0600) and removes it at stop, like bitcoind. rpcauth: `USER:SALT$HASH` where HASH =
hex(HMAC-SHA256(key=SALT, msg=PASSWORD)), the format of Bitcoin Core's share/rpcauth.py.
Every comparison is constant-time (`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from node.rpc.errors import RpcError

COOKIE_USER = "__cookie__"
COOKIE_NAME = ".cookie"


class AuthError(RpcError):
    """A malformed rpcauth option or cookie file."""

    def __init__(self, message: str) -> None:
        super().__init__(-1, message)


@dataclass(frozen=True, slots=True)
class RpcAuthEntry:
    """One `rpcauth` credential: user name, salt and the HMAC-SHA256 hex digest."""

    user: str
    salt: str
    digest: str

    @classmethod
    def parse(cls, text: str) -> RpcAuthEntry:
        user, sep, rest = text.partition(":")
        salt, sep2, digest = rest.partition("$")
        if not (sep and sep2 and user and salt) or len(digest) != 64:
            raise AuthError(f"invalid rpcauth {text!r}: expected USER:SALT$HASH (64 hex digits)")
        try:
            bytes.fromhex(digest)
        except ValueError:
            raise AuthError(f"invalid rpcauth {text!r}: HASH is not hex") from None
        return cls(user, salt, digest.lower())

    def matches(self, user: str, password: str) -> bool:
        mine = hmac.new(self.salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        same_user = hmac.compare_digest(user.encode(), self.user.encode())
        return hmac.compare_digest(mine, self.digest) and same_user


def make_rpcauth(user: str, password: str, salt: str | None = None) -> str:
    """The `USER:SALT$HASH` line for a password (what rpcauth.py prints)."""
    salt = secrets.token_hex(16) if salt is None else salt
    digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return f"{user}:{salt}${digest}"


def write_cookie(netdir: Path) -> tuple[Path, str]:
    """Create a fresh cookie file; returns its path and the password."""
    password = secrets.token_hex(32)
    path = netdir / COOKIE_NAME
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{COOKIE_USER}:{password}")
    os.replace(tmp, path)
    return path, password


def read_cookie(netdir: Path) -> tuple[str, str]:
    """(user, password) from `<netdir>/.cookie`; raises AuthError when missing or malformed."""
    path = netdir / COOKIE_NAME
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise AuthError(f"cannot read the cookie file {path}: {exc.strerror}") from None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise AuthError(f"malformed cookie file {path}")
    return user, password


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header value, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


class Authenticator:
    """Checks Basic credentials against the cookie and the rpcauth entries."""

    def __init__(
        self, cookie_password: str | None = None, rpcauth: tuple[RpcAuthEntry, ...] = ()
    ) -> None:
        self.cookie_password = cookie_password
        self.rpcauth = rpcauth

    def check(self, header: str | None) -> str | None:
        """The authenticated user name, or None (every entry is compared, constant-time)."""
        creds = parse_basic(header)
        if creds is None:
            return None
        user, password = creds
        ok = False
        if self.cookie_password is not None:
            good_user = hmac.compare_digest(user.encode(), COOKIE_USER.encode())
            good_pass = hmac.compare_digest(password.encode(), self.cookie_password.encode())
            ok = good_user and good_pass
        for entry in self.rpcauth:
            ok = entry.matches(user, password) or ok
        return user if ok else None
