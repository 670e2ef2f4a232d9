"""The invalid-block harness: one block per rejection reason (issue 4).

Each case builds a block that is valid except for one fault, submits it, and checks that
it is rejected with its reason, that the tip and the UTXO set are untouched, and that the
node keeps working (the next valid block connects).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, coinbase_tx, solve
from node.consensus.errors import ConsensusError
from node.consensus.pow import pow_value, target_from_bits
from node.crypto.merkle import merkle_root
from node.types.block import Block
from node.types.tx import TxOut

from .helpers import (
    OTHER_SCRIPT,
    REGTEST,
    SCRIPT,
    SPACING,
    make_block,
    mine,
    open_chain,
    resolve,
    spend,
    spendable,
    utxo_digest,
    with_txs,
)

Builder = Callable[[Chainstate], Block]


def template(cs: Chainstate, txs: tuple = ()) -> Block:  # type: ignore[type-arg]
    return BlockAssembler(cs).create_block(SCRIPT, txs, timestamp=cs.tip.timestamp + SPACING)


def inflation(cs: Chainstate) -> Block:
    block = template(cs)
    cb = block.txs[0]
    bigger = coinbase_tx(cs.height + 1, [TxOut(cb.outputs[0].value + 1, SCRIPT)])
    return with_txs(block, [bigger])


def double_spend_in_block(cs: Chainstate) -> Block:
    (coin,) = spendable(cs)[:1]
    a = spend([coin], [(coin[1].value - 1000, OTHER_SCRIPT)])
    b = spend([coin], [(coin[1].value - 2000, OTHER_SCRIPT)])
    block = template(cs, (a,))
    return with_txs(block, [block.txs[0], a, b])


def double_spend_across_blocks(cs: Chainstate) -> Block:
    (coin,) = spendable(cs)[:1]
    cs.process_block(make_block(cs, [spend([coin], [(coin[1].value - 1000, OTHER_SCRIPT)])]))
    block = template(cs)
    again = spend([coin], [(coin[1].value - 5000, OTHER_SCRIPT)])
    return with_txs(block, [block.txs[0], again])


def immature_coinbase_spend(cs: Chainstate) -> Block:
    with cs.db.read() as txn:
        young = [(op, c) for op, c in txn.iter_utxos() if c.height == cs.height]
    tx = spend(young, [(young[0][1].value - 1000, OTHER_SCRIPT)])
    block = template(cs)
    return with_txs(block, [block.txs[0], tx])


def bad_merkle_root(cs: Chainstate) -> Block:
    return resolve(template(cs), merkle_root=bytes(range(32)))


def merkle_duplicate_subtree(cs: Chainstate) -> Block:
    coins = spendable(cs)[:2]
    txs = tuple(spend([c], [(c[1].value - 1000, OTHER_SCRIPT)]) for c in coins)
    valid = solve(template(cs, txs), REGTEST)
    assert valid is not None
    assert len(valid.txs) == 3
    # CVE-2012-2459: [cb, a, b, b] has the same Merkle root (and block hash) as [cb, a, b].
    mutated = Block(valid.header, valid.votes, (*valid.txs, valid.txs[-1]))
    assert merkle_root([t.wtxid for t in mutated.txs]) == valid.header.merkle_root
    return mutated


def bad_pow(cs: Chainstate) -> Block:
    block = template(cs)
    target = target_from_bits(block.header.bits)
    nonce = 0
    while True:
        header = dataclasses.replace(block.header, nonce=nonce)
        if pow_value(header.serialize(), REGTEST) > target:
            return Block(header, block.votes, block.txs)
        nonce += 1


def bad_bits(cs: Chainstate) -> Block:
    return resolve(template(cs), bits=0x207FFFFE)


def time_too_old(cs: Chainstate) -> Block:
    return resolve(template(cs), timestamp=cs.median_time_past(cs.tip))


def time_too_new(cs: Chainstate) -> Block:
    limit = int(cs.clock()) + REGTEST.max_future_block_time
    return resolve(template(cs), timestamp=limit + 1)


def bad_height(cs: Chainstate) -> Block:
    return resolve(template(cs), height=cs.height + 2)


def bad_coinbase_height(cs: Chainstate) -> Block:
    block = template(cs)
    cb = block.txs[0]
    wrong = dataclasses.replace(cb, lock_time=cs.height + 7)
    return with_txs(block, [wrong])


def oversize(cs: Chainstate) -> Block:
    # Three ~0.9 MB transactions of zero-value oversized (unspendable) outputs: > 2 MB.
    coins = spendable(cs)[:3]
    big = b"\x00" * 9_000
    txs = [spend([c], [(c[1].value - 10_000, SCRIPT)] + [(0, big)] * 100) for c in coins]
    block = template(cs)
    return with_txs(block, [block.txs[0], *txs])


def too_many_sigops(cs: Chainstate) -> Block:
    # Legacy sigops count every OP_CHECKSIG in output scripts: 5 x 9,000 > 40,000.
    (coin,) = spendable(cs)[:1]
    checksigs = b"\xac" * 9_000
    tx = spend([coin], [(coin[1].value - 10_000, SCRIPT)] + [(0, checksigs)] * 5)
    block = template(cs)
    return with_txs(block, [block.txs[0], tx])


def bad_state_root(cs: Chainstate) -> Block:
    return resolve(template(cs), state_root=bytes([7]) * 32)


def bad_script(cs: Chainstate) -> Block:
    (coin,) = spendable(cs)[:1]
    forged = spend([coin], [(coin[1].value - 1000, OTHER_SCRIPT)], secret=bytes.fromhex("33" * 32))
    block = template(cs)
    return with_txs(block, [block.txs[0], forged])


def duplicate_tx(cs: Chainstate) -> Block:
    coins = spendable(cs)[:2]
    a = spend([coins[0]], [(coins[0][1].value - 1000, OTHER_SCRIPT)])
    b = spend([coins[1]], [(coins[1][1].value - 1000, OTHER_SCRIPT)])
    block = template(cs, (a, b))
    return with_txs(block, [block.txs[0], a, a, b])


def missing_input(cs: Chainstate) -> Block:
    (coin,) = spendable(cs)[:1]
    ghost = (dataclasses.replace(coin[0], vout=coin[0].vout + 5), coin[1])
    tx = spend([ghost], [(coin[1].value - 1000, OTHER_SCRIPT)])
    block = template(cs)
    return with_txs(block, [block.txs[0], tx])


CASES: list[tuple[str, Builder, str]] = [
    ("inflation", inflation, "bad-cb-amount"),
    ("double spend within a block", double_spend_in_block, "bad-txns-inputs-missingorspent"),
    ("double spend across blocks", double_spend_across_blocks, "bad-txns-inputs-missingorspent"),
    ("missing input", missing_input, "bad-txns-inputs-missingorspent"),
    ("immature coinbase spend", immature_coinbase_spend, "bad-txns-premature-spend-of-coinbase"),
    ("bad merkle root", bad_merkle_root, "bad-txnmrklroot"),
    ("merkle duplicate subtree", merkle_duplicate_subtree, "bad-txns-duplicate"),
    ("bad proof of work", bad_pow, "high-hash"),
    ("bad bits", bad_bits, "bad-diffbits"),
    ("timestamp too old", time_too_old, "time-too-old"),
    ("timestamp too new", time_too_new, "time-too-new"),
    ("bad height", bad_height, "bad-blk-height"),
    ("coinbase lock_time is not the height", bad_coinbase_height, "bad-cb-height"),
    ("oversize", oversize, "bad-blk-length"),
    ("too many sigops", too_many_sigops, "bad-blk-sigops"),
    ("bad state root", bad_state_root, "bad-state-root"),
    ("bad script", bad_script, "block-script-verify-flag-failed"),
    ("duplicate tx", duplicate_tx, "bad-txns-duplicate"),
]


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A regtest chain with mature coinbases, copied for every case."""
    path = tmp_path_factory.mktemp("base")
    with open_chain(path) as cs:
        mine(cs, REGTEST.coinbase_maturity + 6)
    return path


