"""Record encodings of the chain database (values; keys live in node.storage.schema).

Owns :class:`Coin` (an unspent output), :class:`BlockStatus`, :class:`BlockIndexRecord` and
:class:`BlockUndo`, and their compact, strict binary encodings:

* **VARINT** is Bitcoin Core's ``serialize.h`` VARINT: base-128, most significant group
  first, every group but the last with the high bit set, and 1 subtracted from each group but
  the last so that every number has exactly one encoding (no padding form exists).
* **CompactSize** (minimal, as on the wire) for element counts.
* **Amounts** are stored compressed (Bitcoin Core's ``CompressAmount``: trailing decimal zeros
  folded into the low digit), then as a VARINT.
* **Scripts** are stored compressed: P2PKH as its 20-byte hash, P2SH as its 32-byte hash,
  anything else raw with its length (Bitcoin Core's ``ScriptCompression`` idea).

Decoders are strict like node.types: truncated input, trailing bytes, a number above its
range, a non-canonical form and unknown flag bits all raise :class:`CorruptRecord`.
Constructors validate their fields and raise ``node.types.InvalidField`` on bad values.
docs/protocol/storage.md gives the byte layouts.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntFlag
from typing import Final, Self

from node.script.opcodes import Op
from node.storage.errors import CorruptRecord
from node.types import (
    HEADER_SIZE,
    MAX_BLOCK_SERIALIZED_SIZE,
    MAX_TX_IO,
    MAX_TX_SIZE,
    BlockHeader,
    InvalidField,
    TxOut,
)
from node.types.codec import U64_MAX, check_bytes, check_uint, encode_compact_size
from node.types.tx import MIN_TX_SIZE

__all__ = [
    "FAILED_MASK",
    "MAX_CHAIN_WORK",
    "MAX_SCRIPT_SIZE",
    "BlockIndexRecord",
    "BlockStatus",
    "BlockUndo",
    "Coin",
    "compress_amount",
    "decode_meta_height",
    "decode_varint",
    "decompress_amount",
    "encode_meta_height",
    "encode_varint",
]

#: Longest script_pubkey a Coin may hold (a script_pubkey cannot exceed a whole transaction).
MAX_SCRIPT_SIZE: Final = MAX_TX_SIZE
#: Ceiling of a block's cumulative chain work: each block adds at most 2^256 and a chain has
#: fewer than 2^64 blocks.
MAX_CHAIN_WORK: Final = (1 << 320) - 1

_MAX_TXS_PER_BLOCK: Final = MAX_BLOCK_SERIALIZED_SIZE // MIN_TX_SIZE
_MIN_COIN_SIZE: Final = 3  # code, amount and script kind: one byte each at least
# compress_amount(n) < 10 * n + 10: the largest stored amount code for a u64 amount.
_MAX_AMOUNT_CODE: Final = 10 * U64_MAX + 10
_MAX_COIN_CODE: Final = 2 * U64_MAX + 1
_SCRIPT_P2PKH: Final = 0
_SCRIPT_P2SH: Final = 1
_SCRIPT_RAW_BASE: Final = 2
_MAX_SCRIPT_CODE: Final = MAX_SCRIPT_SIZE + _SCRIPT_RAW_BASE

_P2PKH_HEAD: Final = bytes((Op.OP_DUP, Op.OP_HASH160, 20))
_P2PKH_TAIL: Final = bytes((Op.OP_EQUALVERIFY, Op.OP_CHECKSIG))
_P2SH_HEAD: Final = bytes((Op.OP_BLAKE3, 32))
_P2SH_TAIL: Final = bytes((Op.OP_EQUAL,))

_U16LE = struct.Struct("<H")
_U32LE = struct.Struct("<I")
_U64LE = struct.Struct("<Q")
_U64BE = struct.Struct(">Q")
_POW10: Final[tuple[int, ...]] = tuple(10**i for i in range(10))
_SMALL_VARINT: Final = tuple(bytes((i,)) for i in range(0x80))

_new = object.__new__
_set = object.__setattr__


# --------------------------------------------------------------------------- primitives


def encode_varint(n: int) -> bytes:
    """Bitcoin Core's VARINT of a non-negative integer (unique encoding per number)."""
    if 0 <= n < 0x80:
        return _SMALL_VARINT[n]
    if n < 0:
        raise InvalidField(f"varint: {n} is negative")
    out = bytearray((n & 0x7F,))
    while n > 0x7F:
        n = (n >> 7) - 1
        out.append((n & 0x7F) | 0x80)
    out.reverse()
    return bytes(out)


