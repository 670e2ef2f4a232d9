"""Page contexts shared by the views and the live consumer, and the live HTML fragments.

The views render whole pages from these contexts; the `/ws/html/` consumer renders the same
template partials (django-template-partials) with `oob=True`, which adds
`hx-swap-oob="true"` to the partial's root element so htmx's websocket extension swaps it in
by id. Fragments that depend only on the chain tip are rendered once per tip and process,
however many connections ask (the consumers call these from the one sync thread).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html

from explorer.charts import Point, bar_chart, line_chart
from indexer.read import pages
from node.api import describe_header, describe_params, format_amount, genesis_block, get_params

VIEWS = ("home", "block", "tx", "address", "mempool", "tickets")
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, str], str] = OrderedDict()


def _cached(name: str, key: str, render: Any) -> str:
    hit = _cache.get((name, key))
    if hit is not None:
        _cache.move_to_end((name, key))
        return hit
    html: str = render()
    _cache[(name, key)] = html
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return html


def params() -> Any:
    """The served network's ChainParams."""
    return get_params(settings.RUSTY_NETWORK)


def _rust(value: float) -> str:
    return format_amount(int(value))


def _rust_axis(value: float) -> str:
    """A compact axis label in RUST (the chart title names the unit)."""
    return f"{value / 100_000_000:,.6g}"


def fee_histogram_chart(histogram: list[tuple[str, int]]) -> str:
    """The mempool fee histogram (bytes per fee-rate bucket) as an SVG bar chart."""
    return bar_chart(
        "Mempool bytes by fee rate (sat/B)",
        [Point(label, size) for label, size in histogram],
        chart_id="fee-histogram",
    )


# ------------------------------------------------------------------ page contexts


def home_context() -> dict[str, Any]:
    """Stats, mempool card, latest blocks and transactions, and the network's facts."""
    p = params()
    overview = pages.mempool_overview(p.initial_max_block_size, recent=0)
    return {
        "stats": pages.chain_stats(),
        "mempool": overview,
        "fee_chart": fee_histogram_chart(overview.histogram),
        "blocks": pages.latest_blocks(10),
        "txs": pages.latest_txs(10),
        "network": p.name,
        "genesis": describe_header(genesis_block(p).header),
        "params": describe_params(p),
    }


def mempool_context() -> dict[str, Any]:
    """The mempool page: totals, fee histogram, projected blocks, recent arrivals."""
    overview = pages.mempool_overview(params().initial_max_block_size, recent=25)
    return {"mempool": overview, "fee_chart": fee_histogram_chart(overview.histogram)}


def tickets_context() -> dict[str, Any]:
    """The tickets page: price and pool size now and over recent blocks, recent votes."""
    overview = pages.tickets_overview()
    series = overview.price_series
    return {
        "tickets": overview,
        "target": params().ticket_pool_target,
        "price_chart": line_chart(
            "Ticket price by block (RUST)",
            [Point(str(b.height), b.ticket_price) for b in series],
            fmt=_rust,
            axis_fmt=_rust_axis,
            chart_id="ticket-price-chart",
        ),
        "pool_chart": line_chart(
            "Live tickets by block",
            [Point(str(b.height), b.ticket_pool_size) for b in series],
            chart_id="ticket-pool-chart",
        ),
    }


