"""Signature hashes (SPEC §3): the checked-in vectors, an independent naive re-implementation,
what each hash type commits to, the error cases, and linear cost for an n-input tx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import blake3
import pytest

from node.crypto.schnorr import verify
from node.script import sighash as sighash_module
from node.script.errors import ScriptErrorCode, SighashError
from node.script.sighash import (
    PrecomputedTxData,
    sighash_message,
    signature_hash,
)
from node.script.signing import sign_input
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.script.helpers import PUBKEYS, SECRETS, make_tx

DATA = json.loads((Path(__file__).parent / "data" / "sighash_vectors.json").read_text())
TXS = [Tx.deserialize(bytes.fromhex(raw)) for raw in DATA["txs"]]
VECTORS: list[dict[str, Any]] = DATA["vectors"]
ALL_TYPES = (0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


def _h(data: bytes) -> bytes:
    return blake3.blake3(data).digest()


def naive_sighash(tx: Tx, index: int, spent: TxOut, hash_type: int) -> bytes | None:
    """SPEC §3 written out directly (no precomputation, no shared code with node.script)."""
    acp = hash_type & 0x80
    base = hash_type & 0x03
    ins = [tx.inputs[index]] if acp else list(tx.inputs)
    hash_prevouts = _h(b"".join(i.prevout.txid + i.prevout.vout.to_bytes(4, "little") for i in ins))
    hash_sequences = _h(b"".join(i.sequence.to_bytes(4, "little") for i in ins))
    if base == 2:
        hash_outputs = bytes(32)
    elif base == 3:
        if index >= len(tx.outputs):
            return None
        o = tx.outputs[index]
        hash_outputs = _h(o.value.to_bytes(8, "little") + _var(o.script_pubkey))
    else:
        hash_outputs = _h(
            b"".join(o.value.to_bytes(8, "little") + _var(o.script_pubkey) for o in tx.outputs)
        )
    msg = (
        tx.version.to_bytes(4, "little")
        + int(tx.tx_type).to_bytes(2, "little")
        + hash_prevouts
        + hash_sequences
        + hash_outputs
        + tx.lock_time.to_bytes(4, "little")
        + _h(tx.payload)
        + (0xFFFFFFFF if acp else index).to_bytes(4, "little")
        + spent.value.to_bytes(8, "little")
        + _var(spent.script_pubkey)
        + bytes([hash_type])
    )
    tag = _h(b"RustyCoin/sighash")
    return _h(tag + tag + msg)


def _var(data: bytes) -> bytes:
    n = len(data)
    if n < 0xFD:
        return bytes([n]) + data
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little") + data
    return b"\xfe" + n.to_bytes(4, "little") + data


def _spent(v: dict[str, Any]) -> TxOut:
    return TxOut(v["spent_value"], bytes.fromhex(v["spent_script_pubkey"]))


def test_vectors_cover_every_type() -> None:
    assert len(VECTORS) >= 300
    assert {v["hash_type"] for v in VECTORS} == set(ALL_TYPES)
    assert {int(tx.tx_type) for tx in TXS} == {int(t) for t in TxType}
    assert any(v["sighash"] is None for v in VECTORS)  # SINGLE without output


def test_vectors_match_implementation() -> None:
    precomputed = {id(tx): PrecomputedTxData.from_tx(tx) for tx in TXS}
    for v in VECTORS:
        tx = TXS[v["tx"]]
        args = (tx, v["index"], _spent(v), v["hash_type"])
        if v["sighash"] is None:
            with pytest.raises(SighashError):
                signature_hash(*args)
            continue
        assert signature_hash(*args).hex() == v["sighash"]
        assert signature_hash(*args, precomputed[id(tx)]).hex() == v["sighash"]


def test_vectors_match_naive_reimplementation() -> None:
    for v in VECTORS:
        tx = TXS[v["tx"]]
        expected = naive_sighash(tx, v["index"], _spent(v), v["hash_type"])
        assert (expected.hex() if expected is not None else None) == v["sighash"]


def _base_tx() -> Tx:
    return make_tx(inputs=3, outputs=3, lock_time=7, sequence=5)


def _replace(tx: Tx, **kw: Any) -> Tx:
    fields = {
        "version": tx.version,
        "tx_type": tx.tx_type,
        "inputs": tx.inputs,
        "outputs": tx.outputs,
        "lock_time": tx.lock_time,
        "payload": tx.payload,
        "witnesses": tx.witnesses,
    }
    fields.update(kw)
    return Tx(**fields)


SPENT = TxOut(5_000, b"\x51")


def _changes(tx2: Tx, hash_type: int, index: int = 0, spent: TxOut = SPENT) -> bool:
    return signature_hash(_base_tx(), index, SPENT, hash_type) != signature_hash(
        tx2, index, spent, hash_type
    )


@pytest.mark.parametrize("hash_type", ALL_TYPES)
def test_always_committed_fields(hash_type: int) -> None:
    tx = _base_tx()
    assert _changes(_replace(tx, version=2), hash_type)
    assert _changes(_replace(tx, lock_time=8), hash_type)
    assert _changes(_replace(tx, tx_type=TxType.TICKET_PURCHASE, payload=b"x"), hash_type)
    assert _changes(tx, hash_type, spent=TxOut(5_001, b"\x51"))
    assert _changes(tx, hash_type, spent=TxOut(5_000, b"\x52"))
    own = tx.inputs[0]
    moved = TxIn(OutPoint(own.prevout.txid, own.prevout.vout + 1), own.sequence)
    assert _changes(_replace(tx, inputs=(moved, *tx.inputs[1:])), hash_type)
    assert _changes(_replace(tx, inputs=(TxIn(own.prevout, 6), *tx.inputs[1:])), hash_type)
    # Witnesses are never committed (they hold the signatures).
    assert not _changes(_replace(tx, witnesses=(b"a", b"b", b"c")), hash_type)


@pytest.mark.parametrize("hash_type", ALL_TYPES)
def test_other_inputs_committed_unless_anyonecanpay(hash_type: int) -> None:
    tx = _base_tx()
    other = tx.inputs[1]
    changed_seq = _replace(tx, inputs=(tx.inputs[0], TxIn(other.prevout, 9), tx.inputs[2]))
    dropped = _replace(tx, inputs=tx.inputs[:2], witnesses=tx.witnesses[:2])
    acp = bool(hash_type & 0x80)
    assert _changes(changed_seq, hash_type) is not acp
    assert _changes(dropped, hash_type) is not acp


def test_anyonecanpay_does_not_commit_to_position() -> None:
    tx = _base_tx()
    swapped = _replace(tx, inputs=(tx.inputs[1], tx.inputs[0], tx.inputs[2]))
    # (SINGLE|ANYONECANPAY pairs input i with output i, so moving the input changes it.)
    for hash_type in (0x81, 0x82):
        assert signature_hash(tx, 0, SPENT, hash_type) == signature_hash(
            swapped, 1, SPENT, hash_type
        )
    assert signature_hash(tx, 0, SPENT, 0x01) != signature_hash(swapped, 1, SPENT, 0x01)


@pytest.mark.parametrize("hash_type", ALL_TYPES)
def test_outputs_commitment(hash_type: int) -> None:
    tx = _base_tx()
    outs = tx.outputs
    own_changed = _replace(tx, outputs=(TxOut(1, b"\x00"), *outs[1:]))
    other_changed = _replace(tx, outputs=(outs[0], TxOut(1, b"\x00"), outs[2]))
    base = hash_type & 3
    assert _changes(own_changed, hash_type) is (base != 2)
    assert _changes(other_changed, hash_type) is (base in (0, 1))


def test_default_and_all_commit_differently() -> None:
    tx = _base_tx()
    assert signature_hash(tx, 0, SPENT, 0x00) != signature_hash(tx, 0, SPENT, 0x01)
    assert (
        sighash_message(PrecomputedTxData.from_tx(tx), 0, SPENT, 0x00)[:-1]
        == (sighash_message(PrecomputedTxData.from_tx(tx), 0, SPENT, 0x01)[:-1])
    )


@pytest.mark.parametrize("hash_type", [0x04, 0x80, 0x84, 0x41, 0xFF, -1, 256])
def test_invalid_hash_types(hash_type: int) -> None:
    with pytest.raises(SighashError) as info:
        signature_hash(_base_tx(), 0, SPENT, hash_type)
    assert info.value.code is ScriptErrorCode.SCHNORR_SIG_HASHTYPE


@pytest.mark.parametrize("index", [-1, 3, 100])
def test_index_out_of_range(index: int) -> None:
    with pytest.raises(SighashError) as info:
        signature_hash(_base_tx(), index, SPENT)
    assert info.value.code is ScriptErrorCode.SIGHASH_INPUT


def test_single_without_output() -> None:
    tx = make_tx(inputs=3, outputs=1)
    assert signature_hash(tx, 0, SPENT, 0x03)
    for hash_type in (0x03, 0x83):
        with pytest.raises(SighashError):
            signature_hash(tx, 1, SPENT, hash_type)


def test_precomputed_for_another_tx_is_rejected() -> None:
    other = PrecomputedTxData.from_tx(make_tx(inputs=2))
    with pytest.raises(SighashError):
        signature_hash(_base_tx(), 0, SPENT, 0, other)
    # An equal (not identical) transaction is accepted.
    assert signature_hash(_base_tx(), 0, SPENT, 0, PrecomputedTxData.from_tx(_base_tx()))


def test_sign_input_round_trip() -> None:
    tx = _base_tx()
    pre = PrecomputedTxData.from_tx(tx)
    for hash_type in ALL_TYPES:
        sig = sign_input(SECRETS[1], tx, 1, SPENT, hash_type, pre, aux_rand=bytes(32))
        assert len(sig) == (64 if hash_type == 0 else 65)
        msg = signature_hash(tx, 1, SPENT, hash_type, pre)
        assert verify(PUBKEYS[1], msg, sig[:64])
        assert not verify(PUBKEYS[2], msg, sig[:64])
    with pytest.raises(SighashError):
        sign_input(SECRETS[1], make_tx(inputs=2, outputs=1), 1, SPENT, 0x03)


def test_signing_all_inputs_hashes_each_field_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """O(n): the per-tx hashes are built once, each input adds a constant amount of hashing."""
    n = 200
    tx = make_tx(inputs=n, outputs=n)
    calls: list[int] = []
    real_h = sighash_module.H

    def counting_h(data: bytes) -> bytes:
        calls.append(len(data))
        return real_h(data)

    monkeypatch.setattr(sighash_module, "H", counting_h)
    pre = PrecomputedTxData.from_tx(tx)
    assert len(calls) == 4  # prevouts, sequences, outputs, payload
    hashed_bytes = sum(calls)
    for hash_type in ALL_TYPES:
        for i in range(n):
            signature_hash(tx, i, SPENT, hash_type, pre)
    # Per-input work: at most 3 small hashes (ACP prevout + sequence, SINGLE output).
    assert len(calls) <= 4 + 3 * n * len(ALL_TYPES)
    assert sum(calls) - hashed_bytes <= n * len(ALL_TYPES) * 200
