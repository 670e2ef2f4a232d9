"""Chains for the sync tests, built without a P2P service: honest blocks mined on a private
chainstate, blocks with a valid header and an invalid body, and header-only chains (valid
proof of work) that extend anything, for peers that lie about what they have."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from node.chain.miner import solve
from node.types.block import Block, BlockHeader
from tests.node.chain.helpers import SPACING, make_block, open_chain, with_txs
from tests.node.p2p.harness import PARAMS


def mined_blocks(path: Path, count: int, *, tag: bytes = b"rusty") -> list[Block]:
    """`count` valid blocks on the regtest genesis (a chainstate in `path`, then closed)."""
    cs = open_chain(path, PARAMS)
    try:
        blocks = []
        for _ in range(count):
            block = make_block(cs, tag=tag)
            with cs.lock:
                cs.process_block(block)
            blocks.append(block)
        return blocks
    finally:
        cs.close()


def greedy(block: Block) -> Block:
    """`block` with its coinbase paying far too much: a valid header, an invalid body."""
    coinbase = block.txs[0]
    output = dataclasses.replace(coinbase.outputs[0], value=10**15)
    return with_txs(block, [dataclasses.replace(coinbase, outputs=(output,)), *block.txs[1:]],
                    PARAMS)  # fmt: skip


def mutated(block: Block) -> Block:
    """`block` with a different body under the same header (the Merkle root no longer
    matches): what a peer lying about a block's contents sends."""
    coinbase = block.txs[0]
    witness = coinbase.witnesses[0] + b"!"
    return Block(block.header, block.votes,
                 (dataclasses.replace(coinbase, witnesses=(witness,)), *block.txs[1:]))  # fmt: skip


def extend_headers(parent: BlockHeader, count: int) -> list[BlockHeader]:
    """`count` headers after `parent` with valid proof of work and nothing behind them."""
    out: list[BlockHeader] = []
    prev = parent
    for i in range(count):
        root = bytes([i % 256]) * 32
        header = BlockHeader(prev.version, prev.height + 1, prev.hash, root, bytes(32),
                             bytes(32), prev.timestamp + SPACING, prev.bits, 0)  # fmt: skip
        solved = solve(Block(header, (), ()), PARAMS)
        assert solved is not None
        out.append(solved.header)
        prev = solved.header
    return out
