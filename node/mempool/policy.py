"""Mempool policy: the relay rules on top of consensus, as constants and `MempoolPolicy`.

Defaults follow Bitcoin Core 28 (sizes in serialized bytes, since there is no witness
discount): min relay and incremental relay feerate 1,000 units/kvB, standard transactions up
to 100,000 bytes, at most 8,000 sigops per transaction (a fifth of a 2 MB block's limit),
ancestor and descendant chains of at most 25 transactions / 101,000 bytes, full RBF with at
most 100 evictions, expiry after 14 days, a 300 MB pool. `check_standard` is the context-free
part of Core's IsStandardTx; docs/protocol/mempool.md lists every rule and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.mempool.errors import PolicyReject
from node.script.policy import DUST_THRESHOLD, MAX_OP_RETURN_DATA, check_tx_script_policy
from node.types.tx import Tx, TxType

__all__ = [
    "DEFAULT_EXPIRY",
    "DEFAULT_MAX_SIZE",
    "DUST_THRESHOLD",
    "INCREMENTAL_RELAY_FEERATE",
    "MAX_ANCESTOR_COUNT",
    "MAX_ANCESTOR_SIZE",
    "MAX_DESCENDANT_COUNT",
    "MAX_DESCENDANT_SIZE",
    "MAX_OP_RETURN_DATA",
    "MAX_ORPHANS",
    "MAX_ORPHAN_BYTES",
    "MAX_REPLACEMENT_CANDIDATES",
    "MAX_STANDARD_TX_SIGOPS",
    "MAX_STANDARD_TX_SIZE",
    "MIN_RELAY_FEERATE",
    "MIN_STANDARD_TX_SIZE",
    "STANDARD_TX_TYPES",
    "MempoolPolicy",
    "check_standard",
    "check_tx_type",
    "fee_for",
]

MIN_RELAY_FEERATE = 1000
"""Units per 1,000 bytes a transaction must pay to be relayed (Core's -minrelaytxfee)."""
INCREMENTAL_RELAY_FEERATE = 1000
"""Added to an evicted package's feerate for the rolling minimum; the extra feerate a
replacement pays for its own bytes (Core 28's -incrementalrelayfee)."""
MAX_STANDARD_TX_SIZE = 100_000
"""Largest standard transaction in bytes (Core: 400,000 weight = 100,000 vbytes)."""
MIN_STANDARD_TX_SIZE = 65
"""Smallest standard transaction: a 64-byte one could pose as an inner Merkle node
(Core's "tx-size-small", CVE-2017-12842)."""
MAX_STANDARD_TX_SIGOPS = 8000
"""max_block_sigops(2,000,000) / 5, as Core's MAX_STANDARD_TX_SIGOPS_COST is a fifth of a block."""
MAX_ANCESTOR_COUNT = 25
MAX_ANCESTOR_SIZE = 101_000
MAX_DESCENDANT_COUNT = 25
MAX_DESCENDANT_SIZE = 101_000
MAX_REPLACEMENT_CANDIDATES = 100
"""BIP125 rule 5: a replacement may evict at most this many transactions."""
DEFAULT_MAX_SIZE = 300_000_000
"""Default pool limit on estimated memory usage (Core's -maxmempool=300)."""
DEFAULT_EXPIRY = 14 * 86400
"""Entries older than this are removed (Core's -mempoolexpiry=336 hours)."""
MAX_ORPHANS = 100
"""Orphan pool bound by count (Core's -maxorphantx)."""
MAX_ORPHAN_BYTES = 5_000_000
"""Orphan pool bound by total serialized bytes."""
ORPHAN_EXPIRY = 20 * 60
"""Orphans older than this are dropped (Core's ORPHAN_TX_EXPIRE_TIME)."""

STANDARD_TX_TYPES: frozenset[TxType] = frozenset(
    (TxType.STANDARD, TxType.TICKET_PURCHASE, TxType.TICKET_REVOKE)
)
"""Types relayed today (ordinary payments and the stake transactions, checked against the
ticket pool by node.mempool.stakecheck); the masternode and governance issues add theirs."""


@dataclass(frozen=True, slots=True)
class MempoolPolicy:
    """Every policy knob of one pool; the defaults are the constants above."""

    min_relay_feerate: int = MIN_RELAY_FEERATE
    incremental_relay_feerate: int = INCREMENTAL_RELAY_FEERATE
    max_standard_tx_size: int = MAX_STANDARD_TX_SIZE
    max_standard_tx_sigops: int = MAX_STANDARD_TX_SIGOPS
    ancestor_count: int = MAX_ANCESTOR_COUNT
    ancestor_size: int = MAX_ANCESTOR_SIZE
    descendant_count: int = MAX_DESCENDANT_COUNT
    descendant_size: int = MAX_DESCENDANT_SIZE
    max_replacements: int = MAX_REPLACEMENT_CANDIDATES
    allowed_tx_types: frozenset[TxType] = STANDARD_TX_TYPES
    """Types accepted into the pool (and passed to check_transaction as allowed)."""
    require_standard: bool = True
    """False skips the standardness rules (Core's -acceptnonstdtxn, for tests only)."""

    def with_tx_types(self, *types: TxType) -> MempoolPolicy:
        """A copy that also accepts `types` (how later issues enable special transactions)."""
        return MempoolPolicy(
            self.min_relay_feerate,
            self.incremental_relay_feerate,
            self.max_standard_tx_size,
            self.max_standard_tx_sigops,
            self.ancestor_count,
            self.ancestor_size,
            self.descendant_count,
            self.descendant_size,
            self.max_replacements,
            self.allowed_tx_types | frozenset(types),
            self.require_standard,
        )


def fee_for(feerate: int, size: int) -> int:
    """Fee of `size` bytes at `feerate` units/kvB, rounded up (Core's CFeeRate::GetFee)."""
    return -(-feerate * size // 1000)


def check_tx_type(tx: Tx, policy: MempoolPolicy) -> None:
    """Refuse a coinbase ("coinbase") and types the pool does not relay ("bad-txns-payload").

    Checked before anything else, so that a special transaction gets the clear "non-standard
    tx type" answer rather than an error about its payload.
    """
    if tx.tx_type is TxType.COINBASE:
        raise PolicyReject("coinbase", "a coinbase is only valid in a block")
    if tx.tx_type not in policy.allowed_tx_types:
        raise PolicyReject("bad-txns-payload", f"non-standard tx type {tx.tx_type.name}")


def check_standard(tx: Tx, policy: MempoolPolicy) -> None:
    """The context-free standardness rules (Core's IsStandardTx); raise PolicyReject."""
    if not policy.require_standard:
        return
    size = tx.size
    if size > policy.max_standard_tx_size:
        raise PolicyReject("tx-size", f"{size} bytes > {policy.max_standard_tx_size}")
    if size < MIN_STANDARD_TX_SIZE:
        raise PolicyReject("tx-size-small", f"{size} bytes < {MIN_STANDARD_TX_SIZE}")
    reason = check_tx_script_policy(tx)
    if reason is not None:
        raise PolicyReject(reason, _SCRIPT_POLICY_TEXT.get(reason, ""))


_SCRIPT_POLICY_TEXT = {
    "scriptpubkey": "an output script is not a standard template",
    "dust": f"an output is worth less than {DUST_THRESHOLD} units",
    "multi-op-return": "more than one OP_RETURN output",
    "scriptsig-not-pushonly": "a script_sig is not push-only",
    "scriptsig-size": "a script_sig is too large",
}
