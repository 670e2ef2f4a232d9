"""rpc_mempool: sendrawtransaction, testmempoolaccept, mempool queries and mining of pool
transactions, through a real node (skipped when node.mempool is absent)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

pytest.importorskip("node.mempool.pool")

from node.rpc.client import RpcClient, RpcError
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx
from tests.node.chain.helpers import OTHER_SCRIPT, SCRIPT, spend
from tests.node.rpc.nodeproc import ADDRESS, NodeProcess

FEE = 20_000


@pytest.fixture(scope="module")
def rpc(node: NodeProcess) -> RpcClient:
    return node.client()


def coinbase_coin(rpc: RpcClient, height: int) -> tuple[OutPoint, Coin]:
    txid = rpc.call("getblock", rpc.call("getblockhash", height))["tx"][0]
    out = rpc.call("gettxout", txid, 0)
    value = int(out["value"] * 10**8)
    return OutPoint(bytes.fromhex(txid), 0), Coin(value, SCRIPT, height, True)


def pay(inputs: list[tuple[OutPoint, Coin]], fee: int = FEE, script: bytes = OTHER_SCRIPT) -> Tx:
    total = sum(c.value for _, c in inputs)
    return spend(inputs, [(total - fee, script)])


def test_send_query_and_mine(rpc: RpcClient) -> None:
    info = rpc.call("getmempoolinfo")
    assert info["loaded"] is True
    assert info["size"] == 0
    coin = coinbase_coin(rpc, 1)
    parent = spend([coin], [(10**8, SCRIPT), (coin[1].value - 10**8 - FEE, OTHER_SCRIPT)])
    test = rpc.call("testmempoolaccept", [parent.serialize().hex()])
    assert test == [{"txid": parent.txid.hex(), "wtxid": parent.wtxid.hex(), "allowed": True,
                     "vsize": parent.size, "fees": {"base": Decimal(FEE) / 10**8}}]  # fmt: skip
    assert rpc.call("getrawmempool") == []  # test_only added nothing
    assert rpc.call("sendrawtransaction", parent.serialize().hex()) == parent.txid.hex()
    # sending it again is harmless (bitcoind returns the txid)
    assert rpc.call("sendrawtransaction", parent.serialize().hex()) == parent.txid.hex()
    child = pay([(OutPoint(parent.txid, 0), Coin(10**8, SCRIPT, 0, False))], fee=30_000)
    assert rpc.call("sendrawtransaction", child.serialize().hex()) == child.txid.hex()
    assert sorted(rpc.call("getrawmempool")) == sorted([parent.txid.hex(), child.txid.hex()])
    verbose = rpc.call("getrawmempool", True)
    entry = verbose[child.txid.hex()]
    assert entry["depends"] == [parent.txid.hex()]
    assert entry["ancestorcount"] == 2
    assert entry["fees"]["base"] == Decimal("0.0003")
    assert verbose[parent.txid.hex()]["spentby"] == [child.txid.hex()]
    assert rpc.call("getmempoolentry", parent.txid.hex())["descendantcount"] == 2
    assert rpc.call("getmempoolancestors", child.txid.hex()) == [parent.txid.hex()]
    assert list(rpc.call("getmempooldescendants", parent.txid.hex(), True)) == [child.txid.hex()]
    # spent in the mempool: gettxout hides it unless include_mempool=false
    assert rpc.call("gettxout", parent.txid.hex(), 0) is None
    assert rpc.call("gettxout", parent.txid.hex(), 1)["confirmations"] == 0
    assert rpc.call("getrawtransaction", child.txid.hex()) == child.serialize().hex()
    assert rpc.call("getmempoolinfo")["size"] == 2
    assert rpc.call("getmininginfo")["pooledtx"] == 2
    block_hash = rpc.call("generatetoaddress", 1, ADDRESS)[0]
    mined = rpc.call("getblock", block_hash)["tx"]
    assert mined[1:] == [parent.txid.hex(), child.txid.hex()]
    assert rpc.call("getrawmempool") == []
    assert rpc.call("getrawtransaction", child.txid.hex(), True)["blockhash"] == block_hash
    with pytest.raises(RpcError) as err:
        rpc.call("sendrawtransaction", parent.serialize().hex())
    assert err.value.code == -27
    with pytest.raises(RpcError) as err:
        rpc.call("getmempoolentry", parent.txid.hex())
    assert err.value.code == -5


def test_rejections(rpc: RpcClient) -> None:
    coin = coinbase_coin(rpc, 2)
    good = pay([coin])
    broken = dataclasses.replace(good, witnesses=(good.witnesses[0][:-1] + b"\x00",))
    with pytest.raises(RpcError) as err:
        rpc.call("sendrawtransaction", broken.serialize().hex())
    assert err.value.code == -26
    result = rpc.call("testmempoolaccept", [broken.serialize().hex()])[0]
    assert result["allowed"] is False
    assert result["reject-reason"]
    orphan = pay([(OutPoint(b"\x42" * 32, 0), coin[1])])
    with pytest.raises(RpcError) as err:
        rpc.call("sendrawtransaction", orphan.serialize().hex())
    assert err.value.code == -25
    expensive = pay([coin], fee=coin[1].value // 2)
    with pytest.raises(RpcError) as err:
        rpc.call("sendrawtransaction", expensive.serialize().hex())
    assert err.value.code == -25
    assert "maxfeerate" in err.value.message
    assert rpc.call("sendrawtransaction", expensive.serialize().hex(), 0) == expensive.txid.hex()
    for bad in (["zz"], [], ["00"]):
        with pytest.raises(RpcError) as err:
            rpc.call("testmempoolaccept", bad)
        assert err.value.code in (-8, -22)
    with pytest.raises(RpcError) as err:
        rpc.call("sendrawtransaction", good.serialize().hex(), "lots")
    assert err.value.code == -8
