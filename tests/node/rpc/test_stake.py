"""rpc_stake: tickets through a real regtest node process with `--stakevalidationheight 30`:
purchaseticket, getticketprice, getstakeinfo, listtickets, getvotes, revoketickets, and
generatetoaddress past stake_validation_height voting with the wallet's tickets; plus the
errors (bad count, spend limit below the price, too few votes to mine) and the daemon's
automatic ticket buyer keeping a mining node going past SVH on its own."""

from __future__ import annotations

import re
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("node.wallet.voting")

from node.rpc.client import RpcError
from tests.node.rpc.nodeproc import start_node

SVH = 30


def test_tickets_vote_and_mining_past_svh(tmp_path: Path) -> None:
    node = start_node(tmp_path, "--stakevalidationheight", str(SVH), "--rpcratelimit", "0")
    try:
        root = node.client()
        root.call("createwallet", "staker")
        w = node.client("staker")
        addr = w.call("getnewaddress")
        w.call("generatetoaddress", 12, addr)
        price = root.call("getticketprice")
        assert 0 < Decimal(str(price)) <= 1
        # bad input first
        for params, code in (((0,), -8), ((101,), -8), (("x",), -3), ((1, "0.5"), -8)):
            with pytest.raises(RpcError) as err:
                w.call("purchaseticket", *params)
            assert err.value.code == code, (params, err.value)
        bought = w.call("purchaseticket", 10)
        assert len(bought) == 10
        assert set(bought) <= set(root.call("getrawmempool"))
        info = w.call("getstakeinfo")
        assert info["unmined"] == 10
        assert info["stakevalidationheight"] == SVH
        w.call("generatetoaddress", 1, addr)
        statuses = Counter(t["status"] for t in w.call("listtickets"))
        assert statuses == {"immature": 10}
        # keep buying so there are always live tickets, then mine well past SVH
        while root.call("getblockcount") < SVH + 15:
            w.call("purchaseticket", 6)
            w.call("generatetoaddress", 1, addr)
        height = root.call("getblockcount")
        assert height >= SVH + 15
        block = root.call("getblock", root.call("getbestblockhash"), 1)
        assert 3 <= len(block["votes"]) <= 5
        votes = root.call("getvotes")
        assert votes["parent"] == root.call("getbestblockhash")
        assert len(votes["votes"]) == len(votes["selected"]) == 5
        tickets = w.call("listtickets")
        statuses = Counter(t["status"] for t in tickets)
        assert statuses["voted"] >= 3 * (height - SVH + 1)
        assert all(t["voteaddress"] and t["rewardaddress"] for t in tickets)
        info = w.call("getstakeinfo")
        assert info["voted"] == statuses["voted"]
        assert Decimal(str(info["staked"])) > 0
        assert w.call("revoketickets") == []  # nothing missed: the wallet voted every time
        balances = w.call("getbalances")["mine"]
        assert Decimal(str(balances["staked"])) > 0
        # two wallets loaded and none named: the chain figures alone
        root.call("createwallet", "other")
        chain_only = root.call("getstakeinfo")
        assert "voted" not in chain_only
        assert chain_only["poolsize"] == info["poolsize"]
        assert w.call("getstakeinfo")["voted"] == statuses["voted"]
        with pytest.raises(RpcError) as err:
            root.call("listtickets")
        assert err.value.code == -19
    finally:
        assert node.stop() == 0
    assert "Traceback" not in node.log()


def test_generate_past_svh_without_tickets_fails_clearly(tmp_path: Path) -> None:
    node = start_node(tmp_path, "--stakevalidationheight", "5", "--votewait", "0")
    try:
        c = node.client()
        c.call("createwallet", "w")
        addr = node.client("w").call("getnewaddress")
        assert len(c.call("generatetoaddress", 4, addr)) == 4
        with pytest.raises(RpcError) as err:
            c.call("generatetoaddress", 1, addr)
        assert err.value.code == -1
        assert "0 vote(s)" in err.value.message
        assert "purchaseticket" in err.value.message
        assert c.call("getblockcount") == 4
    finally:
        assert node.stop() == 0


def test_ticket_buyer_keeps_the_miner_going_past_svh(tmp_path: Path) -> None:
    """Like the devnet of `make run`: the built-in miner's wallet buys tickets by itself."""
    node = start_node(
        tmp_path, "--stakevalidationheight", str(SVH), "--minewallet", "miner", "--ticketbuyer",
        "--votebits", "0x5",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        target = SVH + 20
        while not re.search(rf"mined block {target} ", node.log()):
            assert node.alive(), node.log()[-3000:]
            assert time.monotonic() < deadline, node.log()[-3000:]
            time.sleep(0.2)
        c = node.client("miner")
        info = c.call("getstakeinfo")
        assert info["voted"] >= 3 * 20
        assert info["live"] + info["immature"] > 0
        # agenda signalling: every vote sets bit 2 (and bit 0), none sets bit 1
        agendas = c.call("getagendainfo")
        assert agendas["totalvotes"] >= 3 * 20
        by_bit = {a["bit"]: a for a in agendas["agendas"]}
        assert by_bit[2]["votes"] == agendas["totalvotes"]
        assert by_bit[2]["signalled"] is True
        assert by_bit[1]["votes"] == 0
        assert by_bit[1]["signalled"] is False
        with pytest.raises(RpcError) as err:
            c.call("getagendainfo", 10**6)
        assert err.value.code == -8
    finally:
        assert node.stop() == 0
    text = node.log()
    assert "ticket buyer: bought" in text
    assert "Traceback" not in text
