"""What only the node knows, asked over its JSON-RPC: fee estimates, raw blocks, broadcast.

The client is `node.rpc.client.RpcClient`: `RUSTY_RPC_URL` (http://user:password@host:port)
when set, else 127.0.0.1 on `indexer.services.rpc_port()` with the cookie file in the data
directory (as the home page's node card). Transport failures raise `NodeUnavailable` (503);
errors the node answers raise `NodeRejected` (400) with the node's message.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache

from indexer.read.errors import NodeRejected, NodeUnavailable
from indexer.services import rpc_port
from node.params import COIN
from node.rpc.client import RpcClient, RpcError, RpcTransportError

FEE_TARGETS: Final = (1, 2, 3, 4, 5, 6, 10, 20, 25, 144, 504, 1008)
"""Confirmation targets of /fee-estimates (Esplora's, plus 1)."""
FEE_CACHE_SECONDS: Final = 30
RPC_TIMEOUT: Final = 10.0
MAX_TX_HEX: Final = 2_000_000
"""Longest accepted hex body of POST /tx: a 1 MB transaction (SPEC §11)."""
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")


def client() -> RpcClient:
    """A JSON-RPC client for the configured node (raises NodeUnavailable without a cookie)."""
    url = settings.RUSTY_RPC_URL
    try:
        if url:
            parts = urlsplit(url)
            bare = urlunsplit(
                (parts.scheme, f"{parts.hostname}:{parts.port or 80}", parts.path, "", "")
            )
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            return RpcClient(bare, user, password, timeout=RPC_TIMEOUT)
        return RpcClient.from_datadir(
            Path(settings.RUSTY_DATADIR),
            settings.RUSTY_NETWORK,
            port=rpc_port(),
            timeout=RPC_TIMEOUT,
        )
    except (RpcTransportError, ValueError) as exc:
        raise NodeUnavailable(f"The node is not reachable: {exc}") from None


def _call(method: str, *params: Any) -> Any:
    rpc = client()
    try:
        return rpc.call(method, *params)
    except RpcTransportError as exc:
        raise NodeUnavailable(f"The node is not reachable: {exc}") from None
    except RpcError as exc:
        raise NodeRejected(exc.code, exc.message) from None
    except OSError as exc:
        raise NodeUnavailable(f"The node is not reachable: {exc}") from None
    finally:
        rpc.close()


def _per_byte(rust_per_kb: Decimal) -> float:
    """RUST per 1,000 bytes (the node's estimatesmartfee) -> base units per byte."""
    return float(Decimal(rust_per_kb) * COIN / 1000)


def fee_estimates() -> dict[str, float]:
    """GET /fee-estimates: {"<target blocks>": feerate in base units per byte}, for the
    targets the node can estimate (cached 30 s; NodeUnavailable when the node is down)."""
    cached = cache.get("rusty:fee-estimates")
    if cached is not None:
        return dict(cached)
    rpc = client()
    try:
        answers = rpc.batch([("estimatesmartfee", [target]) for target in FEE_TARGETS])
    except (RpcTransportError, OSError) as exc:
        raise NodeUnavailable(f"The node is not reachable: {exc}") from None
    finally:
        rpc.close()
    result: dict[str, float] = {}
    for target, answer in zip(FEE_TARGETS, answers, strict=True):
        if isinstance(answer, dict) and "feerate" in answer:
            result[str(target)] = round(_per_byte(answer["feerate"]), 3)
    cache.set("rusty:fee-estimates", result, FEE_CACHE_SECONDS)
    return result


def raw_block(block_hash: str) -> bytes:
    """GET /block/:hash/raw: the serialized block from the node (`getblock <hash> 0`)."""
    return bytes.fromhex(_call("getblock", block_hash, 0))


def check_tx_hex(text: str) -> str:
    """The body of POST /tx: hex of a serialized transaction (whitespace around is ignored)."""
    body = text.strip()
    if not body:
        raise NodeRejected(-22, "Empty body: send the raw transaction as hex")
    if len(body) > MAX_TX_HEX:
        raise NodeRejected(-22, f"Transaction too large (more than {MAX_TX_HEX // 2} bytes)")
    if len(body) % 2 or not _HEX_DIGITS.issuperset(body):
        raise NodeRejected(-22, "TX decode failed: the body is not a hex string")
    return body.lower()


def broadcast(tx_hex: str) -> str:
    """POST /tx: relay through the node's `sendrawtransaction`; returns the txid."""
    return str(_call("sendrawtransaction", check_tx_hex(tx_hex)))
