"""Errors raised while encoding or decoding wire data (node.types).

Every error derives from :class:`SerializationError`, itself a
:class:`node.errors.RustyError`. Messages name the field and the numbers involved.
"""

from node.errors import RustyError


class SerializationError(RustyError):
    """Base class of every encoding/decoding error raised by node.types."""


class TruncatedInput(SerializationError):
    """The input ended before a field could be read completely."""


class TrailingBytes(SerializationError):
    """A strict decode finished with unread bytes left over."""


class NonMinimalCompactSize(SerializationError):
    """A CompactSize used a longer form than its value needs."""


class LimitExceeded(SerializationError):
    """A count or length is above its limit, or above what the input still holds."""


class UnknownTxType(SerializationError):
    """A tx_type number that protocol version 1 does not define."""


class InvalidField(SerializationError):
    """A field has a value outside its domain (range, length, enum, UTF-8, consistency)."""
