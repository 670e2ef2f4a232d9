"""Django admin for staff: read-only views of the indexed data, with search and filters.

Nothing here writes chain data: the node process is the only writer. The one action,
"reindex from the lowest selected height" (on blocks, superusers only), records a request in
`IndexerState.reindex_from`; the node process picks it up within a few seconds
(indexer.sink polls it), undoes the blocks from that height down and indexes them again
from the node's storage (docs/INDEXER.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from indexer.models import (
    Address,
    Block,
    DailyStat,
    IndexerState,
    MempoolTx,
    Ticket,
    Transaction,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Views only: no add, change or delete (the node process owns these rows)."""

    show_full_result_count = False  # no COUNT(*) over millions of rows per page

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("height", "hash", "timestamp", "tx_count", "vote_count", "size", "total_fees")
    search_fields = ("=hash", "=height", "^prev_hash")
    list_filter = ("vote_count", "version")
    ordering = ("-height",)
    actions = ("reindex_from_height",)

    def has_reindex_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.action(description="Reindex from the lowest selected height", permissions=("reindex",))
    def reindex_from_height(self, request: HttpRequest, queryset: QuerySet[Block]) -> None:
        lowest = min(queryset.values_list("height", flat=True), default=None)
        if lowest is None:
            return
        IndexerState.objects.get_or_create(name="main")
        IndexerState.objects.filter(name="main").update(reindex_from=lowest)
        self.message_user(
            request,
            f"Reindex from height {lowest} requested: the node process undoes the blocks from "
            "there and indexes them again within a few seconds.",
            messages.SUCCESS,
        )


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("txid", "height", "position", "tx_type", "size", "fee", "is_coinbase")
    search_fields = ("=txid", "=wtxid")
    list_filter = ("tx_type", "is_coinbase")
    ordering = ("-height", "-position")
    exclude = ("raw",)
    raw_id_fields = ("block",)


class HasBalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "funded"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "with a balance"), ("no", "empty")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(balance__gt=0)
        if self.value() == "no":
            return queryset.filter(balance=0)
        return queryset


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = ("address", "balance", "received", "sent", "tx_count", "utxo_count",
                    "last_seen_height")  # fmt: skip
    search_fields = ("^address",)
    list_filter = (HasBalanceFilter,)
    ordering = ("address",)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("ticket_id", "status", "purchase_height", "price", "status_height",
                    "reward_address")  # fmt: skip
    search_fields = ("=ticket_id", "^reward_address")
    list_filter = ("status",)
    ordering = ("-purchase_height",)


@admin.register(MempoolTx)
class MempoolTxAdmin(ReadOnlyAdmin):
    list_display = ("txid", "fee", "size", "feerate", "first_seen", "tx_type")
    search_fields = ("=txid",)
    list_filter = ("tx_type",)
    exclude = ("raw",)


@admin.register(DailyStat)
class DailyStatAdmin(ReadOnlyAdmin):
    list_display = ("day", "block_count", "tx_count", "avg_block_size", "total_fees", "supply")
    date_hierarchy = "day"


@admin.register(IndexerState)
class IndexerStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "height", "tip_hash", "updated_at", "reindex_from")
