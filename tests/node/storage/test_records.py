"""Record encodings of node.storage.records: known answers, round trips, strict decoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.storage import BlockIndexRecord, BlockStatus, BlockUndo, Coin, CorruptRecord
from node.storage.records import (
    FAILED_MASK,
    MAX_CHAIN_WORK,
    compress_amount,
    decode_meta_height,
    decode_varint,
    decompress_amount,
    encode_meta_height,
    encode_varint,
)
from node.types import BlockHeader, InvalidField, TxOut
from tests.node.types.strategies import headers

DATA = json.loads((Path(__file__).parent / "data" / "bitcoin_core_vectors.json").read_text())
COIN = 100_000_000
CENT = 1_000_000
U64_MAX = (1 << 64) - 1

P2PKH_HASH = bytes(range(20))
P2PKH = b"\x76\xa9\x14" + P2PKH_HASH + b"\x88\xac"
P2SH = b"\xc0\x20" + bytes(range(32)) + b"\x87"


def _amount(expr: str) -> int:
    """Evaluate the tiny amount expressions of the vector file (``50*COIN``)."""
    total = 1
    for factor in expr.split("*"):
        total *= {"COIN": COIN, "CENT": CENT}.get(factor) or int(factor, 0)
    return total if expr != "0" else 0


# --------------------------------------------------------------------------- primitives


@pytest.mark.parametrize(("number", "hex_"), DATA["varint_bitpatterns"])
def test_varint_bitpatterns(number: str, hex_: str) -> None:
    """Bitcoin Core's VARINT bit patterns, written and read back."""
    n = int(number, 0)
    assert encode_varint(n).hex() == hex_
    assert decode_varint(bytes.fromhex(hex_)) == n


@given(st.integers(0, U64_MAX))
def test_varint_round_trip(n: int) -> None:
    assert decode_varint(encode_varint(n)) == n


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "empty"),
        (b"\x80", "truncated after a continuation byte"),
        (b"\x80\x80", "truncated twice"),
        (bytes.fromhex("80fefefefefefefefe80"), "u64 max followed by a continuation"),
        (bytes.fromhex("81fefefefefefefefe7f"), "u64 max + 2^63: above the range"),
        (b"\xff" * 20 + b"\x00", "far too long"),
        (b"\x00\x00", "trailing byte"),
    ],
)
def test_varint_rejects(raw: bytes, why: str) -> None:
    with pytest.raises(CorruptRecord):
        decode_varint(raw)


def test_varint_rejects_negative() -> None:
    with pytest.raises(InvalidField):
        encode_varint(-1)


@pytest.mark.parametrize(("amount", "code"), DATA["compress_amount_pairs"])
def test_compress_amount_pairs(amount: str, code: str) -> None:
    """Bitcoin Core's CompressAmount/DecompressAmount known pairs."""
    assert compress_amount(_amount(amount)) == int(code, 0)
    assert decompress_amount(int(code, 0)) == _amount(amount)


def test_compress_amount_bijection_small_codes() -> None:
    """Core's TestDecode loop (every code decodes and re-encodes to itself), shortened."""
    for x in range(20_000):
        assert compress_amount(decompress_amount(x)) == x


@given(st.integers(0, U64_MAX))
def test_compress_amount_round_trip(n: int) -> None:
    assert decompress_amount(compress_amount(n)) == n


def test_meta_height() -> None:
    assert decode_meta_height(encode_meta_height(0x0102)) == 0x0102
    assert encode_meta_height(1) < encode_meta_height(256)  # big-endian sorts numerically
    with pytest.raises(CorruptRecord):
        decode_meta_height(b"\x00" * 7)
    with pytest.raises(InvalidField):
        encode_meta_height(-1)


# --------------------------------------------------------------------------- Coin

scripts = st.one_of(
    st.binary(max_size=80),
    st.just(P2PKH),
    st.just(P2SH),
    st.binary(min_size=20, max_size=20).map(lambda h: b"\x76\xa9\x14" + h + b"\x88\xac"),
    st.binary(min_size=32, max_size=32).map(lambda h: b"\xc0\x20" + h + b"\x87"),
    st.binary(min_size=250, max_size=300),
)
coins = st.builds(Coin, st.integers(0, U64_MAX), scripts, st.integers(0, U64_MAX), st.booleans())


