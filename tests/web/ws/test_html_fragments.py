"""/ws/html/: the htmx websocket endpoint answers contract-2 events with hx-swap-oob fragments.

The pages connect with `ws-connect="/ws/html/?view=..."`; these tests connect the same way
and check that each view gets the fragment whose id its page carries, rendered from the
database, and that a bad subscription gets an error fragment instead of a disconnect.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.db import connections
from django.test import Client

from rustycoin.routing import websocket_urlpatterns
from tests.web.pages.builders import add_mempool_tx, build_chain

pytestmark = pytest.mark.django_db(transaction=True)
APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 10


async def close_db() -> None:
    """Close the consumer thread's DB connections (Postgres keeps them otherwise)."""
    await database_sync_to_async(connections.close_all)()


def run(path: str, scenario: Callable[[WebsocketCommunicator], Awaitable[None]]) -> None:
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


async def html(ws: WebsocketCommunicator) -> str:
    text: str = await ws.receive_from(timeout=TIMEOUT)
    return text


def oob_ids(fragment: str) -> list[str]:
    """The ids of the top-level elements marked hx-swap-oob."""
    return re.findall(r'<\w+ [^>]*id="([^"]+)"[^>]*hx-swap-oob="true"', fragment)


def test_home_gets_stats_blocks_and_txs_on_a_new_block(client: Client) -> None:
    chain = build_chain(blocks=3)
    page = client.get("/").content.decode()
    assert 'ws-connect="/ws/html/?view=home"' in page

    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            "blocks", {"type": "rusty.block", "block": {"height": 2, "id": chain.blocks[-1].hash}}
        )
        fragment = await html(ws)
        assert oob_ids(fragment) == ["chain-stats", "latest-blocks", "latest-txs"]
        assert chain.blocks[-1].hash[:8] in fragment
        for element_id in oob_ids(fragment):
            assert f'id="{element_id}"' in page  # the page has every swapped element

    run("/ws/html/?view=home", scenario)


def test_home_gets_the_mempool_card_on_a_snapshot() -> None:
    chain = build_chain(blocks=2)
    add_mempool_tx(chain)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            "mempool", {"type": "rusty.mempool", "mempool": {"count": 1}}
        )
        fragment = await html(ws)
        assert oob_ids(fragment) == ["mempool-card", "chain-stats"]
        assert "1 transaction," in fragment

    run("/ws/html/?view=home", scenario)


def test_mempool_page_gets_its_body() -> None:
    build_chain(blocks=2)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            "mempool", {"type": "rusty.mempool", "mempool": {"count": 0}}
        )
        assert oob_ids(await html(ws)) == ["mempool-body"]

    run("/ws/html/?view=mempool", scenario)


def test_tickets_page_gets_its_body_on_a_block() -> None:
    build_chain(blocks=4, votes_from=2)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            "blocks", {"type": "rusty.block", "block": {"height": 3}}
        )
        assert oob_ids(await html(ws)) == ["tickets-body"]

    run("/ws/html/?view=tickets", scenario)


def test_block_page_confirmations_count_up() -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            "blocks", {"type": "rusty.block", "block": {"height": 12}}
        )
        assert await html(ws) == '<span id="block-confirmations">3</span>'

    run("/ws/html/?view=block&height=10", scenario)


def test_tx_page_status_goes_from_mempool_to_confirmed(client: Client) -> None:
    chain = build_chain(blocks=3)
    pooled = add_mempool_tx(chain)
    page = client.get(f"/tx/{pooled.txid}").content.decode()
    assert "Unconfirmed" in page

    async def scenario(ws: WebsocketCommunicator) -> None:
        first = await html(ws)  # the status at subscription time
        assert oob_ids(first) == ["tx-status"]
        assert "Unconfirmed" in first
        await get_channel_layer().group_send(
            f"tx.{pooled.txid}",
            {"type": "rusty.tx", "txid": pooled.txid, "height": 3, "block_hash": "56" * 32},
        )
        confirmed = await html(ws)
        assert "Confirmed" in confirmed
        assert '<span id="tx-confirmations">1</span>' in confirmed
        await get_channel_layer().group_send(
            "blocks", {"type": "rusty.block", "block": {"height": 4}}
        )
        assert '<span id="tx-confirmations">2</span>' in await html(ws)

    run(f"/ws/html/?view=tx&tx={pooled.txid}", scenario)


def test_address_page_gets_totals_and_a_notice() -> None:
    chain = build_chain(blocks=3)

    async def scenario(ws: WebsocketCommunicator) -> None:
        await get_channel_layer().group_send(
            f"addr.{chain.payee}",
            {"type": "rusty.address", "address": chain.payee, "txid": "78" * 32, "height": None},
        )
        fragment = await html(ws)
        assert oob_ids(fragment) == ["address-summary"]
        assert 'hx-swap-oob="afterbegin:#address-live"' in fragment
        assert "(unconfirmed)" in fragment
        assert f"/tx/{'78' * 32}" in fragment

    run(f"/ws/html/?view=address&address={chain.payee}", scenario)


@pytest.mark.parametrize(
    "query",
    [
        "view=nope",
        "",
        "view=address&address=%3Cscript%3Ealert(1)%3C/script%3E",
        "view=tx&tx=1234",
        "view=block&height=-1",
        "view=block&height=99999999999999",
    ],
)
def test_bad_subscriptions_get_an_error_fragment(query: str) -> None:
    async def scenario(ws: WebsocketCommunicator) -> None:
        fragment = await html(ws)
        assert fragment.startswith('<span id="live-status" class="live-error"')
        assert "<script>" not in fragment

    run(f"/ws/html/?{query}", scenario)
