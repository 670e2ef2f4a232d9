"""The address manager (Bitcoin Core's addrman, simplified): where outbound peers come from.

Two tables of buckets, each bucket 64 slots:

- **new** (1,024 buckets): addresses heard of but never connected to. The bucket depends on
  the address's network group *and* the group of the peer that told us, so one source group
  reaches at most 64 buckets and cannot flood the table;
- **tried** (256 buckets): addresses we connected to successfully. The bucket depends on the
  address's group, which reaches at most 8 buckets, so one subnet cannot fill the table.

Bucket and slot positions are keyed hashes (BLAKE3 with a secret key kept in the file), so
a remote peer cannot aim at a chosen slot. A new address that lands on an occupied slot
replaces it only when the occupant is "terrible" (never reached after 3 tries, older than 30
days, or timestamped in the future); a tried address pushed out by another goes back to the
new table. Everything is persisted to `<netdir>/peers.json`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import struct
from dataclasses import dataclass
from pathlib import Path

import blake3

from node.errors import RustyError
from node.p2p.netaddr import IPAddress, PeerAddress, network_group, parse_hostport, parse_ip

log = logging.getLogger(__name__)

PEERS_FILE = "peers.json"
NEW_BUCKET_COUNT = 1024
TRIED_BUCKET_COUNT = 256
BUCKET_SIZE = 64
NEW_BUCKETS_PER_SOURCE_GROUP = 64
TRIED_BUCKETS_PER_GROUP = 8
HORIZON_DAYS = 30
RETRIES = 3
MAX_FAILURES = 10
GETADDR_MAX_PCT = 23
GETADDR_MAX = 1000

_U64 = struct.Struct("<Q")


@dataclass(slots=True)
class AddrInfo:
    """One known address and what we know about reaching it."""

    addr: PeerAddress
    source: IPAddress
    attempts: int = 0
    last_try: float = 0.0
    last_success: float = 0.0
    tried: bool = False
    bucket: int = -1
    slot: int = -1

    @property
    def key(self) -> str:
        return self.addr.key

    def is_terrible(self, now: float) -> bool:
        """Core's IsTerrible: not worth keeping when something better wants the slot."""
        if self.last_try and now - self.last_try < 60:
            return False
        if self.addr.time > now + 600:
            return True
        if self.addr.time == 0 or now - self.addr.time > HORIZON_DAYS * 86400:
            return True
        if self.last_success == 0 and self.attempts >= RETRIES:
            return True
        return now - self.last_success > 7 * 86400 and self.attempts >= MAX_FAILURES

    def chance(self, now: float) -> float:
        """Selection weight: recently tried and often failed addresses are less likely."""
        weight = 1.0
        if now - self.last_try < 600:
            weight *= 0.01
        return weight * 0.66 ** min(self.attempts, 8)


