"""Chainstate basics: genesis, mining, spending, persistence across restarts, events."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.chain.chainstate import ProcessResult
from node.chain.events import BlockConnected, TipChanged
from node.consensus.subsidy import reward_split
from node.params import get_params
from node.storage.errors import NetworkMismatch

from .helpers import (
    OTHER_SCRIPT,
    REGTEST,
    SCRIPT,
    make_block,
    mine,
    open_chain,
    spend,
    spendable,
    utxo_digest,
)


def test_new_datadir_starts_at_genesis(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        assert cs.height == 0
        assert cs.tip.hash == REGTEST.genesis_hash
        assert (tmp_path / "regtest" / "chain.lmdb").is_dir()
        with cs.db.read() as txn:
            assert txn.utxo_count() == 0  # the genesis output is OP_RETURN


def test_mined_blocks_pay_the_miner_share(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        mine(cs, 3)
        assert cs.height == 3
        with cs.db.read() as txn:
            coins = [c for _, c in txn.iter_utxos()]
        assert len(coins) == 3
        assert {c.height for c in coins} == {1, 2, 3}
        assert all(c.is_coinbase and c.script_pubkey == SCRIPT for c in coins)
        assert coins[0].value == reward_split(1, 0, False, REGTEST).miner


def test_spend_moves_coins_and_fees_go_to_the_miner(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        mine(cs, REGTEST.coinbase_maturity + 1)
        (op, coin), *_ = spendable(cs)
        tx = spend([(op, coin)], [(coin.value - 1000, OTHER_SCRIPT)])
        block = make_block(cs, [tx])
        assert cs.process_block(block) is ProcessResult.ACCEPTED
        assert cs.tip.hash == block.hash
        with cs.db.read() as txn:
            assert txn.get_coin(op) is None
            paid = [c for _, c in txn.iter_utxos() if c.script_pubkey == OTHER_SCRIPT]
            cb = txn.get_block(block.hash)
        assert [c.value for c in paid] == [coin.value - 1000]
        assert cb is not None
        assert cb.txs[0].outputs[0].value == reward_split(cs.height, 0, False, REGTEST).miner + 1000


def test_restart_resumes_from_the_stored_tip(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        mine(cs, 12)
        tip, digest = cs.tip.hash, utxo_digest(cs)
    with open_chain(tmp_path) as cs:
        assert cs.height == 12
        assert cs.tip.hash == tip
        assert utxo_digest(cs) == digest
        mine(cs, 1)
        assert cs.height == 13


def test_duplicate_and_orphan_blocks(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    with open_chain(tmp_path) as a, open_chain(other) as b:
        blocks = [make_block(b)]
        b.process_block(blocks[0])
        blocks.append(make_block(b))
        b.process_block(blocks[1])
        assert a.process_block(blocks[1]) is ProcessResult.ORPHAN
        assert a.height == 0
        assert a.process_block(blocks[0]) is ProcessResult.ACCEPTED
        assert a.height == 2  # the orphan was connected once its parent arrived
        assert a.process_block(blocks[1]) is ProcessResult.DUPLICATE
        assert a.orphans == {}


def test_orphan_pool_is_bounded(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with open_chain(tmp_path, max_orphans=3) as a, open_chain(tmp_path_factory.mktemp("b")) as b:
        blocks = []
        for _ in range(6):
            blocks.append(make_block(b))
            b.process_block(blocks[-1])
        for block in blocks[1:]:
            assert a.process_block(block) is ProcessResult.ORPHAN
        assert len(a.orphans) == 3
        assert list(a.orphans) == [blk.hash for blk in blocks[3:]]


def test_events_are_published_after_commit(tmp_path: Path) -> None:
    with open_chain(tmp_path) as cs:
        seen: list[object] = []

        def subscriber(event: object) -> None:
            # The event arrives after the commit: the database already shows the new tip.
            if isinstance(event, BlockConnected):
                with cs.db.read() as txn:
                    assert txn.get_tip() == event.block.hash
            seen.append(event)

        def broken(event: object) -> None:
            raise RuntimeError("a failing subscriber must not break the chain")

        cs.events.subscribe(broken)
        cs.events.subscribe(subscriber)
        mine(cs, 2)
        kinds = [type(e) for e in seen]
        assert kinds == [BlockConnected, TipChanged, BlockConnected, TipChanged]
        assert isinstance(seen[-1], TipChanged)
        assert seen[-1].height == 2


def test_datadir_of_another_network_is_refused(tmp_path: Path) -> None:
    with open_chain(tmp_path):
        pass
    (tmp_path / "devnet").mkdir()
    # Move the regtest env where devnet would look for its own.
    (tmp_path / "regtest" / "chain.lmdb").rename(tmp_path / "devnet" / "chain.lmdb")
    with pytest.raises(NetworkMismatch):
        open_chain(tmp_path, get_params("devnet"))


def test_chain_tips_report_forks(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with open_chain(tmp_path) as a, open_chain(tmp_path_factory.mktemp("b")) as b:
        mine(a, 3)
        side = make_block(b, script=OTHER_SCRIPT)
        b.process_block(side)
        a.process_block(side)
        tips = {t.hash: t for t in a.chain_tips()}
        assert tips[a.tip.hash].status == "active"
        assert tips[side.hash].status == "valid-fork"
        assert tips[side.hash].branch_length == 1


def test_state_proofs_prove_utxos_and_absence(tmp_path: Path) -> None:
    from node.storage.schema import state_utxo_key
    from node.storage.trie import InvalidProof, verify_proof
    from node.types.tx import OutPoint

    with open_chain(tmp_path) as cs:
        mine(cs, 4)
        with cs.db.read() as txn:
            op, coin = next(iter(txn.iter_utxos()))
        key = state_utxo_key(op)
        root, proof = cs.state_proof(key)
        assert root == cs.tip.header.state_root
        assert verify_proof(root, key, proof) == coin.serialize()
        absent = state_utxo_key(OutPoint(bytes(32), 9))
        root, proof = cs.state_proof(absent)
        assert verify_proof(root, absent, proof) is None
        with pytest.raises(InvalidProof):
            verify_proof(bytes([1]) * 32, key, cs.state_proof(key)[1])


def test_block_stored_before_its_parent_connects_when_the_parent_arrives(tmp_path: Path) -> None:
    """Out-of-order download (headers first, then bodies from several peers): a child whose
    body arrives before its parent's is connected as soon as the parent's body is."""
    source = open_chain(tmp_path / "source")
    target = open_chain(tmp_path / "target")
    try:
        mine(source, 3)
        blocks = [source.get_block(e.hash) for e in source.active[1:]]
        for block in blocks:
            target.accept_header(block.header)
        target.process_block(blocks[2])
        target.process_block(blocks[1])
        assert target.height == 0
        target.process_block(blocks[0])
        assert target.tip.hash == blocks[2].hash
    finally:
        source.close()
        target.close()
