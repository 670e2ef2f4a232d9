"""Read-only selectors for the explorer's HTML pages and its live (websocket) consumer.

Everything here reads the indexer's SQL models (contract 1) and returns model instances or
small frozen dataclasses for the templates. Pagination is by page number where the set is
small and bounded (a block's transactions) and by keyset where it is not (an address's
history: rows strictly older than a given (height, position), newest first), so a deep page
costs the same as the first. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum

from indexer.models import (
    Address,
    AddressTx,
    Block,
    DailyStat,
    MempoolTx,
    MempoolTxAddress,
    Ticket,
    Transaction,
    TxOutput,
    Vote,
)
from node import api
from node.crypto.merkle import merkle_proof as build_merkle_proof
from node.types.tx import Tx, TxType

HASHRATE_WINDOW = 120  # blocks, as bitcoind's getnetworkhashps default
# Fee-rate buckets (sat/byte, lower bounds) of the mempool histogram.
FEE_BUCKETS: tuple[int, ...] = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233)
MAX_PROJECTED_BLOCKS = 8


class CursorNotFound(LookupError):
    """The keyset cursor (a txid) is not in this address's confirmed history."""


# ------------------------------------------------------------------ blocks


def tip() -> Block | None:
    """The highest indexed block, or None before the first one."""
    return Block.objects.order_by("-height").first()


def tip_height() -> int | None:
    """The height of the highest indexed block."""
    return Block.objects.order_by("-height").values_list("height", flat=True).first()


def block_by_hash(block_hash: str) -> Block | None:
    """The main-chain block with this hash (lowercase hex)."""
    return Block.objects.filter(hash=block_hash).first()


def block_by_height(height: int) -> Block | None:
    """The main-chain block at `height`."""
    return Block.objects.filter(height=height).first()


def latest_blocks(limit: int = 10) -> list[Block]:
    """The newest `limit` blocks, newest first."""
    return list(Block.objects.order_by("-height")[:limit])


def block_txs(block: Block, offset: int, limit: int) -> list[Transaction]:
    """The block's transactions at positions [offset, offset + limit)."""
    return list(
        Transaction.objects.filter(block=block, position__gte=offset, position__lt=offset + limit)
        .order_by("position")
        .defer("raw")
    )


def block_votes(block: Block) -> list[Vote]:
    """The ticket votes the block carries, in block order."""
    return list(Vote.objects.filter(block=block).order_by("position"))


# ------------------------------------------------------------------ transactions


def latest_txs(limit: int = 10) -> list[Transaction]:
    """The newest confirmed transactions (newest block first, then block order reversed)."""
    return list(Transaction.objects.order_by("-height", "-position").defer("raw")[:limit])


@dataclass(frozen=True, slots=True)
class TxIo:
    """One input or output as the transaction page shows it."""

    index: int
    value: int | None
    address: str | None
    script_type: str = ""
    prev_txid: str = ""
    prev_vout: int = 0
    spent_by_txid: str | None = None
    is_coinbase: bool = False
    burned: bool = False
    """An output whose spender is a SLASH that burned it (no spending input)."""
    label: str = ""
    """What the output is for the stake rules (stake, stake reward); see read.stake."""
    label_ticket: str = ""


@dataclass(frozen=True, slots=True)
class TxView:
    """A transaction, confirmed (`block` set) or waiting in the mempool."""

    txid: str
    tx_type: int
    size: int
    fee: int | None
    raw_hex: str
    inputs: list[TxIo]
    outputs: list[TxIo]
    version: int
    lock_time: int
    block: Block | None = None
    position: int | None = None
    is_coinbase: bool = False
    first_seen: int | None = None
    wtxid: str = ""
    output_total: int = 0

    @property
    def tx_type_name(self) -> str:
        """The tx_type's SPEC name (STANDARD, COINBASE, TICKET_PURCHASE, ...)."""
        return tx_type_name(self.tx_type)

    @property
    def feerate(self) -> float | None:
        """Fee per byte (display only)."""
        if self.fee is None or self.size <= 0:
            return None
        return self.fee / self.size


