"""Classifies what a visitor typed into the search box (no database access).

A query is one of: a block height (decimal digits), a full 64-hex hash (a block hash or a
txid: the caller looks up both), an address of the served network, a prefix to suggest
completions for (4..63 hex digits, or the start of an address), or malformed. Inputs are
stripped, limited in length and never echoed back unescaped by the templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from node.crypto.address import KNOWN_HRPS, AddressError, decode_address

MAX_QUERY_LENGTH = 100
MAX_HEIGHT = 2**31 - 1  # heights are 32-bit SQL integers (indexer/read/parse.py)
MIN_HEX_PREFIX = 4
HASH_HEX_LENGTH = 64
_HEX = re.compile(r"[0-9a-f]+")
_DIGITS = re.compile(r"[0-9]+")
_BECH32_CHARS = re.compile(r"[qpzry9x8gf2tvdw0s3jn54khce6mua7l]*")


class QueryKind(Enum):
    """What a search query looks like."""

    EMPTY = "empty"
    HEIGHT = "height"
    HASH = "hash"
    ADDRESS = "address"
    HEX_PREFIX = "hex-prefix"
    ADDRESS_PREFIX = "address-prefix"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Query:
    """A classified query: `value` is normalised (lowercase hex, int height as text);
    `problem` says, for MALFORMED, what is wrong in words a visitor understands."""

    kind: QueryKind
    value: str = ""
    problem: str = ""

    @property
    def height(self) -> int:
        """The height of a HEIGHT query."""
        return int(self.value)


def _malformed(problem: str) -> Query:
    return Query(QueryKind.MALFORMED, problem=problem)


def classify(raw: str, hrp: str) -> Query:
    """Classify `raw` for the network whose address prefix is `hrp`."""
    text = raw.strip()
    if not text:
        return Query(QueryKind.EMPTY)
    if len(text) > MAX_QUERY_LENGTH:
        return _malformed(
            f"The query is {len(text)} characters long; nothing searchable is longer than "
            f"{MAX_QUERY_LENGTH}."
        )
    if _DIGITS.fullmatch(text) and len(text) < HASH_HEX_LENGTH:
        height = int(text)
        if height > MAX_HEIGHT:
            return _malformed("That number is far beyond any possible block height.")
        # Four or more digits could also be the start of a hash: heights win, as on mempool.space.
        return Query(QueryKind.HEIGHT, str(height))
    lower = text.lower()
    if _HEX.fullmatch(lower):
        if len(lower) == HASH_HEX_LENGTH:
            return Query(QueryKind.HASH, lower)
        if len(lower) > HASH_HEX_LENGTH:
            return _malformed(
                f"A block hash or transaction id has {HASH_HEX_LENGTH} hex digits; "
                f"this has {len(lower)}."
            )
        if len(lower) >= MIN_HEX_PREFIX:
            return Query(QueryKind.HEX_PREFIX, lower)
    return _classify_address(text, lower, hrp)


def _classify_address(text: str, lower: str, hrp: str) -> Query:
    if lower.startswith(hrp + "1"):
        if text not in {lower, text.upper()}:
            return _malformed("An address is either all lowercase or all uppercase, not mixed.")
        try:
            address = decode_address(lower, hrp)
        except AddressError:
            if _BECH32_CHARS.fullmatch(lower[len(hrp) + 1 :]) and len(lower) < len(hrp) + 60:
                return Query(QueryKind.ADDRESS_PREFIX, lower)
            return _malformed(
                "That is not a valid address of this network (wrong characters or checksum)."
            )
        return Query(QueryKind.ADDRESS, str(address))
    prefix, sep, _ = lower.partition("1")
    if sep and prefix in KNOWN_HRPS:
        return _malformed(
            f"That address belongs to {KNOWN_HRPS[prefix]} (prefix {prefix!r}); this explorer "
            f"serves the network whose addresses start with {hrp!r}."
        )
    return _malformed(
        "Search for a block height, a block hash, a transaction id, an address, or at least "
        f"{MIN_HEX_PREFIX} hex digits of a hash."
    )
