"""Transactions (SPEC §3): TxType, OutPoint, TxIn, TxOut, Tx, their wire encoding and ids.

Wire layout (SPEC §3)::

    version u32 | tx_type u16 | [TxIn] | [TxOut] | lock_time u32 | payload bytes | [bytes]
    TxIn  = prev_txid[32] | prev_vout u32 | sequence u32
    TxOut = value u64 | script_pubkey bytes

``txid`` = BLAKE3 of the encoding without the witnesses field, ``wtxid`` = BLAKE3 of the full
encoding. Both, and the encoding itself, are computed once and cached on the (immutable)
object; a decoded transaction keeps the exact bytes it was decoded from (the encoding is
canonical, so they equal its re-encoding).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Self

import blake3

from node.types.codec import (
    ByteReader,
    ByteWriter,
    Serializable,
    check_bytes,
    check_fixed_bytes,
    check_uint,
    encode_compact_size,
    encode_var_bytes,
)
from node.types.errors import InvalidField, LimitExceeded, TruncatedInput, UnknownTxType

if TYPE_CHECKING:
    from node.types.payloads import Payload

__all__ = [
    "COINBASE_VOUT",
    "MAX_TX_IO",
    "MAX_TX_SIZE",
    "MIN_TX_SIZE",
    "NULL_TXID",
    "SEQUENCE_FINAL",
    "TXIN_SIZE",
    "OutPoint",
    "Tx",
    "TxIn",
    "TxOut",
    "TxType",
]

SEQUENCE_FINAL = 0xFFFF_FFFF
NULL_TXID = bytes(32)
COINBASE_VOUT = 0xFFFF_FFFF
#: Largest serialized transaction (SPEC §11), witnesses included.
MAX_TX_SIZE = 1_000_000
#: Largest inputs + outputs count of one transaction (SPEC §11).
MAX_TX_IO = 10_000
#: Encoded size of one TxIn.
TXIN_SIZE = 40
#: Smallest encoded TxOut: value u64 + empty script.
MIN_TXOUT_SIZE = 9
#: Smallest encoded Tx: no inputs, no outputs, empty payload, no witnesses.
MIN_TX_SIZE = 4 + 2 + 1 + 1 + 4 + 1 + 1

_HEAD = struct.Struct("<IH")
_TXIN = struct.Struct("<32sII")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_pack_head = _HEAD.pack
_pack_txin = _TXIN.pack
_unpack_txin = _TXIN.unpack_from
_pack_u32 = _U32.pack
_pack_u64 = _U64.pack
_unpack_u32 = _U32.unpack_from
_unpack_u64 = _U64.unpack_from

_new = object.__new__
_set = object.__setattr__


class TxType(IntEnum):
    """The ``tx_type`` field (SPEC §3.1)."""

    STANDARD = 0
    COINBASE = 1
    TICKET_PURCHASE = 2
    TICKET_REVOKE = 3
    MN_REGISTER = 4
    MN_UPDATE_SERVICE = 5
    MN_UPDATE_REGISTRAR = 6
    MN_REVOKE = 7
    QUORUM_COMMITMENT = 8
    GOV_PROPOSAL = 9
    GOV_VOTE = 10
    SLASH = 11
    PEG_IN = 12
    PEG_OUT = 13


_TX_TYPES: dict[int, TxType] = {t.value: t for t in TxType}
_EMPTY_PAYLOAD_TYPES = frozenset((TxType.STANDARD, TxType.COINBASE))


def tx_type_from_int(value: int) -> TxType:
    """Return the TxType numbered ``value`` or raise UnknownTxType."""
    try:
        return _TX_TYPES[value]
    except (KeyError, TypeError):
        raise UnknownTxType(f"tx_type: {value!r} is not a known transaction type") from None


@dataclass(frozen=True, slots=True)
class OutPoint(Serializable):
    """A reference to output ``vout`` of transaction ``txid`` (36 bytes on the wire)."""

    txid: bytes
    vout: int

    def __post_init__(self) -> None:
        check_fixed_bytes(self.txid, 32, "outpoint txid")
        check_uint(self.vout, 32, "outpoint vout")

    def is_null(self) -> bool:
        """True for the coinbase's null prevout (zero txid, vout 0xFFFFFFFF)."""
        return self.vout == COINBASE_VOUT and self.txid == NULL_TXID

    def serialize(self) -> bytes:
        return self.txid + _pack_u32(self.vout)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        txid = r.read(32, "outpoint txid")
        return cls(txid, r.read_u32("outpoint vout"))


