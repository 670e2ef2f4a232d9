"""Replacement (RBF) rules: which entries a conflicting transaction would evict and whether
it pays enough to do so.

Bitcoin Core 28 with full RBF: any mempool transaction may be replaced, no BIP125 signalling
is needed. The rules (Core's numbering in doc/policy/mempool-replacements.md):

* #2 the replacement spends no unconfirmed output that the originals did not spend
  ("replacement-adds-unconfirmed");
* #3 it pays at least the total fee of everything it evicts, and #4 on top of that its own
  bytes at the incremental relay feerate ("insufficient fee");
* #5 it evicts at most 100 transactions, counted as Core does by summing the descendant
  counts of the direct conflicts ("too many potential replacements");
* #6 its feerate is higher than each direct conflict's ("insufficient fee");
* it must not spend an output of a transaction it replaces
  ("bad-txns-spends-conflicting-tx").
"""

from __future__ import annotations

from node.mempool.errors import ReplacementReject
from node.mempool.graph import PoolGraph
from node.mempool.policy import MempoolPolicy, fee_for
from node.types.tx import Tx


def entries_to_evict(
    graph: PoolGraph, txid: bytes, conflicts: set[bytes], policy: MempoolPolicy
) -> set[bytes]:
    """The direct `conflicts` and all their descendants (rule #5 checked first)."""
    entries = graph.entries
    count = sum(entries[c].descendant_count for c in conflicts)
    if count > policy.max_replacements:
        raise ReplacementReject(
            "too many potential replacements",
            f"rejecting replacement {txid.hex()}; too many potential replacements "
            f"({count} > {policy.max_replacements})",
        )
    return graph.descendants_of(conflicts)


def check_disjoint(txid: bytes, ancestors: set[bytes], conflicts: set[bytes]) -> None:
    """A replacement may not descend from a transaction it replaces."""
    common = ancestors & conflicts
    if common:
        raise ReplacementReject(
            "bad-txns-spends-conflicting-tx",
            f"{txid.hex()} spends conflicting transaction {min(common).hex()}",
        )


def check_replacement(
    graph: PoolGraph,
    tx: Tx,
    fee: int,
    size: int,
    conflicts: set[bytes],
    evicted: set[bytes],
    policy: MempoolPolicy,
) -> None:
    """Rules #6, #2, #3 and #4 for `tx` replacing `conflicts` (evicting `evicted`)."""
    entries = graph.entries
    txid = tx.txid
    new_rate = fee * 1000 // size
    for c in sorted(conflicts):
        old = entries[c]
        if new_rate <= old.feerate:
            raise ReplacementReject(
                "insufficient fee",
                f"rejecting replacement {txid.hex()}; new feerate {new_rate} <= "
                f"old feerate {old.feerate}",
            )
    spent_by_originals = {txin.prevout.txid for c in conflicts for txin in entries[c].tx.inputs}
    for index, txin in enumerate(tx.inputs):
        parent = txin.prevout.txid
        if parent in entries and parent not in spent_by_originals:
            raise ReplacementReject(
                "replacement-adds-unconfirmed",
                f"replacement {txid.hex()} adds unconfirmed input {index}, "
                f"idx {parent.hex()}:{txin.prevout.vout}",
            )
    evicted_fees = sum(entries[t].fee for t in evicted)
    if fee < evicted_fees:
        raise ReplacementReject(
            "insufficient fee",
            f"rejecting replacement {txid.hex()}, less fees than conflicting txs; "
            f"{fee} < {evicted_fees}",
        )
    additional = fee - evicted_fees
    needed = fee_for(policy.incremental_relay_feerate, size)
    if additional < needed:
        raise ReplacementReject(
            "insufficient fee",
            f"rejecting replacement {txid.hex()}, not enough additional fees to relay; "
            f"{additional} < {needed}",
        )
