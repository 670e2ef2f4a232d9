"""The /ws/ JSON protocol (docs/WEBSOCKET.md) over Channels' in-memory layer.

Each test connects a real consumer through WebsocketCommunicator, sends client messages and
contract-2 group messages (as the indexer does after its commits) and checks what the client
receives: snapshots, live blocks/stats/mempool, tracked addresses and transactions with
confirmations, and an error message (never a disconnect) for every bad request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.db import connections

from explorer.consumers import MAX_MESSAGE_BYTES, MAX_TRACKED_ADDRESSES, MAX_TRACKED_TXS
from rustycoin.routing import websocket_urlpatterns
from tests.web.pages.builders import add_mempool_tx, address_of, build_chain

pytestmark = pytest.mark.django_db(transaction=True)
APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 10


async def close_db() -> None:
    """Close the consumer thread's DB connections (Postgres keeps them otherwise)."""
    await database_sync_to_async(connections.close_all)()


def run(scenario: Callable[[WebsocketCommunicator], Awaitable[None]], path: str = "/ws/") -> None:
    """Connect to `path`, run the scenario, disconnect (all inside one event loop)."""

    async def main() -> None:
        ws = WebsocketCommunicator(APP, path)
        connected, _ = await ws.connect(timeout=TIMEOUT)
        assert connected
        try:
            await scenario(ws)
        finally:
            await ws.disconnect()
            await close_db()

    asyncio.run(main())


async def send(ws: WebsocketCommunicator, message: Any) -> None:
    await ws.send_to(text_data=json.dumps(message))


async def recv(ws: WebsocketCommunicator) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json_from(timeout=TIMEOUT)
    return data


async def group(name: str, message: dict[str, Any]) -> None:
    await get_channel_layer().group_send(name, message)


async def still_open(ws: WebsocketCommunicator) -> None:
    await send(ws, {"action": "ping"})
    assert await recv(ws) == {"pong": True}


def test_want_blocks_sends_a_snapshot_then_live_blocks() -> None:
    chain = build_chain(blocks=4)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"action": "want", "data": ["blocks"]})
        assert await recv(ws) == {"want": ["blocks"]}
        snapshot = (await recv(ws))["blocks"]
        assert [b["height"] for b in snapshot] == [0, 1, 2, 3]
        assert snapshot[-1]["id"] == chain.blocks[-1].hash
        assert {"id", "height", "timestamp", "tx_count", "size", "previousblockhash"} <= set(
            snapshot[-1]
        )
        block = {"id": "ab" * 32, "height": 4, "tx_count": 1}
        await group("blocks", {"type": "rusty.block", "block": block})
        assert await recv(ws) == {"block": block}
        await group("blocks", {"type": "rusty.reorg", "height": 4, "hash": "ab" * 32})
        assert await recv(ws) == {"reorg": {"height": 4, "hash": "ab" * 32}}

    run(scenario)


def test_blocks_are_not_pushed_unless_wanted() -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        await group("blocks", {"type": "rusty.block", "block": {"height": 1}})
        await still_open(ws)  # the pong is the first frame: no block was forwarded
        assert await ws.receive_nothing(timeout=0.2)

    run(scenario)


