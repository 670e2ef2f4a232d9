"""Which inbound peer to drop when the inbound slots are full (Bitcoin Core's
AttemptToEvictConnection, without its network-specific protections).

Without it, connections that never finish a frame (slowloris) or idle after the handshake
could hold every inbound slot until their timeouts and keep honest peers out. From the
inbound, not manually added, peers, protect:

1. 4 peers from distinct network groups chosen by a keyed hash (an attacker cannot tell
   which groups, nor cover them all),
2. the 8 with the lowest minimum ping,
3. the 4 that most recently gave us a new transaction, and the 4 a new block,
4. half of the rest: the longest connected;

then, among what is left, take the network group with the most connections (ties: the group
whose newest connection is newest) and evict its newest connection. None is left: the new
connection is refused instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import blake3

from node.p2p.netaddr import IPAddress, network_group

PROTECT_BY_GROUP = 4
PROTECT_BY_PING = 8
PROTECT_BY_TX = 4
PROTECT_BY_BLOCK = 4


@dataclass(frozen=True, slots=True)
class Candidate:
    """What eviction looks at for one inbound peer."""

    id: int
    group: bytes
    connected: float
    """When the connection was made (larger = newer)."""
    min_ping: float | None
    last_tx: float
    """When it last gave us a new transaction (0 = never)."""
    last_block: float


def candidate_of(peer_id: int, ip: IPAddress, connected: float, min_ping: float | None,
                 last_tx: float, last_block: float) -> Candidate:  # fmt: skip
    """A Candidate for a peer at `ip` (its network group computed here)."""
    return Candidate(peer_id, network_group(ip), connected, min_ping, last_tx, last_block)


def _protect(
    rest: list[Candidate], count: int, key: Callable[[Candidate], float], *,
    only: Callable[[Candidate], bool] = lambda c: True,
) -> list[Candidate]:  # fmt: skip
    """`rest` without the `count` best by `key` (smallest first) among those `only` allows."""
    chosen = sorted((c for c in rest if only(c)), key=key)[:count]
    ids = {c.id for c in chosen}
    return [c for c in rest if c.id not in ids]


def select_victim(candidates: Sequence[Candidate], secret: bytes) -> int | None:
    """The id of the inbound peer to evict, or None (module docstring)."""
    rest = list(candidates)
    by_group: dict[bytes, Candidate] = {}
    for c in sorted(rest, key=lambda c: blake3.blake3(c.group, key=secret).digest()):
        by_group.setdefault(c.group, c)
        if len(by_group) >= PROTECT_BY_GROUP:
            break
    keep = {c.id for c in by_group.values()}
    rest = [c for c in rest if c.id not in keep]
    rest = _protect(rest, PROTECT_BY_PING, lambda c: c.min_ping or 0.0,
                    only=lambda c: c.min_ping is not None)  # fmt: skip
    rest = _protect(rest, PROTECT_BY_TX, lambda c: -c.last_tx, only=lambda c: c.last_tx > 0)
    rest = _protect(rest, PROTECT_BY_BLOCK, lambda c: -c.last_block,
                    only=lambda c: c.last_block > 0)  # fmt: skip
    rest = _protect(rest, len(rest) // 2, lambda c: c.connected)
    if not rest:
        return None
    groups: dict[bytes, list[Candidate]] = {}
    for c in rest:
        groups.setdefault(c.group, []).append(c)
    biggest = max(groups.values(), key=lambda g: (len(g), max(c.connected for c in g)))
    return max(biggest, key=lambda c: (c.connected, c.id)).id
