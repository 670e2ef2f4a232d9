"""Addresses: Esplora stats, history with keyset pagination, UTXOs, prefix search and the rows
of the CSV export.

History is ordered newest first by (height, position) and paged by keyset: a page after
`last_seen_txid` starts strictly below that transaction's (height, position) in the
(address, -height, -position) index, so page N costs the same as page 1 however long the
history is (no OFFSET). An address that is valid but was never seen answers zero stats and
empty lists, as Esplora does; a malformed or foreign address is rejected by `parse`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.core.cache import cache
from django.db.models import Count, QuerySet, Sum

from indexer.models import Address, AddressTx, MempoolTxAddress, Transaction, TxOutput
from indexer.read import mempool
from indexer.read.errors import InvalidInput, NotFound
from indexer.read.txs import (
    TXS_PER_PAGE,
    UNCONFIRMED,
    confirmed_status,
    confirmed_txs_json,
    mempool_txs_json,
    prevouts,
)

MEMPOOL_TXS: Final = 50
"""Mempool transactions listed per address (Esplora's MAX_MEMPOOL_TXS)."""
PREFIX_RESULTS: Final = 10
"""Addresses returned by a prefix search (Esplora's ADDRESS_SEARCH_LIMIT)."""
MAX_UTXOS: Final = 1000
"""Above this many unspent outputs /utxo answers 400 (as electrs' "Too many history
entries"); such addresses are better served by a wallet or the node."""
CSV_CHUNK: Final = 1000
STATS_CACHE_SECONDS: Final = 3600


def _zero_stats() -> dict[str, int]:
    return {
        "funded_txo_count": 0,
        "funded_txo_sum": 0,
        "spent_txo_count": 0,
        "spent_txo_sum": 0,
        "tx_count": 0,
    }


def _funded_count(row: Address) -> int:
    """Outputs ever paid to the address; cached until the address's totals change."""
    key = f"rusty:funded:{row.address}:{row.tx_count}:{row.received}:{row.last_seen_height}"
    value = cache.get(key)
    if value is None:
        value = TxOutput.objects.filter(address=row.address).count()
        cache.set(key, value, STATS_CACHE_SECONDS)
    return int(value)


def _mempool_entries(address: str) -> list[mempool.MempoolEntry]:
    """The mempool transactions touching `address`, newest first (at most MEMPOOL_TXS)."""
    txids = MempoolTxAddress.objects.filter(address=address).values_list("txid", flat=True)
    view = mempool.view()
    found = [view.entries[t] for t in txids if t in view.entries]
    found.sort(key=lambda e: (-e.first_seen, e.txid))
    return found


def _mempool_stats(address: str) -> dict[str, int]:
    entries = _mempool_entries(address)
    stats = _zero_stats()
    stats["tx_count"] = len(entries)
    if not entries:
        return stats
    view = mempool.view()
    outpoints = [(i.prevout.txid.hex(), i.prevout.vout) for e in entries for i in e.tx.inputs]
    spent = prevouts(op for op in outpoints if op[0] not in view.entries)
    for e in entries:
        for out, addr in zip(e.tx.outputs, e.addresses, strict=True):
            if addr == address:
                stats["funded_txo_count"] += 1
                stats["funded_txo_sum"] += out.value
    for txid, vout in outpoints:
        if txid in view.entries:
            parent = view.entries[txid]
            if vout < len(parent.addresses) and parent.addresses[vout] == address:
                stats["spent_txo_count"] += 1
                stats["spent_txo_sum"] += parent.tx.outputs[vout].value
        elif (txid, vout) in spent and spent[(txid, vout)][3] == address:
            stats["spent_txo_count"] += 1
            stats["spent_txo_sum"] += spent[(txid, vout)][0]
    return stats


def address_stats(address: str) -> dict[str, Any]:
    """GET /address/:address: {address, chain_stats, mempool_stats} (each {funded_txo_count,
    funded_txo_sum, spent_txo_count, spent_txo_sum, tx_count}); extras: balance, utxo_count,
    first_seen_height, last_seen_height (confirmed)."""
    row = Address.objects.filter(address=address).first()
    chain = _zero_stats()
    extras: dict[str, Any] = {
        "balance": 0,
        "utxo_count": 0,
        "first_seen_height": None,
        "last_seen_height": None,
    }
    if row is not None:
        funded = _funded_count(row)
        chain = {
            "funded_txo_count": funded,
            "funded_txo_sum": row.received,
            "spent_txo_count": funded - row.utxo_count,
            "spent_txo_sum": row.sent,
            "tx_count": row.tx_count,
        }
        extras = {
            "balance": row.balance,
            "utxo_count": row.utxo_count,
            "first_seen_height": row.first_seen_height,
            "last_seen_height": row.last_seen_height,
        }
    return {
        "address": address,
        "chain_stats": chain,
        "mempool_stats": _mempool_stats(address),
        **extras,
    }


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One confirmed transaction of an address's history (for pages and the CSV export)."""

    txid: str
    height: int
    position: int
    block_time: int
    received: int
    sent: int


def history_queryset(address_id: int, after: tuple[int, int] | None = None) -> QuerySet[AddressTx]:
    """The keyset query: the address's history rows newest first, strictly below `after`
    (height, position). `height <= h` is the index range on (address, -height, -position);
    the exclusion only drops the rest of the cursor's own block, so no row above the cursor
    is ever read (tests check the Postgres plan)."""
    rows = AddressTx.objects.filter(address_id=address_id)
    if after is not None:
        height, position = after
        rows = rows.filter(height__lte=height).exclude(height=height, position__gte=position)
    return rows.order_by("-height", "-position")


def _history(
    address_id: int, after: tuple[int, int] | None, limit: int
) -> list[tuple[int, int, int, int, int]]:
    """(tx_id, height, position, received, sent) newest first, strictly below `after`."""
    rows = history_queryset(address_id, after)
    return list(rows.values_list("tx_id", "height", "position", "received", "sent")[:limit])


def _tx_meta(tx_ids: list[int]) -> dict[int, tuple[str, int]]:
    """txid and block time of each transaction row id."""
    rows = Transaction.objects.filter(id__in=tx_ids).values_list("id", "txid", "block__timestamp")
    return {pk: (txid, block_time) for pk, txid, block_time in rows}


def history_cursor(address: str, last_seen_txid: str) -> tuple[int, tuple[int, int]]:
    """(address id, (height, position)) of `last_seen_txid` in the address's history."""
    found = (
        AddressTx.objects.filter(address__address=address, tx__txid=last_seen_txid)
        .values_list("address_id", "height", "position")
        .first()
    )
    if found is None:
        raise NotFound("last_seen_txid is not in this address's confirmed history")
    return found[0], (found[1], found[2])


def chain_txids_page(
    address: str, last_seen_txid: str | None = None, limit: int = TXS_PER_PAGE
) -> list[HistoryRow]:
    """One keyset page of the confirmed history as HistoryRow (for the address page)."""
    if last_seen_txid is None:
        address_id = Address.objects.filter(address=address).values_list("id", flat=True).first()
        if address_id is None:
            return []
        after = None
    else:
        address_id, after = history_cursor(address, last_seen_txid)
    page = _history(address_id, after, limit)
    meta = _tx_meta([r[0] for r in page])
    return [HistoryRow(meta[t][0], h, p, meta[t][1], rec, sent) for t, h, p, rec, sent in page]


def _txs_json(tx_ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = Transaction.objects.select_related("block").in_bulk(list(tx_ids))
    return confirmed_txs_json([rows[i] for i in tx_ids])


def address_txs_chain(address: str, last_seen_txid: str | None = None) -> list[dict[str, Any]]:
    """GET /address/:address/txs/chain[/:last_seen_txid]: 25 confirmed transactions, newest
    first, after `last_seen_txid` (keyset; NotFound when that txid is not in the history)."""
    if last_seen_txid is None:
        address_id = Address.objects.filter(address=address).values_list("id", flat=True).first()
        if address_id is None:
            return []
        after = None
    else:
        address_id, after = history_cursor(address, last_seen_txid)
    return _txs_json([r[0] for r in _history(address_id, after, TXS_PER_PAGE)])


def address_txs_mempool(address: str) -> list[dict[str, Any]]:
    """GET /address/:address/txs/mempool: up to 50 unconfirmed transactions, newest first."""
    return mempool_txs_json(_mempool_entries(address)[:MEMPOOL_TXS])


def address_txs(address: str) -> list[dict[str, Any]]:
    """GET /address/:address/txs: up to 50 mempool transactions then the first 25 confirmed."""
    return address_txs_mempool(address) + address_txs_chain(address)


def address_utxos(address: str) -> list[dict[str, Any]]:
    """GET /address/:address/utxo: [{txid, vout, status, value}], newest first: confirmed
    unspent outputs not spent in the mempool, plus unspent mempool outputs to the address."""
    rows = list(
        TxOutput.objects.filter(address=address, spent_by_txid__isnull=True).values_list(
            "tx__txid", "index", "value", "tx__height", "tx__position", "tx__block__hash",
            "tx__block__timestamp",
        )[: MAX_UTXOS + 1]
    )  # fmt: skip
    if len(rows) > MAX_UTXOS:
        raise InvalidInput(
            f"Too many unspent outputs (more than {MAX_UTXOS}); "
            "page the history with /txs/chain instead"
        )
    view = mempool.view()
    rows.sort(key=lambda r: (-r[3], -r[4], r[1]))
    result: list[dict[str, Any]] = []
    for entry in _mempool_entries(address):
        for vout, (out, addr) in enumerate(zip(entry.tx.outputs, entry.addresses, strict=True)):
            if addr == address and (entry.txid, vout) not in view.spends:
                result.append(
                    {"txid": entry.txid, "vout": vout, "status": dict(UNCONFIRMED),
                     "value": out.value}
                )  # fmt: skip
    for txid, vout, value, height, _pos, block_hash, block_time in rows:
        if (txid, vout) in view.spends:
            continue
        result.append(
            {"txid": txid, "vout": vout,
             "status": confirmed_status(height, block_hash, block_time), "value": value}
        )  # fmt: skip
    return result


def address_prefix(prefix: str) -> list[str]:
    """GET /address-prefix/:prefix: up to 10 indexed addresses starting with `prefix`,
    in order (a B-tree range scan: Django adds a pattern_ops index on Postgres)."""
    rows = Address.objects.filter(address__startswith=prefix).order_by("address")
    return list(rows.values_list("address", flat=True)[:PREFIX_RESULTS])


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One line of the history CSV: a confirmed tx and the balance after it."""

    txid: str
    height: int
    block_time: int
    received: int
    sent: int
    balance: int


def history_rows(address: str) -> Iterator[CsvRow]:
    """Every confirmed transaction of `address`, newest first, with the running balance after
    each one (walked back from the current balance); read in keyset chunks of 1,000."""
    row = Address.objects.filter(address=address).values_list("id", "balance").first()
    if row is None:
        return
    address_id, balance = row
    after: tuple[int, int] | None = None
    while True:
        page = _history(address_id, after, CSV_CHUNK)
        if not page:
            return
        meta = _tx_meta([r[0] for r in page])
        for tx_id, height, position, received, sent in page:
            txid, block_time = meta[tx_id]
            yield CsvRow(txid, height, block_time, received, sent, balance)
            balance -= received - sent
            after = (height, position)
        if len(page) < CSV_CHUNK:
            return


def mempool_address_totals(address: str) -> dict[str, int]:
    """Unconfirmed totals of an address: {tx_count, received, sent} (for the address page)."""
    agg = MempoolTxAddress.objects.filter(address=address).aggregate(
        n=Count("txid"), received=Sum("received"), sent=Sum("sent")
    )
    return {"tx_count": agg["n"] or 0, "received": agg["received"] or 0, "sent": agg["sent"] or 0}
