"""The ban list: subnets, expiry and banlist.json persistence."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from node.p2p.banlist import BanList
from node.p2p.netaddr import parse_subnet


def test_ban_expire_persist(tmp_path: Path) -> None:
    path = tmp_path / "banlist.json"
    bans = BanList(path)
    bans.ban(parse_subnet("10.0.0.0/8"), 100, 200, "manual")
    assert bans.is_banned(ipaddress.ip_address("10.2.3.4"), 150)
    assert not bans.is_banned(ipaddress.ip_address("11.0.0.1"), 150)
    assert not bans.is_banned(ipaddress.ip_address("::1"), 150)
    assert not bans.is_banned(ipaddress.ip_address("10.2.3.4"), 200)
    again = BanList(path)
    assert [str(e.subnet) for e in again.listing(150)] == ["10.0.0.0/8"]
    assert again.listing(250) == []
    assert not BanList(path).entries


def test_unban_and_clear(tmp_path: Path) -> None:
    bans = BanList(tmp_path / "b.json")
    net = parse_subnet("1.2.3.4")
    bans.ban(net, 0, 10**10, "x")
    assert bans.unban(net, 1)
    assert not bans.unban(net, 1)
    bans.ban(net, 0, 10**10, "x")
    bans.clear()
    assert not BanList(tmp_path / "b.json").entries


def test_corrupt_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "banlist.json"
    path.write_text('{"banned": [{"subnet": "not an ip", "created": 1, "until": 2}]}')
    assert not BanList(path).entries
