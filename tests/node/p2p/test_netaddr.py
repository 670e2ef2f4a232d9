"""Address parsing and network groups: every bad operator input gets a clear BadAddress."""

from __future__ import annotations

import ipaddress

import pytest

from node.p2p.errors import BadAddress
from node.p2p.netaddr import (
    format_hostport,
    ip_from_bytes,
    ip_to_bytes,
    network_group,
    parse_hostport,
    parse_subnet,
)


def test_hostport_forms() -> None:
    assert parse_hostport("1.2.3.4", 9) == (ipaddress.ip_address("1.2.3.4"), 9)
    assert parse_hostport("1.2.3.4:5", 9)[1] == 5
    assert parse_hostport("[::1]:7", 9) == (ipaddress.ip_address("::1"), 7)
    assert parse_hostport("[::ffff:1.2.3.4]", 9)[0] == ipaddress.ip_address("1.2.3.4")
    assert format_hostport(ipaddress.ip_address("::1"), 7) == "[::1]:7"


@pytest.mark.parametrize("text", ["example.com", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:x",
                                  "[::1", "[::1]x", "", "1.2.3.4.5"])  # fmt: skip
def test_bad_hostport(text: str) -> None:
    with pytest.raises(BadAddress):
        parse_hostport(text, 9)


def test_wire_form() -> None:
    v4 = ipaddress.ip_address("10.0.0.1")
    assert ip_to_bytes(v4) == bytes(10) + b"\xff\xff" + v4.packed
    assert ip_from_bytes(ip_to_bytes(v4)) == v4
    with pytest.raises(BadAddress):
        ip_from_bytes(b"\x00" * 4)


def test_subnets() -> None:
    assert str(parse_subnet("1.2.3.4")) == "1.2.3.4/32"
    assert str(parse_subnet("1.2.3.4/255.255.0.0")) == "1.2.0.0/16"
    assert str(parse_subnet("::ffff:1.2.3.4")) == "1.2.3.4/32"
    with pytest.raises(BadAddress, match="not a valid"):
        parse_subnet("1.2.3.4/33")


def test_groups() -> None:
    a, b, c = (ipaddress.ip_address(x) for x in ("5.6.7.8", "5.6.200.1", "5.7.0.1"))
    assert network_group(a) == network_group(b) != network_group(c)
    assert network_group(ipaddress.ip_address("2001:db8::1")) == b"\x06" + bytes.fromhex("20010db8")
