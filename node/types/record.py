"""Declarative record schema for node.types: a frozen dataclass encoded as its fields in order.

Owns ``FieldSpec`` (one wire field: u8/u16/u32/u64, enum8, fixed, bytes, str, vote), the field
constructors, and ``Record``, the Serializable base whose encode/decode/validation are driven
by a class's ``FIELDS``. Used by node.types.payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Self

from node.types.block import TicketVote
from node.types.codec import (
    ByteReader,
    ByteWriter,
    Serializable,
    check_bytes,
    check_fixed_bytes,
    check_string,
    check_uint,
)
from node.types.errors import InvalidField

__all__ = [
    "FieldSpec",
    "Record",
    "enum8",
    "fixed",
    "string",
    "to_enum",
    "u8",
    "u16",
    "u32",
    "u64",
    "var",
    "vote",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One wire field: ``kind`` is u8/u16/u32/u64/enum8/fixed/bytes/str/vote."""

    name: str
    kind: str
    size: int = 0  # fixed: exact length; bytes: max length; str: max characters
    min_size: int = 0  # str: min characters
    enum: type[IntEnum] | None = None
    check: Callable[[str, str], None] | None = None  # extra str check(value, field)


def u8(name: str) -> FieldSpec:
    return FieldSpec(name, "u8")


def u16(name: str) -> FieldSpec:
    return FieldSpec(name, "u16")


def u32(name: str) -> FieldSpec:
    return FieldSpec(name, "u32")


def u64(name: str) -> FieldSpec:
    return FieldSpec(name, "u64")


def fixed(name: str, size: int) -> FieldSpec:
    return FieldSpec(name, "fixed", size)


def var(name: str, limit: int) -> FieldSpec:
    return FieldSpec(name, "bytes", limit)


def enum8(name: str, enum: type[IntEnum]) -> FieldSpec:
    return FieldSpec(name, "enum8", enum=enum)


def string(
    name: str, max_chars: int, min_chars: int = 0, check: Callable[[str, str], None] | None = None
) -> FieldSpec:
    return FieldSpec(name, "str", max_chars, min_chars, check=check)


_UINT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}


class Record(Serializable):
    """A frozen dataclass encoded as its ``FIELDS`` in order."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def __post_init__(self) -> None:
        prefix = type(self).__name__
        for f in self.FIELDS:
            value = getattr(self, f.name)
            where = f"{prefix}.{f.name}"
            kind = f.kind
            if kind in _UINT_BITS:
                check_uint(value, _UINT_BITS[kind], where)
            elif kind == "fixed":
                check_fixed_bytes(value, f.size, where)
            elif kind == "bytes":
                check_bytes(value, f.size, where)
            elif kind == "enum8":
                assert f.enum is not None
                if not isinstance(value, f.enum):
                    object.__setattr__(self, f.name, to_enum(f.enum, value, where))
            elif kind == "str":
                check_string(value, f.size, where, min_chars=f.min_size)
                if f.check is not None:
                    f.check(value, where)
            elif kind == "vote":
                if type(value) is not TicketVote:
                    raise InvalidField(f"{where}: expected TicketVote, got {type(value)!r}")
            else:  # pragma: no cover - schema bug
                raise AssertionError(kind)

    def stream_serialize(self, w: ByteWriter) -> None:
        for f in self.FIELDS:
            value = getattr(self, f.name)
            kind = f.kind
            if kind in ("u8", "enum8"):
                w.write_u8(value)
            elif kind == "u16":
                w.write_u16(value)
            elif kind == "u32":
                w.write_u32(value)
            elif kind == "u64":
                w.write_u64(value)
            elif kind == "fixed":
                w.write(value)
            elif kind == "bytes":
                w.write_var_bytes(value)
            elif kind == "str":
                w.write_string(value)
            else:
                value.stream_serialize(w)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        prefix = cls.__name__
        values: list[Any] = []
        for f in cls.FIELDS:
            where = f"{prefix}.{f.name}"
            kind = f.kind
            if kind == "u8":
                values.append(r.read_u8(where))
            elif kind == "enum8":
                assert f.enum is not None
                values.append(to_enum(f.enum, r.read_u8(where), where))
            elif kind == "u16":
                values.append(r.read_u16(where))
            elif kind == "u32":
                values.append(r.read_u32(where))
            elif kind == "u64":
                values.append(r.read_u64(where))
            elif kind == "fixed":
                values.append(r.read(f.size, where))
            elif kind == "bytes":
                values.append(r.read_var_bytes(f.size, where))
            elif kind == "str":
                values.append(r.read_string(f.size, where, min_chars=f.min_size))
            else:
                values.append(TicketVote.stream_deserialize(r))
        ctor: Any = cls
        obj: Self = ctor(*values)
        return obj


def to_enum(enum: type[IntEnum], value: Any, where: str) -> IntEnum:
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(f"{m.value} {m.name}" for m in enum)
        raise InvalidField(f"{where}: {value!r} is not one of {allowed}") from None


def vote(name: str) -> FieldSpec:
    """A TicketVote (98 bytes) field."""
    return FieldSpec(name, "vote")
