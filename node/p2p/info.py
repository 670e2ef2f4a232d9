"""What the network RPCs report and do, as plain functions run on the service's loop:
getpeerinfo, getnetworkinfo, getnettotals, addnode, disconnectnode and the ban list.

Shapes follow bitcoind (field names and units: seconds, bytes); `sync` and `compactblocks`
are additions. Operator input errors raise `NetworkCommandError` with bitcoind's RPC code.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from node.p2p.errors import BadAddress, P2PError
from node.p2p.netaddr import format_hostport, parse_hostport, parse_subnet
from node.p2p.peer import Peer
from node.p2p.protocol import NODE_NETWORK, PROTOCOL_VERSION, USER_AGENT

if TYPE_CHECKING:
    from node.p2p.service import P2PService

# bitcoind's codes (src/rpc/protocol.h)
INVALID_PARAMETER = -8
CLIENT_NODE_ALREADY_ADDED = -23
CLIENT_NODE_NOT_ADDED = -24
CLIENT_NODE_NOT_CONNECTED = -29
CLIENT_INVALID_IP_OR_SUBNET = -30


class NetworkCommandError(P2PError):
    """An addnode/disconnectnode/setban request that cannot be carried out."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def services_names(services: int) -> list[str]:
    return ["NETWORK"] if services & NODE_NETWORK else []


def peer_info(svc: P2PService, peer: Peer) -> dict[str, Any]:
    v = peer.version
    s = peer.stats
    best = peer.best_known
    return {
        "id": peer.id,
        "addr": peer.addr,
        "network": "ipv4" if peer.ip.version == 4 else "ipv6",
        "services": f"{v.services if v else 0:016x}",
        "servicesnames": services_names(v.services if v else 0),
        "relaytxes": peer.relay_txs,
        "lastsend": int(s.last_send),
        "lastrecv": int(s.last_recv),
        "bytessent": s.bytes_sent,
        "bytesrecv": s.bytes_recv,
        "conntime": int(s.conn_time),
        "timeoffset": (v.timestamp - int(s.conn_time)) if v else 0,
        "pingtime": peer.ping_time,
        "minping": peer.min_ping,
        "pingwait": (svc.clock() - peer.ping_start) if peer.ping_nonce else None,
        "version": v.version if v else 0,
        "subver": v.user_agent if v else "",
        "inbound": peer.inbound,
        "connection_type": "inbound" if peer.inbound else ("manual" if peer.manual
                                                             else "outbound-full-relay"),
        "startingheight": v.start_height if v else -1,
        "synced_headers": best.height if best is not None else -1,
        "synced_blocks": best.height if best is not None and best.has_data else -1,
        "inflight": sorted(
            svc.cs.entries[h].height for h in peer.blocks_in_flight if h in svc.cs.entries
        ),
        "banscore": peer.misbehavior,
        "minfeefilter": peer.fee_filter,
        "bip152_hb_from": peer.wants_cmpct,
        "handshake": peer.handshake_done,
        "bytessent_per_msg": dict(sorted(s.sent_per_msg.items())),
        "bytesrecv_per_msg": dict(sorted(s.recv_per_msg.items())),
    }  # fmt: skip


def getpeerinfo(svc: P2PService) -> list[dict[str, Any]]:
    return [peer_info(svc, p) for p in sorted(svc.peers.values(), key=lambda p: p.id)]


def getnetworkinfo(svc: P2PService) -> dict[str, Any]:
    inbound = svc.inbound_count()
    outbound = sum(1 for p in svc.peers.values() if not p.inbound and not p.disconnecting)
    pool = svc.mempool
    relay_fee = pool.min_relay_feerate if pool is not None else 0
    return {
        "version": 10000,
        "subversion": USER_AGENT,
        "protocolversion": PROTOCOL_VERSION,
        "localservices": f"{NODE_NETWORK:016x}",
        "localservicesnames": services_names(NODE_NETWORK),
        "localrelay": True,
        "networkactive": True,
        "connections": inbound + outbound,
        "connections_in": inbound,
        "connections_out": outbound,
        "maxoutbound": svc.config.max_outbound,
        "maxinbound": svc.config.max_inbound,
        "relayfee": relay_fee,
        "localaddresses": [{"address": host, "port": port} for host, port in svc.listening],
        "addrman": {"new": svc.addrman.new_count, "tried": svc.addrman.tried_count},
        "sync": svc.sync.status(),
        "compactblocks": dict(svc.blocks.stats),
        "txrelay": {"accepted_from_peers": svc.txs.accepted_from_peers},
        "warnings": "",
    }


