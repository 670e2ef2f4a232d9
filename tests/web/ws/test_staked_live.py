"""Live updates on a real staked chain: the indexer applies a block that carries votes and a
ticket purchase, broadcasts after its commit (indexer.broadcast through Channels' in-memory
layer, as in the embedded run), and a /ws/ client gets the block with its votes, the stats
with the ticket price the node asks next, and the staker address's activity.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.db import connections

from indexer import broadcast
from indexer.writer import IndexWriter
from node import api
from rustycoin.routing import websocket_urlpatterns
from tests.web.stakechain import HEIGHT_A, PARAMS, STAKER_SCRIPT, StakedChain, node_view

pytestmark = pytest.mark.django_db(transaction=True)
APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 10
STAKER = api.script_address(STAKER_SCRIPT, PARAMS.bech32_hrp)


async def recv(ws: WebsocketCommunicator) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json_from(timeout=TIMEOUT)
    return data


def test_a_block_with_votes_reaches_ws_clients(staked: StakedChain, settings: Any) -> None:
    settings.RUSTY_NETWORK = "regtest"
    reader = api.ChainReader.open_readonly(staked.a, PARAMS)
    try:
        writer = IndexWriter(PARAMS)
        writer.state()
        writer.apply(reader.read(0, HEIGHT_A))  # everything but the tip
        (tip,) = reader.read(HEIGHT_A, 1)
    finally:
        reader.close()
    next_price = node_view(staked.a).next_price

    async def main() -> None:
        out = broadcast.Broadcaster(loop=asyncio.get_running_loop())
        ws = WebsocketCommunicator(APP, "/ws/")
        connected, _ = await ws.connect(timeout=TIMEOUT)
        assert connected
        try:
            await ws.send_to(text_data=json.dumps({"action": "want", "data": ["blocks"]}))
            assert await recv(ws) == {"want": ["blocks"]}
            snapshot = (await recv(ws))["blocks"]
            assert snapshot[-1]["height"] == HEIGHT_A - 1
            assert len(snapshot[-1]["votes"]) == snapshot[-1]["vote_count"] >= 3
            assert "mediantime" in snapshot[-1]
            await ws.send_to(text_data=json.dumps({"track-address": STAKER}))
            assert (await recv(ws))["tracking"]["addresses"] == [STAKER]

            def commit() -> None:
                writer.apply(
                    [tip],
                    on_commit=lambda done: broadcast.announce_blocks(out, done.blocks, detail=True),
                )
                connections.close_all()

            await asyncio.to_thread(commit)
            frames: dict[str, Any] = {}
            while not {"block", "block-transactions"} <= frames.keys():
                frames.update(await recv(ws))
            block = frames["block"]
            assert (block["id"], block["height"]) == (tip.hash.hex(), HEIGHT_A)
            want = [{"ticket_id": v.ticket_id.hex(), "vote_bits": v.vote_bits}
                    for v in tip.block.votes]  # fmt: skip
            assert block["votes"] == want
            assert block["vote_count"] == len(want) >= 3
            assert block["next_ticket_price"] == next_price
            assert {"address": STAKER, "txid": staked.purchase_txid, "height": HEIGHT_A} in frames[
                "block-transactions"
            ]
        finally:
            await ws.disconnect()
            await database_sync_to_async(connections.close_all)()

    asyncio.run(main())
