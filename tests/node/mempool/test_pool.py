"""Acceptance into the mempool on a real regtest chain: the happy path, the entry and coin
views, events, and one test per reject reason (Bitcoin Core's strings)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.chain.miner import coinbase_tx
from node.mempool import (
    AlreadyKnown,
    ConsensusReject,
    FeeReject,
    Mempool,
    MempoolPolicy,
    MempoolReject,
    MissingInputs,
    PolicyReject,
    ScriptReject,
)
from node.script import PrecomputedTxData, sign_input
from node.script.templates import null_data_script, p2pkh_script_sig
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.chain.helpers import OTHER_SCRIPT, PUBKEY, SECRET, spendable
from tests.node.mempool.pool_helpers import SCRIPT, Env, coin_of, pay, spend


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env.open(tmp_path)
    yield e
    e.close()


def reject(env: Env, tx: Tx, reason: str, **options: object) -> MempoolReject:
    size = len(env.pool)
    with pytest.raises(MempoolReject) as info:
        env.pool.accept(tx, **options)  # type: ignore[arg-type]
    assert info.value.reason == reason, str(info.value)
    assert len(env.pool) == size
    return info.value


def test_accept_adds_entry_with_fee_size_and_event(env: Env) -> None:
    """A plain spend of a mature coin enters with its fee, size, height and event."""
    tx = pay([env.coins[0]], 5000, n_outputs=2)
    result = env.pool.accept(tx)
    assert (result.txid, result.wtxid, result.fee, result.size) == (
        tx.txid, tx.wtxid, 5000, tx.size,
    )  # fmt: skip
    assert result.replaced == ()
    entry = env.pool.get(tx.txid)
    assert entry is not None
    assert tx.txid in env.pool
    assert len(env.pool) == 1
    assert entry.height == env.cs.height
    assert entry.time == env.clock.now
    assert entry.feerate == 5000 * 1000 // tx.size
    assert (entry.ancestor_count, entry.descendant_count) == (1, 1)
    assert env.added() == [tx.txid]
    assert env.pool.size_bytes() == tx.size
    assert env.pool.usage_bytes() > tx.size
    info = env.pool.info()
    assert info["size"] == 1
    assert info["bytes"] == tx.size
    assert info["total_fee"] == 5000
    assert info["mempoolminfee"] == info["minrelaytxfee"] == 1000
    env.check()


def test_test_only_validates_without_adding(env: Env) -> None:
    tx = pay([env.coins[0]], 5000)
    result = env.pool.accept(tx, test_only=True)
    assert result.fee == 5000
    assert len(env.pool) == 0
    assert env.events == []
    bad = pay([env.coins[1]], 10)
    reject(env, bad, "min relay fee not met", test_only=True)


def test_coin_view_and_spender_index(env: Env) -> None:
    """get_coin: UTXO set plus pool outputs at tip+1, minus pool spends."""
    (op, coin), (op2, coin2) = env.coins[0], env.coins[1]
    parent = pay([(op, coin)], 2000, n_outputs=2)
    env.pool.accept(parent)
    assert env.pool.spender_of(op) == parent.txid
    assert env.pool.get_coin(op) is None
    assert env.pool.get_coin(op2) == coin2
    pool_coin = env.pool.get_coin(OutPoint(parent.txid, 1))
    assert pool_coin == Coin(parent.outputs[1].value, SCRIPT, env.cs.height + 1, False)
    assert env.pool.get_coin(OutPoint(parent.txid, 2)) is None
    child = pay([coin_of(parent, 1)], 2000)
    env.pool.accept(child)
    assert env.pool.get_coin(OutPoint(parent.txid, 1)) is None
    assert env.pool.ancestors(child.txid) == {parent.txid}
    assert env.pool.descendants(parent.txid) == {child.txid}
    assert env.pool.get(parent.txid).descendant_fees == 4000  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        env.pool.ancestors(bytes(32))
    env.check()


def test_op_return_output_is_not_spendable_from_pool(env: Env) -> None:
    parent = spend([env.coins[0]], [(env.coins[0][1].value - 5000, SCRIPT),
                                     (0, null_data_script(b"hello"))])  # fmt: skip
    env.pool.accept(parent)
    child = spend([coin_of(parent, 1)], [(0, null_data_script(b"x"))])
    reject(env, child, "missing-inputs")


# ---------------------------------------------------------------- type and context-free


def test_reject_coinbase(env: Env) -> None:
    cb = coinbase_tx(env.cs.height + 1, [TxOut(1000, SCRIPT)])
    reject(env, cb, "coinbase")


def test_reject_special_tx_type_until_enabled(env: Env) -> None:
    base = pay([env.coins[0]], 5000)
    special = dataclasses.replace(base, tx_type=TxType.GOV_VOTE, payload=b"\x00")
    err = reject(env, special, "bad-txns-payload")
    assert "non-standard tx type GOV_VOTE" in err.message
    assert MempoolPolicy().with_tx_types(TxType.GOV_VOTE).allowed_tx_types == {
        TxType.STANDARD, TxType.TICKET_PURCHASE, TxType.TICKET_REVOKE, TxType.GOV_VOTE,
    }  # fmt: skip


def test_reject_consensus_reasons_pass_through(env: Env) -> None:
    (op, coin) = env.coins[0]
    no_outputs = spend([(op, coin)], [])
    assert isinstance(reject(env, no_outputs, "bad-txns-vout-empty"), ConsensusReject)
    dup = spend([(op, coin), (op, coin)], [(coin.value, SCRIPT)])
    reject(env, dup, "bad-txns-inputs-duplicate")
    v2 = dataclasses.replace(pay([(op, coin)], 5000), version=2)
    reject(env, v2, "bad-txns-version")


def test_reject_standardness(env: Env) -> None:
    (op, coin) = env.coins[0]
    value = coin.value - 5000
    assert isinstance(
        reject(env, spend([(op, coin)], [(value, b"\x51")]), "scriptpubkey"), PolicyReject
    )
    reject(env, spend([(op, coin)], [(value - 545, SCRIPT), (545, SCRIPT)]), "dust")
    two_returns = [(value, SCRIPT), (0, null_data_script(b"a")), (0, null_data_script(b"b"))]
    reject(env, spend([(op, coin)], two_returns), "multi-op-return")
    too_much_data = [(value, SCRIPT), (0, null_data_script(b"x" * 81))]
    reject(env, spend([(op, coin)], too_much_data), "scriptpubkey")
    big = spend([(op, coin)], [(1000, SCRIPT)] * 3000)
    assert big.size > 100_000
    reject(env, big, "tx-size")
    tiny = Tx(1, TxType.STANDARD, (TxIn(op),), (TxOut(1, b""),), 0, b"", (b"",))
    assert tiny.size == 64
    reject(env, tiny, "tx-size-small")
    signed = pay([(op, coin)], 5000)
    not_push = dataclasses.replace(signed, witnesses=(b"\x61" + signed.witnesses[0],))
    reject(env, not_push, "scriptsig-not-pushonly")
    huge_sig = dataclasses.replace(signed, witnesses=(b"\x4d\x80\x06" + b"\x00" * 1664,))
    reject(env, huge_sig, "scriptsig-size")


def test_nonstandard_allowed_when_policy_off(tmp_path: Path) -> None:
    env = Env.open(tmp_path, policy=MempoolPolicy(require_standard=False))
    try:
        (op, coin) = env.coins[0]
        env.pool.accept(spend([(op, coin)], [(coin.value - 5000, b"\x51")]))
        assert len(env.pool) == 1
    finally:
        env.close()


# ---------------------------------------------------------------- against chain and pool


def test_reject_non_final(env: Env) -> None:
    tx = pay([env.coins[0]], 5000, lock_time=env.cs.height + 1)
    reject(env, tx, "non-final")
    ok = pay([env.coins[0]], 5000, lock_time=env.cs.height)
    env.pool.accept(ok)
    final_seq = pay([env.coins[1]], 5000, lock_time=env.cs.height + 50, sequence=0xFFFFFFFF)
    env.pool.accept(final_seq)


def test_reject_duplicates(env: Env) -> None:
    tx = pay([env.coins[0]], 5000)
    env.pool.accept(tx)
    assert isinstance(reject(env, tx, "txn-already-in-mempool"), AlreadyKnown)
    # Same txid, another valid signature (different nonce): a different wtxid.
    unsigned = dataclasses.replace(tx, witnesses=(b"",))
    coin = env.coins[0][1]
    spent = TxOut(coin.value, coin.script_pubkey)
    pre = PrecomputedTxData.from_tx(unsigned)
    sig = sign_input(SECRET, unsigned, 0, spent, precomputed=pre, aux_rand=b"\x01" * 32)
    other = dataclasses.replace(unsigned, witnesses=(p2pkh_script_sig(sig, PUBKEY),))
    assert other.txid == tx.txid
    assert other.wtxid != tx.wtxid
    reject(env, other, "txn-same-nonwitness-data-in-mempool")


def test_reject_already_confirmed(env: Env) -> None:
    tx = pay([env.coins[0]], 5000)
    env.pool.accept(tx)
    env.mine_txs([tx])
    assert len(env.pool) == 0
    reject(env, tx, "txn-already-known")
    assert tx.txid not in env.pool.orphans


def test_missing_inputs_go_to_orphans(env: Env) -> None:
    ghost = (OutPoint(b"\x07" * 32, 0), Coin(10**8, SCRIPT, 0, False))
    tx = pay([ghost], 5000)
    assert isinstance(reject(env, tx, "missing-inputs", test_only=True), MissingInputs)
    assert tx.txid not in env.pool.orphans
    reject(env, tx, "missing-inputs")
    assert tx.txid in env.pool.orphans
    assert env.pool.info()["orphans"] == 1


def test_reject_sequence_locks(env: Env) -> None:
    (op, coin) = env.coins[-1]
    confirmations = env.cs.height + 1 - coin.height
    locked = pay([(op, coin)], 5000, sequence=confirmations + 1)
    reject(env, locked, "non-BIP68-final")
    ok = pay([(op, coin)], 5000, sequence=confirmations)
    env.pool.accept(ok)
    # Time-based relative lock of 512 seconds * 2^16-1: never reached.
    time_locked = pay([env.coins[0]], 5000, sequence=(1 << 22) | 0xFFFF)
    reject(env, time_locked, "non-BIP68-final")
    # A pool parent counts as confirmed at tip+1: only a zero relative lock passes.
    reject(env, pay([coin_of(ok)], 5000, sequence=1), "non-BIP68-final")
    env.pool.accept(pay([coin_of(ok)], 5000, sequence=0))
    env.check()


def test_reject_immature_coinbase_and_value_rules(env: Env) -> None:
    with env.cs.db.read() as txn:
        coinbase = env.cs.get_block(env.cs.tip.hash).txs[0]
        op = OutPoint(coinbase.txid, 0)
        coin = txn.get_coin(op)
    assert coin is not None
    reject(env, pay([(op, coin)], 5000), "bad-txns-premature-spend-of-coinbase")
    (op, coin) = env.coins[0]
    reject(env, spend([(op, coin)], [(coin.value + 1, SCRIPT)]), "bad-txns-in-belowout")


def test_reject_nonstandard_input(env: Env) -> None:
    (op, coin) = env.coins[0]
    funding = spend([(op, coin)], [(coin.value - 5000, b"\x51")])
    env.mine_txs([funding])
    anyone = (OutPoint(funding.txid, 0), Coin(coin.value - 5000, b"\x51", 0, False))
    tx = Tx(1, TxType.STANDARD, (TxIn(anyone[0]),), (TxOut(coin.value - 10000, SCRIPT),), 0,
            b"", (b"",))  # fmt: skip
    reject(env, tx, "bad-txns-nonstandard-inputs")


def test_reject_too_many_sigops(tmp_path: Path) -> None:
    env = Env.open(tmp_path, policy=MempoolPolicy(max_standard_tx_sigops=1))
    try:
        reject(env, pay([env.coins[0]], 5000, n_outputs=2), "bad-txns-too-many-sigops")
        env.pool.accept(pay([env.coins[0]], 5000, n_outputs=1))
    finally:
        env.close()


def test_reject_fees(env: Env) -> None:
    tx = pay([env.coins[0]], 186)
    assert tx.size == 187
    assert isinstance(reject(env, tx, "min relay fee not met"), FeeReject)
    env.pool.accept(pay([env.coins[0]], 187))
    reject(env, pay([env.coins[1]], 50_000), "max-fee-exceeded", max_fee=49_999)
    env.pool.accept(pay([env.coins[1]], 50_000), max_fee=50_000)


def test_reject_bad_signature_is_mandatory(env: Env) -> None:
    (op, coin) = env.coins[0]
    wrong_key = spend([(op, coin)], [(coin.value - 5000, SCRIPT)], secret=bytes.fromhex("22" * 32))
    err = reject(env, wrong_key, "mandatory-script-verify-flag-failed (EQUALVERIFY)")
    assert isinstance(err, ScriptReject)
    good = pay([(op, coin)], 5000)
    sig = bytearray(good.witnesses[0])
    sig[5] ^= 1
    bad_sig = dataclasses.replace(good, witnesses=(bytes(sig),))
    assert reject(env, bad_sig, "mandatory-script-verify-flag-failed (SIG_NULLFAIL)").message


def test_reject_policy_only_script_failure_is_non_mandatory(env: Env) -> None:
    """An extra push leaves two stack items: CLEANSTACK (policy) fails, consensus passes."""
    good = pay([env.coins[0]], 5000)
    extra = dataclasses.replace(good, witnesses=(b"\x51" + good.witnesses[0],))
    reject(env, extra, "non-mandatory-script-verify-flag-failed (CLEANSTACK)")


def test_pool_ignores_other_scripts_owner(env: Env) -> None:
    """Outputs paying someone else are fine; spending them needs their key."""
    tx = pay([env.coins[0]], 5000, script=OTHER_SCRIPT)
    env.pool.accept(tx)
    theirs = pay([coin_of(tx)], 5000)  # signed with our key: wrong
    assert reject(env, theirs, "mandatory-script-verify-flag-failed (EQUALVERIFY)")


def test_spendable_helper_sees_chain(env: Env) -> None:
    assert len(spendable(env.cs)) == len(env.coins) == 6


def test_mempool_rejects_on_closed_subscription(env: Env) -> None:
    """After close() the pool stops following the chain."""
    tx = pay([env.coins[0]], 5000)
    env.pool.accept(tx)
    env.pool.close()
    env.mine_txs([tx])
    assert tx.txid in env.pool
    fresh = Mempool(env.cs, clock=env.clock)
    assert len(fresh) == 0
    fresh.close()
