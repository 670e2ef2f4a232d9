"""Transaction endpoints: Esplora shapes, prevouts, raw bytes, Merkle proofs that verify
against the real block, outspends (confirmed and mempool) and unconfirmed transactions."""

from __future__ import annotations

from django.test import Client

from node.crypto.hashes import H
from node.crypto.merkle import MerkleProof, verify_merkle_proof
from tests.web.api import esplora
from tests.web.api.chain import FEE, HRP, Scenario

LONG = "public, max-age=31536000, immutable"


def test_confirmed_tx_shape_and_values(indexed: Scenario, client: Client) -> None:
    tx = indexed.blocks[13].block.txs[1]
    r = client.get(f"/api/tx/{tx.txid.hex()}")
    assert (r.status_code, r["Cache-Control"]) == (200, LONG)
    data = r.json()
    esplora.check_tx(data)
    assert data["txid"] == tx.txid.hex()
    assert (data["version"], data["locktime"], data["size"]) == (1, 0, tx.size)
    assert data["fee"] == FEE
    assert data["status"] == {
        "confirmed": True,
        "block_height": 13,
        "block_hash": indexed.hashes[13],
        "block_time": indexed.blocks[13].block.header.timestamp,
    }
    b_address = indexed.address(indexed.b)
    assert [v["txid"] for v in data["vin"]] == [t.hex() for t in (
        indexed.blocks[12].block.txs[1].txid, indexed.blocks[12].block.txs[2].txid)]  # fmt: skip
    for vin, witness in zip(data["vin"], tx.witnesses, strict=True):
        assert vin["prevout"]["scriptpubkey_address"] == b_address
        assert vin["prevout"]["value"] == 50_000_000
        assert vin["scriptsig"] == witness.hex()
        assert vin["scriptsig_asm"].startswith("<")
        assert vin["witness"] == []
        assert vin["is_coinbase"] is False
    c_out, op_return, change = data["vout"]
    assert c_out["scriptpubkey_address"] == indexed.address(indexed.c)
    assert c_out["scriptpubkey_type"] == "p2pkh"
    assert c_out["scriptpubkey_asm"].startswith("OP_DUP OP_HASH160 <")
    assert op_return["scriptpubkey_type"] == "op_return"
    assert "scriptpubkey_address" not in op_return
    assert change["scriptpubkey_address"] == b_address
    assert data["tx_type"] == 0
    assert data["tx_type_name"] == "standard"
    assert data["wtxid"] == tx.wtxid.hex()


def test_coinbase_input(indexed: Scenario, client: Client) -> None:
    data = client.get(f"/api/tx/{indexed.fan_out_txid}").json()
    esplora.check_tx(data)
    (vin,) = data["vin"]
    assert vin["is_coinbase"] is True
    assert vin["prevout"] is None
    assert (vin["txid"], vin["vout"]) == ("00" * 32, 0xFFFFFFFF)
    assert len(data["vout"]) == 30
    assert data["tx_type_name"] == "coinbase"


def test_hex_raw_and_status(indexed: Scenario, client: Client) -> None:
    tx = indexed.blocks[12].block.txs[5]
    txid = tx.txid.hex()
    assert client.get(f"/api/tx/{txid}/hex").content.decode() == tx.serialize().hex()
    r = client.get(f"/api/tx/{txid}/raw")
    assert r["Content-Type"] == "application/octet-stream"
    assert r.content == tx.serialize()
    status = client.get(f"/api/tx/{txid}/status").json()
    esplora.has(status, esplora.STATUS_CONFIRMED)
    assert status["block_height"] == 12


def test_merkle_proof_verifies_against_the_block(indexed: Scenario, client: Client) -> None:
    block = indexed.blocks[12].block
    for position in (0, 7, 28):  # first, middle, the odd last leaf paired with itself
        tx = block.txs[position]
        data = client.get(f"/api/tx/{tx.txid.hex()}/merkle-proof").json()
        esplora.has(data, esplora.MERKLE)
        assert (data["block_height"], data["pos"]) == (12, position)
        # Electrum's fold: the leaf (wtxid) hashed with each sibling up to the root.
        node, index = tx.wtxid, position
        for sibling in data["merkle"]:
            pair = (
                (node, bytes.fromhex(sibling)) if index % 2 == 0 else (bytes.fromhex(sibling), node)
            )
            node, index = H(pair[0] + pair[1]), index >> 1
        assert node == block.header.merkle_root
        proof = MerkleProof.deserialize(bytes.fromhex(data["proof"]))
        assert verify_merkle_proof(tx.wtxid, proof, block.header.merkle_root)


def test_outspends(indexed: Scenario, client: Client) -> None:
    spent_tx = indexed.block12_txids[1]  # output 0 (to B) spent in block 13, output 1 not
    data = client.get(f"/api/tx/{spent_tx}/outspends").json()
    assert data[1] == {"spent": False}
    esplora.has(data[0], esplora.OUTSPEND_SPENT)
    assert data[0]["txid"] == indexed.spend_b_txid
    assert data[0]["vin"] == 0
    assert data[0]["status"]["block_height"] == 13
    one = client.get(f"/api/tx/{spent_tx}/outspend/0")
    assert one.json() == data[0]
    assert one["Cache-Control"] == LONG  # spent 11 blocks deep
    r = client.get(f"/api/tx/{spent_tx}/outspend/2")
    assert r.status_code == 404
    assert b"2 outputs" in r.content


def test_output_spent_in_the_mempool(indexed: Scenario, client: Client) -> None:
    assert indexed.mempool_tx is not None
    data = client.get(f"/api/tx/{indexed.spend_b_txid}/outspend/0").json()
    assert data == {
        "spent": True,
        "txid": indexed.mempool_tx.txid.hex(),
        "vin": 0,
        "status": {"confirmed": False},
    }


def test_mempool_transaction(indexed: Scenario, client: Client) -> None:
    assert indexed.mempool_tx is not None
    txid = indexed.mempool_tx.txid.hex()
    r = client.get(f"/api/tx/{txid}")
    assert r["Cache-Control"] == "public, max-age=10"
    data = r.json()
    esplora.check_tx(data)
    assert data["status"] == {"confirmed": False}
    assert data["fee"] == 10_000
    assert data["vin"][0]["prevout"]["scriptpubkey_address"] == indexed.address(indexed.c)
    assert data["vout"][0]["scriptpubkey_address"] == indexed.address(indexed.b)
    assert data["vout"][0]["scriptpubkey_address"].startswith(HRP + "1")
    assert client.get(f"/api/tx/{txid}/status").json() == {"confirmed": False}
    assert (
        client.get(f"/api/tx/{txid}/hex").content.decode() == indexed.mempool_tx.serialize().hex()
    )
    assert client.get(f"/api/tx/{txid}/outspends").json() == [{"spent": False}]
    r = client.get(f"/api/tx/{txid}/merkle-proof")
    assert (r.status_code, r.content) == (404, b"Transaction is unconfirmed")


def test_unknown_transaction_is_404(indexed: Scenario, client: Client) -> None:
    for suffix in ("", "/status", "/hex", "/raw", "/merkle-proof", "/outspends", "/outspend/0"):
        r = client.get(f"/api/tx/{'11' * 32}{suffix}")
        assert (r.status_code, r.content) == (404, b"Transaction not found"), suffix
        assert r["Cache-Control"] == "no-store"