@given(coins)
def test_coin_round_trip(coin: Coin) -> None:
    raw = coin.serialize()
    assert Coin.deserialize(raw) == coin
    assert Coin.deserialize(raw).serialize() == raw


@given(coins)
@settings(max_examples=50)
def test_coin_rejects_truncation_and_trailing(coin: Coin) -> None:
    raw = coin.serialize()
    for cut in range(len(raw)):
        with pytest.raises(CorruptRecord):
            Coin.deserialize(raw[:cut])
    with pytest.raises(CorruptRecord):
        Coin.deserialize(raw + b"\x00")


def test_coin_layout() -> None:
    """height*2+coinbase, compressed amount, compressed script (docs/protocol/storage.md)."""
    coin = Coin(50 * COIN, P2PKH, 1, True)
    assert coin.serialize() == bytes([3, 0x32, 0]) + P2PKH_HASH
    assert Coin(1, P2SH, 0, False).serialize() == b"\x00\x01\x01" + bytes(range(32))
    raw_script = b"\x6a\x01\x02"
    assert Coin(0, raw_script, 0, False).serialize() == b"\x00\x00\x05" + raw_script
    # a compact P2PKH coin at a realistic height stays small
    assert len(Coin(123_456_789, P2PKH, 100_000, False).serialize()) <= 29


def test_coin_rejects_noncanonical_script() -> None:
    """A P2PKH or P2SH script stored in the raw form has two encodings: refused."""
    for script in (P2PKH, P2SH):
        raw = b"\x00\x00" + encode_varint(len(script) + 2) + script
        with pytest.raises(CorruptRecord, match="non-canonical"):
            Coin.deserialize(raw)
    near_miss = P2PKH[:-1] + b"\x87"  # 25 bytes but not the template: stored raw
    assert Coin.deserialize(Coin(0, near_miss, 0, False).serialize()).script_pubkey == near_miss


def test_coin_rejects_bad_fields() -> None:
    # amount code whose value does not fit in a u64
    with pytest.raises(CorruptRecord):
        Coin.deserialize(b"\x00" + encode_varint(compress_amount(U64_MAX + 1)) + b"\x02")
    # height above u64
    with pytest.raises(CorruptRecord):
        Coin.deserialize(encode_varint(2 * (U64_MAX + 1)) + b"\x00\x02")
    # script length above the remaining bytes
    with pytest.raises(CorruptRecord):
        Coin.deserialize(b"\x00\x00" + encode_varint(100) + b"\x01")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"value": -1},
        {"value": U64_MAX + 1},
        {"height": -1},
        {"height": U64_MAX + 1},
        {"is_coinbase": 1},
        {"script_pubkey": "76a9"},
        {"value": 1.5},
    ],
)
def test_coin_constructor_rejects(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"value": 1, "script_pubkey": P2PKH, "height": 1}
    fields["is_coinbase"] = False
    fields.update(kwargs)
    with pytest.raises(InvalidField):
        Coin(**fields)  # type: ignore[arg-type]


def test_coin_txout_conversion() -> None:
    out = TxOut(7, P2SH)
    coin = Coin.from_txout(out, 12, True)
    assert coin == Coin(7, P2SH, 12, True)
    assert coin.to_txout() == out


# --------------------------------------------------------------------------- block index

statuses = st.integers(0, 31).map(BlockStatus)
index_records = st.builds(
    BlockIndexRecord,
    headers(),
    st.integers(0, MAX_CHAIN_WORK),
    statuses,
    st.integers(0, 4_000_000),
    st.integers(0, 64_000_000),
)


@given(index_records)
def test_block_index_round_trip(rec: BlockIndexRecord) -> None:
    raw = rec.serialize()
    back = BlockIndexRecord.deserialize(raw)
    assert back == rec
    assert back.hash == rec.header.hash
    assert back.height == rec.header.height
    assert back.prev_hash == rec.header.prev_hash
    assert type(back.status) is BlockStatus


