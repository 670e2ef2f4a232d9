"""Explorer pages (thin: the read layer supplies the data, fragments.py the shared contexts).

Every page works without JavaScript (real links, GET forms); htmx adds search suggestions
and the websocket extension live updates. Malformed input answers a 400 page saying what is
wrong, a well-formed identifier that names nothing answers a 404 page, and nothing a visitor
types reaches the database unvalidated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from explorer import fragments
from explorer.qr import address_qr_svg
from explorer.search import QueryKind, classify
from indexer.read import pages, stake
from indexer.read.errors import InvalidInput
from indexer.read.parse import MAX_INT, hrp, parse_address, parse_hash, parse_height
from indexer.services import node_status

TXS_PER_PAGE = 25
HISTORY_PER_PAGE = 25
UTXO_LIMIT = 100
SUGGESTIONS = 8


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """The 400 page with a message saying what is wrong (never the raw input)."""
    return render(request, "400.html", {"message": message}, status=400)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    """The 404 page with a message saying what was looked for."""
    return render(request, "404.html", {"message": message, "path": request.path}, status=404)


def _page_number(request: HttpRequest) -> int:
    page = pages_uint(request.GET.get("page", "1"), "page number")
    if page < 1:
        raise InvalidInput("Invalid page number: pages start at 1")
    return page


def pages_uint(raw: str, what: str) -> int:
    """A decimal integer from the query string (0 .. 2^31-1) or InvalidInput."""
    if not raw.isdigit() or not raw.isascii() or len(raw) > 10 or int(raw) > MAX_INT:
        raise InvalidInput(f"Invalid {what}: expected a whole number")
    return int(raw)


# ------------------------------------------------------------------ pages


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Chain stats, mempool, latest blocks and transactions (live), node card, network."""
    context = fragments.home_context()
    context["node"] = node_status()
    return render(request, "explorer/home.html", context)


@require_safe
def node_card(request: HttpRequest) -> HttpResponse:
    """The node-status card alone, polled by htmx every few seconds."""
    return render(request, "explorer/home.html#node-status", {"node": node_status()})