def _read_varint(buf: bytes, pos: int, max_value: int, what: str) -> tuple[int, int]:
    end = len(buf)
    n = 0
    while True:
        if pos >= end:
            raise CorruptRecord(f"{what}: truncated varint")
        ch = buf[pos]
        pos += 1
        n = (n << 7) | (ch & 0x7F)
        if ch & 0x80:
            n += 1
            if n > max_value:  # later groups only make it larger
                raise CorruptRecord(f"{what}: varint above {max_value}")
        else:
            if n > max_value:
                raise CorruptRecord(f"{what}: {n} is above {max_value}")
            return n, pos


def decode_varint(data: bytes, max_value: int = U64_MAX) -> int:
    """Strictly decode one VARINT that must span all of ``data`` and be <= ``max_value``."""
    n, pos = _read_varint(data, 0, max_value, "varint")
    if pos != len(data):
        raise CorruptRecord(f"varint: {len(data) - pos} trailing byte(s)")
    return n


def _read_compact_size(buf: bytes, pos: int, limit: int, what: str) -> tuple[int, int]:
    end = len(buf)
    if pos >= end:
        raise CorruptRecord(f"{what}: truncated count")
    first = buf[pos]
    if first < 0xFD:
        n, pos = first, pos + 1
    else:
        width, fmt, floor = {
            0xFD: (2, _U16LE, 0xFD),
            0xFE: (4, _U32LE, 0x1_0000),
            0xFF: (8, _U64LE, 0x1_0000_0000),
        }[first]
        if pos + 1 + width > end:
            raise CorruptRecord(f"{what}: truncated count")
        n = fmt.unpack_from(buf, pos + 1)[0]
        if n < floor:
            raise CorruptRecord(f"{what}: non-minimal CompactSize {n}")
        pos += 1 + width
    if n > limit:
        raise CorruptRecord(f"{what}: count {n} is above the limit {limit}")
    return n, pos


def compress_amount(n: int) -> int:
    """Bitcoin Core's CompressAmount: fold trailing decimal zeros of ``n`` into a small code."""
    if n == 0:
        return 0
    e = 0
    while n % 10 == 0 and e < 9:
        n //= 10
        e += 1
    if e < 9:
        d = n % 10
        n //= 10
        return 1 + (n * 9 + d - 1) * 10 + e
    return 1 + (n - 1) * 10 + 9


def decompress_amount(x: int) -> int:
    """Inverse of :func:`compress_amount` (a bijection on the non-negative integers)."""
    if x == 0:
        return 0
    x -= 1
    e = x % 10
    x //= 10
    if e < 9:
        d = (x % 9) + 1
        x //= 9
        n = x * 10 + d
    else:
        n = x + 1
    return n * _POW10[e]


def encode_meta_height(height: int) -> bytes:
    """A height stored as a meta value (e.g. META_TRIE_PRUNED_HEIGHT): u64 big-endian."""
    check_uint(height, 64, "height")
    return _U64BE.pack(height)


def decode_meta_height(raw: bytes) -> int:
    """Inverse of :func:`encode_meta_height`."""
    if len(raw) != 8:
        raise CorruptRecord(f"height: expected 8 bytes, got {len(raw)}")
    value: int = _U64BE.unpack(raw)[0]
    return value


