"""Network RPCs (bitcoind's names and shapes): getnetworkinfo, getpeerinfo,
getconnectioncount, getnettotals, addnode, disconnectnode, setban, listbanned, clearbanned,
ping.

The P2P service lives in the daemon's asyncio loop; each method runs its work there through
`P2PService.call` (node.p2p.info has the bodies). Without a P2P service (`--nop2p`
embedding or a test Node) every method answers bitcoind's -31 "P2P networking disabled".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from node.p2p import info
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import RpcError

if TYPE_CHECKING:
    from node.p2p.service import P2PService


def translate(exc: Exception) -> RpcError | None:
    if isinstance(exc, info.NetworkCommandError):
        return RpcError(exc.code, exc.message)
    return None


method = Collector("network", translate=translate)

P2P_DISABLED = -31
T = TypeVar("T")


def _service(ctx: Context) -> P2PService:
    svc: P2PService | None = getattr(ctx.node, "p2p", None)
    if svc is None:
        raise RpcError(P2P_DISABLED, "Error: Peer-to-peer functionality missing or disabled")
    return svc


def _call(ctx: Context, func: Callable[..., T], *args: Any) -> T:
    svc = _service(ctx)
    return svc.call(func, svc, *args)


@method.nolock
def getnetworkinfo(ctx: Context) -> dict[str, Any]:
    """Returns the state of the P2P networking: {version, subversion, protocolversion,
    localservices, connections, connections_in, connections_out, relayfee, localaddresses,
    addrman {new, tried}, sync {headers, blocks, syncing, blocks_per_sec, eta_seconds,
    blocks_in_flight, verificationprogress}, compactblocks {...counters}, warnings}."""
    return _call(ctx, info.getnetworkinfo)


@method.nolock
def getpeerinfo(ctx: Context) -> list[dict[str, Any]]:
    """Returns one object per connected peer: {id, addr, services, relaytxes, lastsend,
    lastrecv, bytessent, bytesrecv, conntime, pingtime, minping, version, subver, inbound,
    connection_type, startingheight, synced_headers, synced_blocks, inflight, banscore,
    minfeefilter, bytessent_per_msg, bytesrecv_per_msg, ...}."""
    return _call(ctx, info.getpeerinfo)


@method.nolock
def getconnectioncount(ctx: Context) -> int:
    """Returns the number of connections to other nodes. Result: n (numeric)"""
    return _call(ctx, lambda svc: sum(1 for p in svc.peers.values() if not p.disconnecting))


@method.nolock
def getnettotals(ctx: Context) -> dict[str, Any]:
    """Returns {totalbytesrecv, totalbytessent, timemillis}."""
    return _call(ctx, info.getnettotals)


@method.nolock
def addnode(ctx: Context, node: str, command: str) -> None:
    """Adds ("add"), removes ("remove") or tries once ("onetry") a peer "ip[:port]".

    Arguments: node (string, required), command (string, required)"""
    _call(ctx, info.addnode, node, command)


@method.nolock
def disconnectnode(ctx: Context, address: str = "", nodeid: int | None = None) -> None:
    """Disconnects a peer by "ip:port" or by its getpeerinfo id (give one of them)."""
    _call(ctx, info.disconnectnode, address, nodeid)


@method.nolock
def setban(
    ctx: Context, subnet: str, command: str, bantime: int = 0, absolute: bool = False
) -> None:
    """Adds ("add") or removes ("remove") an IP/subnet from the ban list.

    Arguments: subnet (string: ip or ip/netmask), command (string), bantime (numeric seconds,
    0 = the default 24 h; a unix time with absolute=true), absolute (bool)"""
    _call(ctx, info.setban, subnet, command, bantime, absolute)


@method.nolock
def listbanned(ctx: Context) -> list[dict[str, Any]]:
    """Lists the banned subnets: [{address, ban_created, banned_until, ban_duration,
    time_remaining, reason}]."""
    return _call(ctx, info.listbanned)


@method.nolock
def clearbanned(ctx: Context) -> None:
    """Clears the ban list."""
    _call(ctx, info.clearbanned)


@method.nolock
def ping(ctx: Context) -> None:
    """Asks every peer for a pong; the round trip shows in getpeerinfo's pingtime."""

    def run(svc: P2PService) -> None:
        now = svc.clock()
        for peer in svc.handshaked():
            svc.send_ping(peer, now)

    _call(ctx, run)