@dataclass(frozen=True, slots=True)
class TxIn(Serializable):
    """A transaction input: the spent outpoint and its sequence (40 bytes on the wire)."""

    prevout: OutPoint
    sequence: int = SEQUENCE_FINAL

    def __post_init__(self) -> None:
        if type(self.prevout) is not OutPoint:
            raise InvalidField(f"txin prevout: expected OutPoint, got {type(self.prevout)!r}")
        check_uint(self.sequence, 32, "txin sequence")

    def serialize(self) -> bytes:
        p = self.prevout
        return _pack_txin(p.txid, p.vout, self.sequence)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        txid, vout, sequence = _unpack_txin(r.read(TXIN_SIZE, "txin"))
        return cls(OutPoint(txid, vout), sequence)


@dataclass(frozen=True, slots=True)
class TxOut(Serializable):
    """A transaction output: ``value`` base units locked by ``script_pubkey``."""

    value: int
    script_pubkey: bytes

    def __post_init__(self) -> None:
        check_uint(self.value, 64, "txout value")
        check_bytes(self.script_pubkey, MAX_TX_SIZE, "txout script_pubkey")

    def serialize(self) -> bytes:
        return _pack_u64(self.value) + encode_var_bytes(self.script_pubkey)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        value = r.read_u64("txout value")
        return cls(value, r.read_var_bytes(MAX_TX_SIZE, "txout script_pubkey"))


