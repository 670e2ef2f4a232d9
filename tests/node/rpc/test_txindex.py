"""The tx index follows connects, disconnects (reorgs), catches up when behind and
rebuilds when its best block is unknown."""

from __future__ import annotations

import shutil
from pathlib import Path

from node.rpc.txindex import TxIndex
from tests.node.chain.helpers import OTHER_SCRIPT, make_block, mine, open_chain


def test_index_follows_the_chain_and_reorgs(tmp_path: Path) -> None:
    cs = open_chain(tmp_path)
    netdir = tmp_path / "regtest"
    index = TxIndex.open(netdir, cs)
    try:
        hashes = mine(cs, 3)
        blocks = [cs.get_block(h) for h in hashes]
        for block in blocks:
            assert index.lookup(block.txs[0].txid) == (block.hash, 0)
        assert index.best() == hashes[-1]
        assert len(index) == 4  # genesis coinbase + 3
        assert index.lookup(b"\x00" * 32) is None
        assert index.lookup(b"short") is None
        # a longer fork from height 1 replaces blocks 2 and 3
        cs.invalidate_block(hashes[1])
        side = [make_block(cs, script=OTHER_SCRIPT, tag=b"side") for _ in range(1)]
        cs.process_block(side[0])
        assert index.lookup(blocks[1].txs[0].txid) is None
        assert index.lookup(blocks[2].txs[0].txid) is None
        assert index.lookup(side[0].txs[0].txid) == (side[0].hash, 0)
        assert index.best() == side[0].hash
    finally:
        index.close()
        cs.close()


def test_catch_up_rewind_and_rebuild(tmp_path: Path) -> None:
    cs = open_chain(tmp_path)
    netdir = tmp_path / "regtest"
    index = TxIndex.open(netdir, cs)
    first = mine(cs, 2)
    index.close()
    # behind: blocks connected while the index was closed are added at open
    later = mine(cs, 2)
    index = TxIndex.open(netdir, cs)
    assert index.best() == later[-1]
    assert index.lookup(cs.get_block(later[0]).txs[0].txid) is not None
    index.close()
    # stale branch: the index's best block left the main chain while closed
    cs.invalidate_block(later[0])
    alt = make_block(cs, script=OTHER_SCRIPT, tag=b"alt")
    cs.process_block(alt)
    index = TxIndex.open(netdir, cs)
    assert index.best() == alt.hash
    assert index.lookup(cs.get_block(later[1]).txs[0].txid) is None
    assert index.lookup(cs.get_block(first[0]).txs[0].txid) == (first[0], 0)
    index.close()
    cs.close()
    # unknown best block (a different chain in the datadir): rebuilt from genesis
    shutil.rmtree(netdir / "chain.lmdb")
    cs = open_chain(tmp_path)
    fresh = mine(cs, 1)
    index = TxIndex.open(netdir, cs)
    try:
        assert index.best() == fresh[0]
        assert len(index) == 2
        assert index.lookup(alt.txs[0].txid) is None
    finally:
        index.close()
        cs.close()
