"""Block assembly and the CPU miner (OxideHash), plus `generate` for regtest and devnet.

The assembler builds the coinbase (SPEC §5.1: the miner's share plus fees; shares without a
recipient are not created), fills in the Merkle root, the expected `bits`, a timestamp past
the median time past and the `state_root` (by a dry-run connect), then `solve` searches
nonces. The coinbase witness carries the height and an optional tag; its lock_time is the
block height (docs/PROTOCOL.md, coinbase uniqueness).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from node.chain.chainstate import Chainstate
from node.chain.connect import is_unspendable
from node.chain.errors import ChainError
from node.consensus.genesis import EMPTY_STATE_ROOT
from node.consensus.pow import pow_value, target_from_bits
from node.consensus.subsidy import reward_split
from node.crypto.merkle import merkle_root
from node.params import ChainParams
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

MAX_NONCE = (1 << 64) - 1
NONCE_OFFSET = 152
"""The nonce is the last field of the 160-byte header (u64 little-endian)."""


def coinbase_tx(height: int, outputs: Sequence[TxOut], tag: bytes = b"rusty") -> Tx:
    """A coinbase for `height` paying `outputs`; lock_time = height makes its txid unique."""
    witness = height.to_bytes(8, "little") + tag[:92]
    return Tx(
        version=1,
        tx_type=TxType.COINBASE,
        inputs=(TxIn(OutPoint(NULL_TXID, COINBASE_VOUT), SEQUENCE_FINAL),),
        outputs=tuple(outputs),
        lock_time=height,
        payload=b"",
        witnesses=(witness,),
    )


class BlockAssembler:
    """Builds unsolved blocks on the chainstate's tip."""

    def __init__(self, chainstate: Chainstate) -> None:
        self.chainstate = chainstate

    def fees_of(self, txs: Sequence[Tx]) -> int:
        """Total fees of `txs` spending the tip's UTXO set (and each other, in order)."""
        created: dict[OutPoint, int] = {}
        fees = 0
        with self.chainstate.db.read() as txn:
            for tx in txs:
                value_in = 0
                for txin in tx.inputs:
                    value = created.pop(txin.prevout, None)
                    if value is None:
                        coin = txn.get_coin(txin.prevout)
                        if coin is None:
                            raise ChainError(
                                f"tx {tx.txid.hex()} spends an unknown output "
                                f"{txin.prevout.txid.hex()}:{txin.prevout.vout}"
                            )
                        value = coin.value
                    value_in += value
                for vout, out in enumerate(tx.outputs):
                    if not is_unspendable(out.script_pubkey):
                        created[OutPoint(tx.txid, vout)] = out.value
                fees += value_in - sum(out.value for out in tx.outputs)
        return fees

    def create_block(
        self,
        payout_script: bytes,
        txs: Sequence[Tx] = (),
        *,
        timestamp: int | None = None,
        tag: bytes = b"rusty",
        coinbase_outputs: Sequence[TxOut] | None = None,
        votes: Sequence[TicketVote] = (),
        stake_outputs: Sequence[TxOut] = (),
    ) -> Block:
        """An unsolved block (nonce 0) with a correct state root; raises on invalid txs.

        By default the coinbase pays the whole miner share plus fees to `payout_script`;
        `coinbase_outputs` replaces that with explicit outputs (e.g. a pool's payouts, or a
        fan-out funding block in tests), which must not exceed it. From
        stake_validation_height on, `votes` are the block's ticket votes and `stake_outputs`
        their reward outputs (node.stake.rewards), appended after the miner's outputs.
        """
        cs = self.chainstate
        params = cs.params
        parent = cs.tip
        height = parent.height + 1
        split = reward_split(height, len(votes), False, params)
        outputs = coinbase_outputs
        if outputs is None:
            outputs = [TxOut(split.miner + self.fees_of(txs), payout_script)]
        coinbase = coinbase_tx(height, [*outputs, *stake_outputs], tag)
        all_txs = (coinbase, *txs)
        earliest = cs.median_time_past(parent) + 1
        when = max(earliest, int(cs.clock()) if timestamp is None else timestamp)
        header = BlockHeader(
            version=1,
            height=height,
            prev_hash=parent.hash,
            merkle_root=merkle_root([tx.wtxid for tx in all_txs]),
            votes_root=merkle_root([vote.hash for vote in votes]),
            state_root=EMPTY_STATE_ROOT,
            timestamp=when,
            bits=cs.expected_bits(parent),
            nonce=0,
        )
        draft = Block(header, tuple(votes), all_txs)
        root = cs.compute_state_root(draft)
        return Block(dataclasses.replace(header, state_root=root), tuple(votes), all_txs)


def solve(
    block: Block,
    params: ChainParams,
    *,
    start_nonce: int = 0,
    max_tries: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Block | None:
    """Search nonces for OxideHash; None when `max_tries` ran out or `should_stop()` said so."""
    target = target_from_bits(block.header.bits)
    header = block.header
    raw = bytearray(header.serialize())
    nonce = start_nonce
    tries = 0
    while nonce <= MAX_NONCE:
        raw[NONCE_OFFSET:] = nonce.to_bytes(8, "little")
        if pow_value(bytes(raw), params) <= target:
            return Block(dataclasses.replace(header, nonce=nonce), block.votes, block.txs)
        nonce += 1
        tries += 1
        if max_tries is not None and tries >= max_tries:
            return None
        if should_stop is not None and tries % 64 == 0 and should_stop():
            return None
    return None


def generate(
    chainstate: Chainstate,
    count: int,
    payout_script: bytes,
    txs: Sequence[Tx] = (),
    *,
    timestamp_step: int | None = None,
) -> list[bytes]:
    """Mine `count` blocks on the tip (the first one including `txs`); returns their hashes.

    `timestamp_step` spaces the block times by that many seconds after the tip instead of
    using the clock (tests build long chains quickly without running into time-too-new).
    """
    assembler = BlockAssembler(chainstate)
    hashes: list[bytes] = []
    for i in range(count):
        when = None
        if timestamp_step is not None:
            when = chainstate.tip.timestamp + timestamp_step
        block = assembler.create_block(payout_script, txs if i == 0 else (), timestamp=when)
        solved = solve(block, chainstate.params)
        assert solved is not None
        chainstate.process_block(solved)
        if chainstate.tip.hash != solved.hash:
            raise ChainError(f"mined block {solved.hash.hex()} did not become the tip")
        hashes.append(solved.hash)
    return hashes
