"""The /ws/ consumer on the real Redis channel layer: another process (standing in for the
node process's indexer) broadcasts contract-2 messages, and the client connected to this
process receives them. Skips on a machine without Redis; required in CI."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.db import connections

from rustycoin.routing import websocket_urlpatterns
from tests.server import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

SENDER = """
import asyncio, json, sys
from channels_redis.core import RedisChannelLayer

url, prefix, address = sys.argv[1:4]
layer = RedisChannelLayer(hosts=[{"address": url, "socket_timeout": 30}], prefix=prefix)

async def main():
    block = {"height": 7, "id": "aa" * 32}
    await layer.group_send("blocks", {"type": "rusty.block", "block": block})
    await layer.group_send("addr." + address, {"type": "rusty.address", "address": address,
                                               "txid": "bb" * 32, "height": 7})

asyncio.run(main())
"""


async def close_db() -> None:
    """Close the consumer thread's DB connections (Postgres keeps them otherwise)."""
    await database_sync_to_async(connections.close_all)()


def test_broadcasts_from_another_process_reach_the_client(settings: Any, redis_url: str) -> None:
    from tests.web.pages.builders import address_of

    prefix = f"rusty-test-{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # as rustycoin/settings.py: a socket timeout above channels-redis's 5 s read
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 30}], "prefix": prefix},
        }
    }
    address = address_of(5)[0]

    async def main() -> None:
        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
        ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/")
        assert (await ws.connect(timeout=10))[0]
        try:
            await ws.send_to(text_data=json.dumps({"action": "want", "data": ["blocks"]}))
            assert await ws.receive_json_from(timeout=10) == {"want": ["blocks"]}
            assert "blocks" in await ws.receive_json_from(timeout=10)
            await ws.send_to(text_data=json.dumps({"track-address": address}))
            assert "tracking" in await ws.receive_json_from(timeout=10)
            sender = await asyncio.create_subprocess_exec(
                sys.executable, "-c", SENDER, redis_url, prefix, address, cwd=str(ROOT)
            )
            assert await sender.wait() == 0
            block = await ws.receive_json_from(timeout=10)
            assert block == {"block": {"height": 7, "id": "aa" * 32}}
            activity = await ws.receive_json_from(timeout=10)
            assert activity == {
                "block-transactions": [{"address": address, "txid": "bb" * 32, "height": 7}]
            }
        finally:
            await ws.disconnect()
            await close_db()

    asyncio.run(main())
