"""Transactions: round trips, txid/wtxid, construction checks and every decoder rejection."""

from __future__ import annotations

import tracemalloc
from typing import Any

import blake3
import pytest
from hypothesis import given

from node.types import (
    COINBASE_VOUT,
    MAX_TX_IO,
    MAX_TX_SIZE,
    NULL_TXID,
    SEQUENCE_FINAL,
    ByteReader,
    ByteWriter,
    InvalidField,
    LimitExceeded,
    NonMinimalCompactSize,
    OutPoint,
    SerializationError,
    TrailingBytes,
    TruncatedInput,
    Tx,
    TxIn,
    TxOut,
    TxType,
    UnknownTxType,
)
from tests.node.types.strategies import outpoints, txins, txouts, txs


def sample_tx(witnesses: tuple[bytes, ...] = (b"\x01" * 65, b"")) -> Tx:
    return Tx(
        version=1,
        tx_type=TxType.STANDARD,
        inputs=(
            TxIn(OutPoint(bytes(range(32)), 1), 0xFFFF_FFFE),
            TxIn(OutPoint(b"\xaa" * 32, 0)),
        ),
        outputs=(TxOut(5_000, b"\x51"), TxOut(0, b"")),
        lock_time=100,
        payload=b"",
        witnesses=witnesses,
    )


def header(version: int, tx_type: int) -> bytes:
    return version.to_bytes(4, "little") + tx_type.to_bytes(2, "little")


# --------------------------------------------------------------------------- round trips


@given(outpoints())
def test_outpoint_roundtrip(op: OutPoint) -> None:
    raw = op.serialize()
    assert len(raw) == 36
    assert OutPoint.deserialize(raw) == op


@given(txins())
def test_txin_roundtrip(txin: TxIn) -> None:
    raw = txin.serialize()
    assert len(raw) == 40
    assert TxIn.deserialize(raw) == txin
    w = ByteWriter()
    txin.stream_serialize(w)
    assert w.getvalue() == raw


@given(txouts())
def test_txout_roundtrip(txout: TxOut) -> None:
    assert TxOut.deserialize(txout.serialize()) == txout


@given(txs())
def test_tx_roundtrip(tx: Tx) -> None:
    raw = tx.serialize()
    back = Tx.deserialize(raw)
    assert back == tx
    assert back.serialize() == raw
    assert back.txid == tx.txid
    assert back.wtxid == tx.wtxid
    assert back.size == len(raw) == tx.size
    assert hash(back) == hash(tx)
    # the witness-free form is a strict prefix of the full encoding
    assert raw.startswith(tx.serialize_without_witness())


@given(txs(max_inputs=2))
def test_tx_stream_roundtrip_back_to_back(tx: Tx) -> None:
    w = ByteWriter()
    tx.stream_serialize(w)
    tx.stream_serialize(w)
    r = ByteReader(w.getvalue())
    assert Tx.stream_deserialize(r) == tx
    assert Tx.stream_deserialize(r) == tx
    r.assert_finished()


def test_tx_layout_by_hand() -> None:
    tx = sample_tx()
    expected = (
        header(1, 0)
        + b"\x02"
        + bytes(range(32))
        + (1).to_bytes(4, "little")
        + (0xFFFF_FFFE).to_bytes(4, "little")
        + b"\xaa" * 32
        + bytes(4)
        + b"\xff\xff\xff\xff"
        + b"\x02"
        + (5000).to_bytes(8, "little")
        + b"\x01\x51"
        + bytes(8)
        + b"\x00"
        + (100).to_bytes(4, "little")
        + b"\x00"
    )
    assert tx.serialize_without_witness() == expected
    assert tx.serialize() == expected + b"\x02" + b"\x41" + b"\x01" * 65 + b"\x00"
    assert tx.txid == blake3.blake3(expected).digest()
    assert tx.wtxid == blake3.blake3(tx.serialize()).digest()


# --------------------------------------------------------------------------- ids


def test_txid_excludes_witnesses_wtxid_includes_them() -> None:
    a = sample_tx((b"\x01", b"\x02"))
    b = sample_tx((b"\x03\x04", b""))
    assert a.txid == b.txid
    assert a.wtxid != b.wtxid
    assert a != b
    assert a.serialize_without_witness() == b.serialize_without_witness()
    c = Tx(2, a.tx_type, a.inputs, a.outputs, a.lock_time, a.payload, a.witnesses)
    assert c.txid != a.txid


def test_ids_are_cached() -> None:
    tx = sample_tx()
    assert tx.txid is tx.txid
    assert tx.wtxid is tx.wtxid
    assert tx.serialize() is tx.serialize()


def test_decoded_tx_ids_match_constructed() -> None:
    tx = sample_tx()
    back = Tx.deserialize(bytearray(tx.serialize()))
    assert back.txid == tx.txid
    assert back.wtxid == tx.wtxid
    assert back.serialize_without_witness() == tx.serialize_without_witness()


