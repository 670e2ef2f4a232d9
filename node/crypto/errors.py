"""Errors raised by node.crypto; each sub-area derives a narrower class from CryptoError."""

from node.errors import RustyError


class CryptoError(RustyError):
    """Base class of every error raised by node.crypto."""
