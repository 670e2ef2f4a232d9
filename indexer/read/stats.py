"""Chain-wide figures for /api/v1/ and the home, tickets and charts pages: supply, chain
stats (with a hashrate estimate), ticket figures, chart series from DailyStat and per block.

Whole-table aggregates (total tx count, ticket status counts) are cached per tip hash, so
they are computed once per block, not once per request.
"""

from __future__ import annotations

import calendar
import itertools
from typing import Any, Final

from django.core.cache import cache
from django.db.models import Count, Sum

from indexer.models import Block, DailyStat, MempoolTx, Ticket, TicketEvent, Vote
from indexer.read.chain import tip
from indexer.read.errors import NotFound
from node.params import COIN, MAX_MONEY

HASHRATE_WINDOW: Final = 72
"""Blocks over which the hashrate is estimated (the LWMA difficulty window, SPEC §4)."""
RECENT_VOTES: Final = 20
MAX_POINTS: Final = 5000
"""Most points one chart request may ask for (days or blocks)."""
DAILY_SERIES: Final = {
    "tx-count": ("tx_count", "transactions per day"),
    "block-count": ("block_count", "blocks per day"),
    "block-size": ("avg_block_size", "average block size, bytes"),
    "total-size": ("total_size", "bytes of blocks per day"),
    "difficulty": ("difficulty", "difficulty"),
    "fees": ("total_fees", "fees per day, base units"),
    "ticket-price": ("ticket_price", "ticket price, base units"),
    "ticket-pool-size": ("ticket_pool_size", "live tickets"),
    "supply": ("supply", "coins issued, base units"),
}
BLOCK_SERIES: Final = {
    "size": ("size", "block size, bytes"),
    "tx-count": ("tx_count", "transactions"),
    "difficulty": ("difficulty", "difficulty"),
    "fees": ("total_fees", "fees, base units"),
    "vote-count": ("vote_count", "votes"),
    "ticket-price": ("ticket_price", "ticket price, base units"),
    "ticket-pool-size": ("ticket_pool_size", "live tickets"),
    "supply": ("supply", "coins issued, base units"),
    "interval": ("timestamp", "seconds since the previous block"),
}


