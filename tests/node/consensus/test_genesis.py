"""Each network's genesis block is built by one tested function and matches its constants."""

from __future__ import annotations

import pytest

from node.consensus.genesis import (
    EMPTY_STATE_ROOT,
    build_genesis,
    genesis_header,
    genesis_message,
    mine_genesis,
)
from node.consensus.pow import bits_from_target, check_proof_of_work, pow_value, target_from_bits
from node.crypto.merkle import merkle_root
from node.params import NETWORKS, ChainParams
from node.types.block import Block
from node.types.tx import TxType

ALL = list(NETWORKS.values())


@pytest.mark.parametrize("params", ALL, ids=lambda p: p.name)
def test_genesis_hash_matches_the_params_constant(params: ChainParams) -> None:
    block = build_genesis(params)
    assert block.hash == params.genesis_hash
    assert block.header.hash == params.genesis_hash


@pytest.mark.parametrize("params", ALL, ids=lambda p: p.name)
def test_genesis_has_valid_proof_of_work(params: ChainParams) -> None:
    header = build_genesis(params).header
    assert header.bits == bits_from_target(params.pow_limit)
    check_proof_of_work(header.serialize(), header.bits, params)


@pytest.mark.parametrize("params", ALL, ids=lambda p: p.name)
def test_recorded_nonce_is_the_first_valid_one(params: ChainParams) -> None:
    assert mine_genesis(params) == params.genesis_nonce
    if params.genesis_nonce:
        target = target_from_bits(bits_from_target(params.pow_limit))
        below = genesis_header(params, params.genesis_nonce - 1)
        assert pow_value(below.serialize(), params) > target


@pytest.mark.parametrize("params", ALL, ids=lambda p: p.name)
def test_genesis_layout(params: ChainParams) -> None:
    block = build_genesis(params)
    h = block.header
    assert (h.version, h.height, h.prev_hash) == (1, 0, bytes(32))
    assert h.timestamp == 1_795_392_000
    assert h.votes_root == bytes(32)
    assert h.state_root == EMPTY_STATE_ROOT
    assert block.votes == ()
    (coinbase,) = block.txs
    assert coinbase.tx_type == TxType.COINBASE
    assert coinbase.is_coinbase()
    assert coinbase.witnesses == (f"Rusty Coin genesis {params.name}".encode(),)
    assert coinbase.witnesses[0] == genesis_message(params)
    assert 2 <= len(coinbase.witnesses[0]) <= 100
    assert [o.value for o in coinbase.outputs] == [0]
    assert coinbase.outputs[0].script_pubkey == b"\x6a"  # OP_RETURN: nothing spendable
    assert h.merkle_root == merkle_root([coinbase.wtxid]) == coinbase.wtxid


@pytest.mark.parametrize("params", ALL, ids=lambda p: p.name)
def test_genesis_round_trips(params: ChainParams) -> None:
    block = build_genesis(params)
    raw = block.serialize()
    again = Block.deserialize(raw)
    assert again == block
    assert again.hash == params.genesis_hash
    assert len(block.header.serialize()) == 160


def test_genesis_blocks_differ_per_network() -> None:
    # The message is witness data: it changes the wtxid (and so the merkle root and block
    # hash) but not the txid, which excludes witnesses by design (SPEC §3).
    assert len({build_genesis(p).txs[0].wtxid for p in ALL}) == len(ALL)
    assert len({build_genesis(p).hash for p in ALL}) == len(ALL)
    assert len({build_genesis(p).txs[0].txid for p in ALL}) == 1
