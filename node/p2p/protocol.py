"""Protocol constants (SPEC §8, §11): version, services, commands, inventory types, limits.

Numbers SPEC leaves open follow Bitcoin Core (its values in brackets in docs/protocol/p2p.md).
"""

from __future__ import annotations

from enum import IntEnum

PROTOCOL_VERSION = 1
"""Version 1 of the protocol (SPEC: "Version 1 of the protocol")."""
MIN_PEER_PROTO_VERSION = 1
USER_AGENT = "/RustyCoin:0.1.0/"
MAX_USER_AGENT = 256

NODE_NETWORK = 1
"""Service bit: serves the full block chain."""

HEADER_LEN = 24
"""magic[4] | command[12] | length u32 | checksum[4]."""
COMMAND_LEN = 12
MAX_BLOCK_PAYLOAD = 32 * 1024 * 1024
"""block, cmpctblock and blocktxn payloads (SPEC §8)."""
MAX_PAYLOAD = 2 * 1024 * 1024
"""Every other command (SPEC §8)."""
LARGE_COMMANDS = frozenset(("block", "cmpctblock", "blocktxn"))

MAX_HEADERS = 2000
MAX_INV = 50_000
MAX_ADDR = 1000
MAX_LOCATOR = 101
MAX_REJECT_MESSAGE = 12
MAX_REJECT_REASON = 111

COMMANDS = (
    "version", "verack", "ping", "pong", "getaddr", "addr", "inv", "getdata", "notfound",
    "getheaders", "headers", "block", "tx", "mempool", "feefilter", "sendcmpct", "cmpctblock",
    "getblocktxn", "blocktxn", "vote", "mnauth", "qcontrib", "qcomplaint", "qjustify",
    "qpcommit", "qsigshare", "clsig", "islock", "reject",
)  # fmt: skip
"""Every command SPEC §8 names. Unknown commands are ignored (as Bitcoin Core does)."""


class InvType(IntEnum):
    """Inventory types (SPEC §8); numbers follow Core (1 tx, 2 block, 4 cmpctblock)."""

    TX = 1
    BLOCK = 2
    CMPCT_BLOCK = 4
    VOTE = 5
    CLSIG = 6
    ISLOCK = 7


class RejectCode(IntEnum):
    """Codes of the `reject` message (Core's BIP61 values)."""

    MALFORMED = 0x01
    INVALID = 0x10
    OBSOLETE = 0x11
    DUPLICATE = 0x12
    NONSTANDARD = 0x40
    INSUFFICIENTFEE = 0x42
