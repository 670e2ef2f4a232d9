"""P2P messages (SPEC §8) and their payload encodings; `decode_message` for any command.

Every message is a frozen dataclass with `command`, `encode()` (the payload) and
`decode(payload)`. Decoding is strict (python-bitcoinlib style): truncated input, trailing
bytes, non-minimal CompactSize and counts above the limits of SPEC §11 are refused before
anything is allocated, and `decode_message` raises only MalformedMessage. Commands SPEC lists
that this node does not act on yet (masternode and quorum traffic) decode as `Opaque`.
Layouts are written out in docs/protocol/p2p.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from node.p2p.errors import BadAddress, MalformedMessage
from node.p2p.netaddr import PeerAddress, ip_from_bytes, ip_to_bytes
from node.p2p.protocol import (
    COMMANDS,
    MAX_ADDR,
    MAX_HEADERS,
    MAX_INV,
    MAX_LOCATOR,
    MAX_REJECT_MESSAGE,
    MAX_REJECT_REASON,
    MAX_USER_AGENT,
    InvType,
)
from node.stake.votes import RelayedVote
from node.types.block import (
    HEADER_SIZE,
    MAX_BLOCK_SERIALIZED_SIZE,
    MAX_VOTES_PER_BLOCK,
    TICKET_VOTE_SIZE,
    Block,
    BlockHeader,
    TicketVote,
)
from node.types.codec import ByteReader, ByteWriter
from node.types.errors import SerializationError
from node.types.tx import MIN_TX_SIZE, Tx

SHORT_ID_LEN = 6
INV_ITEM_SIZE = 36
NET_ADDR_SIZE = 26
ADDR_ENTRY_SIZE = 30
MAX_BLOCK_TXS = MAX_BLOCK_SERIALIZED_SIZE // MIN_TX_SIZE
RELAYED_VOTE_SIZE = 32 + TICKET_VOTE_SIZE


class Message:
    """Base of every message: `command` names it on the wire."""

    __slots__ = ()
    command: ClassVar[str] = ""

    def encode(self) -> bytes:
        w = ByteWriter()
        self.write(w)
        return w.getvalue()

    def write(self, w: ByteWriter) -> None:
        raise NotImplementedError

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        raise NotImplementedError

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        r = ByteReader(payload)
        msg = cls.read(r)
        r.assert_finished(cls.command)
        return msg


def _write_netaddr(w: ByteWriter, a: PeerAddress) -> None:
    w.write_u64(a.services)
    w.write(ip_to_bytes(a.ip))
    w.write_u16(a.port)


def _read_netaddr(r: ByteReader, time: int = 0) -> PeerAddress:
    services = r.read_u64("services")
    ip = ip_from_bytes(r.read(16, "ip"))
    return PeerAddress(ip, r.read_u16("port"), services, time)


@dataclass(frozen=True, slots=True)
class Version(Message):
    """`version`: the first message of each side (layout in docs/protocol/p2p.md)."""

    command: ClassVar[str] = "version"
    version: int
    services: int
    timestamp: int
    addr_recv: PeerAddress
    addr_from: PeerAddress
    nonce: int
    user_agent: str
    start_height: int
    relay: bool = True

    def write(self, w: ByteWriter) -> None:
        w.write_u32(self.version)
        w.write_u64(self.services)
        w.write_u64(self.timestamp)
        _write_netaddr(w, self.addr_recv)
        _write_netaddr(w, self.addr_from)
        w.write_u64(self.nonce)
        w.write_string(self.user_agent)
        w.write_u64(self.start_height)
        w.write_u8(1 if self.relay else 0)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        version = r.read_u32("version")
        services = r.read_u64("services")
        timestamp = r.read_u64("timestamp")
        addr_recv = _read_netaddr(r)
        addr_from = _read_netaddr(r)
        nonce = r.read_u64("nonce")
        agent = r.read_string(MAX_USER_AGENT, "user_agent")
        height = r.read_u64("start_height")
        relay = r.read_u8("relay")
        if relay > 1:
            raise MalformedMessage(f"version: relay flag {relay} is not 0 or 1")
        return cls(version, services, timestamp, addr_recv, addr_from, nonce, agent, height,
                   bool(relay))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Empty(Message):
    """Base of the messages with an empty payload."""

    def write(self, w: ByteWriter) -> None:
        return

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls()


@dataclass(frozen=True, slots=True)
class Verack(Empty):
    command: ClassVar[str] = "verack"


@dataclass(frozen=True, slots=True)
class GetAddr(Empty):
    command: ClassVar[str] = "getaddr"


@dataclass(frozen=True, slots=True)
class MempoolRequest(Empty):
    """`mempool`: asks for an inv of the peer's mempool."""

    command: ClassVar[str] = "mempool"