@pytest.mark.parametrize(("name", "build", "reason"), CASES, ids=[c[0] for c in CASES])
def test_invalid_block_is_rejected_and_changes_nothing(
    name: str, build: Builder, reason: str, base_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(base_dir, tmp_path, dirs_exist_ok=True)
    with open_chain(tmp_path) as cs:
        block = build(cs)
        tip, digest, root = cs.tip.hash, utxo_digest(cs), cs.tip.header.state_root
        with pytest.raises(ConsensusError) as info:
            cs.process_block(block)
        assert info.value.reason.startswith(reason), str(info.value)
        assert cs.tip.hash == tip
        assert utxo_digest(cs) == digest
        assert cs.tip.header.state_root == root
        mine(cs, 1)  # the node keeps working
        assert cs.tip.header.prev_hash == tip


def test_honest_body_is_accepted_after_its_mutated_twin(base_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(base_dir, tmp_path, dirs_exist_ok=True)
    with open_chain(tmp_path) as cs:
        mutated = merkle_duplicate_subtree(cs)
        valid = Block(mutated.header, mutated.votes, mutated.txs[:-1])
        assert valid.hash == mutated.hash
        with pytest.raises(ConsensusError) as info:
            cs.process_block(mutated)
        assert info.value.reason == "bad-txns-duplicate"
        assert not cs.entry(valid.hash).is_invalid  # the header stays valid
        cs.process_block(valid)
        assert cs.tip.hash == valid.hash
