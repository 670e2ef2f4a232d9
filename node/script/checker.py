"""The signature and lock-time checker interface the interpreter calls (Core's
BaseSignatureChecker), and a checker that rejects everything for scripts without a tx.

The interpreter has already validated encodings before calling: signatures are exactly 64
bytes, ``hash_type`` is 0x00 (64-byte signature) or one of the explicit types, public keys
are 32 bytes, lock values are non-negative.
"""

from __future__ import annotations

from typing import Protocol


class SignatureChecker(Protocol):
    """What CHECKSIG, CHECKMULTISIG, CLTV and CSV ask of the transaction being verified."""

    def check_schnorr(self, sig64: bytes, hash_type: int, pubkey32: bytes) -> bool:
        """True when ``sig64`` is a valid BIP340 signature of this input's sighash.

        May raise ScriptError(SCHNORR_SIG_HASHTYPE) when the hash type cannot apply
        (SIGHASH_SINGLE without a matching output).
        """
        ...

    def check_lock_time(self, lock_time: int) -> bool:
        """True when the transaction satisfies an absolute lock (BIP65)."""
        ...

    def check_sequence(self, sequence: int) -> bool:
        """True when this input satisfies a relative lock (BIP68/BIP112)."""
        ...


class BaseSignatureChecker:
    """A checker with no transaction: every signature and lock check fails."""

    __slots__ = ()

    def check_schnorr(self, sig64: bytes, hash_type: int, pubkey32: bytes) -> bool:
        return False

    def check_lock_time(self, lock_time: int) -> bool:
        return False

    def check_sequence(self, sequence: int) -> bool:
        return False