def test_stats_and_mempool_blocks() -> None:
    chain = build_chain(blocks=3)
    add_mempool_tx(chain, fee=20_000)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"action": "want", "data": ["stats", "mempool-blocks"]})
        assert await recv(ws) == {"want": ["mempool-blocks", "stats"]}
        stats = (await recv(ws))["stats"]
        assert stats["height"] == 2
        assert stats["mempool_count"] == 1
        snapshot = await recv(ws)
        assert snapshot["mempoolInfo"]["count"] == 1
        assert snapshot["mempool-blocks"][0]["nTx"] == 1
        await group("stats", {"type": "rusty.stats", "stats": {"height": 3}})
        assert await recv(ws) == {"stats": {"height": 3}}
        mempool = {
            "count": 3, "vsize": 700, "total_fee": 9000,
            "fee_histogram": [[20.0, 300], [5.0, 400]],
            "recent": [{"txid": "cd" * 32, "fee": 1, "size": 2, "value": 3}],
        }  # fmt: skip
        await group("mempool", {"type": "rusty.mempool", "mempool": mempool})
        message = await recv(ws)
        assert message["mempoolInfo"] == {"count": 3, "vsize": 700, "total_fee": 9000}
        assert message["mempool-blocks"] == [
            {"nTx": 2, "blockSize": 700, "blockVSize": 700, "totalFees": 8000,
             "feeRange": [5.0, 20.0]}
        ]  # fmt: skip
        assert message["transactions"] == mempool["recent"]
        # want replaces the set: stats stop
        await send(ws, {"action": "want", "data": []})
        assert await recv(ws) == {"want": []}
        await group("stats", {"type": "rusty.stats", "stats": {"height": 4}})
        await still_open(ws)

    run(scenario)


def test_track_address_pushes_mempool_and_block_transactions() -> None:
    address, _ = address_of(7)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"track-address": address.upper()})
        assert await recv(ws) == {"tracking": {"addresses": [address], "txs": []}}
        event = {"type": "rusty.address", "address": address, "txid": "ef" * 32}
        await group(f"addr.{address}", {**event, "height": None})
        assert await recv(ws) == {
            "address-transactions": [{"address": address, "txid": "ef" * 32, "height": None}]
        }
        await group(f"addr.{address}", {**event, "height": 9})
        assert await recv(ws) == {
            "block-transactions": [{"address": address, "txid": "ef" * 32, "height": 9}]
        }
        await send(ws, {"untrack-address": address})
        assert await recv(ws) == {"tracking": {"addresses": [], "txs": []}}
        await group(f"addr.{address}", {**event, "height": 10})
        await still_open(ws)

    run(scenario)


def test_track_tx_reports_status_and_live_confirmations() -> None:
    chain = build_chain(blocks=5)
    confirmed = chain.txs[-1]  # in the tip block: 1 confirmation
    pooled = add_mempool_tx(chain)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"track-tx": confirmed.txid})
        assert (await recv(ws))["tracking"]["txs"] == [confirmed.txid]
        status = (await recv(ws))["tx-status"]
        assert status["confirmed"] is True
        assert status["block_height"] == 4
        assert status["confirmations"] == 1
        await send(ws, {"track-tx": pooled.txid})
        await recv(ws)  # tracking
        status = (await recv(ws))["tx-status"]
        assert (status["known"], status["confirmed"], status["confirmations"]) == (True, False, 0)
        # the pooled tx is mined in block 5: txConfirmed, then block 5 raises the other's count
        await group(
            f"tx.{pooled.txid}",
            {"type": "rusty.tx", "txid": pooled.txid, "height": 5, "block_hash": "12" * 32},
        )
        message = await recv(ws)
        assert message["txConfirmed"] == pooled.txid
        assert message["tx-status"]["confirmations"] == 1
        assert message["tx-status"]["block_hash"] == "12" * 32
        await group("blocks", {"type": "rusty.block", "block": {"height": 5}})
        statuses = {
            m["tx-status"]["txid"]: m["tx-status"] for m in [await recv(ws), await recv(ws)]
        }
        assert statuses[confirmed.txid]["confirmations"] == 2
        assert statuses[pooled.txid]["confirmations"] == 1
        # block 5 is disconnected: the pooled tx is looked up again (back in the mempool)
        await group("blocks", {"type": "rusty.reorg", "height": 5, "hash": "12" * 32})
        status = (await recv(ws))["tx-status"]
        assert status["txid"] == pooled.txid
        assert (status["confirmed"], status["confirmations"]) == (False, 0)

    run(scenario)


def test_unknown_txid_can_be_tracked_until_it_appears() -> None:
    txid = "34" * 32

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"track-tx": txid})
        await recv(ws)
        assert (await recv(ws))["tx-status"]["known"] is False
        await group(f"tx.{txid}", {"type": "rusty.tx", "txid": txid, "height": None})
        status = (await recv(ws))["tx-status"]
        assert (status["known"], status["confirmed"]) == (True, False)

    run(scenario)