def test_is_coinbase() -> None:
    cb = Tx(
        1,
        TxType.COINBASE,
        (TxIn(OutPoint(NULL_TXID, COINBASE_VOUT)),),
        (TxOut(1, b"\x51"),),
        0,
        b"",
        (b"\x01\x02",),
    )
    assert cb.is_coinbase()
    assert cb.inputs[0].prevout.is_null()
    assert cb.inputs[0].sequence == SEQUENCE_FINAL
    assert not sample_tx().is_coinbase()
    assert not sample_tx().inputs[0].prevout.is_null()


def test_tx_type_int_is_coerced() -> None:
    tx = Tx(1, 0, (), (), 0, b"", ())  # type: ignore[arg-type]
    assert tx.tx_type is TxType.STANDARD


def test_lists_are_coerced_to_tuples() -> None:
    tx = sample_tx()
    loose: Any = Tx  # lists where tuples are declared, on purpose
    tx2 = loose(1, TxType.STANDARD, list(tx.inputs), list(tx.outputs), 100, b"", list(tx.witnesses))
    assert tx2 == tx
    assert isinstance(tx2.inputs, tuple)


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"version": -1}, InvalidField),
        ({"version": 2**32}, InvalidField),
        ({"lock_time": 2**32}, InvalidField),
        ({"tx_type": 14}, UnknownTxType),
        ({"payload": b"\x00"}, InvalidField),  # STANDARD must have an empty payload
        ({"witnesses": (b"",)}, InvalidField),  # 1 witness for 2 inputs
        ({"witnesses": (b"", b"", b"")}, InvalidField),
        ({"witnesses": (b"", "x")}, InvalidField),
        ({"inputs": (TxIn(OutPoint(bytes(32), 0)), "x")}, InvalidField),
        ({"outputs": (1,)}, InvalidField),
        ({"payload": "text"}, InvalidField),
    ],
)
def test_tx_construction_rejects(kwargs: dict[str, object], exc: type[Exception]) -> None:
    base = sample_tx()
    fields: dict[str, object] = {
        "version": base.version,
        "tx_type": base.tx_type,
        "inputs": base.inputs,
        "outputs": base.outputs,
        "lock_time": base.lock_time,
        "payload": base.payload,
        "witnesses": base.witnesses,
    }
    fields.update(kwargs)
    with pytest.raises(exc):
        Tx(**fields)  # type: ignore[arg-type]


def test_coinbase_payload_must_be_empty() -> None:
    with pytest.raises(InvalidField, match="COINBASE"):
        Tx(1, TxType.COINBASE, (), (), 0, b"\x01", ())


def test_tx_io_limit_on_construction() -> None:
    outs = (TxOut(0, b""),) * (MAX_TX_IO + 1)
    with pytest.raises(LimitExceeded):
        Tx(1, TxType.STANDARD, (), outs, 0, b"", ())
    Tx(1, TxType.STANDARD, (), outs[:MAX_TX_IO], 0, b"", ())


@pytest.mark.parametrize(
    "build",
    [
        lambda: OutPoint(bytes(31), 0),
        lambda: OutPoint(bytes(33), 0),
        lambda: OutPoint(bytearray(32), 0),  # type: ignore[arg-type]
        lambda: OutPoint(bytes(32), -1),
        lambda: OutPoint(bytes(32), 2**32),
        lambda: OutPoint(bytes(32), True),
        lambda: OutPoint(bytes(32), 1.0),  # type: ignore[arg-type]
        lambda: TxIn(OutPoint(bytes(32), 0), 2**32),
        lambda: TxIn((bytes(32), 0), 0),  # type: ignore[arg-type]
        lambda: TxOut(-1, b""),
        lambda: TxOut(2**64, b""),
        lambda: TxOut(0, "script"),  # type: ignore[arg-type]
    ],
)
def test_primitive_construction_rejects(build: object) -> None:
    with pytest.raises(InvalidField):
        build()  # type: ignore[operator]


def test_u64_value_max_is_allowed() -> None:
    out = TxOut(2**64 - 1, b"")
    assert TxOut.deserialize(out.serialize()).value == 2**64 - 1


# --------------------------------------------------------------------------- rejections


def test_truncation_at_every_offset() -> None:
    raw = sample_tx().serialize()
    for cut in range(len(raw)):
        with pytest.raises((TruncatedInput, LimitExceeded)):
            Tx.deserialize(raw[:cut])


def test_trailing_bytes_rejected() -> None:
    raw = sample_tx().serialize()
    with pytest.raises(TrailingBytes):
        Tx.deserialize(raw + b"\x00")


def test_unknown_tx_type_rejected() -> None:
    raw = bytearray(sample_tx().serialize())
    for bad in (14, 255, 0xFFFF):
        raw[4:6] = bad.to_bytes(2, "little")
        with pytest.raises(UnknownTxType, match=str(bad)):
            Tx.deserialize(bytes(raw))


