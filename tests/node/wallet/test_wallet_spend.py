"""Wallet against the real chainstate and mempool: balances through maturity, send ->
mempool -> mined, reorgs, fee bumping, changeless BnB spends, fees, and bad inputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.crypto.address import p2pkh_address
from node.mempool.errors import MempoolReject
from node.params import COIN
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from node.wallet.builder import FALLBACK_FEERATE, tx_size
from node.wallet.coinselect import fee_for_size
from node.wallet.errors import (
    InsufficientFunds,
    InvalidAddress,
    InvalidAmount,
    InvalidParameter,
    NotWalletTransaction,
    PrivateKeysDisabled,
    TransactionNotReplaceable,
    UnknownTransaction,
    WalletLocked,
)
from node.wallet.wallet import Wallet
from tests.node.chain.helpers import mine
from tests.node.wallet.helpers import MNEMONIC, Env, expected_address


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    env = Env.open(tmp_path)
    yield env
    env.close()


def reward(env: Env) -> int:
    return env.cs.get_block(env.cs.tip.hash).txs[0].outputs[0].value


def funded(env: Env, name: str = "alice", blocks: int = 1, **options: str) -> Wallet:
    wallet = env.manager.create(name, **options)  # type: ignore[arg-type]
    env.mine_to(wallet, blocks)
    env.mature()
    return wallet


def fee_of(wallet: Wallet, txid: bytes) -> int:
    info = wallet.get_transaction(txid)
    assert info is not None
    assert info.fee is not None
    return info.fee


def test_coinbase_matures(env: Env) -> None:
    wallet = env.manager.create("w")
    env.mine_to(wallet, 2)
    value = reward(env)
    assert wallet.balances().immature == 2 * value
    assert wallet.balances().confirmed == 0
    assert [t.category for t in wallet.list_transactions()] == ["immature", "immature"]
    assert wallet.list_unspent() == []
    env.mature()
    bal = wallet.balances()
    assert (bal.confirmed, bal.unconfirmed, bal.immature, bal.staked) == (2 * value, 0, 0, 0)
    assert [t.category for t in wallet.list_transactions()] == ["generate", "generate"]
    assert len(wallet.list_unspent()) == 2


def test_send_mempool_mined_and_history(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    total = alice.balances().confirmed
    amount = 10 * COIN
    txid = alice.send([(bob.get_new_address("from alice"), amount)])
    assert txid in env.pool
    tx = env.pool.entries[txid].tx
    fee = fee_of(alice, txid)
    assert fee == fee_for_size(FALLBACK_FEERATE, tx.size)
    assert all(txin.sequence == 0xFFFFFFFD for txin in tx.inputs)
    assert tx.lock_time == env.cs.height
    a, b = alice.balances(), bob.balances()
    assert (a.confirmed, a.unconfirmed) == (0, total - amount - fee)
    assert (b.confirmed, b.unconfirmed) == (0, amount)
    sent = alice.list_transactions()[-1]
    assert (sent.category, sent.amount, sent.confirmations) == ("send", -amount, 0)
    assert sent.replaceable
    assert sent.trusted
    got = bob.list_transactions()[-1]
    assert (got.category, got.amount, got.label, got.trusted) == ("receive", amount,
                                                                   "from alice", False)  # fmt: skip
    assert [u.safe for u in alice.list_unspent(0)] == [True]
    assert [u.safe for u in bob.list_unspent(0)] == [False]
    assert bob.list_unspent() == []

    env.mine_block()
    assert txid not in env.pool
    a, b = alice.balances(), bob.balances()
    assert (a.confirmed, a.unconfirmed) == (total - amount - fee, 0)
    assert (b.confirmed, b.unconfirmed) == (amount, 0)
    assert bob.list_transactions()[-1].confirmations == 1
    mine(env.cs, 2)
    assert bob.list_transactions()[-1].confirmations == 3
    utxo = bob.list_unspent()[0]
    assert (utxo.value, utxo.confirmations, utxo.label) == (amount, 3, "from alice")


def test_reorg_unconfirms_and_reconfirms(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    txid = alice.send([(bob.get_new_address(), 5 * COIN)])
    block = env.mine_block()
    assert bob.balances().confirmed == 5 * COIN
    # A competing branch without the transaction takes over.
    env.cs.invalidate_block(block)
    env.mine_block(())
    env.mine_block(())
    env.cs.reconsider_block(block)
    assert env.cs.tip.hash != block
    assert txid in env.pool  # the mempool took it back
    assert bob.balances().confirmed == 0
    assert bob.balances().unconfirmed == 5 * COIN
    assert bob.get_transaction(txid).confirmations == 0  # type: ignore[union-attr]
    env.mine_block()
    assert bob.balances().confirmed == 5 * COIN
    assert bob.get_transaction(txid).confirmations == 1  # type: ignore[union-attr]


def test_orphaned_coinbase_drops_out(env: Env) -> None:
    wallet = env.manager.create("w")
    env.mine_to(wallet, 1)
    block = env.cs.tip.hash
    assert wallet.balances().immature > 0
    env.cs.invalidate_block(block)
    assert wallet.balances().immature == 0
    assert wallet.list_transactions()[-1].category == "orphan"
    assert wallet.list_transactions()[-1].confirmations == -1


def test_bump_fee_replaces(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    amount = 7 * COIN
    old = alice.send([(bob.get_new_address(), amount)], fee_rate=2000)
    old_tx = env.pool.entries[old].tx
    old_fee = fee_of(alice, old)
    with pytest.raises(InvalidParameter, match="at least"):
        alice.bump_fee(old, fee_rate=2500)
    new = alice.bump_fee(old)
    assert old not in env.pool
    assert new in env.pool
    new_tx = env.pool.entries[new].tx
    new_fee = fee_of(alice, new)
    assert new_fee >= old_fee + new_tx.size  # BIP125 rule 4 at 1000 units/kvB
    assert new_fee * 1000 // new_tx.size >= old_fee * 1000 // old_tx.size + 1000
    assert {i.prevout for i in old_tx.inputs} <= {i.prevout for i in new_tx.inputs}
    assert alice.get_transaction(old).confirmations == -1  # type: ignore[union-attr]
    assert bob.balances().unconfirmed == amount
    total = alice.balances()
    assert total.confirmed + total.unconfirmed == _funded_total(alice) - amount - new_fee
    # Bad bumps
    with pytest.raises(TransactionNotReplaceable):
        alice.bump_fee(old)
    with pytest.raises(UnknownTransaction):
        alice.bump_fee(bytes(32))
    with pytest.raises(NotWalletTransaction):
        bob.bump_fee(new)
    carol = env.manager.create("carol")
    with pytest.raises(NotWalletTransaction):
        carol.bump_fee(new)
    env.mine_block()
    assert bob.balances().confirmed == amount
    with pytest.raises(TransactionNotReplaceable, match="mined"):
        alice.bump_fee(new)


def _funded_total(wallet: Wallet) -> int:
    """Sum of the coinbase outputs the wallet ever received."""
    return sum(t.amount for t in wallet.list_transactions(1000) if t.category == "generate")


def fund_exact(env: Env, wallet: Wallet, values: list[int]) -> None:
    funder = funded(env, "funder", blocks=2)
    funder.send([(wallet.get_new_address(), v) for v in values], fee_rate=1000)
    env.mine_block()


def test_bnb_avoids_change_when_an_exact_match_exists(env: Env) -> None:
    alice = env.manager.create("alice")
    fund_exact(env, alice, [1 * COIN, 2 * COIN, 5 * COIN, 9 * COIN])
    bob = env.manager.create("bob")
    dest = bob.get_new_address()
    one_output = tx_size(0, [TxOut(0, env.script(dest))])
    exact = 3 * COIN - 2 * fee_for_size(1000, 139) - fee_for_size(1000, one_output)
    tx = alice.create_transaction([(dest, exact)], fee_rate=1000)
    assert len(tx.outputs) == 1  # no change
    spent = {alice.state.outputs[i.prevout].value for i in tx.inputs}
    assert spent == {1 * COIN, 2 * COIN}
    # Within the cost of change the small excess goes to the fee, still without change.
    tx = alice.create_transaction([(dest, exact - 50)], fee_rate=1000)
    assert len(tx.outputs) == 1
    # An amount no subset matches gets a change output.
    tx = alice.create_transaction([(dest, 4 * COIN)], fee_rate=1000)
    assert len(tx.outputs) == 2
    change = [o for o in tx.outputs if alice.is_change(o.script_pubkey)]
    assert len(change) == 1
    txid = alice.broadcast(tx)
    assert txid in env.pool


def test_subtract_fee_from_outputs(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    everything = alice.balances().confirmed
    txid = alice.send([(bob.get_new_address(), everything)], subtract_fee_from=[0])
    tx = env.pool.entries[txid].tx
    assert len(tx.outputs) == 1
    fee = everything - tx.outputs[0].value
    assert fee == fee_for_size(FALLBACK_FEERATE, tx.size)
    assert alice.balances().confirmed + alice.balances().unconfirmed == 0


def test_send_bad_inputs(env: Env) -> None:
    alice = funded(env)
    bob_address = env.manager.create("bob").get_new_address()
    balance = alice.balances().confirmed
    mainnet = str(p2pkh_address("rc", bytes(32)))
    cases: list[tuple[type[Exception], list[tuple[str, int]], dict[str, object]]] = [
        (InsufficientFunds, [(bob_address, balance)], {}),
        (InsufficientFunds, [(bob_address, balance + 1)], {"subtract_fee_from": [0]}),
        (InvalidAmount, [(bob_address, 0)], {}),
        (InvalidAmount, [(bob_address, -5)], {}),
        (InvalidAmount, [(bob_address, 545)], {}),
        (InvalidAmount, [(bob_address, 1.5)], {}),  # type: ignore[list-item]
        (InvalidAmount, [(bob_address, 10**18)], {}),
        (InvalidAddress, [("rcrt1notanaddress", COIN)], {}),
        (InvalidAddress, [(mainnet, COIN)], {}),
        (InvalidParameter, [(bob_address, COIN), (bob_address, COIN)], {}),
        (InvalidParameter, [], {}),
        (InvalidParameter, [(bob_address, COIN)], {"fee_rate": 999}),
        (InvalidParameter, [(bob_address, COIN)], {"fee_rate": 0}),
        (InvalidParameter, [(bob_address, COIN)], {"conf_target": 0}),
        (InvalidParameter, [(bob_address, COIN)], {"conf_target": 1009}),
        (InvalidParameter, [(bob_address, COIN)], {"subtract_fee_from": [1]}),
        (InvalidAmount, [(bob_address, 600)], {"subtract_fee_from": [0]}),
    ]
    for error, outputs, options in cases:
        with pytest.raises(error):
            alice.send(outputs, **options)  # type: ignore[arg-type]
    assert len(env.pool) == 0
    assert alice.balances().confirmed == balance


def test_locked_and_watch_only_cannot_spend(env: Env) -> None:
    alice = funded(env, mnemonic=MNEMONIC)
    bob_address = env.manager.create("bob").get_new_address()
    alice.encrypt("pw")
    assert alice.balances().confirmed > 0  # balances while locked
    with pytest.raises(WalletLocked):
        alice.send([(bob_address, COIN)])
    alice.unlock("pw", 30)
    txid = alice.send([(bob_address, COIN)])
    env.clock.now += 31
    with pytest.raises(WalletLocked):
        alice.bump_fee(txid)
    xpub = alice.state.keychains[0].xpub
    watch = env.manager.create("watch", watch_only_xpub=xpub)
    assert watch.balances() == alice.balances()
    with pytest.raises(PrivateKeysDisabled):
        watch.send([(bob_address, COIN)])
    assert not any(u.spendable for u in watch.list_unspent(0))


def test_sign_transaction(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    coin = alice.list_unspent()[0]
    foreign = OutPoint(bytes(32), 0)
    unsigned = Tx(1, TxType.STANDARD, (TxIn(coin.outpoint, 0xFFFFFFFD),),
                  (TxOut(coin.value - 10_000, env.script(bob.get_new_address())),),
                  0, b"", (b"",))  # fmt: skip
    signed, complete = alice.sign_transaction(unsigned)
    assert complete
    assert signed.witnesses[0]
    same, still = bob.sign_transaction(unsigned)  # not bob's coin
    assert same == unsigned
    assert not still
    with_foreign = dataclasses.replace(
        unsigned, inputs=(*unsigned.inputs, TxIn(foreign)), witnesses=(b"", b"")
    )
    partial, complete = alice.sign_transaction(with_foreign)
    assert not complete
    assert partial.witnesses[0]
    assert not partial.witnesses[1]
    env.pool.accept(signed)
    assert bob.balances().unconfirmed == coin.value - 10_000
    with pytest.raises(MempoolReject):
        alice.broadcast(signed)  # already in the pool


def test_restore_rescans_with_gap_limit(env: Env) -> None:
    for index in (3, 22, 60):  # 22 is within 20 of 3; 60 is beyond the gap after 22
        address = expected_address(f"m/44'/7337'/0'/0/{index}")
        mine(env.cs, 1, script=env.script(address))
    value = reward(env)
    env.mature()
    restored = env.manager.create("restored", mnemonic=MNEMONIC)
    assert restored.balances().confirmed == 2 * value
    assert restored.state.keychains[0].used[0] == 23
    # Handing out addresses skips the used ones and reaches index 60 eventually.
    assert restored.get_new_address() == expected_address("m/44'/7337'/0'/0/23")


def test_reload_catches_up(env: Env) -> None:
    alice = funded(env)
    bob = env.manager.create("bob")
    address = bob.get_new_address()
    env.manager.unload("bob")
    alice.send([(address, 3 * COIN)])
    block = env.mine_block()
    bob = env.manager.load("bob")
    assert bob.balances().confirmed == 3 * COIN
    before = alice.balances()
    env.manager.unload("bob")
    env.cs.invalidate_block(block)  # while bob is away
    manager = env.reopen_manager()
    bob = manager.load("bob")
    alice = manager.load("alice")
    assert bob.balances().confirmed == 0
    assert bob.balances().unconfirmed == 3 * COIN
    assert alice.balances().confirmed + alice.balances().unconfirmed == (
        before.confirmed + before.unconfirmed
    )
