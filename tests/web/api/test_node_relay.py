"""What the API asks the node over JSON-RPC: POST /tx (relay), /fee-estimates and raw blocks,
against a real regtest node process; and the 503 / 400 answers when it is down or refuses."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from indexer.models import Block
from node.rpc.client import RpcClient, RpcTransportError
from node.storage.records import Coin
from node.types.tx import OutPoint
from tests.node.chain.helpers import OTHER_SCRIPT, SCRIPT, spend
from tests.node.rpc.nodeproc import ADDRESS, NodeProcess, start_node

FEE = 20_000


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    proc = start_node(tmp_path_factory.mktemp("api-node"), "--rpcratelimit", "0")
    try:
        rpc = proc.client()
        for _ in range(100):  # readiness: the log line can precede the first accept
            try:
                rpc.call("getblockcount")
                break
            except RpcTransportError:
                time.sleep(0.1)
        rpc.call("generatetoaddress", 12, ADDRESS)
        yield proc
    finally:
        assert proc.stop() == 0


@pytest.fixture
def web_to_node(node: NodeProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[RpcClient]:
    """Point the web side at the node: its data dir (cookie) and RPC port."""
    monkeypatch.setenv("RUSTY_RPC_PORT", str(node.port))
    with override_settings(RUSTY_DATADIR=node.datadir, RUSTY_NETWORK="regtest"):
        yield node.client()


def _coinbase(rpc: RpcClient, height: int) -> tuple[OutPoint, Coin]:
    txid = rpc.call("getblock", rpc.call("getblockhash", height))["tx"][0]
    value = int(rpc.call("gettxout", txid, 0)["value"] * 10**8)
    return OutPoint(bytes.fromhex(txid), 0), Coin(value, SCRIPT, height, True)


@pytest.mark.slow
def test_post_tx_relays_to_the_node(web_to_node: RpcClient, client: Client) -> None:
    coin = _coinbase(web_to_node, 1)
    tx = spend([coin], [(coin[1].value - FEE, OTHER_SCRIPT)])
    r = client.post("/api/tx", tx.serialize().hex(), content_type="text/plain")
    assert (r.status_code, r.content.decode()) == (200, tx.txid.hex())
    assert r["Cache-Control"] == "no-store"
    assert tx.txid.hex() in web_to_node.call("getrawmempool")


@pytest.mark.slow
def test_node_rejection_is_400_with_its_message(web_to_node: RpcClient, client: Client) -> None:
    coin = _coinbase(web_to_node, 2)
    good = spend([coin], [(coin[1].value - FEE, OTHER_SCRIPT)])
    broken = dataclasses.replace(good, witnesses=(good.witnesses[0][:-1] + b"\x00",))
    r = client.post("/api/tx", broken.serialize().hex(), content_type="text/plain")
    assert r.status_code == 400
    assert r.content  # the node's reject reason
    assert r["Cache-Control"] == "no-store"
    r = client.post("/api/tx", "00ff", content_type="text/plain")
    assert r.status_code == 400
    assert b"decode" in r.content.lower()


@pytest.mark.slow
def test_fee_estimates_and_raw_block_from_the_node(
    web_to_node: RpcClient, client: Client, db: None
) -> None:
    r = client.get("/api/fee-estimates")
    assert r.status_code == 200
    estimates = r.json()
    assert isinstance(estimates, dict)
    assert all(k.isdigit() and isinstance(v, float) for k, v in estimates.items())
    block_hash = web_to_node.call("getblockhash", 3)
    header = web_to_node.call("getblockheader", block_hash)
    Block.objects.create(
        hash=block_hash, height=3, prev_hash=header["previousblockhash"],
        merkle_root=header["merkleroot"], votes_root="00" * 32, state_root="00" * 32,
        version=1, timestamp=header["time"], bits=int(header["bits"], 16), nonce=0,
        difficulty=1.0, chainwork="00", size=0, tx_count=1, vote_count=0, total_fees=0,
        subsidy=0, total_out=0,
    )  # fmt: skip
    r = client.get(f"/api/block/{block_hash}/raw")
    assert r.status_code == 200
    assert r.content == bytes.fromhex(web_to_node.call("getblock", block_hash, 0))


@pytest.mark.parametrize(
    "body",
    ["", "   ", "zz", "abc", "<script>alert(1)</script>", "' OR 1=1 --", "ab" * 1_000_001],
)
def test_post_tx_bad_bodies_are_400_without_asking_the_node(client: Client, body: str) -> None:
    r = client.post("/api/tx", body, content_type="text/plain")
    assert r.status_code == 400
    assert b"<script>" not in r.content


def test_post_tx_binary_body_is_400(client: Client) -> None:
    r = client.post("/api/tx", b"\xff\xfe\x00", content_type="application/octet-stream")
    assert r.status_code == 400


def test_node_down_is_503(
    client: Client, tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with override_settings(RUSTY_DATADIR=tmp_path):
        for r in (
            client.get("/api/fee-estimates"),
            client.post("/api/tx", "00" * 60, content_type="text/plain"),
        ):
            assert r.status_code == 503
            assert r["Retry-After"] == "10"
            assert r.content == b"The node is unavailable; try again later"
    # A cookie but nobody listening: the same 503.
    (tmp_path / "regtest").mkdir()
    (tmp_path / "regtest" / ".cookie").write_text("__cookie__:00")
    monkeypatch.setenv("RUSTY_RPC_PORT", str(free_port))
    with override_settings(RUSTY_DATADIR=tmp_path, RUSTY_NETWORK="regtest"):
        assert client.get("/api/fee-estimates").status_code == 503


def test_get_on_post_tx_is_405(client: Client) -> None:
    r = client.get("/api/tx")
    assert r.status_code == 405
    assert r["Allow"] == "POST"
