"""Consensus rejections: every error carries a short machine reason like Bitcoin Core's.

The classes are grouped by what they reject (`TxRuleError`, `BlockRuleError`,
`HeaderRuleError`), with one narrow class per reason string. `mutated` is True for the
errors that only show that the block *body* does not match its header (merkle or votes root
mismatch, CVE-2012-2459 mutation): the chain must not mark such a header hash as invalid,
because the honest body with the same header may still arrive (Bitcoin Core's
``BLOCK_MUTATED``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.errors import RustyError

if TYPE_CHECKING:
    from node.script.errors import ScriptError


class ConsensusError(RustyError):
    """A block, header or transaction breaks a consensus rule.

    `reason` is the stable short code (e.g. ``high-hash``, ``bad-diffbits``) that RPC and
    P2P reject messages report; the message adds the numbers that explain it.
    """

    reason: str = "consensus-invalid"
    mutated: bool = False

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {super().__str__()}"


class InvalidBits(ConsensusError):
    """A compact target encoding that is negative, overflowing, zero or above pow_limit."""

    reason = "bad-diffbits"


class HighHash(ConsensusError):
    """The OxideHash result is above the target: the proof of work is insufficient."""

    reason = "high-hash"


# --------------------------------------------------------------------------- headers


class HeaderRuleError(ConsensusError):
    """A header breaks a rule of its own or against its parent."""


class BadVersion(HeaderRuleError):
    """Header version is not 1."""

    reason = "bad-version"


class BadBlockHeight(HeaderRuleError):
    """Header height is not the parent's height + 1."""

    reason = "bad-blk-height"


class BadPrevBlock(HeaderRuleError):
    """The parent is unknown-invalid (raised by the chain, which knows the block tree)."""

    reason = "bad-prevblk"


class UnexpectedBits(HeaderRuleError):
    """Header `bits` differs from the value LWMA-1 requires at this position."""

    reason = "bad-diffbits"


class TimeTooOld(HeaderRuleError):
    """Timestamp is not above the median time past of the previous blocks."""

    reason = "time-too-old"


class TimeTooNew(HeaderRuleError):
    """Timestamp is more than `max_future_block_time` ahead of the node's adjusted time."""

    reason = "time-too-new"


# --------------------------------------------------------------------------- transactions


class TxRuleError(ConsensusError):
    """A transaction breaks a consensus rule (context-free or against its spent coins)."""


class TxVersion(TxRuleError):
    """Transaction version is not 1."""

    reason = "bad-txns-version"


class TxPayload(TxRuleError):
    """Special payload does not decode, or the tx type is not allowed (yet)."""

    reason = "bad-txns-payload"


class TxVinEmpty(TxRuleError):
    """A transaction without inputs (for a type that needs them)."""

    reason = "bad-txns-vin-empty"


class TxVoutEmpty(TxRuleError):
    """A transaction without outputs (for a type that needs them)."""

    reason = "bad-txns-vout-empty"


class TxOversize(TxRuleError):
    """Serialized transaction larger than MAX_TX_SIZE."""

    reason = "bad-txns-oversize"


class TxVoutTooLarge(TxRuleError):
    """One output value above MAX_MONEY."""

    reason = "bad-txns-vout-toolarge"


class TxOutTotalTooLarge(TxRuleError):
    """Sum of the output values above MAX_MONEY."""

    reason = "bad-txns-txouttotal-toolarge"


class TxInputsDuplicate(TxRuleError):
    """The same outpoint spent twice by one transaction."""

    reason = "bad-txns-inputs-duplicate"


class CoinbaseLength(TxRuleError):
    """Coinbase witness (free data) outside 2..100 bytes."""

    reason = "bad-cb-length"


class CoinbaseInput(TxRuleError):
    """A COINBASE-typed transaction whose inputs are not exactly one null prevout."""

    reason = "bad-cb-input"


class TxPrevoutNull(TxRuleError):
    """A non-coinbase input spends the null prevout."""

    reason = "bad-txns-prevout-null"