@dataclass(frozen=True, slots=True)
class Ping(Message):
    command: ClassVar[str] = "ping"
    nonce: int

    def write(self, w: ByteWriter) -> None:
        w.write_u64(self.nonce)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls(r.read_u64("nonce"))


@dataclass(frozen=True, slots=True)
class Pong(Ping):
    command: ClassVar[str] = "pong"


@dataclass(frozen=True, slots=True)
class FeeFilter(Message):
    """`feefilter`: do not announce transactions below `feerate` (units per 1,000 bytes)."""

    command: ClassVar[str] = "feefilter"
    feerate: int

    def write(self, w: ByteWriter) -> None:
        w.write_u64(self.feerate)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls(r.read_u64("feerate"))


@dataclass(frozen=True, slots=True)
class Addr(Message):
    """`addr`: up to 1,000 addresses, each `time u32 | services u64 | ip[16] | port u16`."""

    command: ClassVar[str] = "addr"
    addresses: tuple[PeerAddress, ...]

    def write(self, w: ByteWriter) -> None:
        w.write_compact_size(len(self.addresses))
        for a in self.addresses:
            w.write_u32(a.time)
            _write_netaddr(w, a)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        n = r.read_count(MAX_ADDR, ADDR_ENTRY_SIZE, "addr count")
        out = []
        for _ in range(n):
            time = r.read_u32("time")
            out.append(_read_netaddr(r, time))
        return cls(tuple(out))


@dataclass(frozen=True, slots=True)
class InvItem:
    """One inventory vector: a type (InvType, unknown numbers kept) and a 32-byte hash."""

    type: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class Inv(Message):
    """`inv`: up to 50,000 `type u32 | hash[32]` entries."""

    command: ClassVar[str] = "inv"
    items: tuple[InvItem, ...]

    def write(self, w: ByteWriter) -> None:
        w.write_compact_size(len(self.items))
        for item in self.items:
            w.write_u32(item.type)
            w.write(item.hash)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        n = r.read_count(MAX_INV, INV_ITEM_SIZE, f"{cls.command} count")
        items = []
        for _ in range(n):
            kind = r.read_u32("inv type")
            items.append(InvItem(kind, r.read(32, "inv hash")))
        return cls(tuple(items))

    @classmethod
    def of(cls, kind: InvType, hashes: list[bytes]) -> Self:
        return cls(tuple(InvItem(int(kind), h) for h in hashes))


@dataclass(frozen=True, slots=True)
class GetData(Inv):
    command: ClassVar[str] = "getdata"


@dataclass(frozen=True, slots=True)
class NotFound(Inv):
    command: ClassVar[str] = "notfound"


@dataclass(frozen=True, slots=True)
class GetHeaders(Message):
    """`getheaders`: `version u32 | locator [hash] (<= 101) | stop_hash[32]`."""

    command: ClassVar[str] = "getheaders"
    locator: tuple[bytes, ...]
    stop_hash: bytes = bytes(32)
    version: int = 1

    def write(self, w: ByteWriter) -> None:
        w.write_u32(self.version)
        w.write_compact_size(len(self.locator))
        for h in self.locator:
            w.write(h)
        w.write(self.stop_hash)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        version = r.read_u32("version")
        n = r.read_count(MAX_LOCATOR, 32, "locator count")
        locator = tuple(r.read(32, "locator hash") for _ in range(n))
        return cls(locator, r.read(32, "stop_hash"), version)


@dataclass(frozen=True, slots=True)
class Headers(Message):
    """`headers`: up to 2,000 160-byte headers (no transaction count after each)."""

    command: ClassVar[str] = "headers"
    headers: tuple[BlockHeader, ...]

    def write(self, w: ByteWriter) -> None:
        w.write_compact_size(len(self.headers))
        for h in self.headers:
            w.write(h.serialize())

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        n = r.read_count(MAX_HEADERS, HEADER_SIZE, "headers count")
        return cls(tuple(BlockHeader.stream_deserialize(r) for _ in range(n)))


