"""P2P settings (`P2PConfig`): listening, whom to connect to, limits and timeouts.

Defaults follow Bitcoin Core; the functional tests shorten the timeouts and trickle delays
through the daemon's options or by building a config directly.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BIND = ("0.0.0.0",)  # noqa: S104 - all interfaces, as Bitcoin Core


@dataclass(frozen=True, slots=True)
class P2PConfig:
    """Everything the P2P service needs besides the node itself."""

    listen: bool = True
    bind: tuple[str, ...] = DEFAULT_BIND
    """Addresses to listen on, each "host" or "host:port" (port: `port`)."""
    port: int | None = None
    """Listening port; None = the network's default (SPEC §12); 0 = any free port."""
    connect: tuple[str, ...] = ()
    """Connect only to these (no automatic outbound connections)."""
    addnode: tuple[str, ...] = ()
    """Keep connections to these on top of the automatic ones."""
    max_outbound: int = 8
    max_inbound: int = 125
    use_seeds: bool = True
    tx_trickle_outbound: float = 2.0
    """Mean seconds between transaction announcements to an outbound peer (Core: 2 s)."""
    tx_trickle_inbound: float = 5.0
    """... and to an inbound peer (Core: 5 s)."""
    connect_timeout: float = 5.0
    handshake_timeout: float = 60.0
    ping_interval: float = 120.0
    timeout: float = 1200.0
    """A peer that sends nothing (not even a pong) for this long is dropped (Core: 20 min)."""
    block_stall_timeout: float = 5.0
    """The block the download window waits for: re-requested elsewhere after this long."""
    block_download_timeout: float = 600.0
    max_blocks_in_flight: int = 16
    block_download_window: int = 1024
    max_msgs_per_sec: int = 2000
    ban_time: int = 24 * 3600
    max_send_buffer: int = 64 * 1024 * 1024
    max_orphan_requests: int = 100
