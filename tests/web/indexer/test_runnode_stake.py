"""`manage.py runnode` on a staked chain well past stake_validation_height (the `long`
chain of tests/web/indexer/chainbuilder.py: the miner's tickets vote, the cold wallet's are
missed): after the cold wallet revokes its missed
tickets, the SQL tables say what the node's RPCs say — listtickets of both wallets,
getstakeinfo (pool size, next ticket price), gettxoutsetinfo (supply, UTXO count),
gettxout of every ticket stake, and getblock's votes of every block past SVH.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.models import Block, Ticket, TicketEvent, TxOutput, Vote
from tests.web.indexer.chainbuilder import COLD, SVH, WALLET, NodeProcess, copy_datadir
from tests.web.indexer.conftest import Chains, web_env
from tests.web.indexer.test_runnode import indexed_tip, wait_for

log = logging.getLogger(__name__)
COIN = 100_000_000


def units(amount: object) -> int:
    return int(Decimal(str(amount)) * COIN)


@pytest.mark.parametrize("idx_db", ["postgres"], indirect=True)
def test_runnode_agrees_with_the_stake_and_utxo_rpcs(
    idx_db: str, db_url: str, chains: Chains, tmp_path: Path
) -> None:
    datadir = tmp_path / "node"
    copy_datadir(chains.long, datadir)  # ~75 blocks past SVH
    node = NodeProcess(datadir, runnode=True, env=web_env(tmp_path, db_url)).start()
    try:
        wait_for("catch-up", lambda: indexed_tip(idx_db, node), node)
        node.rpc("loadwallet", COLD)
        missed = [t["ticket"] for t in node.wallet_rpc("listtickets", wallet=COLD)
                  if t["status"] == "missed"]  # fmt: skip
        assert missed, "no cold ticket was drawn"
        sql = dict(Ticket.objects.using(idx_db).values_list("ticket_id", "status"))
        assert all(sql[t] == "missed" for t in missed)
        log.info("revoke %d missed tickets and mine them", len(missed))
        revocations = node.wallet_rpc("revoketickets", wallet=COLD)
        assert len(revocations) == len(missed)
        node.mine(1)
        wait_for("the revocations", lambda: indexed_tip(idx_db, node), node)

        tickets = {
            t["ticket"]: t
            for wallet in (WALLET, COLD)
            for t in node.wallet_rpc("listtickets", wallet=wallet)
            if t["status"] != "unmined"
        }
        rows = {t.ticket_id: t for t in Ticket.objects.using(idx_db)}
        assert rows.keys() == tickets.keys()
        for tid, t in tickets.items():
            row = rows[tid]
            got = (row.status, row.purchase_height, row.price, row.status_height)
            assert got == (t["status"], t["purchaseheight"], units(t["price"]),
                           t["statusheight"]), tid  # fmt: skip
            assert row.reward_address == t["rewardaddress"]
        statuses = {t.status for t in rows.values()}
        assert {"immature", "live", "voted", "revoked"} <= statuses
        assert all(rows[t].status == "revoked" for t in missed)
        events = TicketEvent.objects.using(idx_db).filter(ticket__ticket_id__in=missed)
        assert {"missed", "revoked"} <= set(events.values_list("status", flat=True))

        tip = Block.objects.using(idx_db).order_by("-height").first()
        assert tip is not None
        info = node.rpc("getstakeinfo")
        assert info["height"] == tip.height
        assert info["poolsize"] == tip.ticket_pool_size
        assert units(info["difficulty"]) == tip.current_ticket_price
        assert units(node.rpc("getticketprice")) == tip.current_ticket_price

        utxos = node.rpc("gettxoutsetinfo")
        # the node keeps no unspendable (OP_RETURN) outputs, such as genesis's (0 RUST)
        unspent = TxOutput.objects.using(idx_db).filter(spent_by_txid__isnull=True)
        assert utxos["txouts"] == unspent.exclude(script_type="nulldata").count()
        assert units(utxos["total_amount"]) == tip.supply
        for tid in tickets:
            stake = TxOutput.objects.using(idx_db).get(tx__txid=tid, index=0)
            coin = node.rpc("gettxout", tid, 0, False)
            assert (coin is None) == (stake.spent_by_txid is not None), tid
            if coin is not None:
                assert units(coin["value"]) == stake.value

        for height in range(SVH, tip.height + 1):
            block = node.rpc("getblock", node.rpc("getblockhash", height), 1)
            want = [(v["ticket"], v["votebits"]) for v in block["votes"]]
            got = list(
                Vote.objects.using(idx_db)
                .filter(block__height=height)
                .order_by("position")
                .values_list("ticket_id", "vote_bits")
            )
            assert got == want, height
    finally:
        node.stop()