def test_witness_count_mismatch_rejected() -> None:
    tx = sample_tx()
    nowit = tx.serialize_without_witness()
    with pytest.raises(InvalidField, match="1 witness"):
        Tx.deserialize(nowit + b"\x01\x00")
    with pytest.raises(InvalidField, match="3 witness"):
        Tx.deserialize(nowit + b"\x03\x00\x00\x00")
    with pytest.raises(InvalidField):
        Tx.deserialize(nowit + b"\x00")


def test_standard_payload_nonempty_rejected_by_decoder() -> None:
    raw = header(1, 0) + b"\x00\x00" + bytes(4) + b"\x01\x07" + b"\x00"
    with pytest.raises(InvalidField, match="empty payload"):
        Tx.deserialize(raw)
    ok = header(1, 0) + b"\x00\x00" + bytes(4) + b"\x00" + b"\x00"
    assert Tx.deserialize(ok).inputs == ()


@pytest.mark.parametrize(
    "count",
    ["fd0100", "fe01000000", "ff0100000000000000"],
)
def test_non_minimal_input_count_rejected(count: str) -> None:
    raw = header(1, 0) + bytes.fromhex(count) + bytes(40) + b"\x00" + bytes(4) + b"\x00\x01\x00"
    with pytest.raises(NonMinimalCompactSize):
        Tx.deserialize(raw)


def test_non_minimal_script_length_rejected() -> None:
    raw = header(1, 0) + b"\x00" + b"\x01" + bytes(8) + b"\xfd\x01\x00\x51" + bytes(4) + b"\x00\x00"
    with pytest.raises(NonMinimalCompactSize):
        Tx.deserialize(raw)


def _peak_alloc(fn: object) -> tuple[BaseException, int]:
    tracemalloc.start()
    try:
        try:
            fn()  # type: ignore[operator]
        except SerializationError as exc:
            caught: BaseException = exc
        else:  # pragma: no cover - the test fails below
            raise AssertionError("no error raised")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught, peak


@pytest.mark.parametrize(
    "count",
    [
        "feffffffff",
        "ff0000000001000000",
        "ffffffffffffffffff",
        "fd1127",
    ],  # 2^32-1, 2^32, max, 10001
)
def test_huge_input_count_fails_fast(count: str) -> None:
    raw = header(1, 0) + bytes.fromhex(count)
    exc, peak = _peak_alloc(lambda: Tx.deserialize(raw))
    assert isinstance(exc, LimitExceeded)
    assert peak < 64_000


def test_count_that_cannot_fit_fails_before_allocating() -> None:
    # 10,000 inputs claimed (within the limit) but only 100 bytes follow.
    raw = header(1, 0) + b"\xfd\x10\x27" + bytes(100)
    exc, peak = _peak_alloc(lambda: Tx.deserialize(raw))
    assert isinstance(exc, LimitExceeded)
    assert "cannot fit" in str(exc)
    assert peak < 64_000


def test_huge_script_length_fails_fast() -> None:
    raw = header(1, 0) + b"\x00\x01" + bytes(8) + bytes.fromhex("ff0000000001000000")
    exc, peak = _peak_alloc(lambda: Tx.deserialize(raw))
    assert isinstance(exc, LimitExceeded)
    assert peak < 64_000


def test_huge_witness_count_fails_fast() -> None:
    raw = header(1, 0) + b"\x00\x00" + bytes(4) + b"\x00" + bytes.fromhex("feffffffff")
    exc, _ = _peak_alloc(lambda: Tx.deserialize(raw))
    assert isinstance(exc, LimitExceeded)


def test_inputs_plus_outputs_limit_on_decode() -> None:
    # 5000 inputs then 5001 outputs: the output count is limited to MAX_TX_IO - inputs.
    inputs = b"\xfd" + (5000).to_bytes(2, "little") + bytes(40 * 5000)
    raw = header(1, 0) + inputs + b"\xfd" + (5001).to_bytes(2, "little") + bytes(9 * 5001)
    with pytest.raises(LimitExceeded, match="exceeds the limit 5000"):
        Tx.deserialize(raw)


def test_max_tx_size_on_decode() -> None:
    big = TxOut(0, bytes(MAX_TX_SIZE))
    tx = Tx(1, TxType.STANDARD, (), (big,), 0, b"", ())  # encode is allowed (consensus rejects)
    raw = tx.serialize()
    assert len(raw) > MAX_TX_SIZE
    with pytest.raises(LimitExceeded, match="exceeds the limit 1000000"):
        Tx.deserialize(raw)
    with pytest.raises(LimitExceeded):  # the stream decoder (inside a block) checks too
        Tx.stream_deserialize(ByteReader(raw))