@require_safe
def block(request: HttpRequest, block_hash: str) -> HttpResponse:
    """A block: header fields, votes, paginated transactions, confirmations, neighbours."""
    try:
        block_hash = parse_hash(block_hash, "block hash")
        page = _page_number(request)
    except InvalidInput as exc:
        return bad_request(request, str(exc))
    found = pages.block_by_hash(block_hash)
    if found is None:
        return not_found(request, "No block with that hash is on the main chain.")
    page_count = max(1, -(-found.tx_count // TXS_PER_PAGE))
    if page > page_count:
        return not_found(request, f"This block's transactions fill {page_count} page(s).")
    offset = (page - 1) * TXS_PER_PAGE
    tip = pages.tip_height()
    coinbase = pages.block_txs(found, 0, 1)
    context = {
        "created": coinbase[0].output_total - found.total_fees if coinbase else None,
        "per_vote": found.subsidy * stake.VOTE_REWARD_PERCENT // 100,
        "blk": found,
        "bits_hex": f"0x{found.bits:08x}",
        "confirmations": (tip - found.height + 1) if tip is not None else 1,
        "prev_block": pages.block_by_height(found.height - 1) if found.height else None,
        "next_block": pages.block_by_height(found.height + 1),
        "votes": pages.block_votes(found),
        "txs": pages.block_txs(found, offset, TXS_PER_PAGE),
        "page": page,
        "pages": page_count,
        "first_index": offset,
        "last_index": min(offset + TXS_PER_PAGE, found.tx_count),
    }
    return render(request, "explorer/block.html", context)


@require_safe
def block_height(request: HttpRequest, height: str) -> HttpResponse:
    """/block-height/<h>: redirects to the main-chain block at that height."""
    try:
        value = parse_height(height)
    except InvalidInput as exc:
        return bad_request(request, str(exc))
    found = pages.block_by_height(value)
    if found is None:
        tip = pages.tip_height()
        where = "no block is indexed yet" if tip is None else f"the tip is at height {tip}"
        return not_found(request, f"There is no block at height {value}: {where}.")
    return redirect("explorer:block", found.hash)


@require_safe
def tx(request: HttpRequest, txid: str) -> HttpResponse:
    """A transaction: inputs/outputs, fee and rate, status and live confirmations, raw hex,
    Merkle proof."""
    try:
        txid = parse_hash(txid, "transaction id")
    except InvalidInput as exc:
        return bad_request(request, str(exc))
    view = pages.tx_view(txid, hrp())
    if view is None:
        return not_found(request, "No transaction with that id is in a block or the mempool.")
    status = {
        "txid": txid,
        "known": True,
        "confirmed": view.block is not None,
        "block_height": view.block.height if view.block else None,
        "block_hash": view.block.hash if view.block else None,
    }
    confirmations = 0
    proof = None
    if view.block is not None and view.position is not None:
        tip = pages.tip_height() or view.block.height
        confirmations = tip - view.block.height + 1
        proof = pages.merkle_proof(view.block, view.position)
    context = {
        "tx": stake.annotate(view, fragments.params()),
        "ticket": stake.ticket_note(view),
        "status": status,
        "confirmations": confirmations,
        "proof": proof,
    }
    return render(request, "explorer/tx.html", context)


@require_safe
def address(request: HttpRequest, address: str) -> HttpResponse:
    """An address: totals, QR code, keyset-paginated history, UTXOs, mempool, CSV link."""
    try:
        address = parse_address(address)
        after_raw = request.GET.get("after")
        after = None if after_raw is None else parse_hash(after_raw, "history cursor (txid)")
    except InvalidInput as exc:
        return bad_request(request, str(exc))
    summary = pages.address_summary(address)
    pending = pages.address_mempool(address)
    if summary is None and not pending:
        return not_found(
            request,
            "That is a valid address of this network, but it has never appeared in a block "
            "or in the mempool.",
        )
    history = pages.HistoryPage([], None)
    utxos: list[Any] = []
    if summary is not None:
        try:
            history = pages.address_history(summary, after, HISTORY_PER_PAGE)
        except pages.CursorNotFound:
            return not_found(request, "That transaction is not in this address's history.")
        utxos = pages.address_utxos(address, UTXO_LIMIT)
    context = {
        "address": address,
        "summary": summary or pages.empty_address(address),
        "pending": pending,
        "history": history,
        "after": after,
        "utxos": utxos,
        "utxo_limit": UTXO_LIMIT,
        "qr": address_qr_svg(address),
    }
    return render(request, "explorer/address.html", context)


class _Echo:
    """A file-like object whose write returns the line (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def _decimal(units: int) -> str:
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 100_000_000)
    return f"{sign}{whole}.{frac:08d}"


@require_safe
def address_csv(request: HttpRequest, address: str) -> HttpResponse:
    """The whole confirmed history of an address as CSV, streamed in keyset batches."""
    try:
        address = parse_address(address)
    except InvalidInput as exc:
        return bad_request(request, str(exc))
    summary = pages.address_summary(address)
    if summary is None:
        return not_found(request, "That address has no confirmed transactions.")
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            ["txid", "height", "time_utc", "received_rust", "sent_rust", "net_rust"]
        )
        for txid, height, timestamp, received, sent, net in pages.address_csv_rows(summary):
            yield writer.writerow(
                [txid, height, timestamp, _decimal(received), _decimal(sent), _decimal(net)]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{address}.csv"'
    return response


@require_safe
def mempool(request: HttpRequest) -> HttpResponse:
    """Recent unconfirmed transactions, fee histogram and the projected next blocks."""
    return render(request, "explorer/mempool.html", fragments.mempool_context())


@require_safe
def tickets(request: HttpRequest) -> HttpResponse:
    """Ticket price and pool size (now and charted), counts by status, recent votes."""
    return render(request, "explorer/tickets.html", fragments.tickets_context())


@require_safe
def charts(request: HttpRequest) -> HttpResponse:
    """Transactions, block size, difficulty, fees, ticket price and supply over time."""
    return render(request, "explorer/charts.html", fragments.charts_context())


# ------------------------------------------------------------------ search


def _url(kind: str, value: str) -> str:
    name = {"block": "explorer:block", "tx": "explorer:tx", "address": "explorer:address"}
    return reverse(name[kind], args=[value])


def _suggestions(found: list[pages.Suggestion]) -> list[dict[str, str]]:
    return [
        {"kind": s.kind, "value": s.value, "detail": s.detail, "url": _url(s.kind, s.value)}
        for s in found
    ]


def _lookup(query_kind: QueryKind, value: str) -> list[pages.Suggestion]:
    """What a well-formed query names (exact matches first, then completions)."""
    if query_kind is QueryKind.HEIGHT:
        found = pages.block_by_height(int(value))
        return [] if found is None else [pages.Suggestion("block", found.hash, f"height {value}")]
    if query_kind is QueryKind.HASH:
        matches = []
        if pages.block_by_hash(value) is not None:
            matches.append(pages.Suggestion("block", value, "block"))
        status = pages.tx_status(value)
        if status["known"]:
            detail = f"block {status['block_height']}" if status["confirmed"] else "unconfirmed"
            matches.append(pages.Suggestion("tx", value, detail))
        return matches
    if query_kind is QueryKind.ADDRESS:
        return [pages.Suggestion("address", value, "address")]
    if query_kind is QueryKind.HEX_PREFIX:
        return pages.suggest_hex(value, SUGGESTIONS)
    if query_kind is QueryKind.ADDRESS_PREFIX:
        return pages.suggest_address(value, SUGGESTIONS)
    return []


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """GET /search?q=: go straight to the one thing the query names, list the candidates
    when a prefix matches several, or explain what is wrong."""
    raw = request.GET.get("q", "")
    query = classify(raw, hrp())
    context: dict[str, Any] = {"search_query": raw[:100], "suggestions": [], "message": ""}
    if query.kind is QueryKind.EMPTY:
        return render(request, "explorer/search.html", context)
    if query.kind is QueryKind.MALFORMED:
        context["message"] = query.problem
        return render(request, "explorer/search.html", context, status=400)
    if query.kind is QueryKind.ADDRESS:
        return redirect("explorer:address", query.value)
    found = _lookup(query.kind, query.value)
    if len(found) == 1:
        return redirect(_url(found[0].kind, found[0].value))
    if not found:
        context["message"] = _nothing_found(query.kind, query.value)
        return render(request, "explorer/search.html", context, status=404)
    context["suggestions"] = _suggestions(found)
    context["message"] = f"{len(found)} matches; pick one:"
    return render(request, "explorer/search.html", context)


def _nothing_found(kind: QueryKind, value: str) -> str:
    if kind is QueryKind.HEIGHT:
        tip = pages.tip_height()
        where = "no block is indexed yet" if tip is None else f"the tip is at height {tip}"
        return f"There is no block at height {value}: {where}."
    if kind is QueryKind.HASH:
        return "No block or transaction with that hash is known."
    return "Nothing known starts with that."


@require_safe
def suggest(request: HttpRequest) -> HttpResponse:
    """The htmx search dropdown: up to 8 completions for what has been typed so far."""
    query = classify(request.GET.get("q", ""), hrp())
    context: dict[str, Any] = {"suggestions": [], "suggest_message": ""}
    if query.kind is QueryKind.MALFORMED:
        context["suggest_message"] = query.problem
    elif query.kind is not QueryKind.EMPTY:
        context["suggestions"] = _suggestions(_lookup(query.kind, query.value))
        if not context["suggestions"]:
            context["suggest_message"] = _nothing_found(query.kind, query.value)
    return render(request, "explorer/search.html#suggestions", context)
