"""The mutable state of one script evaluation, shared by the opcode functions.

Opcode functions have the signature ``(state, opcode) -> None``: they read and write
``state.stack`` and raise ScriptError (without a position; the interpreter loop adds it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from node.script.checker import SignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import ScriptFlags

TRUE: Final = b"\x01"
FALSE: Final = b""

_MINIMALDATA: Final = int(ScriptFlags.MINIMALDATA)
_MINIMALIF: Final = int(ScriptFlags.MINIMALIF)
_NULLFAIL: Final = int(ScriptFlags.NULLFAIL)
_CLTV: Final = int(ScriptFlags.CHECKLOCKTIMEVERIFY)
_CSV: Final = int(ScriptFlags.CHECKSEQUENCEVERIFY)
_DISCOURAGE_NOPS: Final = int(ScriptFlags.DISCOURAGE_UPGRADABLE_NOPS)


class State:
    """Stacks, conditional state, op counter, flags (pre-split into booleans) and checker."""

    __slots__ = (
        "altstack",
        "checker",
        "cltv",
        "csv",
        "discourage_nops",
        "false_count",
        "minimal_if",
        "nullfail",
        "op_count",
        "require_minimal",
        "stack",
        "vfexec",
    )

    def __init__(self, stack: list[bytes], flags: int, checker: SignatureChecker) -> None:
        self.stack = stack
        self.altstack: list[bytes] = []
        self.vfexec: list[bool] = []
        self.false_count = 0
        self.op_count = 0
        self.checker = checker
        self.require_minimal = bool(flags & _MINIMALDATA)
        self.minimal_if = bool(flags & _MINIMALIF)
        self.nullfail = bool(flags & _NULLFAIL)
        self.cltv = bool(flags & _CLTV)
        self.csv = bool(flags & _CSV)
        self.discourage_nops = bool(flags & _DISCOURAGE_NOPS)


OpFunc = Callable[[State, int], None]
"""An opcode implementation."""


def stack_error(detail: str = "") -> ScriptError:
    """The error for an opcode that needs more stack elements than there are."""
    return ScriptError(ScriptErrorCode.INVALID_STACK_OPERATION, detail)