def tx_type_name(tx_type: int) -> str:
    """The SPEC name of a tx_type number, or 'TYPE n' for an unknown one."""
    try:
        return TxType(tx_type).name
    except ValueError:
        return f"TYPE {tx_type}"


def tx_view(txid: str, hrp: str) -> TxView | None:
    """The confirmed transaction `txid`, else the mempool one, else None."""
    tx = Transaction.objects.select_related("block").filter(txid=txid).first()
    if tx is not None:
        inputs = [
            TxIo(i.index, i.value, i.address, prev_txid=i.prev_txid, prev_vout=i.prev_vout,
                 is_coinbase=tx.is_coinbase)
            for i in tx.inputs.order_by("index")
        ]  # fmt: skip
        outputs = [
            TxIo(o.index, o.value, o.address, script_type=o.script_type,
                 spent_by_txid=o.spent_by_txid,
                 burned=o.spent_by_txid is not None and o.spent_by_index is None)
            for o in tx.outputs.order_by("index")
        ]  # fmt: skip
        return TxView(
            txid=tx.txid, tx_type=tx.tx_type, size=tx.size, fee=tx.fee,
            raw_hex=bytes(tx.raw).hex(), inputs=inputs, outputs=outputs, version=tx.version,
            lock_time=tx.lock_time, block=tx.block, position=tx.position,
            is_coinbase=tx.is_coinbase, wtxid=tx.wtxid, output_total=tx.output_total,
        )  # fmt: skip
    pooled = MempoolTx.objects.filter(txid=txid).first()
    return None if pooled is None else _mempool_view(pooled, hrp)