# --------------------------------------------------------------------------- scripts


def _encode_script(script: bytes) -> bytes:
    n = len(script)
    if n == 25 and script[:3] == _P2PKH_HEAD and script[23:] == _P2PKH_TAIL:
        return b"\x00" + script[3:23]
    if n == 35 and script[:2] == _P2SH_HEAD and script[34:] == _P2SH_TAIL:
        return b"\x01" + script[2:34]
    return encode_varint(n + _SCRIPT_RAW_BASE) + script


def _read_script(buf: bytes, pos: int) -> tuple[bytes, int]:
    kind = buf[pos] if pos < len(buf) else -1
    if kind == _SCRIPT_P2PKH:
        end = pos + 21
        if end > len(buf):
            raise CorruptRecord("coin script: truncated P2PKH hash")
        return _P2PKH_HEAD + buf[pos + 1 : end] + _P2PKH_TAIL, end
    if kind == _SCRIPT_P2SH:
        end = pos + 33
        if end > len(buf):
            raise CorruptRecord("coin script: truncated P2SH hash")
        return _P2SH_HEAD + buf[pos + 1 : end] + _P2SH_TAIL, end
    code, pos = _read_varint(buf, pos, _MAX_SCRIPT_CODE, "coin script length")
    n = code - _SCRIPT_RAW_BASE
    end = pos + n
    if end > len(buf):
        raise CorruptRecord(f"coin script: length {n} exceeds the {len(buf) - pos} byte(s) left")
    script = buf[pos:end]
    if (n == 25 or n == 35) and _encode_script(script)[0] < _SCRIPT_RAW_BASE:
        raise CorruptRecord("coin script: a P2PKH/P2SH script stored raw (non-canonical)")
    return script, end


# --------------------------------------------------------------------------- Coin


@dataclass(frozen=True, slots=True)
class Coin:
    """An unspent transaction output with where it was created.

    Encoding: ``VARINT(height * 2 + is_coinbase) | VARINT(compress_amount(value)) |
    compressed script``. A P2PKH coin at height 100,000 takes about 26 bytes.
    """

    value: int
    script_pubkey: bytes
    height: int
    is_coinbase: bool

    def __post_init__(self) -> None:
        check_uint(self.value, 64, "coin value")
        check_bytes(self.script_pubkey, MAX_SCRIPT_SIZE, "coin script_pubkey")
        check_uint(self.height, 64, "coin height")
        if type(self.is_coinbase) is not bool:
            raise InvalidField(f"coin is_coinbase: expected bool, got {self.is_coinbase!r}")

    @classmethod
    def from_txout(cls, txout: TxOut, height: int, is_coinbase: bool) -> Self:
        """The coin an output creates when its transaction is confirmed at ``height``."""
        return cls(txout.value, txout.script_pubkey, height, is_coinbase)

    def to_txout(self) -> TxOut:
        """The output this coin came from."""
        return TxOut(self.value, self.script_pubkey)

    def serialize(self) -> bytes:
        """The compact stored encoding."""
        return (
            encode_varint(self.height * 2 + self.is_coinbase)
            + encode_varint(compress_amount(self.value))
            + _encode_script(self.script_pubkey)
        )

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        """Strictly decode one coin; trailing bytes raise CorruptRecord."""
        data = bytes(data)
        coin, pos = cls._read(data, 0)
        if pos != len(data):
            raise CorruptRecord(f"coin: {len(data) - pos} trailing byte(s)")
        return coin

    @classmethod
    def _read(cls, buf: bytes, pos: int) -> tuple[Self, int]:
        code, pos = _read_varint(buf, pos, _MAX_COIN_CODE, "coin height")
        amount, pos = _read_varint(buf, pos, _MAX_AMOUNT_CODE, "coin amount")
        value = decompress_amount(amount)
        if value > U64_MAX:
            raise CorruptRecord(f"coin amount: {value} does not fit in 64 bits")
        script, pos = _read_script(buf, pos)
        coin = _new(cls)
        _set(coin, "value", value)
        _set(coin, "script_pubkey", script)
        _set(coin, "height", code >> 1)
        _set(coin, "is_coinbase", bool(code & 1))
        return coin, pos


