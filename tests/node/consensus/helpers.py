"""Builders for consensus tests: transactions, coinbases and (mined) regtest blocks.

Every builder makes a valid object by default; tests change one thing at a time.
"""

from __future__ import annotations

import dataclasses

import blake3

from node.consensus.pow import bits_from_target, pow_value, target_from_bits
from node.crypto.merkle import merkle_root
from node.params import COIN, REGTEST, ChainParams
from node.types.block import Block, BlockHeader, TicketVote
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

_new = object.__new__
_set = object.__setattr__


def fill(tag: str, n: int = 32) -> bytes:
    """`n` deterministic bytes named by `tag`."""
    return bytes(blake3.blake3(tag.encode()).digest(length=n))


def p2pkh(tag: str) -> bytes:
    """A P2PKH script_pubkey (OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG): 1 sigop."""
    return b"\x76\xa9\x14" + fill(tag, 20) + b"\x88\xac"


def coinbase(
    height: int,
    outputs: tuple[TxOut, ...] | None = None,
    *,
    data: bytes = b"test coinbase",
    lock_time: int | None = None,
    sequence: int = SEQUENCE_FINAL,
) -> Tx:
    """A COINBASE paying 1 RUST to a P2PKH by default, lock_time = height."""
    return Tx(
        version=1,
        tx_type=TxType.COINBASE,
        inputs=(TxIn(OutPoint(NULL_TXID, COINBASE_VOUT), sequence),),
        outputs=outputs if outputs is not None else (TxOut(COIN, p2pkh("miner")),),
        lock_time=height if lock_time is None else lock_time,
        payload=b"",
        witnesses=(data,),
    )


def spend(
    tag: str,
    n_inputs: int = 1,
    outputs: tuple[TxOut, ...] | None = None,
    *,
    version: int = 1,
    tx_type: TxType = TxType.STANDARD,
    lock_time: int = 0,
    sequence: int = SEQUENCE_FINAL,
    payload: bytes = b"",
    witness: bytes = b"\x01\x02",
) -> Tx:
    """A transaction spending `n_inputs` made-up outpoints named by `tag`."""
    inputs = tuple(TxIn(OutPoint(fill(f"{tag}/{i}"), i), sequence) for i in range(n_inputs))
    return Tx(
        version=version,
        tx_type=tx_type,
        inputs=inputs,
        outputs=outputs if outputs is not None else (TxOut(COIN, p2pkh(tag)),),
        lock_time=lock_time,
        payload=payload,
        witnesses=(witness,) * n_inputs,
    )


def vote(tag: str) -> TicketVote:
    return TicketVote(fill(f"ticket {tag}"), 1, fill(f"sig {tag}", 64))


def mine(header: BlockHeader, params: ChainParams, *, valid: bool = True) -> BlockHeader:
    """The header with the first nonce whose OxideHash meets (or, valid=False, misses) bits."""
    target = target_from_bits(header.bits)
    nonce = 0
    while True:
        candidate = dataclasses.replace(header, nonce=nonce)
        if (pow_value(candidate.serialize(), params) <= target) == valid:
            return candidate
        nonce += 1


def make_block(
    txs: tuple[Tx, ...] | list[Tx],
    *,
    params: ChainParams = REGTEST,
    height: int = 1,
    votes: tuple[TicketVote, ...] = (),
    version: int = 1,
    merkle: bytes | None = None,
    votes_root: bytes | None = None,
    bits: int | None = None,
    timestamp: int | None = None,
    solve: bool = True,
) -> Block:
    """A block with correct roots (unless given) and, if `solve`, a valid proof of work."""
    txs = tuple(txs)
    header = BlockHeader(
        version=version,
        height=height,
        prev_hash=fill("parent"),
        merkle_root=merkle if merkle is not None else merkle_root([t.wtxid for t in txs]),
        votes_root=votes_root if votes_root is not None else merkle_root([v.hash for v in votes]),
        state_root=bytes(32),
        timestamp=timestamp if timestamp is not None else params.genesis_timestamp + 150,
        bits=bits if bits is not None else bits_from_target(params.pow_limit),
        nonce=0,
    )
    if solve:
        header = mine(header, params)
    return Block(header=header, votes=votes, txs=txs)


def raw_block(header: BlockHeader, votes: tuple[TicketVote, ...], txs: tuple[Tx, ...]) -> Block:
    """A Block built without the constructor's limits (to test consensus's own checks)."""
    block = _new(Block)
    _set(block, "header", header)
    _set(block, "votes", votes)
    _set(block, "txs", txs)
    _set(block, "_raw", None)
    return block
