"""Known-answer encodings and ids (data/vectors.json, generated once): any change to how a
transaction, payload, header, vote or block is encoded or hashed makes these fail."""

from __future__ import annotations

import json
from typing import Any

import blake3
import pytest

from node.types import Block, SlashPayload, Tx, TxType, decode_payload
from tests.node.types.fixtures import (
    VECTORS_PATH,
    sample_block,
    sample_slash_double_sign,
    sample_txs,
)

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
TX_NAMES = sorted(VECTORS["txs"])


def test_blake3_is_the_standard_function() -> None:
    # BLAKE3 of the empty input, from the BLAKE3 reference test vectors.
    assert blake3.blake3(b"").hexdigest() == (
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    )


def test_vectors_cover_every_tx_type() -> None:
    assert set(TX_NAMES) == {t.name for t in TxType}


@pytest.mark.parametrize("name", TX_NAMES)
def test_tx_vector(name: str) -> None:
    vec = VECTORS["txs"][name]
    tx = sample_txs()[name]
    raw = bytes.fromhex(vec["hex"])
    assert tx.serialize().hex() == vec["hex"]
    assert tx.serialize_without_witness().hex() == vec["hex_without_witness"]
    assert tx.txid.hex() == vec["txid"]
    assert tx.wtxid.hex() == vec["wtxid"]
    decoded = Tx.deserialize(raw)
    assert decoded == tx
    assert decoded.txid.hex() == vec["txid"]
    assert decoded.wtxid.hex() == vec["wtxid"]
    assert blake3.blake3(bytes.fromhex(vec["hex_without_witness"])).hexdigest() == vec["txid"]
    if decoded.tx_type not in (TxType.STANDARD, TxType.COINBASE):
        assert decoded.decoded_payload() == decode_payload(decoded.tx_type, tx.payload)


def test_slash_double_sign_vector() -> None:
    raw = bytes.fromhex(VECTORS["slash_double_sign"]["hex"])
    assert sample_slash_double_sign().serialize() == raw
    assert SlashPayload.deserialize(raw) == sample_slash_double_sign()


def test_block_vector() -> None:
    vec = VECTORS["block"]
    block = sample_block()
    assert block.serialize().hex() == vec["hex"]
    assert block.header.serialize().hex() == vec["header_hex"]
    assert len(bytes.fromhex(vec["header_hex"])) == 160
    assert block.hash.hex() == vec["hash"]
    assert [v.hash.hex() for v in block.votes] == vec["vote_hashes"]
    decoded = Block.deserialize(bytes.fromhex(vec["hex"]))
    assert decoded == block
    assert decoded.hash.hex() == vec["hash"]
