"""Block headers (160 bytes), ticket votes (98 bytes) and blocks: round trips and rejections."""

from __future__ import annotations

import tracemalloc

import blake3
import pytest
from hypothesis import given

from node.types import (
    HEADER_SIZE,
    MAX_VOTES_PER_BLOCK,
    TICKET_VOTE_SIZE,
    Block,
    BlockHeader,
    ByteReader,
    InvalidField,
    LimitExceeded,
    NonMinimalCompactSize,
    OutPoint,
    TicketVote,
    TrailingBytes,
    TruncatedInput,
    Tx,
    TxIn,
    TxOut,
    TxType,
    UnknownTxType,
)
from node.types.block import MAX_BLOCK_SERIALIZED_SIZE
from tests.node.types.strategies import blocks, headers, votes


def sample_header(nonce: int = 7) -> BlockHeader:
    return BlockHeader(
        version=1,
        height=42,
        prev_hash=b"\x01" * 32,
        merkle_root=b"\x02" * 32,
        votes_root=b"\x03" * 32,
        state_root=b"\x04" * 32,
        timestamp=1_795_392_000,
        bits=0x1F00FFFF,
        nonce=nonce,
    )


def sample_block() -> Block:
    coinbase = Tx(
        1,
        TxType.COINBASE,
        (TxIn(OutPoint(bytes(32), 0xFFFF_FFFF)),),
        (TxOut(50, b"\x51"),),
        0,
        b"",
        (b"\x2a\x00",),
    )
    spend = Tx(1, TxType.STANDARD, (TxIn(OutPoint(coinbase.txid, 0)),), (), 0, b"", (b"\x01",))
    vote = TicketVote(b"\x09" * 32, 1, b"\x05" * 64)
    return Block(sample_header(), (vote,), (coinbase, spend))


@given(headers())
def test_header_roundtrip_and_size(h: BlockHeader) -> None:
    raw = h.serialize()
    assert len(raw) == HEADER_SIZE == 160
    back = BlockHeader.deserialize(raw)
    assert back == h
    assert back.hash == h.hash == blake3.blake3(raw).digest()


def test_header_layout_by_hand() -> None:
    h = sample_header()
    expected = (
        (1).to_bytes(4, "little")
        + (42).to_bytes(8, "little")
        + b"\x01" * 32
        + b"\x02" * 32
        + b"\x03" * 32
        + b"\x04" * 32
        + (1_795_392_000).to_bytes(8, "little")
        + (0x1F00FFFF).to_bytes(4, "little")
        + (7).to_bytes(8, "little")
    )
    assert h.serialize() == expected
    assert h.hash == blake3.blake3(expected).digest()
    assert sample_header(8).hash != h.hash


