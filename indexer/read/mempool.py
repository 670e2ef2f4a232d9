"""The node's mempool as the indexer last snapshotted it (MempoolTx rows): Esplora's
/mempool statistics and fee histogram, txids, recent transactions, and a decoded view of the
snapshot (outputs, spends and addresses) for transaction and address queries.

The decoded view is cached per process and rebuilt when the snapshot changes (its row count
or id range changes: the node process replaces the rows every few seconds).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import Count, Max, Min, Sum

from indexer.models import MempoolTx
from indexer.read.parse import hrp
from node.api import script_address
from node.types.errors import SerializationError
from node.types.tx import Tx

VSIZE_BIN_WIDTH: Final = 50_000
"""Bytes per fee-histogram bin (electrs' VSIZE_BIN_WIDTH, in vbytes = bytes here)."""
RECENT_COUNT: Final = 10
"""Transactions in /mempool/recent (Esplora)."""


@dataclass(frozen=True, slots=True)
class MempoolEntry:
    """One decoded mempool transaction."""

    txid: str
    fee: int
    size: int
    first_seen: int
    tx: Tx
    addresses: tuple[str | None, ...]
    """The address of each output (None when the script has no single address)."""


@dataclass(slots=True)
class MempoolView:
    """The decoded snapshot: entries by txid and who spends which outpoint."""

    fingerprint: tuple[int, int, int]
    entries: dict[str, MempoolEntry] = field(default_factory=dict)
    spends: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    """(prev txid, prev vout) -> (spending txid, input index)."""


_lock = threading.Lock()
_cached: MempoolView | None = None


def _fingerprint() -> tuple[int, int, int]:
    agg = MempoolTx.objects.aggregate(n=Count("id"), lo=Min("id"), hi=Max("id"))
    return (agg["n"] or 0, agg["lo"] or 0, agg["hi"] or 0)


def view() -> MempoolView:
    """The decoded mempool snapshot (cached until the snapshot changes)."""
    global _cached
    fingerprint = _fingerprint()
    with _lock:
        if _cached is not None and _cached.fingerprint == fingerprint:
            return _cached
    prefix = hrp()
    built = MempoolView(fingerprint)
    rows = MempoolTx.objects.values_list("txid", "fee", "size", "first_seen", "raw")
    for txid, fee, size, first_seen, raw in rows.iterator(chunk_size=2000):
        try:
            tx = Tx.deserialize(bytes(raw))
        except SerializationError:
            continue  # a row the node wrote cannot be malformed; never fail a page on one
        addresses = tuple(script_address(o.script_pubkey, prefix) for o in tx.outputs)
        built.entries[txid] = MempoolEntry(txid, fee, size, first_seen, tx, addresses)
        for vin, txin in enumerate(tx.inputs):
            built.spends[(txin.prevout.txid.hex(), txin.prevout.vout)] = (txid, vin)
    with _lock:
        _cached = built
    return built


def fee_histogram(rates: list[tuple[float, int]]) -> list[list[float | int]]:
    """Electrum's mempool.get_fee_histogram bins from (feerate, size) pairs.

    Sorted by feerate, highest first; a bin closes once it holds more than VSIZE_BIN_WIDTH
    bytes and the feerate changes; each bin is [its lowest feerate, its total size].
    """
    histogram: list[list[float | int]] = []
    bin_size = 0
    last_rate = 0.0
    for rate, size in sorted(rates, key=lambda pair: pair[0], reverse=True):
        if bin_size > VSIZE_BIN_WIDTH and last_rate != rate:
            histogram.append([last_rate, bin_size])
            bin_size = 0
        last_rate = rate
        bin_size += size
    if bin_size > 0:
        histogram.append([last_rate, bin_size])
    return histogram


def _rate(fee: int, size: int) -> float:
    return round(fee / size, 3) if size > 0 else 0.0


def mempool_stats() -> dict[str, Any]:
    """GET /mempool: {count, vsize, total_fee, fee_histogram} (vsize = bytes here)."""
    agg = MempoolTx.objects.aggregate(n=Count("id"), size=Sum("size"), fee=Sum("fee"))
    pairs = [(_rate(fee, size), size) for fee, size in MempoolTx.objects.values_list("fee", "size")]
    return {
        "count": agg["n"] or 0,
        "vsize": agg["size"] or 0,
        "total_fee": agg["fee"] or 0,
        "fee_histogram": fee_histogram(pairs),
    }


def mempool_txids() -> list[str]:
    """GET /mempool/txids: every txid in the snapshot (order: by txid)."""
    return list(MempoolTx.objects.order_by("txid").values_list("txid", flat=True))


def mempool_recent(count: int = RECENT_COUNT) -> list[dict[str, Any]]:
    """GET /mempool/recent: the last `count` transactions to enter: {txid, fee, vsize, value}
    (+ Rusty Coin extras feerate, tx_type, first_seen)."""
    rows = MempoolTx.objects.order_by("-first_seen", "txid")[:count]
    return [
        {
            "txid": r.txid,
            "fee": r.fee,
            "vsize": r.size,
            "value": r.value,
            "feerate": _rate(r.fee, r.size),
            "tx_type": r.tx_type,
            "first_seen": r.first_seen,
        }
        for r in rows
    ]
