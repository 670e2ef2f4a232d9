"""The ban list: banned subnets with their expiry, persisted to `<netdir>/banlist.json`.

Misbehaving peers are banned by their address (a /32 or /128) for `DEFAULT_BAN_TIME`;
operators ban any subnet with `setban`. Expired entries are swept on each change and on load.
The file is rewritten atomically (temporary file + rename) after every change.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from node.errors import RustyError
from node.p2p.netaddr import IPAddress, IPNetwork, parse_subnet

log = logging.getLogger(__name__)

DEFAULT_BAN_TIME = 24 * 3600
"""Seconds a misbehaving peer stays banned (Bitcoin Core's -bantime default)."""
BANLIST_FILE = "banlist.json"


@dataclass(frozen=True, slots=True)
class BanEntry:
    subnet: IPNetwork
    created: int
    until: int
    reason: str


class BanList:
    """Subnets refused for inbound and outbound connections until their expiry."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, BanEntry] = {}
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
            for item in data.get("banned", []):
                subnet = parse_subnet(str(item["subnet"]))
                entry = BanEntry(subnet, int(item["created"]), int(item["until"]),
                                 str(item.get("reason", "")))  # fmt: skip
                self.entries[str(subnet)] = entry
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RustyError) as exc:
            log.warning("ignoring unreadable ban list %s: %s", path, exc)
            self.entries.clear()

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "version": 1,
            "banned": [
                {"subnet": key, "created": e.created, "until": e.until, "reason": e.reason}
                for key, e in sorted(self.entries.items())
            ],
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(tmp, self.path)

    def sweep(self, now: float) -> bool:
        """Drop expired entries; whether anything changed."""
        expired = [k for k, e in self.entries.items() if e.until <= now]
        for key in expired:
            del self.entries[key]
        return bool(expired)

    def ban(self, subnet: IPNetwork, now: float, until: float, reason: str) -> None:
        self.sweep(now)
        self.entries[str(subnet)] = BanEntry(subnet, int(now), int(until), reason)
        self.save()

    def unban(self, subnet: IPNetwork, now: float) -> bool:
        self.sweep(now)
        removed = self.entries.pop(str(subnet), None) is not None
        self.save()
        return removed

    def clear(self) -> None:
        self.entries.clear()
        self.save()

    def is_banned(self, ip: IPAddress, now: float) -> bool:
        for entry in self.entries.values():
            if entry.until > now and ip.version == entry.subnet.version and ip in entry.subnet:
                return True
        return False

    def listing(self, now: float) -> list[BanEntry]:
        if self.sweep(now):
            self.save()
        return sorted(self.entries.values(), key=lambda e: (e.until, str(e.subnet)))
