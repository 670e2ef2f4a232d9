"""Errors raised by node.script: `ScriptError` with a reason code and the failing position.

The reason codes are modelled on Bitcoin Core's ``SCRIPT_ERR_*`` (``script/script_error.h``);
the value of each code is its name so that JSON test tables and logs can spell it directly.
"""

from __future__ import annotations

import enum

from node.errors import RustyError


class ScriptErrorCode(enum.StrEnum):
    """Why a script (or a script-related operation) failed."""

    UNKNOWN_ERROR = "UNKNOWN_ERROR"
    EVAL_FALSE = "EVAL_FALSE"
    OP_RETURN = "OP_RETURN"

    # Limits (SPEC §11).
    SCRIPT_SIZE = "SCRIPT_SIZE"
    PUSH_SIZE = "PUSH_SIZE"
    OP_COUNT = "OP_COUNT"
    STACK_SIZE = "STACK_SIZE"
    SIG_COUNT = "SIG_COUNT"
    PUBKEY_COUNT = "PUBKEY_COUNT"

    # Failed *VERIFY operations.
    VERIFY = "VERIFY"
    EQUALVERIFY = "EQUALVERIFY"
    CHECKMULTISIGVERIFY = "CHECKMULTISIGVERIFY"
    CHECKSIGVERIFY = "CHECKSIGVERIFY"
    NUMEQUALVERIFY = "NUMEQUALVERIFY"

    # Logical / format / canonical errors.
    BAD_OPCODE = "BAD_OPCODE"
    DISABLED_OPCODE = "DISABLED_OPCODE"
    INVALID_STACK_OPERATION = "INVALID_STACK_OPERATION"
    INVALID_ALTSTACK_OPERATION = "INVALID_ALTSTACK_OPERATION"
    UNBALANCED_CONDITIONAL = "UNBALANCED_CONDITIONAL"
    SCRIPTNUM_OVERFLOW = "SCRIPTNUM_OVERFLOW"
    SCRIPTNUM_MINIMAL = "SCRIPTNUM_MINIMAL"

    # CHECKLOCKTIMEVERIFY and CHECKSEQUENCEVERIFY.
    NEGATIVE_LOCKTIME = "NEGATIVE_LOCKTIME"
    UNSATISFIED_LOCKTIME = "UNSATISFIED_LOCKTIME"

    # Malleability / encoding rules.
    SIG_HASHTYPE = "SIG_HASHTYPE"
    MINIMALDATA = "MINIMALDATA"
    MINIMALIF = "MINIMALIF"
    SIG_PUSHONLY = "SIG_PUSHONLY"
    PUBKEYTYPE = "PUBKEYTYPE"
    CLEANSTACK = "CLEANSTACK"
    SIG_NULLFAIL = "SIG_NULLFAIL"
    SCHNORR_SIG_SIZE = "SCHNORR_SIG_SIZE"
    SCHNORR_SIG_HASHTYPE = "SCHNORR_SIG_HASHTYPE"

    # Soft-fork safeness (policy).
    DISCOURAGE_UPGRADABLE_NOPS = "DISCOURAGE_UPGRADABLE_NOPS"

    # Outside evaluation: building templates, decoding addresses, sighash of a bad input.
    BAD_TEMPLATE = "BAD_TEMPLATE"
    BAD_ADDRESS = "BAD_ADDRESS"
    SIGHASH_INPUT = "SIGHASH_INPUT"


class ScriptError(RustyError):
    """A script failed; the root of every error raised by node.script.

    ``position`` is the byte offset of the failing opcode inside the script named by
    ``stage`` (``"script_sig"``, ``"script_pubkey"`` or ``"redeem_script"``); for a failure
    at the end of a script (``EVAL_FALSE``, ``UNBALANCED_CONDITIONAL``, ``CLEANSTACK``) it is
    the script's length. ``opcode`` is the failing opcode byte when there is one;
    ``input_index`` is set by `verify_input` to the transaction input being verified.
    """

    def __init__(
        self,
        code: ScriptErrorCode,
        detail: str = "",
        *,
        position: int | None = None,
        opcode: int | None = None,
        stage: str | None = None,
        input_index: int | None = None,
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.detail = detail
        self.position = position
        self.opcode = opcode
        self.stage = stage
        self.input_index = input_index

    def __str__(self) -> str:
        parts = [self.code.value]
        if self.input_index is not None:
            parts.append(f"for input {self.input_index}")
        if self.stage is not None:
            parts.append(f"in {self.stage}")
        if self.position is not None:
            parts.append(f"at byte {self.position}")
        if self.opcode is not None:
            parts.append(f"(opcode 0x{self.opcode:02x})")
        text = " ".join(parts)
        return f"{text}: {self.detail}" if self.detail else text


class TemplateError(ScriptError):
    """A standard script could not be built or an address could not be turned into a script."""

    def __init__(self, detail: str, code: ScriptErrorCode = ScriptErrorCode.BAD_TEMPLATE) -> None:
        super().__init__(code, detail)


class SighashError(ScriptError):
    """A signature hash cannot be computed (bad hash type, SINGLE without output, bad index)."""

    def __init__(
        self, detail: str, code: ScriptErrorCode = ScriptErrorCode.SCHNORR_SIG_HASHTYPE
    ) -> None:
        super().__init__(code, detail)