# --------------------------------------------------------------------------- block index


class BlockStatus(IntFlag):
    """Validation state of a block index entry (Bitcoin Core's BlockStatus, simplified)."""

    NONE = 0
    #: The header passed the context-free and contextual header checks (incl. proof of work).
    VALID_HEADER = 1
    #: The block body is stored in DB_BLOCKS.
    HAVE_DATA = 2
    #: The whole block was connected successfully at least once.
    VALID_DATA = 4
    #: The block itself is invalid.
    FAILED = 8
    #: An ancestor is invalid.
    FAILED_CHILD = 16


_STATUS_BITS: Final = int(
    BlockStatus.VALID_HEADER
    | BlockStatus.HAVE_DATA
    | BlockStatus.VALID_DATA
    | BlockStatus.FAILED
    | BlockStatus.FAILED_CHILD
)
#: Either failure flag.
FAILED_MASK: Final = BlockStatus.FAILED | BlockStatus.FAILED_CHILD


@dataclass(frozen=True, slots=True)
class BlockIndexRecord:
    """One block index entry: the header, cumulative chain work and validation status.

    ``tx_count`` and ``size`` (serialized bytes) are 0 until the body is known.
    Encoding: ``header[160] | status u8 | VARINT(chain_work) | VARINT(tx_count) |
    VARINT(size)``.
    """

    header: BlockHeader
    chain_work: int
    status: BlockStatus
    tx_count: int = 0
    size: int = 0

    def __post_init__(self) -> None:
        if type(self.header) is not BlockHeader:
            raise InvalidField(f"block index header: expected BlockHeader, got {self.header!r}")
        if type(self.chain_work) is not int or not 0 <= self.chain_work <= MAX_CHAIN_WORK:
            raise InvalidField(f"block index chain_work: {self.chain_work!r} out of range")
        status: object = self.status
        if type(status) is not BlockStatus:
            if type(status) is not int:
                raise InvalidField(f"block index status: expected BlockStatus, got {status!r}")
            if not 0 <= status <= _STATUS_BITS or status & ~_STATUS_BITS:
                raise InvalidField(f"block index status: {status!r} has unknown bits")
            _set(self, "status", BlockStatus(status))
        elif int(self.status) & ~_STATUS_BITS:
            raise InvalidField(f"block index status: {status!r} has unknown bits")
        check_uint(self.tx_count, 64, "block index tx_count")
        if self.tx_count > _MAX_TXS_PER_BLOCK:
            raise InvalidField(f"block index tx_count: {self.tx_count} is impossible")
        check_uint(self.size, 64, "block index size")
        if self.size > MAX_BLOCK_SERIALIZED_SIZE:
            raise InvalidField(f"block index size: {self.size} is above the block size cap")

    @property
    def hash(self) -> bytes:
        """The block hash."""
        return self.header.hash

    @property
    def height(self) -> int:
        """The block height."""
        return self.header.height

    @property
    def prev_hash(self) -> bytes:
        """The parent's hash."""
        return self.header.prev_hash

    @property
    def failed(self) -> bool:
        """True if the block or an ancestor is known invalid."""
        return bool(self.status & FAILED_MASK)

    @property
    def have_data(self) -> bool:
        """True if the block body is stored."""
        return bool(self.status & BlockStatus.HAVE_DATA)

    def with_status(self, status: BlockStatus) -> BlockIndexRecord:
        """A copy with another status."""
        return replace(self, status=status)

    def serialize(self) -> bytes:
        """The stored encoding."""
        return b"".join(
            (
                self.header.serialize(),
                bytes((int(self.status),)),
                encode_varint(self.chain_work),
                encode_varint(self.tx_count),
                encode_varint(self.size),
            )
        )

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        """Strictly decode one record; truncation, trailing bytes or bad fields raise
        CorruptRecord."""
        data = bytes(data)
        if len(data) < HEADER_SIZE + 4:
            raise CorruptRecord(f"block index: {len(data)} bytes is too short")
        header = BlockHeader.deserialize(data[:HEADER_SIZE])
        status = data[HEADER_SIZE]
        if status & ~_STATUS_BITS:
            raise CorruptRecord(f"block index status: unknown bits in {status:#x}")
        pos = HEADER_SIZE + 1
        work, pos = _read_varint(data, pos, MAX_CHAIN_WORK, "block index chain_work")
        tx_count, pos = _read_varint(data, pos, _MAX_TXS_PER_BLOCK, "block index tx_count")
        size, pos = _read_varint(data, pos, MAX_BLOCK_SERIALIZED_SIZE, "block index size")
        if pos != len(data):
            raise CorruptRecord(f"block index: {len(data) - pos} trailing byte(s)")
        rec = _new(cls)
        _set(rec, "header", header)
        _set(rec, "chain_work", work)
        _set(rec, "status", BlockStatus(status))
        _set(rec, "tx_count", tx_count)
        _set(rec, "size", size)
        return rec


