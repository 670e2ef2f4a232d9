"""Catch-up, reorgs and the watermark, in-process against real chains, on SQLite and Postgres.

The indexer reads a real node's chain database (read-only LMDB) through node.api and writes
a real database; every check compares the tables with an independent recomputation from
the chain (tests/web/indexer/expected.py).
"""

from __future__ import annotations

import logging

import pytest

from indexer.models import Block, IndexerState, Ticket, TicketEvent, Transaction
from indexer.sink import Indexer
from indexer.writer import IndexerError, IndexWriter, WatermarkMoved
from node import api
from tests.web.indexer.conftest import Chains
from tests.web.indexer.expected import compare, recompute

log = logging.getLogger(__name__)


def index(chains: Chains, which: str, alias: str, **options: int) -> Indexer:
    reader = api.ChainReader.open_readonly(getattr(chains, which), chains.params)
    indexer = Indexer(reader, using=alias, **options)
    try:
        indexer.sync()
    finally:
        reader.close()
    return indexer


@pytest.mark.parametrize("batch", [1, 500])
def test_catch_up_matches_an_independent_recomputation(
    idx_db: str, chains: Chains, batch: int
) -> None:
    """Catch-up from genesis in batches of 1 or 500 blocks gives exactly the recomputed
    blocks, transactions, fees, spent-by links, address totals and ticket states."""
    indexer = index(chains, "a", idx_db, batch_blocks=batch)
    expected = recompute(chains.a, chains.params)
    log.info("indexed %d blocks, %d txs", indexer.blocks_indexed, indexer.txs_indexed)
    assert indexer.blocks_indexed == expected.height + 1
    assert compare(expected, idx_db) == []
    statuses = set(Ticket.objects.using(idx_db).values_list("status", flat=True))
    assert {"immature", "live", "voted"} <= statuses
    tip = Block.objects.using(idx_db).get(height=expected.height)
    assert tip.vote_count >= 3
    assert tip.supply > 0
    assert tip.ticket_pool_size > 0
    assert tip.nonce >= 0


def test_a_second_sync_indexes_nothing_twice(idx_db: str, chains: Chains) -> None:
    """Running the catch-up again (a restart) applies no block and changes no row."""
    index(chains, "a", idx_db)
    before = (Transaction.objects.using(idx_db).count(), TicketEvent.objects.using(idx_db).count())
    again = index(chains, "a", idx_db)
    assert again.blocks_indexed == 0
    after = (Transaction.objects.using(idx_db).count(), TicketEvent.objects.using(idx_db).count())
    assert before == after


def test_reorg_to_a_longer_branch_restores_everything(idx_db: str, chains: Chains) -> None:
    """SQL holds chain A; the node's main chain is now B (forked at F): the stale blocks are
    undone from SQL alone (spent-by, balances, counters, tickets) and B's are applied."""
    index(chains, "a", idx_db)
    a = recompute(chains.a, chains.params)
    indexer = index(chains, "b", idx_db)
    b = recompute(chains.b, chains.params)
    assert indexer.blocks_indexed == b.height - chains.fork
    assert a.height > chains.fork
    assert a.blocks[a.height] not in b.blocks.values()
    assert compare(b, idx_db) == []
    # and back again: A is shorter, so this is a rewind plus the A blocks
    index(chains, "a", idx_db)
    assert compare(a, idx_db) == []


def test_undo_every_block_then_reindex(idx_db: str, chains: Chains) -> None:
    """undo_tip down to genesis empties the tables; a catch-up rebuilds the same rows."""
    index(chains, "a", idx_db)
    writer = IndexWriter(chains.params, idx_db)
    height, _ = writer.state()
    while height >= 0:
        undone = writer.undo_tip()
        assert undone.height == height
        height, _ = writer.state()
    for model in (Block, Transaction, Ticket, TicketEvent):
        assert model.objects.using(idx_db).count() == 0
    from indexer.models import Address

    assert Address.objects.using(idx_db).count() == 0
    index(chains, "a", idx_db)
    assert compare(recompute(chains.a, chains.params), idx_db) == []


def test_reindex_request_rolls_back_and_rebuilds(idx_db: str, chains: Chains) -> None:
    """The admin's reindex_from = h makes the next sync undo blocks >= h and index them
    again; the request is cleared."""
    index(chains, "a", idx_db)
    IndexerState.objects.using(idx_db).filter(name="main").update(reindex_from=chains.fork - 5)
    indexer = index(chains, "a", idx_db)
    expected = recompute(chains.a, chains.params)
    assert indexer.blocks_indexed == expected.height - (chains.fork - 5) + 1
    assert IndexerState.objects.using(idx_db).get(name="main").reindex_from is None
    assert compare(expected, idx_db) == []


def test_writer_refuses_blocks_that_do_not_extend_the_watermark(
    idx_db: str, chains: Chains
) -> None:
    """Blocks above a gap, a second copy of an indexed block, an empty batch or an undo on
    an empty index are refused with clear errors and change nothing."""
    reader = api.ChainReader.open_readonly(chains.a, chains.params)
    try:
        writer = IndexWriter(chains.params, idx_db)
        writer.state()
        with pytest.raises(IndexerError, match="nothing is indexed"):
            writer.undo_tip()
        with pytest.raises(WatermarkMoved, match="does not extend"):
            writer.apply(reader.read(3, 2))
        writer.apply(reader.read(0, 4))
        with pytest.raises(WatermarkMoved):
            writer.apply(reader.read(3, 1))
        with pytest.raises(WatermarkMoved, match="not"):
            writer.undo_tip(expected_hash="00" * 32)
        with pytest.raises(ValueError, match="at least one block"):
            writer.apply([])
        assert writer.state()[0] == 3
        assert Block.objects.using(idx_db).count() == 4
    finally:
        reader.close()
