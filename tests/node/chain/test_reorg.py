"""Reorganisations: 1, 10 and 100 blocks, an invalid block in the middle of the better
branch, and disconnecting to genesis and back (issue 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from node.chain.chainstate import Chainstate
from node.chain.events import BlockConnected, BlockDisconnected, TipChanged
from node.consensus.errors import ConsensusError
from node.types.block import Block

from .helpers import (
    OTHER_SCRIPT,
    REGTEST,
    make_block,
    mine,
    open_chain,
    resolve,
    spend,
    spendable,
    utxo_digest,
)

PREFIX = REGTEST.coinbase_maturity + 5


@pytest.fixture(scope="module")
def prefix_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prefix")
    with open_chain(path) as cs:
        mine(cs, PREFIX)
    return path


def clone(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst


def extend_with_spends(cs: Chainstate, count: int, *, script: bytes, tag: bytes) -> list[Block]:
    """Mine `count` blocks, each spending one mature coin, so reorgs have undo work to do."""
    blocks = []
    for _ in range(count):
        coins = spendable(cs)
        txs = [spend([coins[0]], [(coins[0][1].value - 1000, script)])] if coins else []
        block = make_block(cs, txs, script=script, tag=tag)
        cs.process_block(block)
        blocks.append(block)
    return blocks


@pytest.mark.parametrize("depth", [1, 10, 100])
def test_reorg_to_the_branch_with_more_work(
    depth: int, prefix_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    a_dir = clone(prefix_dir, tmp_path_factory.mktemp("a"))
    b_dir = clone(prefix_dir, tmp_path_factory.mktemp("b"))
    with open_chain(a_dir) as a, open_chain(b_dir) as b:
        extend_with_spends(a, depth, script=OTHER_SCRIPT, tag=b"branch-a")
        before = a.tip.hash
        branch = extend_with_spends(b, depth + 1, script=OTHER_SCRIPT, tag=b"branch-b")
        events: list[object] = []
        a.events.subscribe(events.append)
        for block in branch[:-1]:
            a.process_block(block)
            assert a.tip.hash == before  # equal work: the first seen chain stays
        a.process_block(branch[-1])
        assert a.tip.hash == b.tip.hash
        assert a.height == PREFIX + depth + 1
        assert utxo_digest(a) == utxo_digest(b)
        assert a.tip.header.state_root == b.tip.header.state_root
        kinds = [type(e) for e in events]
        assert kinds.count(BlockDisconnected) == depth
        assert kinds.count(BlockConnected) == depth + 1
        assert kinds[-1] is TipChanged
    # The reorganised chain survives a restart.
    with open_chain(a_dir) as again:
        assert again.tip.hash == branch[-1].hash


def test_invalid_block_in_the_middle_falls_back(
    prefix_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    a_dir = clone(prefix_dir, tmp_path_factory.mktemp("a"))
    b_dir = clone(prefix_dir, tmp_path_factory.mktemp("b"))
    with open_chain(a_dir) as a, open_chain(b_dir) as b:
        extend_with_spends(a, 2, script=OTHER_SCRIPT, tag=b"a")
        tip, digest = a.tip.hash, utxo_digest(a)
        good = extend_with_spends(b, 4, script=OTHER_SCRIPT, tag=b"b")
        # Block 2 of the branch gets a wrong state root (valid header and PoW); blocks 3
        # and 4 are rebuilt on top of that bad block.
        bad = resolve(good[1], state_root=bytes([9]) * 32)
        b3 = resolve(good[2], prev_hash=bad.hash)
        b4 = resolve(good[3], prev_hash=b3.hash)
        a.process_block(good[0])
        a.process_block(bad)  # equal work to a's chain: stored, not connected yet
        assert a.tip.hash == tip
        with pytest.raises(ConsensusError) as info:
            a.process_block(b3)  # more work than a's chain: tried, fails at `bad`
        assert info.value.reason == "bad-prevblk"
        assert a.tip.hash == tip
        assert utxo_digest(a) == digest
        assert a.entry(bad.hash).is_invalid
        assert a.entry(b3.hash).is_invalid
        statuses = {t.hash: t.status for t in a.chain_tips()}
        assert statuses[b3.hash] == "invalid"
        # A block building on the invalid branch is refused outright.
        with pytest.raises(ConsensusError) as info:
            a.process_block(b4)
        assert info.value.reason == "bad-prevblk"
        assert a.tip.hash == tip


def test_disconnect_to_genesis_and_reconnect(prefix_dir: Path, tmp_path: Path) -> None:
    with open_chain(clone(prefix_dir, tmp_path)) as cs:
        extend_with_spends(cs, 5, script=OTHER_SCRIPT, tag=b"x")
        tip, digest, root, height = (
            cs.tip.hash,
            utxo_digest(cs),
            cs.tip.header.state_root,
            cs.height,
        )
        first = cs.active[1].hash
        cs.invalidate_block(first)
        assert cs.height == 0
        with cs.db.read() as txn:
            assert txn.utxo_count() == 0
        assert cs.tip.header.state_root == bytes(32)
        cs.reconsider_block(first)
        assert (cs.tip.hash, cs.height) == (tip, height)
        assert utxo_digest(cs) == digest
        assert cs.tip.header.state_root == root


def test_first_seen_wins_a_tie(prefix_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    a_dir = clone(prefix_dir, tmp_path_factory.mktemp("a"))
    b_dir = clone(prefix_dir, tmp_path_factory.mktemp("b"))
    with open_chain(a_dir) as a, open_chain(b_dir) as b:
        mine(a, 1, tag=b"first")
        mine(b, 1, tag=b"second")
        mine_tip = a.tip.hash
        a.process_block(b.get_block(b.tip.hash))
        assert a.tip.hash == mine_tip


def test_no_reorg_deeper_than_max_reorg_depth(tmp_path_factory: pytest.TempPathFactory) -> None:
    import dataclasses

    params = dataclasses.replace(REGTEST, max_reorg_depth=3)
    a_dir, b_dir = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    with open_chain(a_dir, params) as a, open_chain(b_dir, params) as b:
        mine(a, 5, tag=b"a")
        branch = [bytes(h) for h in mine(b, 7, tag=b"b")]
        blocks = [b.get_block(h) for h in branch]
        tip = a.tip.hash
        a.process_block(blocks[0])  # its parent (genesis) is on a's chain: accepted
        with pytest.raises(ConsensusError) as info:
            a.process_block(blocks[1])  # forks 5 blocks below a's tip > 3
        assert info.value.reason == "bad-fork-prior-to-maxreorgdepth"
        assert a.tip.hash == tip


def test_activation_refuses_a_reorg_that_became_too_deep(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import dataclasses

    params = dataclasses.replace(REGTEST, max_reorg_depth=3)
    a_dir, b_dir = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    with open_chain(a_dir, params) as a, open_chain(b_dir, params) as b:
        mine(a, 2, tag=b"a")
        blocks = [b.get_block(h) for h in mine(b, 6, tag=b"b")]
        # Headers of b's branch arrive while the fork is shallow (2 below a's tip) ...
        for block in blocks:
            a.accept_header(block.header)
        mine(a, 2, tag=b"a2")  # ... then a's chain grows: the fork is now 4 deep
        tip = a.tip.hash
        for block in blocks:
            a.process_block(block)
        assert a.tip.hash == tip  # more work, but beyond max_reorg_depth: not taken


def test_chainlocked_block_is_never_reorganised_away(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    a_dir, b_dir = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    with open_chain(a_dir) as a, open_chain(b_dir) as b:
        mine(a, 2, tag=b"a")
        a.set_chainlock(1, a.active[1].hash)
        tip = a.tip.hash
        blocks = [b.get_block(h) for h in mine(b, 4, tag=b"b")]
        a.process_block(blocks[0])  # parent is genesis, on a's chain: stored only
        with pytest.raises(ConsensusError) as info:
            a.process_block(blocks[1])  # would disconnect the ChainLocked block at height 1
        assert info.value.reason == "bad-fork-prior-to-maxreorgdepth"
        assert "ChainLock" in str(info.value)
        assert a.tip.hash == tip