# --------------------------------------------------------------------------- undo


@dataclass(frozen=True, slots=True)
class BlockUndo:
    """What disconnecting a block must restore: for each non-coinbase transaction in block
    order, the coins its inputs spent, in input order.

    Encoding: ``CompactSize(tx count)`` then per transaction ``CompactSize(input count)`` and
    that many Coin encodings.
    """

    spent: tuple[tuple[Coin, ...], ...]

    def __post_init__(self) -> None:
        spent = self.spent
        if not isinstance(spent, Sequence):
            raise InvalidField(f"block undo: expected a sequence, got {type(spent).__name__}")
        if len(spent) > _MAX_TXS_PER_BLOCK:
            raise InvalidField(f"block undo: {len(spent)} transactions is impossible")
        rows = []
        for i, row in enumerate(spent):
            if not isinstance(row, Sequence):
                raise InvalidField(f"block undo[{i}]: expected a sequence of coins")
            if len(row) > MAX_TX_IO:
                raise InvalidField(f"block undo[{i}]: {len(row)} inputs exceed {MAX_TX_IO}")
            for coin in row:
                if type(coin) is not Coin:
                    raise InvalidField(f"block undo[{i}]: expected Coin, got {coin!r}")
            rows.append(tuple(row))
        _set(self, "spent", tuple(rows))

    def serialize(self) -> bytes:
        """The stored encoding."""
        parts = [encode_compact_size(len(self.spent))]
        for row in self.spent:
            parts.append(encode_compact_size(len(row)))
            parts.extend(coin.serialize() for coin in row)
        return b"".join(parts)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        """Strictly decode; counts are checked against their limit and against the bytes left
        before anything is allocated."""
        data = bytes(data)
        end = len(data)
        n_txs, pos = _read_compact_size(data, 0, _MAX_TXS_PER_BLOCK, "undo tx count")
        if n_txs > end - pos:
            raise CorruptRecord(f"undo tx count: {n_txs} cannot fit in {end - pos} byte(s)")
        read_coin = Coin._read
        rows = []
        for _ in range(n_txs):
            n_coins, pos = _read_compact_size(data, pos, MAX_TX_IO, "undo coin count")
            if n_coins * _MIN_COIN_SIZE > end - pos:
                raise CorruptRecord(f"undo coin count: {n_coins} cannot fit in {end - pos} bytes")
            row = []
            for _ in range(n_coins):
                coin, pos = read_coin(data, pos)
                row.append(coin)
            rows.append(tuple(row))
        if pos != end:
            raise CorruptRecord(f"block undo: {end - pos} trailing byte(s)")
        undo = _new(cls)
        _set(undo, "spent", tuple(rows))
        return undo
