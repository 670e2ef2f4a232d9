"""Display filters: amounts in RUST, times, short hashes, hash rates, sizes and tx types.

Amounts are integer base units everywhere in the models; only these filters turn them into
decimal text (integer arithmetic via node.api.format_amount, never floats).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from indexer.read.pages import tx_type_name
from indexer.read.stake import tx_type_label
from node import api

register = template.Library()

_SI = ("", "k", "M", "G", "T", "P", "E")


@register.filter
def rust(units: int | None) -> str:
    """Base units as '1.5 RUST' ('-' for None)."""
    if units is None:
        return "-"
    return api.format_amount(int(units))


@register.filter
def signed_rust(units: int | None) -> str:
    """Like `rust` but with an explicit '+' for positive amounts."""
    if units is None:
        return "-"
    text = api.format_amount(int(units))
    return f"+{text}" if units > 0 else text


@register.filter
def utc(seconds: int | None) -> str:
    """Unix seconds as 'YYYY-MM-DD HH:MM:SS UTC'."""
    if seconds is None:
        return "-"
    try:
        return api.format_timestamp(int(seconds))
    except (OverflowError, OSError, ValueError):
        return str(seconds)


@register.filter
def isodate(seconds: int | None) -> str:
    """Unix seconds as an ISO 8601 string for <time datetime=...>."""
    if seconds is None:
        return ""
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


@register.filter
def short(value: str | None, keep: int = 10) -> str:
    """A long hash as its first and last `keep` characters around an ellipsis."""
    if not value:
        return ""
    text = str(value)
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-keep:]}"


@register.filter
def hashrate(value: float | None) -> str:
    """Hashes per second with an SI prefix (12.3 kH/s)."""
    if value is None:
        return "-"
    number = float(value)
    unit = 0
    while abs(number) >= 1000 and unit < len(_SI) - 1:
        number /= 1000
        unit += 1
    return f"{number:.2f} {_SI[unit]}H/s"


@register.filter
def feerate(value: float | None) -> str:
    """A fee rate in units per byte."""
    if value is None:
        return "-"
    return f"{float(value):.2f} sat/B"


@register.filter
def txtype(value: int) -> str:
    """The SPEC name of a tx_type number."""
    return tx_type_name(int(value))


@register.filter
def txlabel(value: int) -> str:
    """A tx_type number as words (Ticket purchase, Slash, ...)."""
    return tx_type_label(int(value))


@register.filter
def mul(value: int, factor: int) -> int:
    """value x factor (page offsets)."""
    return int(value) * int(factor)


@register.filter
def net(row: object) -> int:
    """received - sent of an address history row."""
    return int(getattr(row, "received", 0)) - int(getattr(row, "sent", 0))
