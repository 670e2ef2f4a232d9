"""rpc_blockchain / rpc_mining / rpc_util: chain queries, tx index, mining and utilities
through node.rpc.client against a real node process."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from node.consensus.pow import pow_value, target_from_bits
from node.crypto.schnorr import pubkey_from_secret
from node.params import get_params
from node.rpc.client import RpcClient, RpcError
from node.script.templates import p2pkh_script_for_pubkey
from node.storage.trie import verify_proof
from node.types.block import Block
from tests.node.chain.helpers import make_block, open_chain
from tests.node.rpc.nodeproc import ADDRESS, NodeProcess

REGTEST = get_params("regtest")
SCRIPT_HEX = p2pkh_script_for_pubkey(pubkey_from_secret(bytes.fromhex("11" * 32))).hex()


@pytest.fixture(scope="module")
def rpc(node: NodeProcess) -> RpcClient:
    return node.client()


def test_counts_hashes_and_chain_info(rpc: RpcClient) -> None:
    assert rpc.call("getblockcount") == 15
    best = rpc.call("getbestblockhash")
    assert rpc.call("getblockhash", 15) == best
    assert rpc.call("getblockhash", 0) == REGTEST.genesis_hash.hex()
    info = rpc.call("getblockchaininfo")
    assert info["chain"] == "regtest"
    assert info["blocks"] == info["headers"] == 15
    assert info["bestblockhash"] == best
    assert info["bits"] == "207fffff"
    assert int(info["chainwork"], 16) > 0
    assert info["pruned"] is False
    with pytest.raises(RpcError) as err:
        rpc.call("getblockhash", -1)
    assert err.value.code == -8


def test_getblock_verbosities_and_header(rpc: RpcClient) -> None:
    h = rpc.call("getblockhash", 2)
    raw = rpc.call("getblock", h, 0)
    block = Block.deserialize(bytes.fromhex(raw))
    assert block.hash.hex() == h
    v1 = rpc.call("getblock", h)
    assert v1["height"] == 2
    assert v1["confirmations"] == 14
    assert v1["tx"] == [tx.txid.hex() for tx in block.txs]
    assert v1["previousblockhash"] == rpc.call("getblockhash", 1)
    assert v1["nextblockhash"] == rpc.call("getblockhash", 3)
    assert v1["size"] == len(bytes.fromhex(raw))
    v2 = rpc.call("getblock", h, 2)
    coinbase = v2["tx"][0]
    assert coinbase["typename"] == "coinbase"
    assert "coinbase" in coinbase["vin"][0]
    assert coinbase["vout"][0]["scriptPubKey"]["address"] == ADDRESS
    assert isinstance(coinbase["vout"][0]["value"], Decimal)
    assert coinbase["vout"][0]["value"] == Decimal(block.txs[0].outputs[0].value) / 10**8
    header = rpc.call("getblockheader", h)
    assert {k: header[k] for k in ("hash", "height", "merkleroot")} == {
        "hash": h, "height": 2, "merkleroot": block.header.merkle_root.hex()}  # fmt: skip
    assert rpc.call("getblockheader", h, False) == block.header.serialize().hex()
    with pytest.raises(RpcError) as err:
        rpc.call("getblock", h, 3)
    assert err.value.code == -8
    with pytest.raises(RpcError) as err:
        rpc.call("getblockheader", "11" * 32)
    assert err.value.code == -5


def test_chaintips_txout_and_utxo_set(rpc: RpcClient) -> None:
    tips = rpc.call("getchaintips")
    assert tips == [{"height": 15, "hash": rpc.call("getbestblockhash"), "branchlen": 0,
                     "status": "active"}]  # fmt: skip
    cb = rpc.call("getblock", rpc.call("getblockhash", 3))["tx"][0]
    out = rpc.call("gettxout", cb, 0)
    assert out["confirmations"] == 13
    assert out["coinbase"] is True
    assert out["scriptPubKey"]["hex"] == SCRIPT_HEX
    assert rpc.call("gettxout", cb, 1) is None
    assert rpc.call("gettxout", "00" * 32, 0) is None
    stats = rpc.call("gettxoutsetinfo")
    assert stats["height"] == 15
    assert stats["txouts"] == 15
    assert stats["total_amount"] == out["value"] * 15
    assert len(stats["hash_serialized"]) == 64
    with pytest.raises(RpcError) as err:
        rpc.call("gettxout", cb, -1)
    assert err.value.code == -8


def test_getrawtransaction_uses_the_tx_index(rpc: RpcClient) -> None:
    h = rpc.call("getblockhash", 4)
    txid = rpc.call("getblock", h)["tx"][0]
    raw = rpc.call("getrawtransaction", txid)
    decoded = rpc.call("decoderawtransaction", raw)
    assert decoded["txid"] == txid
    verbose = rpc.call("getrawtransaction", txid, True)
    assert verbose["blockhash"] == h
    assert verbose["confirmations"] == 12
    assert verbose["hex"] == raw
    assert rpc.call("getrawtransaction", txid, False, h) == raw
    with pytest.raises(RpcError) as err:
        rpc.call("getrawtransaction", "ab" * 32)
    assert err.value.code == -5
    with pytest.raises(RpcError) as err:
        rpc.call("getrawtransaction", txid, False, rpc.call("getblockhash", 5))
    assert err.value.code == -5


def test_decodescript_validateaddress_and_stateproof(rpc: RpcClient) -> None:
    d = rpc.call("decodescript", SCRIPT_HEX)
    assert d["type"] == "p2pkh"
    assert d["address"] == ADDRESS
    assert d["asm"].startswith("OP_DUP OP_HASH160")
    assert d["p2sh"].startswith("rcrt1")
    assert rpc.call("decodescript", "")["type"] == "nonstandard"
    with pytest.raises(RpcError) as err:
        rpc.call("decodescript", "abc")
    assert err.value.code == -8
    v = rpc.call("validateaddress", ADDRESS)
    assert v == {"isvalid": True, "address": ADDRESS, "scriptPubKey": SCRIPT_HEX,
                 "isscript": False, "witness_version": 0}  # fmt: skip
    assert rpc.call("validateaddress", "rc1q7lljk58rvp6nh9x0unrtx3tn407mddvzzxsmkdc")[
        "isvalid"] is False  # fmt: skip
    assert rpc.call("validateaddress", "junk")["isvalid"] is False
    cb = rpc.call("getblock", rpc.call("getblockhash", 5))["tx"][0]
    proof = rpc.call("getstateproof", cb, 0)
    root = bytes.fromhex(proof["stateroot"])
    assert root.hex() == rpc.call("getblockheader", rpc.call("getbestblockhash"))["stateroot"]
    value = verify_proof(root, bytes.fromhex(proof["key"]), [bytes.fromhex(p) for p in
                                                              proof["proof"]])  # fmt: skip
    assert value is not None
    absent = rpc.call("getstateproof", "00" * 32, 0)
    assert verify_proof(root, bytes.fromhex(absent["key"]),
                        [bytes.fromhex(p) for p in absent["proof"]]) is None  # fmt: skip


def test_verifychain_uptime_help(rpc: RpcClient) -> None:
    assert rpc.call("verifychain") is True
    assert rpc.call("verifychain", 4, 0) is True
    with pytest.raises(RpcError):
        rpc.call("verifychain", 9)
    assert rpc.call("uptime") >= 0
    text = rpc.call("help")
    assert "== Blockchain ==" in text
    assert "getblockhash height" in text
    one = rpc.call("help", "getblock")
    assert one.startswith('getblock "blockhash" ( verbosity )')
    assert "unknown command" in rpc.call("help", "nosuch")


def test_mining_generate_and_submitblock(node: NodeProcess, rpc: RpcClient) -> None:
    info = rpc.call("getmininginfo")
    assert info["chain"] == "regtest"
    start = info["blocks"]
    hashes = rpc.call("generatetoaddress", 2, ADDRESS)
    assert len(hashes) == 2
    assert rpc.call("getbestblockhash") == hashes[-1]
    # resubmitting a known block
    raw = rpc.call("getblock", hashes[-1], 0)
    assert rpc.call("submitblock", raw) == "duplicate"
    # a block with a broken proof of work
    block = Block.deserialize(bytes.fromhex(raw))
    assert block.header.height == start + 2
    with pytest.raises(RpcError) as err:
        rpc.call("generatetoaddress", 1, "notanaddress")
    assert err.value.code == -5
    with pytest.raises(RpcError) as err:
        rpc.call("generatetoaddress", -1, ADDRESS)
    assert err.value.code == -8


def test_submitblock_fork_bad_pow_and_orphan(
    tmp_path_factory: pytest.TempPathFactory, rpc: RpcClient
) -> None:
    """A block from a private regtest chain forks off genesis on the node; a header with a
    nonce that fails OxideHash is high-hash; a block with an unknown parent is inconclusive."""
    cs = open_chain(tmp_path_factory.mktemp("side"))
    try:
        first = make_block(cs)
        cs.process_block(first)
        second = make_block(cs)
    finally:
        cs.close()
    assert rpc.call("submitblock", second.serialize().hex()) == "inconclusive"
    assert rpc.call("submitblock", first.serialize().hex()) is None
    tips = {t["hash"]: t["status"] for t in rpc.call("getchaintips")}
    assert tips[second.hash.hex()] == "valid-fork"  # the orphan connected after its parent
    target = target_from_bits(first.header.bits)
    nonce = next(n for n in range(1000) if pow_value(
        dataclasses.replace(first.header, nonce=n).serialize(), REGTEST) > target)  # fmt: skip
    bad = Block(dataclasses.replace(first.header, nonce=nonce), first.votes, first.txs)
    assert rpc.call("submitblock", bad.serialize().hex()) == "high-hash"