def getnettotals(svc: P2PService) -> dict[str, Any]:
    return {
        "totalbytesrecv": svc.bytes_recv(),
        "totalbytessent": svc.bytes_sent(),
        "timemillis": int(time.time() * 1000),
    }


def addnode(svc: P2PService, node: str, command: str) -> None:
    """bitcoind's addnode: "add" keeps a connection, "remove" forgets it, "onetry" tries once."""
    if command not in ("add", "remove", "onetry"):
        raise NetworkCommandError(INVALID_PARAMETER, "Error: Command must be add, remove or onetry")
    try:
        ip, port = parse_hostport(node, svc.params.p2p_port)
    except BadAddress as exc:
        raise NetworkCommandError(CLIENT_INVALID_IP_OR_SUBNET, f"Error: {exc}") from None
    key = format_hostport(ip, port)
    if command == "add":
        if key in svc.manual and key not in svc.onetry:
            raise NetworkCommandError(CLIENT_NODE_ALREADY_ADDED, "Error: Node already added")
        svc.onetry.discard(key)
        svc.manual[key] = (ip, port)
        svc.local_addrs.discard(key)
    elif command == "remove":
        if key not in svc.manual:
            raise NetworkCommandError(CLIENT_NODE_NOT_ADDED,
                                      "Error: Node could not be removed. It has not been added "
                                      "previously.")  # fmt: skip
        del svc.manual[key]
        return
    else:
        if key not in svc.manual:
            svc.onetry.add(key)
            svc.manual[key] = (ip, port)
    if not svc.connected_to(key):
        svc._spawn_connect(ip, port, manual=True)


def disconnectnode(svc: P2PService, address: str, nodeid: int | None) -> None:
    if address and nodeid is not None:
        raise NetworkCommandError(INVALID_PARAMETER, "Only one of address and nodeid should be "
                                                     "provided.")  # fmt: skip
    targets: list[Peer] = []
    if nodeid is not None:
        targets = [p for p in svc.peers.values() if p.id == nodeid]
    elif address:
        try:
            ip, port = parse_hostport(address, svc.params.p2p_port)
        except BadAddress as exc:
            raise NetworkCommandError(CLIENT_INVALID_IP_OR_SUBNET, f"Error: {exc}") from None
        key = format_hostport(ip, port)
        targets = [p for p in svc.peers.values() if p.addr == key]
    else:
        raise NetworkCommandError(INVALID_PARAMETER, "Need an address or a nodeid")
    if not targets:
        raise NetworkCommandError(CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes")
    for peer in targets:
        key = peer.addr
        if not peer.inbound and key in svc.manual:
            svc.manual.pop(key, None)
        peer.disconnect("disconnectnode RPC")


def setban(svc: P2PService, subnet: str, command: str, bantime: int, absolute: bool) -> None:
    if command not in ("add", "remove"):
        raise NetworkCommandError(INVALID_PARAMETER, "Error: Command must be add or remove")
    try:
        net = parse_subnet(subnet)
    except BadAddress:
        raise NetworkCommandError(CLIENT_INVALID_IP_OR_SUBNET,
                                  "Error: Invalid IP/Subnet") from None  # fmt: skip
    now = svc.clock()
    if command == "remove":
        if not svc.banlist.unban(net, now):
            raise NetworkCommandError(CLIENT_INVALID_IP_OR_SUBNET,
                                      "Error: Unban failed. Requested address/subnet was not "
                                      "previously manually banned.")  # fmt: skip
        return
    if str(net) in svc.banlist.entries and svc.banlist.entries[str(net)].until > now:
        raise NetworkCommandError(CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned")
    if bantime < 0:
        raise NetworkCommandError(INVALID_PARAMETER, "bantime must not be negative")
    seconds: float = bantime or svc.config.ban_time
    if absolute:
        if bantime <= now:
            raise NetworkCommandError(INVALID_PARAMETER,
                                      "Error: Absolute timestamp is in the past")  # fmt: skip
        seconds = bantime - now
    svc.ban(str(net), seconds, "manually added")


def listbanned(svc: P2PService) -> list[dict[str, Any]]:
    now = svc.clock()
    return [
        {"address": str(e.subnet), "ban_created": e.created, "banned_until": e.until,
         "ban_duration": e.until - e.created, "time_remaining": max(0, int(e.until - now)),
         "reason": e.reason}
        for e in svc.banlist.listing(now)
    ]  # fmt: skip


def clearbanned(svc: P2PService) -> None:
    svc.banlist.clear()