@dataclass(frozen=True, slots=True)
class BlockMessage(Message):
    command: ClassVar[str] = "block"
    block: Block

    def encode(self) -> bytes:
        return self.block.serialize()

    def write(self, w: ByteWriter) -> None:
        w.write(self.block.serialize())

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls(Block.stream_deserialize(r))


@dataclass(frozen=True, slots=True)
class TxMessage(Message):
    command: ClassVar[str] = "tx"
    tx: Tx

    def encode(self) -> bytes:
        return self.tx.serialize()

    def write(self, w: ByteWriter) -> None:
        w.write(self.tx.serialize())

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls(Tx.stream_deserialize(r))


@dataclass(frozen=True, slots=True)
class VoteMessage(Message):
    """`vote`: a relayed stake vote, `prev_hash[32] | TicketVote` (130 bytes)."""

    command: ClassVar[str] = "vote"
    vote: RelayedVote

    def write(self, w: ByteWriter) -> None:
        self.vote.stream_serialize(w)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        return cls(RelayedVote.stream_deserialize(r))


@dataclass(frozen=True, slots=True)
class SendCmpct(Message):
    """`sendcmpct`: `announce u8 | version u64` (BIP152); announce=1 asks for new blocks
    as `cmpctblock` without an inv/headers round trip."""

    command: ClassVar[str] = "sendcmpct"
    announce: bool
    version: int = 1

    def write(self, w: ByteWriter) -> None:
        w.write_u8(1 if self.announce else 0)
        w.write_u64(self.version)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        announce = r.read_u8("announce")
        if announce > 1:
            raise MalformedMessage(f"sendcmpct: announce {announce} is not 0 or 1")
        return cls(bool(announce), r.read_u64("version"))


@dataclass(frozen=True, slots=True)
class PrefilledTx:
    index: int
    tx: Tx


@dataclass(frozen=True, slots=True)
class CmpctBlock(Message):
    """`cmpctblock`: `header | votes [TicketVote] | nonce u64 | short_ids [6 bytes] |
    prefilled [(index delta, tx)]`; indexes are differentially encoded as in BIP152."""

    command: ClassVar[str] = "cmpctblock"
    header: BlockHeader
    votes: tuple[TicketVote, ...]
    nonce: int
    short_ids: tuple[bytes, ...]
    prefilled: tuple[PrefilledTx, ...]

    @property
    def tx_count(self) -> int:
        return len(self.short_ids) + len(self.prefilled)

    def write(self, w: ByteWriter) -> None:
        w.write(self.header.serialize())
        w.write_compact_size(len(self.votes))
        for v in self.votes:
            w.write(v.serialize())
        w.write_u64(self.nonce)
        w.write_compact_size(len(self.short_ids))
        for sid in self.short_ids:
            w.write(sid)
        w.write_compact_size(len(self.prefilled))
        last = -1
        for p in self.prefilled:
            w.write_compact_size(p.index - last - 1)
            last = p.index
            w.write(p.tx.serialize())

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        header = BlockHeader.stream_deserialize(r)
        n_votes = r.read_count(MAX_VOTES_PER_BLOCK, TICKET_VOTE_SIZE, "vote count")
        votes = tuple(TicketVote.stream_deserialize(r) for _ in range(n_votes))
        nonce = r.read_u64("nonce")
        n_ids = r.read_count(MAX_BLOCK_TXS, SHORT_ID_LEN, "short id count")
        short_ids = tuple(r.read(SHORT_ID_LEN, "short id") for _ in range(n_ids))
        n_pre = r.read_count(MAX_BLOCK_TXS - n_ids, MIN_TX_SIZE + 1, "prefilled count")
        prefilled = []
        last = -1
        for _ in range(n_pre):
            index = last + 1 + r.read_compact_size(MAX_BLOCK_TXS, "prefilled index")
            if index >= n_ids + n_pre:
                raise MalformedMessage(f"cmpctblock: prefilled index {index} out of range")
            prefilled.append(PrefilledTx(index, Tx.stream_deserialize(r)))
            last = index
        return cls(header, votes, nonce, short_ids, tuple(prefilled))


