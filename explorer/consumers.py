"""The explorer's websocket consumers: `/ws/` (JSON) and `/ws/html/` (htmx fragments).

Both join the channel-layer groups of shared contract 2 (`blocks`, `stats`, `mempool`,
`addr.<address>`, `tx.<txid>`) that the indexer broadcasts to after each SQL commit, and map
those messages to the client protocol documented in docs/WEBSOCKET.md (modelled on
mempool.space: `{"action": "want", "data": [...]}`, `{"track-address": ...}`,
`{"track-tx": ...}`). Every connection is always in `blocks`, so it knows the tip height and
can turn a tracked transaction's height into live confirmations. Subscriptions are capped per
connection; an invalid or over-cap request gets an error message, never a disconnect.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from explorer import fragments
from indexer.read import chain, pages
from indexer.read.errors import InvalidInput
from indexer.read.parse import parse_address, parse_hash
from node.api import get_params

MAX_TRACKED_ADDRESSES = 10
MAX_TRACKED_TXS = 10
MAX_MESSAGE_BYTES = 4096
INITIAL_BLOCKS = 8
WANTS = {"blocks": "blocks", "stats": "stats", "mempool-blocks": "mempool"}
"""Client data names (mempool.space's) -> the contract-2 group that feeds them."""


class ProtocolError(Exception):
    """A client message the consumer refuses; `code` is the machine-readable reason."""

    def __init__(self, code: str, message: str, key: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.key = key


def _block_size() -> int:
    return get_params(settings.RUSTY_NETWORK).initial_max_block_size


class LiveConsumer(AsyncWebsocketConsumer):
    """The JSON protocol at /ws/ (docs/WEBSOCKET.md)."""

    async def connect(self) -> None:
        self.wants: set[str] = set()
        self.addresses: set[str] = set()
        self.txs: dict[str, int | None] = {}  # txid -> block height (None: unconfirmed)
        self.joined: set[str] = set()
        self.tip: int | None = await database_sync_to_async(pages.tip_height)()
        await self._join("blocks")
        await self.accept()
        await self.on_open()

    async def on_open(self) -> None:
        """Hook run after the handshake (the HTML consumer subscribes from its URL here)."""

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.joined and group != "blocks":
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)

    # ---------------------------------------------------------------- client -> server

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if text_data is None:
                raise ProtocolError("binary", "Send JSON text frames, not binary ones.")
            if len(text_data.encode()) > MAX_MESSAGE_BYTES:
                raise ProtocolError(
                    "too-large", f"Messages are limited to {MAX_MESSAGE_BYTES} bytes."
                )
            try:
                message = json.loads(text_data)
            except ValueError:
                raise ProtocolError("invalid-json", "The message is not valid JSON.") from None
            if not isinstance(message, dict):
                raise ProtocolError("invalid-message", "A message must be a JSON object.")
            await self.handle(message)
        except ProtocolError as exc:
            await self.send_error(exc)

    async def handle(self, message: dict[str, Any]) -> None:
        """Dispatch one client message (a JSON object)."""
        handled = False
        if "action" in message:
            await self._action(message)
            handled = True
        for key, handler in (
            ("track-address", self._track_address),
            ("track-addresses", self._track_addresses),
            ("untrack-address", self._untrack_address),
            ("track-tx", self._track_tx),
            ("untrack-tx", self._untrack_tx),
        ):
            if key in message:
                await handler(message[key])
                handled = True
        if not handled:
            raise ProtocolError(
                "unknown-action",
                "Unknown message; expected action (want, init, ping), track-address, "
                "track-addresses, untrack-address, track-tx or untrack-tx.",
            )

    async def _action(self, message: dict[str, Any]) -> None:
        action = message["action"]
        if action == "ping":
            await self.send_json({"pong": True})
        elif action == "init":
            await self.send_snapshot(set(WANTS))
        elif action == "want":
            data = message.get("data")
            if not isinstance(data, list) or not all(isinstance(d, str) for d in data):
                raise ProtocolError("invalid-want", 'want needs "data": a list of names.')
            unknown = sorted(set(data) - set(WANTS))
            if unknown:
                raise ProtocolError(
                    "unknown-data",
                    f"Unknown data {', '.join(unknown)[:200]!r}; available: "
                    f"{', '.join(sorted(WANTS))}.",
                )
            await self.set_wants(set(data))
        else:
            raise ProtocolError(
                "unknown-action", "Unknown action; expected want, init or ping.", "action"
            )

    async def set_wants(self, wanted: set[str]) -> None:
        """Replace the data subscriptions (mempool.space semantics) and send their snapshot."""
        new = wanted - self.wants
        for name in self.wants - wanted:
            await self._leave(WANTS[name])
        for name in wanted:
            await self._join(WANTS[name])
        self.wants = wanted
        await self.send_json({"want": sorted(wanted)})
        await self.send_snapshot(new)

    async def send_snapshot(self, names: set[str]) -> None:
        """The current state of each named data feed, read from the database."""
        if "blocks" in names:
            blocks = await database_sync_to_async(_recent_blocks_json)()
            await self.send_json({"blocks": blocks})
        if "stats" in names:
            await self.send_json({"stats": await database_sync_to_async(pages.live_stats)()})
        if "mempool-blocks" in names:
            await self.send_json(await database_sync_to_async(_mempool_snapshot)())

    async def _track_address(self, value: Any) -> None:
        if value == "stop":
            for address in list(self.addresses):
                await self._untrack_address(address)
            return
        await self._add_address(value, "track-address")
        await self._send_tracking()

    async def _track_addresses(self, value: Any) -> None:
        if not isinstance(value, list):
            raise ProtocolError(
                "invalid-address", "track-addresses needs a list.", "track-addresses"
            )
        for address in value:
            await self._add_address(address, "track-addresses")
        await self._send_tracking()

    async def _add_address(self, value: Any, key: str) -> None:
        try:
            address = parse_address(value if isinstance(value, str) else "")
        except InvalidInput as exc:
            raise ProtocolError("invalid-address", str(exc), key) from None
        if address in self.addresses:
            return
        if len(self.addresses) >= MAX_TRACKED_ADDRESSES:
            raise ProtocolError(
                "subscription-cap",
                f"At most {MAX_TRACKED_ADDRESSES} addresses can be tracked per connection.",
                key,
            )
        self.addresses.add(address)
        await self._join(f"addr.{address}")

    async def _untrack_address(self, value: Any) -> None:
        if isinstance(value, str) and value.lower() in self.addresses:
            address = value.lower()
            self.addresses.discard(address)
            await self._leave(f"addr.{address}")
        await self._send_tracking()

    async def _track_tx(self, value: Any) -> None:
        if value == "stop":
            for txid in list(self.txs):
                await self._untrack_tx(txid)
            return
        try:
            txid = parse_hash(value if isinstance(value, str) else "", "txid")
        except InvalidInput as exc:
            raise ProtocolError("invalid-txid", str(exc), "track-tx") from None
        if txid not in self.txs:
            if len(self.txs) >= MAX_TRACKED_TXS:
                raise ProtocolError(
                    "subscription-cap",
                    f"At most {MAX_TRACKED_TXS} transactions can be tracked per connection.",
                    "track-tx",
                )
            await self._join(f"tx.{txid}")
        status = await database_sync_to_async(pages.tx_status)(txid)
        self.txs[txid] = status["block_height"]
        await self._send_tracking()
        await self.emit_tx_status(status)

    async def _untrack_tx(self, value: Any) -> None:
        if isinstance(value, str) and value.lower() in self.txs:
            txid = value.lower()
            del self.txs[txid]
            await self._leave(f"tx.{txid}")
        await self._send_tracking()

    async def _send_tracking(self) -> None:
        await self.send_json(
            {"tracking": {"addresses": sorted(self.addresses), "txs": sorted(self.txs)}}
        )

    # ---------------------------------------------------------------- group -> client

    async def rusty_block(self, event: dict[str, Any]) -> None:
        """A block was connected (contract 2, group `blocks`)."""
        block = event["block"]
        self.tip = int(block["height"])
        await self.emit_block(block)
        for txid, height in self.txs.items():
            if height is not None:
                await self.emit_tx_status(self._status(txid, height, None))

    async def rusty_reorg(self, event: dict[str, Any]) -> None:
        """A block was disconnected: the tip moves down and tracked txs are looked up again."""
        height = int(event["height"])
        self.tip = height - 1
        await self.emit_reorg(height, str(event["hash"]))
        for txid, tx_height in list(self.txs.items()):
            if tx_height is not None and tx_height >= height:
                status = await database_sync_to_async(pages.tx_status)(txid)
                self.txs[txid] = status["block_height"]
                await self.emit_tx_status(status)

    async def rusty_stats(self, event: dict[str, Any]) -> None:
        """New chain/mempool statistics (group `stats`)."""
        if "stats" in self.wants:
            await self.emit_stats(event["stats"])

    async def rusty_mempool(self, event: dict[str, Any]) -> None:
        """A new mempool snapshot (group `mempool`)."""
        if "mempool-blocks" in self.wants:
            await self.emit_mempool(event["mempool"])

    async def rusty_address(self, event: dict[str, Any]) -> None:
        """A transaction touched a tracked address (group `addr.<address>`)."""
        if event["address"] in self.addresses:
            await self.emit_address(event["address"], event["txid"], event.get("height"))

    async def rusty_tx(self, event: dict[str, Any]) -> None:
        """A tracked transaction entered the mempool or a block (group `tx.<txid>`)."""
        txid = event["txid"]
        if txid not in self.txs:
            return
        height = event.get("height")
        self.txs[txid] = height
        if height is not None and (self.tip is None or height > self.tip):
            self.tip = height
        await self.emit_tx_status(self._status(txid, height, event.get("block_hash")))

    def _status(self, txid: str, height: int | None, block_hash: str | None) -> dict[str, Any]:
        return {
            "txid": txid,
            "known": True,
            "confirmed": height is not None,
            "block_height": height,
            "block_hash": block_hash,
        }

    def confirmations(self, height: int | None) -> int:
        """Blocks on top of `height`, counting its own (0 when unconfirmed)."""
        if height is None or self.tip is None or height > self.tip:
            return 0 if height is None else 1
        return self.tip - height + 1

    # ---------------------------------------------------------------- output (JSON)

    async def send_json(self, content: dict[str, Any]) -> None:
        """Send one JSON text frame."""
        await self.send(text_data=json.dumps(content))

    async def send_error(self, exc: ProtocolError) -> None:
        """An error frame: {"error": message, "code": code} (+ mempool.space's `<key>-error`)."""
        content: dict[str, Any] = {"error": str(exc), "code": exc.code}
        if exc.key:
            content[f"{exc.key}-error"] = str(exc)
        await self.send_json(content)

    async def emit_block(self, block: dict[str, Any]) -> None:
        if "blocks" in self.wants:
            await self.send_json({"block": block})

    async def emit_reorg(self, height: int, block_hash: str) -> None:
        if "blocks" in self.wants:
            await self.send_json({"reorg": {"height": height, "hash": block_hash}})

    async def emit_stats(self, stats: dict[str, Any]) -> None:
        await self.send_json({"stats": stats})

    async def emit_mempool(self, mempool: dict[str, Any]) -> None:
        await self.send_json(_mempool_message(mempool))

    async def emit_address(self, address: str, txid: str, height: int | None) -> None:
        item = {"address": address, "txid": txid, "height": height}
        key = "address-transactions" if height is None else "block-transactions"
        await self.send_json({key: [item]})

    async def emit_tx_status(self, status: dict[str, Any]) -> None:
        status = {**status, "confirmations": self.confirmations(status["block_height"])}
        content: dict[str, Any] = {"tx-status": status}
        if status["confirmed"] and status["confirmations"] == 1:
            content["txConfirmed"] = status["txid"]
        await self.send_json(content)


def _recent_blocks_json() -> list[dict[str, Any]]:
    blocks = pages.latest_blocks(INITIAL_BLOCKS)
    blocks.reverse()  # oldest first, as mempool.space's initial "blocks"
    return chain.blocks_json(blocks)  # the shape of the live `block` frames


def _mempool_message(
    mempool: dict[str, Any], projected: list[pages.ProjectedBlock] | None = None
) -> dict[str, Any]:
    histogram = mempool.get("fee_histogram", [])
    if projected is None:
        projected = pages.project_histogram(histogram, _block_size(), pages.MAX_PROJECTED_BLOCKS)
    return {
        "mempoolInfo": {
            "count": mempool.get("count", 0),
            "vsize": mempool.get("vsize", 0),
            "total_fee": mempool.get("total_fee", 0),
        },
        "mempool-blocks": [
            {
                "nTx": b.tx_count,
                "blockSize": b.size,
                "blockVSize": b.size,
                "totalFees": b.total_fees,
                "feeRange": [b.min_feerate, b.max_feerate],
            }
            for b in projected
        ],
        "fee-histogram": histogram,
        "transactions": mempool.get("recent", []),
    }


def _mempool_snapshot() -> dict[str, Any]:
    overview = pages.mempool_overview(_block_size(), recent=10)
    return _mempool_message(
        {
            "count": overview.count,
            "vsize": overview.size,
            "total_fee": overview.total_fees,
            "fee_histogram": [
                [low, size]
                for low, (_label, size) in zip(pages.FEE_BUCKETS, overview.histogram, strict=True)
                if size
            ],
            "recent": [
                {"txid": t.txid, "fee": t.fee, "size": t.size, "value": t.value}
                for t in overview.recent
            ],
        },
        overview.projected,
    )


class HtmlLiveConsumer(LiveConsumer):
    """/ws/html/: the same subscriptions, answered with HTML fragments that htmx's ws
    extension swaps in by id (hx-swap-oob). The page says what it shows in the query string:
    `view` (home, block, tx, address, mempool, tickets) and its `tx`, `address` or `height`.
    """

    async def on_open(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.view = (query.get("view") or [""])[0]
        self.height: int | None = None
        try:
            if self.view not in fragments.VIEWS:
                raise ProtocolError(
                    "unknown-view", f"Unknown view; expected one of {', '.join(fragments.VIEWS)}."
                )
            wants = {"home": {"blocks", "stats", "mempool-blocks"},
                     "mempool": {"mempool-blocks"}, "tickets": {"blocks"}}  # fmt: skip
            self.wants = set(wants.get(self.view, set()))
            for name in self.wants:
                await self._join(WANTS[name])
            for address in query.get("address", [])[:1]:
                await self._add_address(address, "track-address")
            for txid in query.get("tx", [])[:1]:
                await self._track_tx(txid)
            height = (query.get("height") or [""])[0]
            if height:
                self.height = pages_height(height)
        except ProtocolError as exc:
            await self.send_error(exc)

    async def send_json(self, content: dict[str, Any]) -> None:
        """The HTML endpoint sends no JSON acknowledgements."""

    async def send_html(self, html: str) -> None:
        if html:
            await self.send(text_data=html)

    async def send_error(self, exc: ProtocolError) -> None:
        await self.send_html(fragments.live_error(str(exc)))

    async def emit_block(self, block: dict[str, Any]) -> None:
        if self.view == "home":
            await self.send_html(await database_sync_to_async(fragments.home_on_block)())
        elif self.view == "tickets":
            await self.send_html(await database_sync_to_async(fragments.tickets_on_block)())
        elif self.view == "block" and self.height is not None:
            await self.send_html(fragments.block_confirmations(self.confirmations(self.height)))

    async def emit_reorg(self, height: int, block_hash: str) -> None:
        await self.emit_block({"height": height - 1})

    async def emit_stats(self, stats: dict[str, Any]) -> None:
        if self.view == "home":
            await self.send_html(await database_sync_to_async(fragments.home_stats)())

    async def emit_mempool(self, mempool: dict[str, Any]) -> None:
        if self.view == "home":
            await self.send_html(await database_sync_to_async(fragments.home_mempool)())
        elif self.view == "mempool":
            await self.send_html(await database_sync_to_async(fragments.mempool_page)())

    async def emit_address(self, address: str, txid: str, height: int | None) -> None:
        html = await database_sync_to_async(fragments.address_activity)(address, txid, height)
        await self.send_html(html)

    async def emit_tx_status(self, status: dict[str, Any]) -> None:
        await self.send_html(
            fragments.tx_status(status, self.confirmations(status["block_height"]))
        )


def pages_height(text: str) -> int:
    """A block height from the query string, or a ProtocolError."""
    if not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise ProtocolError("invalid-height", "height must be a block height (digits).")
    return int(text)
