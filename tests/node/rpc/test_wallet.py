"""rpc_wallet: wallets through /wallet/<name>: create/load/unload, addresses, balances,
sends, fee bumping, encryption and the bitcoind error codes (skipped without node.wallet)."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("node.wallet.manager")

from node.rpc.client import RpcClient, RpcError
from tests.node.rpc.nodeproc import ADDRESS, NodeProcess


def code_of(client: RpcClient, method: str, *params: object) -> int:
    with pytest.raises(RpcError) as err:
        client.call(method, *params)
    return err.value.code


def test_wallet_lifecycle_and_sends(node: NodeProcess) -> None:
    root = node.client()
    assert root.call("listwallets") == []
    assert code_of(root, "getbalances") in (-18, -19)
    assert root.call("createwallet", "alice") == {"name": "alice", "warnings": []}
    assert root.call("createwallet", "bob")["name"] == "bob"
    assert code_of(root, "createwallet", "alice") == -4
    assert root.call("listwallets") == ["alice", "bob"]
    assert code_of(root, "getnewaddress") == -19  # two wallets loaded, none named
    alice, bob = node.client("alice"), node.client("bob")
    assert code_of(node.client("carol"), "getnewaddress") == -18
    addr = alice.call("getnewaddress")
    assert root.call("validateaddress", addr)["isvalid"] is True
    alice.call("getrawchangeaddress")
    root.call("generatetoaddress", 11, addr)
    bal = alice.call("getbalances")["mine"]
    assert bal["trusted"] > 0
    assert bal["immature"] > 0
    assert alice.call("getbalance") == bal["trusted"]
    utxos = alice.call("listunspent")
    assert utxos
    assert all(u["address"] == addr for u in utxos)
    assert alice.call("listunspent", 1, 9999999, [ADDRESS]) == []
    dest = bob.call("getnewaddress", "from alice")
    txid = alice.call("sendtoaddress", dest, 1.5)
    assert txid in root.call("getrawmempool")
    assert bob.call("getbalances")["mine"]["untrusted_pending"] == Decimal("1.5")
    bumped = alice.call("bumpfee", txid, {"fee_rate": 50})
    assert bumped["txid"] != txid
    assert bumped["fee"] > bumped["origfee"]
    assert root.call("getrawmempool") == [bumped["txid"]]
    many = alice.call("sendmany", "", {dest: 0.25, ADDRESS: "0.5"})
    root.call("generatetoaddress", 1, ADDRESS)
    assert bob.call("getbalances")["mine"]["trusted"] == Decimal("1.75")
    history = alice.call("listtransactions", "*", 100)
    sends = {t["txid"] for t in history if t["category"] == "send"}
    assert {bumped["txid"], many} <= sends
    info = alice.call("getwalletinfo")
    assert info["walletname"] == "alice"
    assert info["txcount"] >= 2
    # bad inputs
    assert code_of(alice, "sendtoaddress", "notanaddress", 1) == -5
    assert code_of(alice, "sendtoaddress", dest, 10**9) in (-6, -8)
    assert code_of(alice, "sendtoaddress", dest, -1) == -8
    assert code_of(alice, "sendtoaddress", dest, "0.123456789") == -8
    assert code_of(bob, "sendtoaddress", ADDRESS, 100) == -6
    assert code_of(alice, "sendmany", "x", {dest: 1}) == -8
    assert code_of(alice, "bumpfee", "00" * 32) in (-5, -4)
    # unload / load
    assert bob.call("unloadwallet") == {"warnings": []}
    assert root.call("listwallets") == ["alice"]
    assert code_of(bob, "getbalances") == -18
    assert root.call("loadwallet", "bob")["name"] == "bob"
    assert code_of(root, "loadwallet", "bob") == -35
    assert code_of(root, "loadwallet", "nobody") == -18
    assert bob.call("getbalances")["mine"]["trusted"] == Decimal("1.75")


def test_encryption_and_signing(node: NodeProcess) -> None:
    root = node.client()
    root.call("createwallet", "vault")
    vault = node.client("vault")
    addr = vault.call("getnewaddress")
    root.call("generatetoaddress", 11, addr)
    assert code_of(vault, "walletlock") == -15
    assert vault.call("encryptwallet", "correct horse").startswith("wallet encrypted")
    assert code_of(vault, "encryptwallet", "again") == -15
    assert code_of(vault, "sendtoaddress", ADDRESS, 1) == -13
    assert code_of(vault, "walletpassphrase", "wrong", 60) == -14
    assert code_of(vault, "walletpassphrase", "correct horse", -1) == -8
    assert vault.call("walletpassphrase", "correct horse", 60) is None
    assert vault.call("getwalletinfo")["unlocked_until"] > 0
    txid = vault.call("sendtoaddress", ADDRESS, 1)
    raw = root.call("getrawtransaction", txid)
    signed = vault.call("signrawtransactionwithwallet", raw)
    assert signed["complete"] is True
    vault.call("walletlock")
    assert code_of(vault, "sendtoaddress", ADDRESS, 1) == -13
    assert code_of(vault, "signrawtransactionwithwallet", "zz") == -22
