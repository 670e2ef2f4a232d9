"""Network addresses: the 16-byte wire form (IPv4-mapped for v4), "host:port" parsing,
network groups (the bucketing key of the address manager) and subnets (the ban list).

Only literal IP addresses are accepted (no DNS look-ups in the node); IPv6 literals are
written in brackets with a port: `[::1]:29737`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from node.p2p.errors import BadAddress

IPV4_MAPPED_PREFIX = bytes(10) + b"\xff\xff"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_to_bytes(ip: IPAddress) -> bytes:
    """The 16-byte wire form: IPv4 as ::ffff:a.b.c.d, IPv6 as is."""
    if isinstance(ip, ipaddress.IPv4Address):
        return IPV4_MAPPED_PREFIX + ip.packed
    return ip.packed


def ip_from_bytes(raw: bytes) -> IPAddress:
    """The address of a 16-byte wire form (IPv4-mapped addresses come back as IPv4)."""
    if len(raw) != 16:
        raise BadAddress(f"an address is 16 bytes, got {len(raw)}")
    if raw.startswith(IPV4_MAPPED_PREFIX):
        return ipaddress.IPv4Address(raw[12:])
    return ipaddress.IPv6Address(raw)


def parse_ip(text: str) -> IPAddress:
    """A literal IPv4 or IPv6 address; BadAddress otherwise."""
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise BadAddress(f"{text!r} is not an IP address") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def parse_hostport(text: str, default_port: int) -> tuple[IPAddress, int]:
    """(ip, port) from "1.2.3.4", "1.2.3.4:5", "[::1]" or "[::1]:5"; BadAddress otherwise."""
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise BadAddress(f"{text!r}: missing ']'")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise BadAddress(f"{text!r}: expected ':port' after ']'")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    ip = parse_ip(host)
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            raise BadAddress(f"{text!r}: port must be 1..65535")
        port = int(port_text)
    return ip, port


def format_hostport(ip: IPAddress, port: int) -> str:
    """ "1.2.3.4:5" or "[::1]:5"."""
    if isinstance(ip, ipaddress.IPv6Address):
        return f"[{ip}]:{port}"
    return f"{ip}:{port}"


def parse_subnet(text: str) -> IPNetwork:
    """A ban-list subnet: "1.2.3.4" (a /32), "1.2.3.0/24", "1.2.3.0/255.255.255.0", "::1"."""
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise BadAddress(f"{text!r} is not a valid IP address or subnet") from None
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped is not None:
        prefix = max(0, net.prefixlen - 96)
        return ipaddress.IPv4Network((net.network_address.ipv4_mapped, prefix), strict=False)
    return net


def network_group(ip: IPAddress) -> bytes:
    """The address manager's bucketing key: the /16 of an IPv4 address, the /32 of an IPv6
    address (Bitcoin Core's GetGroup without ASN maps). One operator's subnet thus shares a
    group and can only reach a bounded number of buckets."""
    if isinstance(ip, ipaddress.IPv4Address):
        return b"\x04" + ip.packed[:2]
    return b"\x06" + ip.packed[:4]


@dataclass(frozen=True, slots=True)
class PeerAddress:
    """An address as peers advertise it: ip, port, services and when it was last seen."""

    ip: IPAddress
    port: int
    services: int = 0
    time: int = 0

    @property
    def key(self) -> str:
        """The "host:port" text used as the address manager's key."""
        return format_hostport(self.ip, self.port)

    @property
    def group(self) -> bytes:
        return network_group(self.ip)
