"""The web side's link to its node over JSON-RPC (cookie auth in the data dir).

Pages read the node's live state (chain and mempool info) this way, never by importing the
node's internals; the node itself runs in `manage.py run` / `manage.py runnode`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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


def node_status() -> NodeStatus:
    """Ask the node for its chain and mempool state (short timeout; never raises)."""
    try:
        client = RpcClient.from_datadir(
            Path(settings.RUSTY_DATADIR), settings.RUSTY_NETWORK, port=rpc_port(), timeout=3.0
        )
        chain = client.call("getblockchaininfo")
        mempool = client.call("getmempoolinfo")
    except (RpcError, RpcTransportError, OSError) as exc:
        return NodeStatus(False, {}, {}, str(exc) or type(exc).__name__)
    return NodeStatus(True, chain, mempool)