@dataclass(frozen=True, slots=True)
class Tx(Serializable):
    """A transaction (SPEC §3). Immutable; encoding, txid and wtxid are cached.

    Construction validates field ranges, that there is one witness per input, that
    inputs + outputs <= MAX_TX_IO, and that STANDARD/COINBASE carry an empty payload. The
    type-specific payload is kept as bytes; :meth:`decoded_payload` parses it.
    """

    version: int
    tx_type: TxType
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    lock_time: int
    payload: bytes
    witnesses: tuple[bytes, ...]
    # Caches, set lazily (not part of init/eq/hash/repr).
    _raw: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _nowit_len: int = field(default=0, init=False, repr=False, compare=False)
    _txid: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _wtxid: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _payload_obj: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_uint(self.version, 32, "tx version")
        if type(self.tx_type) is not TxType:
            _set(self, "tx_type", tx_type_from_int(self.tx_type))
        inputs = self.inputs
        if type(inputs) is not tuple:
            inputs = tuple(inputs)
            _set(self, "inputs", inputs)
        outputs = self.outputs
        if type(outputs) is not tuple:
            outputs = tuple(outputs)
            _set(self, "outputs", outputs)
        witnesses = self.witnesses
        if type(witnesses) is not tuple:
            witnesses = tuple(witnesses)
            _set(self, "witnesses", witnesses)
        for i, txin in enumerate(inputs):
            if type(txin) is not TxIn:
                raise InvalidField(f"tx inputs[{i}]: expected TxIn, got {type(txin).__name__}")
        for i, txout in enumerate(outputs):
            if type(txout) is not TxOut:
                raise InvalidField(f"tx outputs[{i}]: expected TxOut, got {type(txout).__name__}")
        n_io = len(inputs) + len(outputs)
        if n_io > MAX_TX_IO:
            raise LimitExceeded(f"tx: {n_io} inputs+outputs exceed the limit {MAX_TX_IO}")
        check_uint(self.lock_time, 32, "tx lock_time")
        check_bytes(self.payload, MAX_TX_SIZE, "tx payload")
        if len(witnesses) != len(inputs):
            raise InvalidField(
                f"tx witnesses: {len(witnesses)} witness(es) for {len(inputs)} input(s)"
            )
        for i, wit in enumerate(witnesses):
            check_bytes(wit, MAX_TX_SIZE, f"tx witnesses[{i}]")
        if self.payload and self.tx_type in _EMPTY_PAYLOAD_TYPES:
            raise InvalidField(
                f"tx payload: {self.tx_type.name} requires an empty payload, "
                f"got {len(self.payload)} byte(s)"
            )

    # ----------------------------------------------------------------- encoding

    def _encode(self) -> bytes:
        parts = [_pack_head(self.version, self.tx_type)]
        append = parts.append
        inputs = self.inputs
        append(encode_compact_size(len(inputs)))
        for txin in inputs:
            p = txin.prevout
            append(_pack_txin(p.txid, p.vout, txin.sequence))
        outputs = self.outputs
        append(encode_compact_size(len(outputs)))
        for txout in outputs:
            append(_pack_u64(txout.value))
            append(encode_var_bytes(txout.script_pubkey))
        append(_pack_u32(self.lock_time))
        append(encode_var_bytes(self.payload))
        nowit_len = sum(map(len, parts))
        witnesses = self.witnesses
        append(encode_compact_size(len(witnesses)))
        parts.extend(map(encode_var_bytes, witnesses))
        raw = b"".join(parts)
        _set(self, "_raw", raw)
        _set(self, "_nowit_len", nowit_len)
        return raw

    def serialize(self) -> bytes:
        """Return the full encoding (witnesses included)."""
        raw = self._raw
        return raw if raw is not None else self._encode()

    def serialize_without_witness(self) -> bytes:
        """Return the encoding without the witnesses field (what the txid hashes)."""
        raw = self._raw
        if raw is None:
            raw = self._encode()
        return raw[: self._nowit_len]

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @property
    def size(self) -> int:
        """Length of the full encoding in bytes."""
        raw = self._raw
        return len(raw if raw is not None else self._encode())

    @property
    def txid(self) -> bytes:
        """BLAKE3 of the encoding without witnesses (used in outpoints)."""
        txid = self._txid
        if txid is None:
            raw = self._raw
            if raw is None:
                raw = self._encode()
            txid = blake3.blake3(memoryview(raw)[: self._nowit_len]).digest()
            _set(self, "_txid", txid)
        return txid

    @property
    def wtxid(self) -> bytes:
        """BLAKE3 of the full encoding (leaf of the block merkle tree)."""
        wtxid = self._wtxid
        if wtxid is None:
            wtxid = blake3.blake3(self.serialize()).digest()
            _set(self, "_wtxid", wtxid)
        return wtxid

    def __hash__(self) -> int:
        return hash(self.wtxid)

    # ----------------------------------------------------------------- helpers

    def is_coinbase(self) -> bool:
        """True when ``tx_type`` is COINBASE (its shape is checked by consensus)."""
        return self.tx_type is TxType.COINBASE

    def decoded_payload(self) -> Payload | None:
        """Parse (once) and return the typed payload; None for STANDARD and COINBASE."""
        obj = self._payload_obj
        if obj is None and self.tx_type not in _EMPTY_PAYLOAD_TYPES:
            from node.types.payloads import decode_payload  # payloads imports this module

            obj = decode_payload(self.tx_type, self.payload)
            _set(self, "_payload_obj", obj)
        result: Payload | None = obj
        return result

    # ----------------------------------------------------------------- decoding

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        """Decode one transaction, rejecting anything non-canonical or above the limits."""
        buf = r._buf
        start = pos = r._pos
        end = r._end
        if pos + 6 > end:
            raise TruncatedInput(f"tx header: needs 6 bytes at offset {pos}, {end - pos} remain")
        version, type_raw = _HEAD.unpack_from(buf, pos)
        tx_type = _TX_TYPES.get(type_raw)
        if tx_type is None:
            raise UnknownTxType(f"tx_type: {type_raw} is not a known transaction type")
        r._pos = pos + 6

        n_in = r.read_count(MAX_TX_IO, TXIN_SIZE, "tx input count")
        pos = r._pos
        inputs: list[TxIn] = []
        append = inputs.append
        for _ in range(n_in):
            txid, vout, sequence = _unpack_txin(buf, pos)
            pos += TXIN_SIZE
            op = _new(OutPoint)
            _set(op, "txid", txid)
            _set(op, "vout", vout)
            txin = _new(TxIn)
            _set(txin, "prevout", op)
            _set(txin, "sequence", sequence)
            append(txin)
        r._pos = pos

        n_out = r.read_count(MAX_TX_IO - n_in, MIN_TXOUT_SIZE, "tx output count")
        outputs: list[TxOut] = []
        append_out = outputs.append
        read_var_bytes = r.read_var_bytes
        pos = r._pos
        for _ in range(n_out):
            txout = _new(TxOut)
            # Fast path: value and a 1-byte script length both present, script fits.
            if pos + 9 <= end and buf[pos + 8] < 0xFD and pos + 9 + buf[pos + 8] <= end:
                stop = pos + 9 + buf[pos + 8]
                _set(txout, "value", _unpack_u64(buf, pos)[0])
                _set(txout, "script_pubkey", buf[pos + 9 : stop])
                pos = stop
            else:
                if pos + 8 > end:
                    raise TruncatedInput(f"txout value: needs 8 bytes at offset {pos}")
                _set(txout, "value", _unpack_u64(buf, pos)[0])
                r._pos = pos + 8
                _set(txout, "script_pubkey", read_var_bytes(MAX_TX_SIZE, "txout script_pubkey"))
                pos = r._pos
            append_out(txout)
        r._pos = pos

        lock_time = r.read_u32("tx lock_time")
        payload = read_var_bytes(MAX_TX_SIZE, "tx payload")
        nowit_end = r._pos
        n_wit = r.read_count(MAX_TX_IO, 1, "tx witness count")
        if n_wit != n_in:
            raise InvalidField(f"tx witnesses: {n_wit} witness(es) for {n_in} input(s)")
        witnesses = tuple([read_var_bytes(MAX_TX_SIZE, "tx witness") for _ in range(n_wit)])
        stop = r._pos
        if stop - start > MAX_TX_SIZE:
            raise LimitExceeded(f"tx: size {stop - start} exceeds the limit {MAX_TX_SIZE}")
        if payload and tx_type in _EMPTY_PAYLOAD_TYPES:
            raise InvalidField(
                f"tx payload: {tx_type.name} requires an empty payload, got {len(payload)} byte(s)"
            )

        tx = _new(cls)
        _set(tx, "version", version)
        _set(tx, "tx_type", tx_type)
        _set(tx, "inputs", tuple(inputs))
        _set(tx, "outputs", tuple(outputs))
        _set(tx, "lock_time", lock_time)
        _set(tx, "payload", payload)
        _set(tx, "witnesses", witnesses)
        _set(tx, "_raw", buf[start:stop])
        _set(tx, "_nowit_len", nowit_end - start)
        _set(tx, "_txid", None)
        _set(tx, "_wtxid", None)
        _set(tx, "_payload_obj", None)
        return tx

    @classmethod
    def deserialize(cls, data: bytes | bytearray | memoryview) -> Self:
        """Decode exactly one transaction; input longer than MAX_TX_SIZE fails up front."""
        if len(data) > MAX_TX_SIZE:
            raise LimitExceeded(f"tx: size {len(data)} exceeds the limit {MAX_TX_SIZE}")
        r = ByteReader(data)
        tx = cls.stream_deserialize(r)
        r.assert_finished("tx")
        return tx
