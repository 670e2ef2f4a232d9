"""JSON encoding of RPC results: `Amount` values print as numbers with 8 decimals.

bitcoind prints amounts as JSON numbers with exactly eight decimals (`0.00010000`), which
Python's json module cannot emit from a float. Results mark amounts with `Amount` (an int of
base units) and `dumps` writes them exactly; everything else goes through `json.dumps`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from node.params import COIN, MAX_MONEY


class Amount(int):
    """An amount in base units, written to JSON as RUST with 8 decimals."""

    __slots__ = ()

    def to_json(self) -> str:
        sign = "-" if self < 0 else ""
        whole, frac = divmod(abs(int(self)), COIN)
        return f"{sign}{whole}.{frac:08d}"


def dumps(value: object, indent: int | None = None) -> str:
    """JSON text of `value` (dicts, lists, tuples, scalars, `Amount`, `Decimal`); compact
    unless `indent` is given."""
    parts: list[str] = []
    _encode(value, parts, indent, 0)
    return "".join(parts)


def _encode(value: object, out: list[str], indent: int | None, depth: int) -> None:
    if indent is None:
        sep, pad, close = ",", "", ""
    else:
        sep = ",\n" + " " * (indent * (depth + 1))
        pad = "\n" + " " * (indent * (depth + 1))
        close = "\n" + " " * (indent * depth)
    colon = ":" if indent is None else ": "
    if isinstance(value, Amount):
        out.append(value.to_json())
    elif isinstance(value, Decimal):
        out.append(str(value) if value.is_finite() else "null")
    elif isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        out.append("{" + pad)
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(sep)
            out.append(json.dumps(str(key)) + colon)
            _encode(item, out, indent, depth + 1)
        out.append(close + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        out.append("[" + pad)
        for i, item in enumerate(value):
            if i:
                out.append(sep)
            _encode(item, out, indent, depth + 1)
        out.append(close + "]")
    else:
        out.append(json.dumps(value, allow_nan=False))


def parse_amount(value: object, *, allow_zero: bool = False) -> int:
    """Base units from a JSON amount in RUST (number or decimal string), like Core's
    AmountFromValue: at most 8 decimals, within MAX_MONEY; raises ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError("Amount is not a number or string")
    try:
        dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError("Invalid amount") from None
    if not dec.is_finite():
        raise ValueError("Invalid amount")
    units = dec * COIN
    if units != units.to_integral_value():
        raise ValueError("Invalid amount (more than 8 decimals)")
    result = int(units)
    if result < 0 or result > MAX_MONEY or (result == 0 and not allow_zero):
        raise ValueError("Amount out of range")
    return result
