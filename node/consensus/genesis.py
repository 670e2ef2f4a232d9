"""The genesis block of each network (SPEC §12), built by one documented function.

Layout (identical on every network but for the message, bits and nonce):
- one coinbase transaction: version 1, the null prevout, witness
  ``b"Rusty Coin genesis <network>"``, a single zero-value output whose script is a bare
  ``OP_RETURN`` (the genesis block creates no spendable coins, like Bitcoin's unspendable
  genesis output), lock_time 0, empty payload;
- header: version 1, height 0, prev_hash zero, merkle_root = Merkle root of the coinbase
  wtxid (a single leaf is its own root), votes_root zero (no votes), state_root
  `EMPTY_STATE_ROOT` (the state trie of an empty UTXO set), timestamp 2026-11-23T00:00:00Z,
  bits = pow_limit in compact form, nonce = the first nonce from 0 upward that satisfies
  OxideHash, found once by `mine_genesis` and recorded in the params.
"""

from __future__ import annotations

from node.consensus.pow import bits_from_target, pow_value, target_from_bits
from node.crypto.merkle import merkle_root
from node.params import ChainParams
from node.types.block import Block, BlockHeader
from node.types.tx import (
    COINBASE_VOUT,
    NULL_TXID,
    SEQUENCE_FINAL,
    OutPoint,
    Tx,
    TxIn,
    TxOut,
    TxType,
)

EMPTY_STATE_ROOT = bytes(32)
"""Root of the empty state trie (documented in docs/PROTOCOL.md)."""
OP_RETURN = b"\x6a"


def genesis_message(params: ChainParams) -> bytes:
    """The coinbase witness of the network's genesis block."""
    return f"Rusty Coin genesis {params.name}".encode("ascii")


def genesis_coinbase(params: ChainParams) -> Tx:
    """The only transaction of the genesis block."""
    return Tx(
        version=1,
        tx_type=TxType.COINBASE,
        inputs=(TxIn(OutPoint(NULL_TXID, COINBASE_VOUT), SEQUENCE_FINAL),),
        outputs=(TxOut(0, OP_RETURN),),
        lock_time=0,
        payload=b"",
        witnesses=(genesis_message(params),),
    )


def genesis_header(params: ChainParams, nonce: int) -> BlockHeader:
    """The genesis header with the given nonce."""
    coinbase = genesis_coinbase(params)
    return BlockHeader(
        version=1,
        height=0,
        prev_hash=bytes(32),
        merkle_root=merkle_root([coinbase.wtxid]),
        votes_root=bytes(32),
        state_root=EMPTY_STATE_ROOT,
        timestamp=params.genesis_timestamp,
        bits=bits_from_target(params.pow_limit),
        nonce=nonce,
    )


def build_genesis(params: ChainParams) -> Block:
    """The network's genesis block, using the nonce recorded in `params`."""
    header = genesis_header(params, params.genesis_nonce)
    return Block(header=header, votes=(), txs=(genesis_coinbase(params),))


def mine_genesis(params: ChainParams, start_nonce: int = 0) -> int:
    """Search nonces from `start_nonce` upward for the first valid genesis header."""
    target = target_from_bits(bits_from_target(params.pow_limit))
    nonce = start_nonce
    while pow_value(genesis_header(params, nonce).serialize(), params) > target:
        nonce += 1
    return nonce
