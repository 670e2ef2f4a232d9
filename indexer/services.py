"""The web side's link to its node over JSON-RPC (cookie auth in the data dir).

Pages read the node's live state (chain and mempool info) this way, never by importing the
node's internals; the node itself runs in `manage.py run` / `manage.py runnode`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from node.params import get_params
from node.rpc.client import RpcClient, RpcError, RpcTransportError

MINING_NETWORKS = {"devnet", "regtest"}


def rpc_port() -> int:
    """The node's RPC port: RUSTY_RPC_PORT, else the network default (SPEC §12)."""
    configured = os.environ.get("RUSTY_RPC_PORT", "")
    return int(configured) if configured else get_params(settings.RUSTY_NETWORK).rpc_port


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What the home page shows about the node, or why it cannot."""

    ok: bool
    chain: dict[str, Any]
    mempool: dict[str, Any]
    error: str = ""
    network: dict[str, Any] = field(default_factory=dict)
    """getnetworkinfo (peers and sync progress); empty when the node runs without P2P."""
    indexed: int | None = None
    """The indexer's watermark height (None before it indexed anything)."""

    @property
    def sync_percent(self) -> float:
        """Blocks over best known headers, in percent (the node's own estimate without P2P)."""
        sync = self.network.get("sync") or {}
        headers, blocks = sync.get("headers"), sync.get("blocks")
        if headers:
            return round(100.0 * min(blocks or 0, headers) / headers, 2)
        return round(100.0 * float(self.chain.get("verificationprogress", 0.0)), 2)

    @property
    def index_percent(self) -> float:
        blocks = int(self.chain.get("blocks", 0))
        if self.indexed is None or blocks <= 0:
            return 0.0 if self.indexed is None else 100.0
        return round(100.0 * min(self.indexed, blocks) / blocks, 2)


def node_status() -> NodeStatus:
    """Ask the node for its chain and mempool state (short timeout; never raises)."""
    try:
        client = RpcClient.from_datadir(
            Path(settings.RUSTY_DATADIR), settings.RUSTY_NETWORK, port=rpc_port(), timeout=3.0
        )
        chain = client.call("getblockchaininfo")
        mempool = client.call("getmempoolinfo")
        try:
            network = client.call("getnetworkinfo")
        except RpcError:  # no P2P service in this node
            network = {}
    except (RpcError, RpcTransportError, OSError) as exc:
        return NodeStatus(False, {}, {}, str(exc) or type(exc).__name__, indexed=indexed_height())
    return NodeStatus(True, chain, mempool, network=network, indexed=indexed_height())


def indexed_height() -> int | None:
    """The indexer's watermark, or None when nothing is indexed yet."""
    from indexer.models import IndexerState

    height = IndexerState.objects.filter(name="main").values_list("height", flat=True).first()
    return None if height is None or height < 0 else int(height)
