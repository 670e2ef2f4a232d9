"""DailyStat aggregates: per UTC day, recomputed from the Block rows (idempotent).

`update_daily_stats(days)` recomputes the last `days` days that have blocks plus every day
after the newest stored DailyStat (so a fresh database or a long catch-up fills all of
history on the first run), and removes DailyStat rows of recomputed days that no longer
have blocks (after a reorg). Running it twice gives the same rows. Sums come from SQL
GROUP BY on `timestamp / 86400` (integer division on both SQLite and Postgres); the
values "at the end of the day" (ticket price, pool size, supply) are those of the day's
last block; difficulty is the day's average.
"""

from __future__ import annotations

import datetime as dt

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Avg, BigIntegerField, Count, ExpressionWrapper, F, Max, Min, Sum

from indexer.models import Block, DailyStat

DAY = 86_400


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def update_daily_stats(days: int = 3, *, full: bool = False, using: str = DEFAULT_DB_ALIAS) -> int:
    """Recompute DailyStat rows (see the module docstring); the number of days written."""
    if days < 1:
        raise ValueError("days must be at least 1")
    blocks = Block.objects.using(using)
    span = blocks.aggregate(lo=Min("timestamp"), hi=Max("timestamp"))
    stats = DailyStat.objects.using(using)
    if span["lo"] is None:
        stats.all().delete()
        return 0
    first, last = span["lo"] // DAY, span["hi"] // DAY
    start = max(first, last - days + 1)
    newest = stats.aggregate(d=Max("day"))["d"]
    start = first if full or newest is None else min(start, max(first, _day_number(newest)))
    dayn = ExpressionWrapper(F("timestamp") / DAY, output_field=BigIntegerField())
    rows = (
        blocks.filter(timestamp__gte=start * DAY)
        .annotate(dayn=dayn)
        .values("dayn")
        .annotate(
            n=Count("id"),
            txs=Sum("tx_count"),
            size=Sum("size"),
            fees=Sum("total_fees"),
            diff=Avg("difficulty"),
            top=Max("height"),
        )
        .order_by("dayn")
    )
    per_day = list(rows)
    ends = {
        b["height"]: b
        for b in blocks.filter(height__in=[r["top"] for r in per_day]).values(
            "height", "ticket_price", "ticket_pool_size", "supply"
        )
    }
    epoch = dt.date(1970, 1, 1)
    with transaction.atomic(using=using):
        stats.filter(day__gte=epoch + dt.timedelta(days=start)).delete()
        stats.bulk_create(
            [
                DailyStat(
                    day=epoch + dt.timedelta(days=r["dayn"]),
                    block_count=r["n"],
                    tx_count=r["txs"] or 0,
                    total_size=r["size"] or 0,
                    avg_block_size=(r["size"] or 0) / r["n"],
                    difficulty=r["diff"] or 0.0,
                    total_fees=r["fees"] or 0,
                    ticket_price=ends[r["top"]]["ticket_price"],
                    ticket_pool_size=ends[r["top"]]["ticket_pool_size"],
                    supply=ends[r["top"]]["supply"],
                )
                for r in per_day
            ]
        )
    return len(per_day)