def test_subscription_caps_answer_an_error_not_a_disconnect() -> None:
    addresses = [address_of(100 + n)[0] for n in range(MAX_TRACKED_ADDRESSES + 1)]

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"track-addresses": addresses[:MAX_TRACKED_ADDRESSES]})
        tracking = (await recv(ws))["tracking"]["addresses"]
        assert len(tracking) == MAX_TRACKED_ADDRESSES
        await send(ws, {"track-address": addresses[-1]})
        error = await recv(ws)
        assert error["code"] == "subscription-cap"
        assert "track-address-error" in error
        for n in range(MAX_TRACKED_TXS):
            await send(ws, {"track-tx": f"{n:064x}"})
            await recv(ws)
            await recv(ws)
        await send(ws, {"track-tx": "ff" * 32})
        assert (await recv(ws))["code"] == "subscription-cap"
        # re-tracking one already tracked is fine; "stop" clears all
        await send(ws, {"track-address": addresses[0]})
        assert len((await recv(ws))["tracking"]["addresses"]) == MAX_TRACKED_ADDRESSES
        await send(ws, {"track-address": "stop"})
        for _ in range(MAX_TRACKED_ADDRESSES):
            await recv(ws)
        await send(ws, {"track-address": addresses[-1]})
        assert (await recv(ws))["tracking"]["addresses"] == [addresses[-1]]
        await still_open(ws)

    run(scenario)


BAD_MESSAGES: list[tuple[str | bytes, str]] = [
    ("{not json", "invalid-json"),
    ("[1, 2]", "invalid-message"),
    ('"want"', "invalid-message"),
    ("{}", "unknown-action"),
    ('{"action": "dance"}', "unknown-action"),
    ('{"action": "want", "data": "blocks"}', "invalid-want"),
    ('{"action": "want", "data": ["blocks", "live-2h-chart"]}', "unknown-data"),
    ('{"action": "want", "data": [1]}', "invalid-want"),
    ('{"track-address": "<script>alert(1)</script>"}', "invalid-address"),
    ('{"track-address": "rcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}', "invalid-address"),
    ('{"track-address": 12}', "invalid-address"),
    ('{"track-addresses": "x"}', "invalid-address"),
    ('{"track-tx": "zz"}', "invalid-txid"),
    ('{"track-tx": "\' OR 1=1 --"}', "invalid-txid"),
    ('{"track-tx": null}', "invalid-txid"),
    ("x" * (MAX_MESSAGE_BYTES + 1), "too-large"),
    (b"\x00\x01", "binary"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_MESSAGES)
def test_bad_messages_get_an_error_and_the_connection_stays(frame: str | bytes, code: str) -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        if isinstance(frame, bytes):
            await ws.send_to(bytes_data=frame)
        else:
            await ws.send_to(text_data=frame)
        error = await recv(ws)
        assert error["code"] == code
        assert error["error"]
        assert "<script>" not in error["error"]
        await still_open(ws)

    run(scenario)


def test_init_sends_every_snapshot() -> None:
    build_chain(blocks=2)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await send(ws, {"action": "init"})
        keys = set()
        for _ in range(3):
            keys |= set(await recv(ws))
        assert {"blocks", "stats", "mempoolInfo", "mempool-blocks"} <= keys

    run(scenario)


@pytest.mark.parametrize(("origin", "accepted"), [(b"http://127.0.0.1:8000", True),
                                                  (b"https://evil.example", False)])  # fmt: skip
def test_the_asgi_app_routes_ws_and_checks_the_origin(origin: bytes, accepted: bool) -> None:
    from rustycoin.asgi import application

    async def main() -> None:
        for path in ["/ws/", "/ws/html/?view=home"]:
            ws = WebsocketCommunicator(application, path, headers=[(b"origin", origin)])
            connected, _ = await ws.connect(timeout=TIMEOUT)
            assert connected is accepted
            await ws.disconnect()
        await close_db()

    asyncio.run(main())
