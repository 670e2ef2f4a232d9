"""Script verification flags: which optional rules an evaluation enforces.

Blocks are checked with ``CONSENSUS_FLAGS`` (every rule active since genesis); the mempool
adds the policy-only rules of ``STANDARD_FLAGS``. The flags are plain ints at run time.
"""

from __future__ import annotations

import enum
from typing import Final


class ScriptFlags(enum.IntFlag):
    """Bit flags accepted by the interpreter (names follow Bitcoin Core's SCRIPT_VERIFY_*)."""

    NONE = 0
    P2SH = 1 << 0
    """Evaluate the redeem script of a P2SH output (BIP16)."""
    MINIMALDATA = 1 << 1
    """Pushes must use the smallest opcode and numbers the shortest encoding."""
    MINIMALIF = 1 << 2
    """The argument of IF/NOTIF must be empty or exactly 0x01."""
    NULLFAIL = 1 << 3
    """A failed CHECKSIG/CHECKMULTISIG must have been given only empty signatures."""
    SIGPUSHONLY = 1 << 4
    """script_sig must contain only push opcodes."""
    CHECKLOCKTIMEVERIFY = 1 << 5
    """OP_CHECKLOCKTIMEVERIFY (BIP65) instead of NOP2."""
    CHECKSEQUENCEVERIFY = 1 << 6
    """OP_CHECKSEQUENCEVERIFY (BIP112) instead of NOP3."""
    CLEANSTACK = 1 << 7
    """Exactly one element must remain after evaluation (needs P2SH)."""
    DISCOURAGE_UPGRADABLE_NOPS = 1 << 8
    """Executing NOP1, NOP4..NOP10 fails (kept free for soft forks)."""


CONSENSUS_FLAGS: Final = (
    ScriptFlags.P2SH
    | ScriptFlags.MINIMALDATA
    | ScriptFlags.MINIMALIF
    | ScriptFlags.NULLFAIL
    | ScriptFlags.SIGPUSHONLY
    | ScriptFlags.CHECKLOCKTIMEVERIFY
    | ScriptFlags.CHECKSEQUENCEVERIFY
)
"""Rules every block must satisfy (all active from genesis)."""

STANDARD_FLAGS: Final = (
    CONSENSUS_FLAGS | ScriptFlags.CLEANSTACK | ScriptFlags.DISCOURAGE_UPGRADABLE_NOPS
)
"""Rules a transaction must satisfy to be relayed and mined by default (policy)."""


def parse_flags(text: str) -> ScriptFlags:
    """Parse a comma-separated list of flag names ("P2SH,MINIMALDATA", "CONSENSUS", "")."""
    result = ScriptFlags.NONE
    for raw in text.split(","):
        name = raw.strip().upper()
        if not name or name == "NONE":
            continue
        if name == "CONSENSUS":
            result |= CONSENSUS_FLAGS
        elif name == "STANDARD":
            result |= STANDARD_FLAGS
        elif name in ScriptFlags.__members__:
            result |= ScriptFlags[name]
        else:
            raise ValueError(f"unknown script flag {raw.strip()!r}")
    return result
