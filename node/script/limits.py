"""Consensus limits of FerrisScript (SPEC §11) and the script-level constants around them.

These are protocol constants (identical on every network), not chain parameters.
"""

from typing import Final

MAX_SCRIPT_SIZE: Final = 10_000
"""Largest script (script_sig, script_pubkey or redeem script) that may be evaluated."""

MAX_SCRIPT_ELEMENT_SIZE: Final = 520
"""Largest byte string that may be pushed onto the stack."""

MAX_OPS_PER_SCRIPT: Final = 201
"""Most non-push opcodes (opcode > OP_16) per evaluated script, counted executed or not."""

MAX_STACK_SIZE: Final = 1_000
"""Most elements on the main stack plus the alt stack at any time."""

MAX_PUBKEYS_PER_MULTISIG: Final = 20
"""Most public keys one CHECKMULTISIG may consume (each counts as an op)."""

MAX_NUM_SIZE: Final = 4
"""Byte length of a numeric operand of the arithmetic opcodes."""

MAX_LOCKTIME_NUM_SIZE: Final = 5
"""Byte length of the operand of CHECKLOCKTIMEVERIFY / CHECKSEQUENCEVERIFY."""

LOCKTIME_THRESHOLD: Final = 500_000_000
"""lock_time values below this are block heights, at or above it unix times."""

SEQUENCE_LOCKTIME_DISABLE_FLAG: Final = 1 << 31
"""BIP68: a sequence with this bit set carries no relative lock."""

SEQUENCE_LOCKTIME_TYPE_FLAG: Final = 1 << 22
"""BIP68: set = relative lock in units of 512 seconds, clear = in blocks."""

SEQUENCE_LOCKTIME_MASK: Final = 0x0000_FFFF
"""BIP68: the bits of a sequence holding the relative lock value."""

XONLY_PUBKEY_SIZE: Final = 32
SCHNORR_SIG_SIZE: Final = 64