class AddrMan:
    """The new and tried tables (module docstring)."""

    def __init__(self, path: Path | None = None, *, rng: random.Random | None = None) -> None:
        self.path = path
        self.rng = rng or random.Random()
        self.key = self.rng.randbytes(32)
        self.infos: dict[str, AddrInfo] = {}
        self.new: dict[tuple[int, int], str] = {}
        self.tried: dict[tuple[int, int], str] = {}
        if path is not None and path.exists():
            self._load(path)

    # ------------------------------------------------------------------ positions

    def _h(self, *parts: bytes) -> int:
        return int.from_bytes(blake3.blake3(self.key + b"".join(parts)).digest()[:8], "little")

    def new_bucket(self, addr: PeerAddress, source: IPAddress) -> int:
        src = network_group(source)
        h1 = self._h(b"N1", addr.group, src) % NEW_BUCKETS_PER_SOURCE_GROUP
        return self._h(b"N2", src, _U64.pack(h1)) % NEW_BUCKET_COUNT

    def tried_bucket(self, addr: PeerAddress) -> int:
        h1 = self._h(b"T1", addr.key.encode()) % TRIED_BUCKETS_PER_GROUP
        return self._h(b"T2", addr.group, _U64.pack(h1)) % TRIED_BUCKET_COUNT

    def slot(self, table: bytes, bucket: int, addr: PeerAddress) -> int:
        return self._h(table, _U64.pack(bucket), addr.key.encode()) % BUCKET_SIZE

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.infos)

    @property
    def new_count(self) -> int:
        return len(self.new)

    @property
    def tried_count(self) -> int:
        return len(self.tried)

    def get(self, ip: IPAddress, port: int) -> AddrInfo | None:
        return self.infos.get(PeerAddress(ip, port).key)

    # ------------------------------------------------------------------ changes

    def add(self, addrs: list[PeerAddress], source: IPAddress, now: float) -> int:
        """Add addresses heard from `source` to the new table; how many were new."""
        added = 0
        for addr in addrs:
            if addr.port == 0 or addr.ip.is_unspecified or addr.ip.is_multicast:
                continue
            if self._add_one(addr, source, now):
                added += 1
        return added

    def _add_one(self, addr: PeerAddress, source: IPAddress, now: float) -> bool:
        known = self.infos.get(addr.key)
        if known is not None:
            if addr.time > known.addr.time or addr.services & ~known.addr.services:
                known.addr = PeerAddress(known.addr.ip, known.addr.port,
                                         known.addr.services | addr.services,
                                         max(known.addr.time, addr.time))  # fmt: skip
            return False
        info = AddrInfo(addr, source)
        bucket = self.new_bucket(addr, source)
        slot = self.slot(b"N", bucket, addr)
        occupant = self.new.get((bucket, slot))
        if occupant is not None:
            other = self.infos[occupant]
            if not other.is_terrible(now):
                return False
            self._forget(other)
        info.bucket, info.slot = bucket, slot
        self.new[(bucket, slot)] = addr.key
        self.infos[addr.key] = info
        return True

    def _forget(self, info: AddrInfo) -> None:
        table = self.tried if info.tried else self.new
        table.pop((info.bucket, info.slot), None)
        self.infos.pop(info.key, None)

    def attempt(self, ip: IPAddress, port: int, now: float) -> None:
        info = self.get(ip, port)
        if info is not None:
            info.last_try = now
            info.attempts += 1

    def good(self, addr: PeerAddress, now: float) -> None:
        """A successful outbound handshake: move (or add) the address to the tried table."""
        info = self.infos.get(addr.key)
        if info is None:
            self._add_one(PeerAddress(addr.ip, addr.port, addr.services, int(now)), addr.ip, now)
            info = self.infos.get(addr.key)
            if info is None:
                return
        info.last_success = info.last_try = now
        info.attempts = 0
        info.addr = PeerAddress(info.addr.ip, info.addr.port, addr.services or info.addr.services,
                                int(now))  # fmt: skip
        if info.tried:
            return
        self.new.pop((info.bucket, info.slot), None)
        bucket = self.tried_bucket(info.addr)
        slot = self.slot(b"T", bucket, info.addr)
        occupant = self.tried.pop((bucket, slot), None)
        info.tried, info.bucket, info.slot = True, bucket, slot
        self.tried[(bucket, slot)] = info.key
        if occupant is not None:
            evicted = self.infos.pop(occupant)
            evicted.tried = False
            self._add_one(evicted.addr, evicted.source, now)

    def select(
        self, now: float, exclude: set[str] | frozenset[str] = frozenset()
    ) -> AddrInfo | None:
        """A random address to try (tried or new table, 50/50, weighted by `chance`)."""
        # one list per table per call (not per try): a full table holds 65,536 addresses
        tables = [list(t.values()) for t in (self.tried, self.new) if t]
        if not tables:
            return None
        for _ in range(200):
            keys = tables[0] if len(tables) == 1 else self.rng.choice(tables)
            key = self.rng.choice(keys)
            if key in exclude:
                continue
            info = self.infos[key]
            if self.rng.random() < info.chance(now):
                return info
        candidates = [i for k, i in self.infos.items() if k not in exclude]
        return self.rng.choice(candidates) if candidates else None

    def get_addr(self, now: float) -> list[PeerAddress]:
        """Up to 23 % of the known (not terrible) addresses, at most 1,000, for `getaddr`."""
        good = [i.addr for i in self.infos.values() if not i.is_terrible(now)]
        count = min(GETADDR_MAX, len(good) * GETADDR_MAX_PCT // 100 or len(good))
        return self.rng.sample(good, count)

    # ------------------------------------------------------------------ persistence

    def save(self) -> None:
        if self.path is None:
            return
        rows = [
            {"addr": i.key, "services": i.addr.services, "time": i.addr.time,
             "source": str(i.source), "attempts": i.attempts, "last_try": i.last_try,
             "last_success": i.last_success, "tried": i.tried}
            for i in self.infos.values()
        ]  # fmt: skip
        data = {"version": 1, "key": self.key.hex(), "addresses": rows}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data) + "\n")
        os.replace(tmp, self.path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
            self.key = bytes.fromhex(data["key"])
            if len(self.key) != 32:
                raise ValueError("key must be 32 bytes")
            rows = list(data["addresses"])
            now = 0.0
            for row in rows:
                ip, port = parse_hostport(str(row["addr"]), 0)
                addr = PeerAddress(ip, port, int(row["services"]), int(row["time"]))
                source = parse_ip(str(row["source"]))
                if not self._add_one(addr, source, now):
                    continue
                info = self.infos[addr.key]
                info.attempts = int(row["attempts"])
                info.last_try = float(row["last_try"])
                info.last_success = float(row["last_success"])
                if row.get("tried"):
                    saved = info.last_success
                    self.good(addr, info.last_success)
                    info.last_success = saved
        except (OSError, ValueError, KeyError, TypeError, RustyError) as exc:
            log.warning("ignoring unreadable address file %s: %s", path, exc)
            self.infos.clear()
            self.new.clear()
            self.tried.clear()
