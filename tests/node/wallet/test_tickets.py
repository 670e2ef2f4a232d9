"""The wallet's tickets in an in-process regtest node (stake rules on, small SVH): purchase
layout and fee (the payload is paid for, BnB changeless selections included), stake outputs
held out of coin selection and counted as staked, voting by a wallet loaded while the node
runs, the ticket buyer's target and spend limit, and revocation of missed tickets."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.mempool.policy import fee_for
from node.params import get_params
from node.rpc.node import Node
from node.script.templates import script_for_address
from node.stake.tickets import STAKE_VOUT
from node.types import TicketPurchasePayload, TxOut, TxType
from node.wallet import builder
from node.wallet.builder import INPUT_SIZE
from node.wallet.coinselect import fee_for_size
from node.wallet.keychain import Keychain
from node.wallet.tickets import list_tickets, purchase_tickets, revoke_tickets
from node.wallet.voting import TicketBuyerConfig

SVH = 30
PARAMS = dataclasses.replace(get_params("regtest"), stake_validation_height=SVH)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node.open(tmp_path, PARAMS)
    yield n
    n.close()


def mine(node: Node, script: bytes, count: int = 1) -> None:
    for _ in range(count):
        assert node.mine_block(script) is not None, node.chainstate.height


def test_purchase_layout_fee_and_staked_balance(node: Node) -> None:
    assert node.wallets is not None
    w = node.wallets.create("w")
    script = script_for_address(w.get_new_address(), PARAMS.bech32_hrp)
    mine(node, script, 12)
    before = w.balances()
    txids = purchase_tickets(w, 20)
    assert len(txids) == 20
    for txid in txids:
        entry = node.mempool.entries[txid]  # type: ignore[union-attr]
        tx = entry.tx
        assert tx.tx_type is TxType.TICKET_PURCHASE
        payload = tx.decoded_payload()
        assert isinstance(payload, TicketPurchasePayload)
        assert w.is_mine(tx.outputs[STAKE_VOUT].script_pubkey)
        assert w.is_mine(payload.reward_script)
        assert w.secret_for(Keychain.script_of(payload.vote_pubkey)) is not None
        # the fee pays for every byte, payload included, at the wallet's rate or more
        assert entry.fee >= fee_for(node.mempool.min_fee_rate() or 1000, tx.size)  # type: ignore[union-attr]
    after = w.balances()
    price = node.mempool.entries[txids[0]].tx.outputs[0].value  # type: ignore[union-attr]
    assert after.staked == 20 * price
    assert after.total < before.total  # fees
    # stake outputs are not coins to spend
    assert all(u.outpoint.vout != STAKE_VOUT or u.outpoint.txid not in txids
               for u in w.list_unspent(min_conf=0))  # fmt: skip
    statuses = Counter(t.status for t in list_tickets(w))
    assert statuses == {"unmined": 20}


def test_purchase_fee_with_exact_changeless_inputs(node: Node) -> None:
    """With a coin sized for a payload-less purchase in the wallet, the purchase still pays
    for every byte (the payload bytes are part of the selection target and the size)."""
    assert node.wallets is not None
    w = node.wallets.create("w")
    cold = node.wallets.create("cold")
    script = script_for_address(w.get_new_address(), PARAMS.bech32_hrp)
    mine(node, script, 12)
    price = PARAMS.ticket_price_start
    rate = builder.resolve_feerate(cold, None, 6)
    stake_script = bytes(25)
    exact = (price + fee_for_size(rate, builder.tx_size(0, [TxOut(price, stake_script)]))
             + fee_for_size(rate, INPUT_SIZE))  # fmt: skip
    w.send([(cold.get_new_address(), exact), (cold.get_new_address(), 5 * price)])
    mine(node, script)
    (txid,) = purchase_tickets(cold, 1)
    entry = node.mempool.entries[txid]  # type: ignore[union-attr]
    assert entry.fee >= fee_for_size(rate, entry.tx.size)


def test_wallet_loaded_later_votes_for_the_current_tip(node: Node, tmp_path: Path) -> None:
    assert node.wallets is not None
    assert node.votes is not None
    w = node.wallets.create("staker")
    script = script_for_address(w.get_new_address(), PARAMS.bech32_hrp)
    mine(node, script, 12)
    purchase_tickets(w, 30)
    mine(node, script, SVH - 1 - node.chainstate.height)
    tip = node.chainstate.tip.hash
    assert len(node.votes.votes_for(tip)) == 5
    node.wallets.unload("staker")
    with node.votes._cond:  # forget the votes, as after a restart without the wallet
        node.votes._reset(bytes(32))
        node.votes._reset(tip)
    assert node.votes.votes_for(tip) == []
    node.wallets.load("staker")
    assert len(node.votes.votes_for(tip)) == 5
    mine(node, script)  # past SVH with those votes


def test_ticket_buyer_target_limit_and_revocation(tmp_path: Path) -> None:
    price = PARAMS.ticket_price_start
    limit = 200 * price
    buyer = TicketBuyerConfig("w", limit=limit)  # default target: 5 x (maturity + 4) = 60
    node = Node.open(tmp_path, PARAMS, ticket_buyers=(buyer,))
    try:
        assert node.wallets is not None
        assert node.stake is not None
        w = node.wallets.create("w")
        script = script_for_address(w.get_new_address(), PARAMS.bech32_hrp)
        mine(node, script, SVH + 10)
        own = sum(1 for t in list_tickets(w) if t.status in ("unmined", "immature", "live"))
        assert own <= node.stake.target_of(buyer) == 60
        assert 0 < node.stake.spent["w"] <= limit
        assert Counter(t.status for t in list_tickets(w))["voted"] >= 3 * 10
        # a second wallet, locked (so it cannot vote), buys two tickets: they are missed
        # when drawn (two of five can never stall the chain), then revoked
        cold = node.wallets.create("cold")
        w.send([(cold.get_new_address(), 20 * price)])
        mine(node, script, 2)
        two = purchase_tickets(cold, 2)
        cold.encrypt("pw")
        assert cold.is_locked
        for _ in range(200):
            if sum(1 for t in list_tickets(cold) if t.status == "missed") == 2:
                break
            mine(node, script)
        statuses = Counter(t.status for t in list_tickets(cold))
        assert statuses == {"missed": 2}, statuses
        cold.unlock("pw", 60)
        revoked = revoke_tickets(cold)
        assert len(revoked) == 2
        assert revoke_tickets(cold) == []  # the stakes are being spent already
        mine(node, script)
        assert Counter(t.status for t in list_tickets(cold)) == {"revoked": 2}
        refunds = [node.chainstate.height for _ in revoked]
        assert refunds
        assert cold.balances().staked == 0
        assert {t.ticket_id for t in list_tickets(cold)} == set(two)
    finally:
        node.close()