def test_header_hash_cached() -> None:
    h = sample_header()
    assert h.hash is h.hash


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 2**32),
        ("height", -1),
        ("height", 2**64),
        ("prev_hash", bytes(31)),
        ("merkle_root", bytes(33)),
        ("votes_root", "00" * 32),
        ("state_root", bytearray(32)),
        ("timestamp", 2**64),
        ("bits", 2**32),
        ("nonce", 2**64),
    ],
)
def test_header_construction_rejects(field: str, value: object) -> None:
    h = sample_header()
    kwargs = {
        f: getattr(h, f)
        for f in (
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
    }
    kwargs[field] = value
    with pytest.raises(InvalidField, match=field):
        BlockHeader(**kwargs)


def test_header_wrong_length() -> None:
    raw = sample_header().serialize()
    with pytest.raises(TruncatedInput):
        BlockHeader.deserialize(raw[:-1])
    with pytest.raises(TrailingBytes):
        BlockHeader.deserialize(raw + b"\x00")


@given(votes())
def test_vote_roundtrip(v: TicketVote) -> None:
    raw = v.serialize()
    assert len(raw) == TICKET_VOTE_SIZE == 98
    back = TicketVote.deserialize(raw)
    assert back == v
    assert back.hash == v.hash == blake3.blake3(raw).digest()


def test_vote_layout_and_rejects() -> None:
    v = TicketVote(b"\x09" * 32, 0x0102, b"\x05" * 64)
    assert v.serialize() == b"\x09" * 32 + b"\x02\x01" + b"\x05" * 64
    with pytest.raises(InvalidField):
        TicketVote(bytes(32), 0x10000, bytes(64))
    with pytest.raises(InvalidField):
        TicketVote(bytes(32), 0, bytes(65))
    with pytest.raises(InvalidField):
        TicketVote(bytes(20), 0, bytes(64))
    with pytest.raises(TruncatedInput):
        TicketVote.deserialize(v.serialize()[:97])
    with pytest.raises(TrailingBytes):
        TicketVote.deserialize(v.serialize() + b"\x00")


@given(blocks())
def test_block_roundtrip(b: Block) -> None:
    raw = b.serialize()
    back = Block.deserialize(raw)
    assert back == b
    assert back.hash == b.hash == b.header.hash
    assert back.size == len(raw) == b.size
    assert back.serialize() == raw
    assert [t.txid for t in back.txs] == [t.txid for t in b.txs]


def test_block_layout_by_hand() -> None:
    b = sample_block()
    expected = (
        b.header.serialize()
        + b"\x01"
        + b.votes[0].serialize()
        + b"\x02"
        + b.txs[0].serialize()
        + b.txs[1].serialize()
    )
    assert b.serialize() == expected
    assert b.hash == blake3.blake3(expected[:160]).digest()


def test_block_truncation_at_every_offset() -> None:
    raw = sample_block().serialize()
    for cut in range(len(raw)):
        with pytest.raises((TruncatedInput, LimitExceeded)):
            Block.deserialize(raw[:cut])


def test_block_trailing_bytes() -> None:
    with pytest.raises(TrailingBytes):
        Block.deserialize(sample_block().serialize() + b"\x00")


def test_block_too_many_votes() -> None:
    v = TicketVote(bytes(32), 0, bytes(64))
    with pytest.raises(LimitExceeded):
        Block(sample_header(), (v,) * (MAX_VOTES_PER_BLOCK + 1), ())
    Block(sample_header(), (v,) * MAX_VOTES_PER_BLOCK, ())
    raw = sample_header().serialize() + b"\x06" + v.serialize() * 6 + b"\x00"
    with pytest.raises(LimitExceeded, match="6 exceeds the limit 5"):
        Block.deserialize(raw)


def test_block_non_minimal_tx_count() -> None:
    b = sample_block()
    raw = b.header.serialize() + b"\x00" + b"\xfd\x01\x00" + b.txs[0].serialize()
    with pytest.raises(NonMinimalCompactSize):
        Block.deserialize(raw)


def test_block_huge_tx_count_fails_fast() -> None:
    raw = sample_header().serialize() + b"\x00" + bytes.fromhex("feffffff00") + bytes(100)
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded):
            Block.deserialize(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64_000


def test_block_oversize_input_rejected_up_front() -> None:
    class Huge(bytes):
        def __len__(self) -> int:
            return MAX_BLOCK_SERIALIZED_SIZE + 1

    with pytest.raises(LimitExceeded, match="64000000"):
        Block.deserialize(Huge(b""))


def test_block_bad_tx_inside() -> None:
    b = sample_block()
    raw = bytearray(b.serialize())
    tx_start = 160 + 1 + 98 + 1
    raw[tx_start + 4 : tx_start + 6] = (99).to_bytes(2, "little")
    with pytest.raises(UnknownTxType):
        Block.deserialize(bytes(raw))


def test_block_construction_rejects() -> None:
    with pytest.raises(InvalidField):
        Block(b"header", (), ())  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        Block(sample_header(), (b"vote",), ())  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        Block(sample_header(), (), (b"tx",))  # type: ignore[arg-type]


def test_stream_header_then_rest() -> None:
    b = sample_block()
    r = ByteReader(b.serialize())
    assert BlockHeader.stream_deserialize(r) == b.header
    assert r.position == HEADER_SIZE