def rust(units: int) -> str:
    """Base units as a plain decimal RUST string with 8 decimals (1.50000000)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), COIN)
    return f"{sign}{whole}.{frac:08d}"


def _per_tip(name: str, tip_hash: str, compute: Any) -> Any:
    key = f"rusty:{name}:{tip_hash}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, 3600)
    return value


def supply() -> dict[str, Any]:
    """GET /api/v1/supply: coins issued up to the tip (base units and RUST) and MAX_MONEY."""
    t = tip()
    issued = 0
    if t is not None:
        issued = Block.objects.filter(height=t.height).values_list("supply", flat=True)[0]
    return {
        "height": -1 if t is None else t.height,
        "supply": issued,
        "supply_rust": rust(issued),
        "max_money": MAX_MONEY,
        "max_money_rust": rust(MAX_MONEY),
        "issued_percent": round(100 * issued / MAX_MONEY, 6),
    }


def hashrate(window: int = HASHRATE_WINDOW) -> float:
    """Hashes per second over the last `window` blocks: chainwork added / time taken."""
    rows = list(
        Block.objects.order_by("-height").values_list("chainwork", "timestamp")[: window + 1]
    )
    if len(rows) < 2:
        return 0.0
    (work_new, time_new), (work_old, time_old) = rows[0], rows[-1]
    seconds = max(time_new - time_old, 1)
    return (int(work_new, 16) - int(work_old, 16)) / seconds


def chain_stats() -> dict[str, Any]:
    """GET /api/v1/stats: {height, hash, timestamp, difficulty, hashrate, tx_count,
    avg_block_interval, mempool_count, mempool_vsize, ticket_price, ticket_pool_size,
    supply} (the first keys are also the `stats` group message of the live updates)."""
    t = tip()
    mem = MempoolTx.objects.aggregate(n=Count("id"), size=Sum("size"))
    base: dict[str, Any] = {
        "height": -1,
        "hash": None,
        "timestamp": None,
        "difficulty": 0.0,
        "hashrate": 0.0,
        "tx_count": 0,
        "avg_block_interval": None,
        "mempool_count": mem["n"] or 0,
        "mempool_vsize": mem["size"] or 0,
        "ticket_price": 0,
        "ticket_pool_size": 0,
        "supply": 0,
    }
    if t is None:
        return base
    b = Block.objects.get(height=t.height)
    window = list(
        Block.objects.order_by("-height").values_list("timestamp", flat=True)[: HASHRATE_WINDOW + 1]
    )
    interval = (window[0] - window[-1]) / (len(window) - 1) if len(window) > 1 else None
    base.update(
        height=b.height,
        hash=b.hash,
        timestamp=b.timestamp,
        difficulty=b.difficulty,
        hashrate=_per_tip("hashrate", b.hash, hashrate),
        tx_count=_per_tip(
            "txcount", b.hash, lambda: Block.objects.aggregate(n=Sum("tx_count"))["n"] or 0
        ),
        avg_block_interval=interval,
        ticket_price=b.current_ticket_price,
        ticket_pool_size=b.ticket_pool_size,
        supply=b.supply,
    )
    return base


def _status_counts() -> dict[str, int]:
    rows = Ticket.objects.values_list("status").annotate(n=Count("id")).order_by()
    return dict(rows.values_list("status", "n"))


def _change_points(rows: list[tuple[int, int]]) -> list[list[int]]:
    """[[height, value]] where the value changes (and the last point), oldest first."""
    points: list[list[int]] = []
    for height, value in rows:
        if not points or points[-1][1] != value:
            points.append([height, value])
    if rows and points[-1][0] != rows[-1][0]:
        points.append(list(rows[-1]))
    return points


def tickets(blocks: int = 1000) -> dict[str, Any]:
    """GET /api/v1/tickets: {price, pool_size, status_counts, price_history,
    pool_size_history, recent_votes}; `price` is what a purchase in the next block pays
    (the node's getticketprice), histories are [[height, value]] over the last `blocks`
    blocks (price: what each block's purchases paid, where it changes), votes the latest
    20 included in blocks."""
    t = tip()
    if t is None:
        return {
            "price": 0, "pool_size": 0, "status_counts": {}, "price_history": [],
            "pool_size_history": [], "recent_votes": [],
        }  # fmt: skip
    rows = list(
        Block.objects.filter(height__gt=t.height - blocks)
        .order_by("height")
        .values_list("height", "ticket_price", "ticket_pool_size")
    )
    votes = (
        Vote.objects.select_related("block")
        .order_by("-block__height", "position")
        .values_list("block__height", "block__hash", "position", "ticket_id", "vote_bits")[
            :RECENT_VOTES
        ]
    )
    head = Block.objects.get(height=t.height)
    return {
        "price": head.current_ticket_price,
        "pool_size": rows[-1][2],
        "status_counts": _per_tip("ticketcounts", t.hash, _status_counts),
        "price_history": _change_points([(h, p) for h, p, _ in rows]),
        "pool_size_history": [[h, n] for h, _, n in rows],
        "recent_votes": [
            {
                "block_height": h,
                "block_hash": bh,
                "position": pos,
                "ticket_id": tid,
                "vote_bits": bits,
            }
            for h, bh, pos, tid, bits in votes
        ],
    }


def ticket(ticket_id: str) -> dict[str, Any]:
    """GET /api/v1/ticket/:id: one ticket and its state changes [{height, status}]."""
    row = Ticket.objects.filter(ticket_id=ticket_id).first()
    if row is None:
        raise NotFound("Ticket not found")
    events = TicketEvent.objects.filter(ticket_id=row.id).order_by("height", "id")
    return {
        "ticket_id": row.ticket_id,
        "purchase_height": row.purchase_height,
        "price": row.price,
        "status": row.status,
        "status_height": row.status_height,
        "reward_address": row.reward_address,
        "vote_block_height": row.vote_block_height,
        "events": [{"height": h, "status": s} for h, s in events.values_list("height", "status")],
    }


def daily_series(name: str, days: int = 365) -> dict[str, Any]:
    """GET /api/v1/charts/:name: the last `days` DailyStat values of one series, oldest first,
    as [[unix time of the UTC day, value]]."""
    if name not in DAILY_SERIES:
        raise NotFound(f"Unknown chart; charts: {', '.join(DAILY_SERIES)}")
    field, unit = DAILY_SERIES[name]
    rows = list(
        DailyStat.objects.order_by("-day").values_list("day", field)[: min(days, MAX_POINTS)]
    )
    points = [[calendar.timegm(day.timetuple()), value] for day, value in reversed(rows)]
    return {"chart": name, "unit": unit, "points": points}


def block_series(name: str, count: int = 144) -> dict[str, Any]:
    """GET /api/v1/charts/blocks/:name: one value per block for the last `count` blocks,
    oldest first, as [[height, value]] (interval: seconds since the previous block)."""
    if name not in BLOCK_SERIES:
        raise NotFound(f"Unknown block chart; charts: {', '.join(BLOCK_SERIES)}")
    field, unit = BLOCK_SERIES[name]
    n = min(count, MAX_POINTS)
    extra = 1 if name == "interval" else 0
    rows = list(Block.objects.order_by("-height").values_list("height", field)[: n + extra])
    rows.reverse()
    if name == "interval":
        points = [[h, t - prev[1]] for prev, (h, t) in itertools.pairwise(rows)]
    else:
        points = [[h, v] for h, v in rows]
    return {"chart": f"blocks/{name}", "unit": unit, "points": points[-n:] if n else []}