class InputsMissingOrSpent(TxRuleError):
    """An input's coin is not in the UTXO set (raised by the chain, which owns the set)."""

    reason = "bad-txns-inputs-missingorspent"


class PrematureCoinbaseSpend(TxRuleError):
    """A coinbase output spent before `coinbase_maturity` blocks have passed."""

    reason = "bad-txns-premature-spend-of-coinbase"


class InputValuesOutOfRange(TxRuleError):
    """A spent value, or the running sum of spent values, above MAX_MONEY."""

    reason = "bad-txns-inputvalues-outofrange"


class InBelowOut(TxRuleError):
    """Outputs spend more than the inputs bring in."""

    reason = "bad-txns-in-belowout"


class TxNonFinal(TxRuleError):
    """Absolute lock time not yet reached (and some sequence is not final)."""

    reason = "bad-txns-nonfinal"


class SequenceLocksNotMet(TxRuleError):
    """BIP68 relative lock time not yet reached."""

    reason = "non-BIP68-final"


class ScriptVerifyFailed(TxRuleError):
    """An input script failed; `script_error` holds the interpreter's error and detail."""

    reason = "block-script-verify-flag-failed"

    def __init__(
        self,
        message: str,
        *,
        script_error: ScriptError | None = None,
        txid: bytes | None = None,
        input_index: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.script_error = script_error
        self.txid = txid
        self.input_index = input_index

    @classmethod
    def from_script_error(
        cls, error: ScriptError, *, txid: bytes, input_index: int
    ) -> ScriptVerifyFailed:
        """Wrap the interpreter's error; the message starts with its code, as Core's
        ``block-script-verify-flag-failed (<error>)``."""
        return cls(
            f"({error.code.value}) tx {txid.hex()} input {input_index}: {error}",
            script_error=error,
            txid=txid,
            input_index=input_index,
        )


# --------------------------------------------------------------------------- blocks


class BlockRuleError(ConsensusError):
    """A block body breaks a rule (context-free or when connected)."""


class BlockLength(BlockRuleError):
    """No transactions, or serialized size above the size limit."""

    reason = "bad-blk-length"


class BlockSigops(BlockRuleError):
    """Signature operations above the block limit."""

    reason = "bad-blk-sigops"


class TooManyVotes(BlockRuleError):
    """More stake votes than `tickets_per_block`."""

    reason = "bad-blk-votes"


class CoinbaseMissing(BlockRuleError):
    """The first transaction is not a coinbase."""

    reason = "bad-cb-missing"


class CoinbaseMultiple(BlockRuleError):
    """A coinbase after the first transaction."""

    reason = "bad-cb-multiple"


class BadMerkleRoot(BlockRuleError):
    """Header merkle_root differs from the Merkle root of the wtxids."""

    reason = "bad-txnmrklroot"
    mutated = True


class DuplicateTx(BlockRuleError):
    """Two transactions of the block share a txid."""

    reason = "bad-txns-duplicate"


class MutatedMerkle(DuplicateTx):
    """The wtxid tree hashes two equal siblings (CVE-2012-2459): a mutated body."""

    mutated = True


class BadVotesRoot(BlockRuleError):
    """Header votes_root differs from the Merkle root of the vote hashes (or is mutated)."""

    reason = "bad-votesroot"
    mutated = True


class CoinbaseAmount(BlockRuleError):
    """The coinbase pays the miner more than its share plus the fees."""

    reason = "bad-cb-amount"


class CoinbaseHeight(BlockRuleError):
    """Coinbase lock_time differs from the block height."""

    reason = "bad-cb-height"


class CoinbasePayee(BlockRuleError):
    """A required stake or masternode coinbase output is missing, misplaced or wrong."""

    reason = "bad-cb-payee"


class BadStateRoot(BlockRuleError):
    """Header state_root differs from the state after the block (raised by the chain)."""

    reason = "bad-state-root"