def charts_context() -> dict[str, Any]:
    """The charts page: daily aggregates (Celery task), or per-block series while the chain
    is younger than two days of aggregates."""
    days = pages.daily_series()
    if len(days) >= 2:
        labels = [d.day.isoformat() for d in days]
        series = {
            "tx": [d.tx_count for d in days],
            "size": [d.avg_block_size for d in days],
            "difficulty": [d.difficulty for d in days],
            "fees": [d.total_fees for d in days],
            "price": [d.ticket_price for d in days],
            "supply": [d.supply for d in days],
        }
        basis = "day"
    else:
        blocks = pages.block_series(500)
        labels = [str(b.height) for b in blocks]
        series = {
            "tx": [b.tx_count for b in blocks],
            "size": [b.size for b in blocks],
            "difficulty": [b.difficulty for b in blocks],
            "fees": [b.total_fees for b in blocks],
            "price": [b.ticket_price for b in blocks],
            "supply": [b.supply for b in blocks],
        }
        basis = "block"

    def points(name: str) -> list[Point]:
        return [Point(label, float(v)) for label, v in zip(labels, series[name], strict=True)]

    per = "per day" if basis == "day" else "per block"
    return {
        "basis": basis,
        "charts": [
            line_chart(f"Transactions {per}", points("tx"), chart_id="chart-tx"),
            line_chart(
                "Average block size (bytes)" if basis == "day" else "Block size (bytes)",
                points("size"),
                chart_id="chart-size",
            ),
            line_chart("Difficulty", points("difficulty"), chart_id="chart-difficulty"),
            line_chart(
                f"Fees {per} (RUST)",
                points("fees"),
                fmt=_rust,
                axis_fmt=_rust_axis,
                chart_id="chart-fees",
            ),
            line_chart(
                "Ticket price (RUST)",
                points("price"),
                fmt=_rust,
                axis_fmt=_rust_axis,
                chart_id="chart-price",
            ),
            line_chart(
                "Supply (RUST)",
                points("supply"),
                fmt=_rust,
                axis_fmt=_rust_axis,
                chart_id="chart-supply",
            ),
        ],
    }


# ------------------------------------------------------------------ live fragments


def _partial(template: str, context: dict[str, Any]) -> str:
    return render_to_string(template, {**context, "oob": True})


def home_on_block() -> str:
    """Home: the stats card and the latest blocks and transactions, after a new tip."""
    head = pages.tip()
    key = head.hash if head else ""

    def render() -> str:
        ctx = home_context()
        return "".join(
            _partial(f"explorer/home.html#{name}", ctx)
            for name in ("chain-stats", "latest-blocks", "latest-txs")
        )

    return _cached("home-block", key, render)


def home_stats() -> str:
    """Home: the stats card alone (new statistics)."""
    ctx = {"stats": pages.chain_stats()}
    return _partial("explorer/home.html#chain-stats", ctx)


def home_mempool() -> str:
    """Home: the mempool card and the stats card (both show mempool totals)."""
    ctx = home_context()
    return _partial("explorer/home.html#mempool-card", ctx) + _partial(
        "explorer/home.html#chain-stats", ctx
    )


def mempool_page() -> str:
    """Mempool page: its whole body."""
    return _partial("explorer/mempool.html#mempool-body", mempool_context())


def tickets_on_block() -> str:
    """Tickets page: its whole body after a new block."""
    head = pages.tip()
    return _cached(
        "tickets",
        head.hash if head else "",
        lambda: _partial("explorer/tickets.html#tickets-body", tickets_context()),
    )


def block_confirmations(confirmations: int) -> str:
    """Block page: the confirmation count."""
    return format_html('<span id="block-confirmations">{}</span>', confirmations)


def tx_status(status: dict[str, Any], confirmations: int) -> str:
    """Transaction page: the status line (unconfirmed / confirmed in block h, n confirmations)."""
    return _partial(
        "explorer/tx.html#tx-status", {"status": status, "confirmations": confirmations}
    )


def address_activity(address: str, txid: str, height: int | None) -> str:
    """Address page: fresh totals and a notice naming the new transaction."""
    summary = pages.address_summary(address)
    html = ""
    if summary is not None:
        html += _partial("explorer/address.html#address-summary", {"summary": summary})
    html += render_to_string(
        "explorer/address.html#address-event",
        {"txid": txid, "height": height, "address": address},
    )
    return html


def live_error(message: str) -> str:
    """Any page: the live-update status line showing a refused subscription."""
    return format_html(
        '<span id="live-status" class="live-error" role="status">Live updates: {}</span>',
        message,
    )
