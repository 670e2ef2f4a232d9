"""Mempool errors: `MempoolError` (the package root) and `MempoolReject`, raised when a
transaction is refused, with Bitcoin Core's reject reason.

`reason` is the short, stable reject string Core would report ("txn-mempool-conflict",
"insufficient fee", "min relay fee not met", "missing-inputs", consensus reasons such as
"bad-txns-in-belowout" passed through unchanged, ...); `message` explains the numbers. The
narrow subclasses let callers branch on the kind of refusal without string matching; every
reason and its meaning is listed in docs/protocol/mempool.md.
"""

from __future__ import annotations

from node.errors import RustyError


class MempoolError(RustyError):
    """Root of every error raised by node.mempool."""


class MempoolReject(MempoolError):
    """A transaction was not accepted into the mempool."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message


class ConsensusReject(MempoolReject):
    """The transaction breaks a consensus rule (reason = the consensus reason)."""


class PolicyReject(MempoolReject):
    """The transaction is valid but not standard (size, scripts, dust, type, locks)."""


class FeeReject(MempoolReject):
    """Fee too low: min relay fee, rolling minimum fee, or replacement economics."""


class ReplacementReject(FeeReject):
    """A replacement (RBF) broke one of the BIP125 rules Core enforces."""


class ChainLimitReject(PolicyReject):
    """Ancestor or descendant count/size limit exceeded ("too-long-mempool-chain")."""


class ScriptReject(MempoolReject):
    """An input script failed ("mandatory-" or "non-mandatory-script-verify-flag-failed")."""


class MissingInputs(MempoolReject):
    """An input is neither in the UTXO set nor in the pool (the tx becomes an orphan)."""

    def __init__(self, message: str = "") -> None:
        super().__init__("missing-inputs", message)


class AlreadyKnown(MempoolReject):
    """The transaction is already in the pool or already confirmed."""


class MempoolFull(FeeReject):
    """The transaction was evicted again by the size limit right after being added."""

    def __init__(self, message: str = "") -> None:
        super().__init__("mempool full", message)
