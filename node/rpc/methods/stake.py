"""Stake RPCs (dcrd/dcrwallet names): getstakeinfo, getticketprice, getticketpoolinfo,
purchaseticket, listtickets, revoketickets, getvotes, getagendainfo.

Chain-side answers come from the ticket pool at the tip; wallet-side ones use the wallet of
the request path (`/wallet/<name>`, or the only loaded one) with the wallet module's error
codes. Registered when node.wallet is present (the chain-side methods need only the pool).
"""

from __future__ import annotations

from typing import Any

from node.rpc.dispatch import Collector, Context
from node.rpc.errors import INVALID_PARAMETER, RpcError
from node.rpc.jsonfmt import Amount
from node.rpc.methods.wallet import _amount, _conf_target, _fee_rate, _wallet, translate
from node.stake.agenda import AGENDA_BITS, tally_window, window_start
from node.stake.chainrules import read_pool
from node.stake.price import window_of
from node.wallet.errors import WalletNotSpecified
from node.wallet.tickets import MAX_PURCHASE, list_tickets, purchase_tickets, revoke_tickets

method = Collector("stake", translate)


@method
def getticketprice(ctx: Context) -> Amount:
    """The price a ticket purchase in the next block must pay (RUST)."""
    cs = ctx.node.chainstate
    with cs.lock, read_pool(cs.db, cs.params) as pool:
        return Amount(pool.next_price())


@method
def getstakeinfo(ctx: Context) -> dict[str, Any]:
    """The pool at the tip and, with a wallet, its tickets: {height, difficulty (the ticket
    price), poolsize, pooltarget, nextpricechange (first height of the next price window),
    stakevalidationheight, selected (tickets drawn for the next block), votes (collected for
    it), and the wallet's ticket counts unmined, immature, live, voted, missed, expired,
    revoked and its staked amount}."""
    node = ctx.node
    cs = node.chainstate
    params = cs.params
    with cs.lock, read_pool(cs.db, params) as pool:
        height = cs.height
        info: dict[str, Any] = {
            "height": height,
            "difficulty": Amount(pool.next_price()),
            "poolsize": pool.store.live_count(),
            "pooltarget": params.ticket_pool_target,
            "nextpricechange": (window_of(height + 1, params) + 1) * params.ticket_price_interval,
            "stakevalidationheight": params.stake_validation_height,
            "selected": [tid.hex() for tid in pool.selected_for(cs.tip.hash)],
        }
    info["votes"] = 0 if node.votes is None else len(node.votes.votes_for(cs.tip.hash))
    wallet = None
    if node.wallets is not None and node.wallets.list():
        try:
            wallet = _wallet(ctx)
        except WalletNotSpecified:  # several wallets and none named: chain figures only
            wallet = None
    if wallet is not None:
        counts = dict.fromkeys(
            ("unmined", "immature", "live", "voted", "missed", "expired", "revoked"), 0
        )
        for ticket in list_tickets(wallet):
            counts[ticket.status] = counts.get(ticket.status, 0) + 1
        info.update(counts)
        info["staked"] = Amount(wallet.balances().staked)
    return info


@method
def getticketpoolinfo(ctx: Context, count: int = 0) -> dict[str, Any]:
    """{size, price, height, tickets: [first `count` LIVE ticket ids in id order]}."""
    if not 0 <= count <= 10_000:
        raise RpcError(INVALID_PARAMETER, "count must be between 0 and 10000")
    cs = ctx.node.chainstate
    with cs.lock, read_pool(cs.db, cs.params) as pool:
        ids = []
        if count:
            for tid in pool.store.live_ids():
                ids.append(tid.hex())
                if len(ids) >= count:
                    break
        return {
            "height": cs.height,
            "size": pool.store.live_count(),
            "price": Amount(pool.next_price()),
            "tickets": ids,
        }


@method
def purchaseticket(
    ctx: Context,
    count: int = 1,
    spend_limit: Any = None,
    conf_target: int = 6,
    fee_rate: float | None = None,
) -> list[str]:
    """Buys `count` (1..100) tickets at the current price with the wallet; spend_limit
    (RUST) caps the total price. Result: ["txid", ...]."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_PURCHASE:
        raise RpcError(INVALID_PARAMETER, f"count must be between 1 and {MAX_PURCHASE}")
    limit = None if spend_limit is None else _amount(spend_limit, "spend_limit")
    txids = purchase_tickets(
        _wallet(ctx), count, fee_rate=_fee_rate(fee_rate),
        conf_target=_conf_target(conf_target), spend_limit=limit,
    )  # fmt: skip
    if not txids:
        raise RpcError(INVALID_PARAMETER, "spend_limit is below the ticket price")
    return [t.hex() for t in txids]


@method
def listtickets(ctx: Context) -> list[dict[str, Any]]:
    """The wallet's tickets: [{ticket, status (unmined|immature|live|voted|missed|expired|
    revoked), price, purchaseheight, statusheight, voteaddress, rewardaddress, spentby}]."""
    return [
        {
            "ticket": t.ticket_id.hex(),
            "status": t.status,
            "price": Amount(t.price),
            "purchaseheight": t.purchase_height,
            "statusheight": t.state_height,
            "voteaddress": t.vote_address,
            "rewardaddress": t.reward_address,
            "spentby": None if t.spent_by is None else t.spent_by.hex(),
        }
        for t in list_tickets(_wallet(ctx))
    ]


@method
def revoketickets(ctx: Context) -> list[str]:
    """Revokes every missed or expired ticket of the wallet (1 % of the stake is burned as
    the fee). Result: ["txid", ...] of the revocations."""
    return [t.hex() for t in revoke_tickets(_wallet(ctx))]


@method
def getvotes(ctx: Context) -> dict[str, Any]:
    """The votes collected for the block after the tip: {parent, selected, votes:
    [{ticket, votebits}]}."""
    node = ctx.node
    tip = node.chainstate.tip.hash
    votes = [] if node.votes is None else node.votes.votes_for(tip)
    return {
        "parent": tip.hex(),
        "selected": [] if node.votes is None else [t.hex() for t in node.votes.selected()],
        "votes": [
            {"ticket": rv.vote.ticket_id.hex(), "votebits": rv.vote.vote_bits} for rv in votes
        ],
    }


@method
def getagendainfo(ctx: Context, height: int | None = None) -> dict[str, Any]:
    """The agenda tally (vote_bits 1..15) of the window containing `height` (default: the
    tip) up to that height: {windowstart, windowsize, height, totalvotes, threshold
    (percent), agendas: [{bit, votes, signalled}]}."""
    cs = ctx.node.chainstate
    params = cs.params
    with cs.lock:
        tip = cs.height
        if height is None:
            height = tip
        if not isinstance(height, int) or isinstance(height, bool) or not 0 <= height <= tip:
            raise RpcError(INVALID_PARAMETER, "Block height out of range")
        start = window_start(height, params)
        bits = []
        for h in range(start, height + 1):
            block = cs.get_block(cs.active[h].hash)
            bits.append([v.vote_bits for v in block.votes])
    tally = tally_window(start, bits, params)
    return {
        "windowstart": start,
        "windowsize": params.agenda_window,
        "height": height,
        "totalvotes": tally.total_votes,
        "threshold": params.agenda_threshold_percent,
        "agendas": [
            {"bit": b, "votes": tally.counts[b], "signalled": tally.signalled(b, params)}
            for b in AGENDA_BITS
        ],
    }
