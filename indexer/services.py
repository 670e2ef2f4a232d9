"""The web side's link to its node: the embedded devnet node process and its RPC client.

`manage.py run` starts the node (`python -m node`) as a child process with the built-in
miner on devnet/regtest; pages read its state over JSON-RPC (cookie auth), never by
importing the node's internals.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from node.crypto.address import p2pkh_address
from node.crypto.schnorr import pubkey_from_secret
from node.params import get_params
from node.rpc.client import RpcClient, RpcError, RpcTransportError

MINING_NETWORKS = {"devnet", "regtest"}


def rpc_port() -> int:
    """The node's RPC port: RUSTY_RPC_PORT, else the network default (SPEC §12)."""
    configured = os.environ.get("RUSTY_RPC_PORT", "")
    return int(configured) if configured else get_params(settings.RUSTY_NETWORK).rpc_port


def miner_address(datadir: Path, network: str) -> str:
    """The embedded miner's payout address; its key is made once and kept (0600) locally."""
    path = datadir / network / "miner.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    secret = bytes.fromhex(path.read_text().strip())
    return str(p2pkh_address(get_params(network).bech32_hrp, pubkey_from_secret(secret)))


def start_node(*, port: int, mine: bool = True) -> subprocess.Popen[bytes]:
    """Start `python -m node` for the configured network and data dir."""
    network = settings.RUSTY_NETWORK
    datadir = Path(settings.RUSTY_DATADIR)
    cmd = [sys.executable, "-m", "node", "--network", network, "--datadir", str(datadir),
           "--rpcport", str(port)]  # fmt: skip
    if mine and network in MINING_NETWORKS:
        cmd += ["--mine", miner_address(datadir, network)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)  # noqa: S603 - our own interpreter and args


def stop_node(proc: subprocess.Popen[bytes]) -> None:
    """Ask the node to shut down cleanly; kill it only if it does not within 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


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