def _mempool_view(pooled: MempoolTx, hrp: str) -> TxView:
    raw = bytes(pooled.raw)
    tx = Tx.deserialize(raw)
    prevouts = {
        (o.tx.txid, o.index): o
        for o in TxOutput.objects.select_related("tx").filter(
            tx__txid__in=[i.prevout.txid.hex() for i in tx.inputs]
        )
    }
    inputs = []
    for n, txin in enumerate(tx.inputs):
        prev = prevouts.get((txin.prevout.txid.hex(), txin.prevout.vout))
        value, address = (None, None) if prev is None else (prev.value, prev.address)
        inputs.append(
            TxIo(n, value, address, prev_txid=txin.prevout.txid.hex(), prev_vout=txin.prevout.vout)
        )
    outputs = [
        TxIo(n, out.value, api.script_address(out.script_pubkey, hrp),
             script_type=api.script_kind(out.script_pubkey))
        for n, out in enumerate(tx.outputs)
    ]  # fmt: skip
    return TxView(
        txid=pooled.txid, tx_type=pooled.tx_type, size=pooled.size, fee=pooled.fee,
        raw_hex=raw.hex(), inputs=inputs, outputs=outputs, version=tx.version,
        lock_time=tx.lock_time, first_seen=pooled.first_seen, wtxid=tx.wtxid.hex(),
        output_total=sum(o.value for o in tx.outputs),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MerkleProofView:
    """Esplora's merkle-proof shape: the block height, the leaf position and the siblings."""

    block_height: int
    pos: int
    merkle: list[str]


def merkle_proof(block: Block, position: int) -> MerkleProofView:
    """The inclusion proof of the transaction at `position` (leaves = the block's wtxids)."""
    wtxids = Transaction.objects.filter(block=block).order_by("position")
    leaves = [bytes.fromhex(w) for w in wtxids.values_list("wtxid", flat=True)]
    proof = build_merkle_proof(leaves, position)
    return MerkleProofView(block.height, position, [s.hex() for s in proof.siblings])


def tx_status(txid: str) -> dict[str, Any]:
    """Where `txid` is: {txid, known, confirmed, block_height, block_hash} (contract 2 terms)."""
    row = Transaction.objects.filter(txid=txid).values_list("height", "block__hash").first()
    if row is not None:
        return {
            "txid": txid,
            "known": True,
            "confirmed": True,
            "block_height": row[0],
            "block_hash": row[1],
        }
    pooled = MempoolTx.objects.filter(txid=txid).exists()
    return {
        "txid": txid,
        "known": pooled,
        "confirmed": False,
        "block_height": None,
        "block_hash": None,
    }


# ------------------------------------------------------------------ addresses


def address_summary(address: str) -> Address | None:
    """The address's running totals, or None if it never appeared on the main chain."""
    return Address.objects.filter(address=address).first()


def empty_address(address: str) -> Address:
    """An unsaved all-zero Address row (for an address seen only in the mempool)."""
    return Address(address=address)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One keyset page of an address's history; `next_after` is the cursor of the next page."""

    rows: list[AddressTx]
    next_after: str | None


def address_history(address: Address, after: str | None, limit: int) -> HistoryPage:
    """`limit` history rows of `address`, newest first, strictly older than the row of the
    transaction `after` (a txid from this history). Raises CursorNotFound for a txid that is
    not in the history."""
    rows = AddressTx.objects.filter(address=address)
    if after is not None:
        cursor = rows.filter(tx__txid=after).values_list("height", "position").first()
        if cursor is None:
            raise CursorNotFound(after)
        height, position = cursor
        rows = rows.filter(height__lte=height).exclude(height=height, position__gte=position)
    page = list(
        rows.select_related("tx").defer("tx__raw").order_by("-height", "-position")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return HistoryPage(page, page[-1].tx.txid if more and page else None)


def address_utxos(address: str, limit: int = 100) -> list[TxOutput]:
    """Up to `limit` unspent outputs paying `address`, newest first."""
    return list(
        TxOutput.objects.filter(address=address, spent_by_txid__isnull=True)
        .select_related("tx")
        .defer("tx__raw", "script_pubkey")
        .order_by("-tx__height", "-tx__position", "index")[:limit]
    )


def address_mempool(address: str, limit: int = 50) -> list[MempoolTxAddress]:
    """Unconfirmed transactions touching `address` (from the latest mempool snapshot)."""
    return list(MempoolTxAddress.objects.filter(address=address).order_by("txid")[:limit])


def address_csv_rows(address: Address, batch: int = 2000) -> Iterator[tuple[Any, ...]]:
    """(txid, height, block time, received, sent, net) for the whole history, newest first,
    read in keyset batches so memory stays flat for any history length."""
    after: tuple[int, int] | None = None
    while True:
        rows = AddressTx.objects.filter(address=address)
        if after is not None:
            rows = rows.filter(height__lte=after[0]).exclude(
                height=after[0], position__gte=after[1]
            )
        chunk = list(
            rows.order_by("-height", "-position").values_list(
                "tx__txid", "height", "position", "tx__block__timestamp", "received", "sent"
            )[:batch]
        )
        for txid, height, _pos, timestamp, received, sent in chunk:
            yield txid, height, timestamp, received, sent, received - sent
        if len(chunk) < batch:
            return
        after = (chunk[-1][1], chunk[-1][2])


# ------------------------------------------------------------------ search


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A search completion: `kind` is block, tx or address; `value` the full identifier."""

    kind: str
    value: str
    detail: str = ""


def suggest_hex(prefix: str, limit: int = 8) -> list[Suggestion]:
    """Blocks and transactions (confirmed, then mempool) whose hash starts with `prefix`."""
    found = [
        Suggestion("block", h, f"height {height}")
        for h, height in Block.objects.filter(hash__startswith=prefix).values_list(
            "hash", "height"
        )[:limit]
    ]
    found += [
        Suggestion("tx", t, f"block {height}")
        for t, height in Transaction.objects.filter(txid__startswith=prefix).values_list(
            "txid", "height"
        )[: limit - len(found)]
    ]
    found += [
        Suggestion("tx", t, "unconfirmed")
        for t in MempoolTx.objects.filter(txid__startswith=prefix).values_list("txid", flat=True)[
            : limit - len(found)
        ]
    ]
    return found[:limit]


def suggest_address(prefix: str, limit: int = 8) -> list[Suggestion]:
    """Known addresses starting with `prefix` (lowercase)."""
    return [
        Suggestion("address", a, f"{n} tx")
        for a, n in Address.objects.filter(address__startswith=prefix)
        .order_by("address")
        .values_list("address", "tx_count")[:limit]
    ]


# ------------------------------------------------------------------ chain stats


def hashrate_estimate(head: Block, window: int = HASHRATE_WINDOW) -> float | None:
    """Hashes per second over the last `window` blocks: work done / time taken (as
    bitcoind's getnetworkhashps); None with fewer than two blocks or no elapsed time."""
    start = Block.objects.filter(height=max(head.height - window, 0)).first()
    if start is None or start.height == head.height:
        return None
    elapsed = head.timestamp - start.timestamp
    if elapsed <= 0:
        return None
    work = int(head.chainwork or "0", 16) - int(start.chainwork or "0", 16)
    return work / elapsed


@dataclass(frozen=True, slots=True)
class ChainStats:
    """The home page's chain summary."""

    height: int | None
    difficulty: float
    hashrate: float | None
    ticket_price: int
    ticket_pool_size: int
    supply: int
    mempool_count: int
    mempool_size: int
    mempool_fees: int
    tip_hash: str = ""
    tip_time: int | None = None


def chain_stats() -> ChainStats:
    """Height, difficulty, hashrate, ticket price and pool, supply and mempool totals."""
    head = tip()
    pool = MempoolTx.objects.aggregate(n=Count("id"), size=Sum("size"), fees=Sum("fee"))
    if head is None:
        return ChainStats(None, 0.0, None, 0, 0, 0, pool["n"], pool["size"] or 0, 0)
    return ChainStats(
        height=head.height,
        difficulty=head.difficulty,
        hashrate=hashrate_estimate(head),
        ticket_price=head.current_ticket_price,
        ticket_pool_size=head.ticket_pool_size,
        supply=head.supply,
        mempool_count=pool["n"],
        mempool_size=pool["size"] or 0,
        mempool_fees=pool["fees"] or 0,
        tip_hash=head.hash,
        tip_time=head.timestamp,
    )


def live_stats() -> dict[str, Any]:
    """The stats in contract 2's `rusty.stats` shape (for a websocket client's first frame)."""
    s = chain_stats()
    return {
        "height": s.height,
        "difficulty": s.difficulty,
        "mempool_count": s.mempool_count,
        "mempool_vsize": s.mempool_size,
        "ticket_price": s.ticket_price,
        "ticket_pool_size": s.ticket_pool_size,
        "supply": s.supply,
    }


# ------------------------------------------------------------------ mempool


def bucket_label(low: int, index: int) -> str:
    """The display label of histogram bucket `index` whose lower bound is `low`."""
    if index + 1 < len(FEE_BUCKETS):
        return f"{low}-{FEE_BUCKETS[index + 1]}"
    return f"{low}+"


def fee_histogram(entries: Iterable[tuple[float, int]]) -> list[tuple[str, int]]:
    """(bucket label, total bytes) over FEE_BUCKETS for (feerate, size) pairs."""
    totals = [0] * len(FEE_BUCKETS)
    for feerate, size in entries:
        index = 0
        for i, low in enumerate(FEE_BUCKETS):
            if feerate >= low:
                index = i
        totals[index] += size
    return [(bucket_label(low, i), totals[i]) for i, low in enumerate(FEE_BUCKETS)]


@dataclass(frozen=True, slots=True)
class ProjectedBlock:
    """A block the mempool would fill, best fee rates first (mempool.space's mempool-blocks)."""

    tx_count: int
    size: int
    total_fees: int
    min_feerate: float
    max_feerate: float


def project_blocks(
    entries: Iterable[tuple[float, int, int]], block_size: int, max_blocks: int
) -> list[ProjectedBlock]:
    """Greedy projection of (feerate, size, fee) entries, highest fee rate first, into
    blocks of at most `block_size` bytes; the last block takes whatever remains."""
    ordered = sorted(entries, key=lambda e: -e[0])
    blocks: list[ProjectedBlock] = []
    count = size = fees = 0
    low = high = 0.0
    for feerate, tx_size, fee in ordered:
        if count and size + tx_size > block_size and len(blocks) < max_blocks - 1:
            blocks.append(ProjectedBlock(count, size, fees, low, high))
            count = size = fees = 0
        if count == 0:
            high = feerate
        low = feerate
        count += 1
        size += tx_size
        fees += fee
    if count:
        blocks.append(ProjectedBlock(count, size, fees, low, high))
    return blocks


def project_histogram(
    histogram: Sequence[Sequence[float]], block_size: int, max_blocks: int
) -> list[ProjectedBlock]:
    """project_blocks over a contract-2 fee histogram ([[feerate, vsize], ...]); fees are
    estimated as feerate x size since the histogram carries no per-tx fees."""
    return project_blocks(
        ((float(rate), int(size), int(rate * size)) for rate, size in histogram),
        block_size,
        max_blocks,
    )


@dataclass(frozen=True, slots=True)
class MempoolOverview:
    """The mempool page's data."""

    count: int
    size: int
    total_fees: int
    histogram: list[tuple[str, int]]
    projected: list[ProjectedBlock]
    recent: list[MempoolTx]


def mempool_overview(block_size: int, recent: int = 25) -> MempoolOverview:
    """Totals, fee histogram, projected blocks and the most recent arrivals."""
    entries = list(MempoolTx.objects.values_list("feerate", "size", "fee"))
    return MempoolOverview(
        count=len(entries),
        size=sum(e[1] for e in entries),
        total_fees=sum(e[2] for e in entries),
        histogram=fee_histogram((e[0], e[1]) for e in entries),
        projected=project_blocks(entries, block_size, MAX_PROJECTED_BLOCKS),
        recent=list(MempoolTx.objects.defer("raw").order_by("-first_seen", "txid")[:recent]),
    )


# ------------------------------------------------------------------ tickets and charts


@dataclass(frozen=True, slots=True)
class TicketsOverview:
    """The tickets page's data."""

    price: int
    pool_size: int
    by_status: dict[str, int]
    recent_votes: list[Vote]
    price_series: list[Block]


def tickets_overview(series_blocks: int = 200, votes: int = 20) -> TicketsOverview:
    """Current price and pool size, ticket counts by status, recent votes, price history."""
    head = tip()
    counts = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    return TicketsOverview(
        price=head.current_ticket_price if head else 0,
        pool_size=head.ticket_pool_size if head else 0,
        by_status={str(k): int(v) for k, v in counts.items()},
        recent_votes=list(
            Vote.objects.select_related("block").order_by("-block__height", "position")[:votes]
        ),
        price_series=block_series(series_blocks),
    )


def block_series(limit: int = 200) -> list[Block]:
    """The last `limit` blocks in ascending height (for per-block charts)."""
    rows = list(
        Block.objects.order_by("-height").only(
            "height", "timestamp", "size", "difficulty", "tx_count", "total_fees",
            "ticket_price", "ticket_pool_size", "supply",
        )[:limit]
    )  # fmt: skip
    rows.reverse()
    return rows


def daily_series(days: int = 365) -> list[DailyStat]:
    """The last `days` DailyStat rows in ascending date order."""
    rows = list(DailyStat.objects.order_by("-day")[:days])
    rows.reverse()
    return rows
