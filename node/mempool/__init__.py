"""The mempool (issue 6): acceptance of unconfirmed transactions against the UTXO set and
the pool, relay policy, ancestor/descendant tracking, replacement (full RBF), size eviction
with a rolling minimum fee, expiry, the orphan pool, and following the chain through
connects and reorganisations. Fee estimation (`fees`) and block templates (`template`) live
in their own modules of this package.

Layering: node.mempool imports node.chain and below, never the wallet, P2P or RPC.
"""

from node.mempool.entry import AcceptResult, MempoolEntry
from node.mempool.errors import (
    AlreadyKnown,
    ChainLimitReject,
    ConsensusReject,
    FeeReject,
    MempoolError,
    MempoolFull,
    MempoolReject,
    MissingInputs,
    PolicyReject,
    ReplacementReject,
    ScriptReject,
)
from node.mempool.events import MempoolEventBus, TxAdded, TxRemoved
from node.mempool.orphans import OrphanPool
from node.mempool.policy import MempoolPolicy
from node.mempool.pool import FeeEstimatorLike, Mempool

__all__ = [
    "AcceptResult",
    "AlreadyKnown",
    "ChainLimitReject",
    "ConsensusReject",
    "FeeEstimatorLike",
    "FeeReject",
    "Mempool",
    "MempoolEntry",
    "MempoolError",
    "MempoolEventBus",
    "MempoolFull",
    "MempoolPolicy",
    "MempoolReject",
    "MissingInputs",
    "OrphanPool",
    "PolicyReject",
    "ReplacementReject",
    "ScriptReject",
    "TxAdded",
    "TxRemoved",
]
