"""The address manager: new/tried tables, bucketing by network group (one subnet cannot fill
the tables), selection, getaddr answers and peers.json persistence."""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path

from node.p2p.addrman import (
    BUCKET_SIZE,
    NEW_BUCKETS_PER_SOURCE_GROUP,
    TRIED_BUCKETS_PER_GROUP,
    AddrMan,
)
from node.p2p.netaddr import PeerAddress

NOW = 1_800_000_000.0


def addr(text: str, port: int = 29737) -> PeerAddress:
    return PeerAddress(ipaddress.ip_address(text), port, 1, int(NOW) - 60)


def test_add_good_select(tmp_path: Path) -> None:
    am = AddrMan(tmp_path / "peers.json", rng=random.Random(1))
    src = ipaddress.ip_address("9.9.9.9")
    assert am.add([addr("1.2.3.4"), addr("5.6.7.8"), addr("1.2.3.4")], src, NOW) == 2
    assert (am.new_count, am.tried_count) == (2, 0)
    am.good(addr("1.2.3.4"), NOW)
    assert (am.new_count, am.tried_count) == (1, 1)
    picked = {am.select(NOW).key for _ in range(50)}  # type: ignore[union-attr]
    assert picked <= {"1.2.3.4:29737", "5.6.7.8:29737"}
    assert am.select(NOW, exclude={"1.2.3.4:29737", "5.6.7.8:29737"}) is None


def test_one_source_group_cannot_fill_the_new_table() -> None:
    am = AddrMan(rng=random.Random(2))
    src = ipaddress.ip_address("66.66.1.1")
    flood = [addr(f"10.{i // 250}.{i % 250}.1") for i in range(20_000)]
    am.add(flood, src, NOW)
    assert am.new_count <= NEW_BUCKETS_PER_SOURCE_GROUP * BUCKET_SIZE
    buckets = {b for b, _ in am.new}
    assert len(buckets) <= NEW_BUCKETS_PER_SOURCE_GROUP
    # an honest address from another source still finds room
    assert am.add([addr("77.1.1.1")], ipaddress.ip_address("88.1.1.1"), NOW) == 1


def test_one_subnet_reaches_few_tried_buckets() -> None:
    am = AddrMan(rng=random.Random(3))
    for i in range(2000):
        am.good(addr(f"10.20.{i // 250}.{i % 250}"), NOW)
    assert len({b for b, _ in am.tried}) <= TRIED_BUCKETS_PER_GROUP
    assert am.tried_count <= TRIED_BUCKETS_PER_GROUP * BUCKET_SIZE


def test_terrible_addresses_are_replaced() -> None:
    am = AddrMan(rng=random.Random(4))
    stale = PeerAddress(ipaddress.ip_address("3.3.3.3"), 1, 1, 0)
    assert am.add([stale], ipaddress.ip_address("4.4.4.4"), NOW) == 1
    info = am.get(stale.ip, 1)
    assert info is not None
    assert info.is_terrible(NOW)
    assert not am.infos["3.3.3.3:1"].tried
    assert am.get_addr(NOW) == []


def test_persistence(tmp_path: Path) -> None:
    path = tmp_path / "peers.json"
    am = AddrMan(path, rng=random.Random(5))
    am.add([addr("1.1.1.1"), addr("2.2.2.2")], ipaddress.ip_address("3.3.3.3"), NOW)
    am.good(addr("2.2.2.2"), NOW)
    am.save()
    again = AddrMan(path)
    assert again.key == am.key
    assert (again.new_count, again.tried_count) == (1, 1)
    path.write_text("{not json")
    assert len(AddrMan(path)) == 0
    path.write_text(json.dumps({"key": "00", "addresses": []}))
    assert len(AddrMan(path)) == 0


def test_unroutable_entries_are_skipped() -> None:
    am = AddrMan()
    bad = [PeerAddress(ipaddress.ip_address("0.0.0.0"), 1), addr("1.2.3.4", 0),
           PeerAddress(ipaddress.ip_address("224.0.0.1"), 1)]  # fmt: skip
    assert am.add(bad, ipaddress.ip_address("5.5.5.5"), NOW) == 0