@given(index_records)
@settings(max_examples=30)
def test_block_index_rejects_truncation_and_trailing(rec: BlockIndexRecord) -> None:
    raw = rec.serialize()
    for cut in (0, 1, 159, 160, 161, len(raw) - 1):
        if cut < len(raw):
            with pytest.raises(CorruptRecord):
                BlockIndexRecord.deserialize(raw[:cut])
    with pytest.raises(CorruptRecord):
        BlockIndexRecord.deserialize(raw + b"\x00")


@given(headers())
@settings(max_examples=10)
def test_block_index_rejects_unknown_status_and_big_work(header: BlockHeader) -> None:
    raw = bytearray(BlockIndexRecord(header, 5, BlockStatus.VALID_HEADER).serialize())
    raw[160] = 0x20
    with pytest.raises(CorruptRecord, match="status"):
        BlockIndexRecord.deserialize(bytes(raw))
    too_much = header.serialize() + b"\x01" + encode_varint(MAX_CHAIN_WORK + 1) + b"\x00\x00"
    with pytest.raises(CorruptRecord, match="chain_work"):
        BlockIndexRecord.deserialize(too_much)


def test_block_index_flags_and_constructor() -> None:
    header = BlockHeader(1, 7, bytes(32), bytes(32), bytes(32), bytes(32), 1_795_392_000, 1, 2)
    rec = BlockIndexRecord(header, 10, BlockStatus.VALID_HEADER | BlockStatus.HAVE_DATA, 3, 500)
    assert rec.have_data
    assert not rec.failed
    failed = rec.with_status(rec.status | BlockStatus.FAILED_CHILD)
    assert failed.failed
    assert failed.status & FAILED_MASK
    assert rec.failed is False  # the frozen original is unchanged
    assert BlockIndexRecord(header, 0, 3).status == BlockStatus(3)  # type: ignore[arg-type]
    for bad in (
        {"status": 32},
        {"status": -1},
        {"status": True},
        {"chain_work": -1},
        {"chain_work": MAX_CHAIN_WORK + 1},
        {"tx_count": -1},
        {"size": 64_000_001},
        {"header": b"\x00" * 160},
    ):
        fields: dict[str, object] = {"header": header, "chain_work": 1, "status": 1}
        fields.update(bad)
        with pytest.raises(InvalidField):
            BlockIndexRecord(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- undo

undos = st.builds(
    BlockUndo,
    st.lists(st.lists(coins, max_size=4).map(tuple), max_size=5).map(tuple),
)


@given(undos)
def test_undo_round_trip(undo: BlockUndo) -> None:
    raw = undo.serialize()
    assert BlockUndo.deserialize(raw) == undo


@given(undos)
@settings(max_examples=30)
def test_undo_rejects_truncation_and_trailing(undo: BlockUndo) -> None:
    raw = undo.serialize()
    for cut in range(len(raw)):
        with pytest.raises(CorruptRecord):
            BlockUndo.deserialize(raw[:cut])
    with pytest.raises(CorruptRecord):
        BlockUndo.deserialize(raw + b"\x00")


def test_undo_layout_and_limits() -> None:
    coin = Coin(1, P2PKH, 5, False)
    undo = BlockUndo(((coin,), (), (coin, coin)))
    c = coin.serialize()
    assert undo.serialize() == b"\x03\x01" + c + b"\x00\x02" + c + c
    assert BlockUndo([[coin]]).spent == ((coin,),)  # type: ignore[arg-type]
    with pytest.raises(CorruptRecord, match="non-minimal"):
        BlockUndo.deserialize(b"\xfd\x01\x00")
    with pytest.raises(CorruptRecord, match="cannot fit"):
        BlockUndo.deserialize(b"\xfe\x00\x00\x01\x00")  # 65,536 txs announced, none present
    with pytest.raises(CorruptRecord, match="cannot fit"):
        BlockUndo.deserialize(b"\x01\x10" + c)  # 16 coins announced, one present
    with pytest.raises(CorruptRecord, match="limit"):
        BlockUndo.deserialize(b"\x01\xfd\x11\x27")  # 10,001 coins > MAX_TX_IO
    with pytest.raises(InvalidField):
        BlockUndo(((b"not a coin",),))  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        BlockUndo(((coin,) * 10_001,))
