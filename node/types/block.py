"""Blocks (SPEC §4): the 160-byte BlockHeader, TicketVote and Block, with their encodings.

Wire layout::

    BlockHeader = version u32 | height u64 | prev_hash[32] | merkle_root[32] | votes_root[32]
                  | state_root[32] | timestamp u64 | bits u32 | nonce u64        (160 bytes)
    TicketVote  = ticket_id[32] | vote_bits u16 | sig[64]                          (98 bytes)
    Block       = header | [TicketVote] | [Tx]

``BlockHeader.hash`` = BLAKE3(header), ``TicketVote.hash`` = BLAKE3(vote), ``Block.hash`` =
its header's hash. Hashes and encodings are cached. Merkle roots are computed elsewhere
(node.crypto); this module only carries them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Self

import blake3

from node.types.codec import (
    ByteReader,
    ByteWriter,
    Serializable,
    check_fixed_bytes,
    check_uint,
    encode_compact_size,
)
from node.types.errors import InvalidField, LimitExceeded, TruncatedInput
from node.types.tx import MIN_TX_SIZE, Tx

__all__ = [
    "HEADER_SIZE",
    "MAX_BLOCK_SERIALIZED_SIZE",
    "MAX_VOTES_PER_BLOCK",
    "TICKET_VOTE_SIZE",
    "Block",
    "BlockHeader",
    "TicketVote",
]

HEADER_SIZE = 160
TICKET_VOTE_SIZE = 98
MAX_VOTES_PER_BLOCK = 5
#: Hard ceiling of any block encoding (the consensus limit, SPEC §4, is at most this).
MAX_BLOCK_SERIALIZED_SIZE = 64_000_000

_HEADER = struct.Struct("<IQ32s32s32s32sQIQ")
_VOTE = struct.Struct("<32sH64s")
assert _HEADER.size == HEADER_SIZE
assert _VOTE.size == TICKET_VOTE_SIZE

_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True, slots=True)
class BlockHeader(Serializable):
    """A block header (exactly 160 bytes on the wire); ``hash`` is BLAKE3 of the encoding."""

    version: int
    height: int
    prev_hash: bytes
    merkle_root: bytes
    votes_root: bytes
    state_root: bytes
    timestamp: int
    bits: int
    nonce: int
    _raw: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _hash: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_uint(self.version, 32, "header version")
        check_uint(self.height, 64, "header height")
        check_fixed_bytes(self.prev_hash, 32, "header prev_hash")
        check_fixed_bytes(self.merkle_root, 32, "header merkle_root")
        check_fixed_bytes(self.votes_root, 32, "header votes_root")
        check_fixed_bytes(self.state_root, 32, "header state_root")
        check_uint(self.timestamp, 64, "header timestamp")
        check_uint(self.bits, 32, "header bits")
        check_uint(self.nonce, 64, "header nonce")

    def serialize(self) -> bytes:
        raw = self._raw
        if raw is None:
            raw = _HEADER.pack(
                self.version,
                self.height,
                self.prev_hash,
                self.merkle_root,
                self.votes_root,
                self.state_root,
                self.timestamp,
                self.bits,
                self.nonce,
            )
            _set(self, "_raw", raw)
        return raw

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @property
    def hash(self) -> bytes:
        """BLAKE3 of the 160-byte encoding (the block hash)."""
        h = self._hash
        if h is None:
            h = blake3.blake3(self.serialize()).digest()
            _set(self, "_hash", h)
        return h

    def __hash__(self) -> int:
        return hash(self.hash)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        pos = r._pos
        if pos + HEADER_SIZE > r._end:
            raise TruncatedInput(
                f"block header: needs {HEADER_SIZE} bytes at offset {pos}, {r._end - pos} remain"
            )
        raw = r._buf[pos : pos + HEADER_SIZE]
        r._pos = pos + HEADER_SIZE
        values = _HEADER.unpack(raw)
        header = _new(cls)
        for name, value in zip(_HEADER_FIELDS, values, strict=True):
            _set(header, name, value)
        _set(header, "_raw", raw)
        _set(header, "_hash", None)
        return header


_HEADER_FIELDS = (
    "version",
    "height",
    "prev_hash",
    "merkle_root",
    "votes_root",
    "state_root",
    "timestamp",
    "bits",
    "nonce",
)


@dataclass(frozen=True, slots=True)
class TicketVote(Serializable):
    """A stake vote carried in a block (98 bytes); ``hash`` is BLAKE3 of the encoding."""

    ticket_id: bytes
    vote_bits: int
    sig: bytes
    _hash: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_fixed_bytes(self.ticket_id, 32, "vote ticket_id")
        check_uint(self.vote_bits, 16, "vote vote_bits")
        check_fixed_bytes(self.sig, 64, "vote sig")

    def serialize(self) -> bytes:
        return _VOTE.pack(self.ticket_id, self.vote_bits, self.sig)

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @property
    def hash(self) -> bytes:
        """BLAKE3 of the 98-byte encoding (leaf of the votes merkle tree)."""
        h = self._hash
        if h is None:
            h = blake3.blake3(self.serialize()).digest()
            _set(self, "_hash", h)
        return h

    def __hash__(self) -> int:
        return hash(self.hash)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        ticket_id, vote_bits, sig = _VOTE.unpack(r.read(TICKET_VOTE_SIZE, "ticket vote"))
        vote = _new(cls)
        _set(vote, "ticket_id", ticket_id)
        _set(vote, "vote_bits", vote_bits)
        _set(vote, "sig", sig)
        _set(vote, "_hash", None)
        return vote


@dataclass(frozen=True, slots=True)
class Block(Serializable):
    """A block: header, up to MAX_VOTES_PER_BLOCK stake votes, and transactions."""

    header: BlockHeader
    votes: tuple[TicketVote, ...]
    txs: tuple[Tx, ...]
    _raw: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.header) is not BlockHeader:
            raise InvalidField(f"block header: expected BlockHeader, got {type(self.header)!r}")
        votes = self.votes
        if type(votes) is not tuple:
            votes = tuple(votes)
            _set(self, "votes", votes)
        txs = self.txs
        if type(txs) is not tuple:
            txs = tuple(txs)
            _set(self, "txs", txs)
        if len(votes) > MAX_VOTES_PER_BLOCK:
            raise LimitExceeded(
                f"block votes: {len(votes)} votes exceed the limit {MAX_VOTES_PER_BLOCK}"
            )
        for i, vote in enumerate(votes):
            if type(vote) is not TicketVote:
                raise InvalidField(f"block votes[{i}]: expected TicketVote, got {type(vote)!r}")
        for i, tx in enumerate(txs):
            if not isinstance(tx, Tx):
                raise InvalidField(f"block txs[{i}]: expected Tx, got {type(tx)!r}")

    @property
    def hash(self) -> bytes:
        """The block hash: BLAKE3 of the header."""
        return self.header.hash

    def __hash__(self) -> int:
        return hash(self.header.hash)

    def serialize(self) -> bytes:
        raw = self._raw
        if raw is None:
            parts = [self.header.serialize(), encode_compact_size(len(self.votes))]
            parts.extend(v.serialize() for v in self.votes)
            parts.append(encode_compact_size(len(self.txs)))
            parts.extend(tx.serialize() for tx in self.txs)
            raw = b"".join(parts)
            _set(self, "_raw", raw)
        return raw

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write(self.serialize())

    @property
    def size(self) -> int:
        """Length of the encoding in bytes."""
        return len(self.serialize())

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        start = r._pos
        header = BlockHeader.stream_deserialize(r)
        n_votes = r.read_count(MAX_VOTES_PER_BLOCK, TICKET_VOTE_SIZE, "block vote count")
        votes = tuple([TicketVote.stream_deserialize(r) for _ in range(n_votes)])
        max_txs = MAX_BLOCK_SERIALIZED_SIZE // MIN_TX_SIZE
        n_txs = r.read_count(max_txs, MIN_TX_SIZE, "block tx count")
        read_tx = Tx.stream_deserialize
        txs = tuple([read_tx(r) for _ in range(n_txs)])
        stop = r._pos
        if stop - start > MAX_BLOCK_SERIALIZED_SIZE:
            raise LimitExceeded(
                f"block: size {stop - start} exceeds the limit {MAX_BLOCK_SERIALIZED_SIZE}"
            )
        block = _new(cls)
        _set(block, "header", header)
        _set(block, "votes", votes)
        _set(block, "txs", txs)
        _set(block, "_raw", None)  # rebuilt cheaply from the txs' cached encodings
        return block

    @classmethod
    def deserialize(cls, data: bytes | bytearray | memoryview) -> Self:
        """Decode exactly one block; input above MAX_BLOCK_SERIALIZED_SIZE fails up front."""
        if len(data) > MAX_BLOCK_SERIALIZED_SIZE:
            raise LimitExceeded(
                f"block: size {len(data)} exceeds the limit {MAX_BLOCK_SERIALIZED_SIZE}"
            )
        r = ByteReader(data)
        block = cls.stream_deserialize(r)
        r.assert_finished("block")
        return block