@dataclass(frozen=True, slots=True)
class GetBlockTxn(Message):
    """`getblocktxn`: `block_hash[32] | indexes [differential CompactSize]`."""

    command: ClassVar[str] = "getblocktxn"
    block_hash: bytes
    indexes: tuple[int, ...]

    def write(self, w: ByteWriter) -> None:
        w.write(self.block_hash)
        w.write_compact_size(len(self.indexes))
        last = -1
        for i in self.indexes:
            w.write_compact_size(i - last - 1)
            last = i

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        block_hash = r.read(32, "block_hash")
        n = r.read_count(MAX_BLOCK_TXS, 1, "index count")
        out = []
        last = -1
        for _ in range(n):
            index = last + 1 + r.read_compact_size(MAX_BLOCK_TXS, "index")
            if index >= MAX_BLOCK_TXS:
                raise MalformedMessage(f"getblocktxn: index {index} out of range")
            out.append(index)
            last = index
        return cls(block_hash, tuple(out))


@dataclass(frozen=True, slots=True)
class BlockTxn(Message):
    """`blocktxn`: `block_hash[32] | txs [Tx]`, the transactions a getblocktxn asked for."""

    command: ClassVar[str] = "blocktxn"
    block_hash: bytes
    txs: tuple[Tx, ...]

    def write(self, w: ByteWriter) -> None:
        w.write(self.block_hash)
        w.write_compact_size(len(self.txs))
        for tx in self.txs:
            w.write(tx.serialize())

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        block_hash = r.read(32, "block_hash")
        n = r.read_count(MAX_BLOCK_TXS, MIN_TX_SIZE, "tx count")
        return cls(block_hash, tuple(Tx.stream_deserialize(r) for _ in range(n)))


@dataclass(frozen=True, slots=True)
class Reject(Message):
    """`reject`: `message string | code u8 | reason string | data` (data: a 32-byte hash
    or nothing). Sent for rejected transactions and blocks; informational only."""

    command: ClassVar[str] = "reject"
    message: str
    code: int
    reason: str
    data: bytes = b""

    def write(self, w: ByteWriter) -> None:
        w.write_string(self.message[:MAX_REJECT_MESSAGE])
        w.write_u8(self.code)
        w.write_string(self.reason[:MAX_REJECT_REASON])
        w.write(self.data)

    @classmethod
    def read(cls, r: ByteReader) -> Self:
        message = r.read_string(MAX_REJECT_MESSAGE, "message")
        code = r.read_u8("code")
        reason = r.read_string(MAX_REJECT_REASON, "reason")
        rest = r.remaining()
        if rest not in (0, 32):
            raise MalformedMessage(f"reject: data of {rest} bytes (expected 0 or 32)")
        return cls(message, code, reason, r.read(rest, "data"))


@dataclass(frozen=True, slots=True)
class Opaque(Message):
    """A command SPEC names that this node does not act on yet: the raw payload."""

    name: str
    payload: bytes

    @property
    def command_name(self) -> str:
        return self.name

    def write(self, w: ByteWriter) -> None:
        w.write(self.payload)


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.command: cls
    for cls in (
        Version, Verack, Ping, Pong, GetAddr, Addr, Inv, GetData, NotFound, GetHeaders,
        Headers, BlockMessage, TxMessage, MempoolRequest, FeeFilter, SendCmpct, CmpctBlock,
        GetBlockTxn, BlockTxn, VoteMessage, Reject,
    )
}  # fmt: skip
OPAQUE_COMMANDS = frozenset(COMMANDS) - MESSAGE_TYPES.keys()

_DECODE_ERRORS = (SerializationError, BadAddress, ValueError, TypeError, OverflowError,
                  struct.error, IndexError)  # fmt: skip


def command_of(msg: Message) -> str:
    return msg.name if isinstance(msg, Opaque) else msg.command


def decode_message(command: str, payload: bytes) -> Message | None:
    """The message of a checked frame; None for a command SPEC does not name (ignored).

    Raises only MalformedMessage."""
    cls = MESSAGE_TYPES.get(command)
    if cls is None:
        return Opaque(command, payload) if command in OPAQUE_COMMANDS else None
    try:
        return cls.decode(payload)
    except MalformedMessage:
        raise
    except _DECODE_ERRORS as exc:
        raise MalformedMessage(f"{command}: {exc}") from None
