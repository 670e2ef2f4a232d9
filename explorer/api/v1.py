"""Rusty Coin extensions under /api/v1/: supply, chain stats, tickets, chart series and the
address history CSV (streamed in keyset chunks, so a long history never sits in memory)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from explorer.api.http import SHORT_CACHE, endpoint, json_response
from indexer.read import addresses, stats
from indexer.read.parse import parse_address, parse_hash, parse_uint

CSV_HEADER = ("txid", "block_height", "block_time", "received", "sent", "net", "balance")
CSV_LINES_PER_CHUNK = 500


def _query_uint(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    return default if raw is None else parse_uint(raw, f"{name} parameter", maximum)


@endpoint("GET")
def supply(request: HttpRequest) -> HttpResponse:
    """GET /v1/supply"""
    return json_response(stats.supply(), cache=SHORT_CACHE)


@endpoint("GET")
def chain_stats(request: HttpRequest) -> HttpResponse:
    """GET /v1/stats"""
    return json_response(stats.chain_stats(), cache=SHORT_CACHE)


@endpoint("GET")
def tickets(request: HttpRequest) -> HttpResponse:
    """GET /v1/tickets[?blocks=N]"""
    blocks = _query_uint(request, "blocks", 1000, stats.MAX_POINTS)
    return json_response(stats.tickets(blocks), cache=SHORT_CACHE)


@endpoint("GET")
def ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """GET /v1/ticket/:ticket_id"""
    data = stats.ticket(parse_hash(ticket_id, "ticket id"))
    return json_response(data, cache=SHORT_CACHE)


@endpoint("GET")
def chart_daily(request: HttpRequest, name: str) -> HttpResponse:
    """GET /v1/charts/:name[?days=N]"""
    days = _query_uint(request, "days", 365, stats.MAX_POINTS)
    return json_response(stats.daily_series(name, days), cache="public, max-age=60")


@endpoint("GET")
def chart_blocks(request: HttpRequest, name: str) -> HttpResponse:
    """GET /v1/charts/blocks/:name[?count=N]"""
    count = _query_uint(request, "count", 144, stats.MAX_POINTS)
    return json_response(stats.block_series(name, count), cache=SHORT_CACHE)


def _line(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def csv_lines(address: str) -> Iterator[str]:
    """The CSV export: a header, then one line per confirmed tx, newest first, amounts in
    RUST with 8 decimals and the balance after each transaction."""
    yield _line(CSV_HEADER)
    for row in addresses.history_rows(address):
        when = datetime.fromtimestamp(row.block_time, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield _line(
            (row.txid, row.height, when, stats.rust(row.received), stats.rust(row.sent),
             stats.rust(row.received - row.sent), stats.rust(row.balance))
        )  # fmt: skip


def _next_chunk(lines: Iterator[str]) -> str:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CSV_LINES_PER_CHUNK:
            break
    return "".join(chunk)


async def _async_chunks(lines: Iterator[str]) -> AsyncIterator[str]:
    # thread_sensitive: every chunk runs in the same thread, which holds the DB connection.
    while chunk := await sync_to_async(_next_chunk, thread_sensitive=True)(lines):
        yield chunk


def _sync_chunks(lines: Iterator[str]) -> Iterator[str]:
    while chunk := _next_chunk(lines):
        yield chunk


@endpoint("GET")
def address_csv(request: HttpRequest, address: str) -> StreamingHttpResponse:
    """GET /v1/address/:address/txs.csv"""
    addr = parse_address(address)
    lines = csv_lines(addr)
    content = _async_chunks(lines) if isinstance(request, ASGIRequest) else _sync_chunks(lines)
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{addr}-transactions.csv"'
    response["Cache-Control"] = SHORT_CACHE
    return response
