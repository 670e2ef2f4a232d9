"""SQL read-models of the main chain (shared contract 1), written only by the node process.

Conventions: hashes and txids are lowercase hex of the stored bytes (64 chars, as the node's
RPC prints them); amounts are integer base units (1 RUST = 10^8); heights are ints;
timestamps are int unix seconds. Only main-chain blocks are stored: a disconnected block's
rows are deleted and the spent-by links and address balances it changed are restored.
`IndexerState` (one row, name="main") is the height watermark moved in the same SQL
transaction as each block's rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

HASH_LEN = 64
ADDRESS_LEN = 128
_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


class UInt64Field(models.BigIntegerField):
    """An unsigned 64-bit integer kept in a signed BIGINT column (two's complement).

    Used for the header nonce, which may use all 64 bits; Python sees the unsigned value.
    Not meant for ordering or range filters.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        if not 0 <= value < _U64:
            raise ValueError(f"{value} is not an unsigned 64-bit integer")
        return value - _U64 if value > _I64_MAX else value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return int(value) + _U64 if int(value) < 0 else int(value)


class Block(models.Model):
    """A main-chain block (header fields plus per-block totals)."""

    hash = models.CharField(max_length=HASH_LEN, unique=True)
    height = models.IntegerField(unique=True)
    prev_hash = models.CharField(max_length=HASH_LEN)
    merkle_root = models.CharField(max_length=HASH_LEN)
    votes_root = models.CharField(max_length=HASH_LEN)
    state_root = models.CharField(max_length=HASH_LEN)
    version = models.BigIntegerField()
    timestamp = models.BigIntegerField(db_index=True)
    bits = models.BigIntegerField()
    nonce = UInt64Field()
    difficulty = models.FloatField(help_text="display only")
    chainwork = models.CharField(max_length=HASH_LEN, help_text="hex")
    size = models.IntegerField(help_text="serialized block size in bytes")
    tx_count = models.IntegerField()
    vote_count = models.IntegerField()
    total_fees = models.BigIntegerField()
    subsidy = models.BigIntegerField()
    total_out = models.BigIntegerField(help_text="sum of non-coinbase outputs")
    supply = models.BigIntegerField(default=0, help_text="coins issued up to this block")
    ticket_price = models.BigIntegerField(default=0, help_text="price for this block's buys")
    ticket_pool_size = models.IntegerField(default=0, help_text="live tickets after it")
    next_ticket_price = models.BigIntegerField(
        default=0, help_text="price for the next block's buys (0: indexed before 0002)"
    )

    class Meta:
        ordering = ["-height"]

    def __str__(self) -> str:
        return f"block {self.height} {self.hash}"

    @property
    def current_ticket_price(self) -> int:
        """What a purchase on top of this block pays (the node's getticketprice when this
        block is the tip)."""
        return self.next_ticket_price or self.ticket_price


class Transaction(models.Model):
    """A confirmed transaction; `raw` is its serialization (with witnesses)."""

    txid = models.CharField(max_length=HASH_LEN, unique=True)
    wtxid = models.CharField(max_length=HASH_LEN)
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="transactions")
    height = models.IntegerField()
    position = models.IntegerField(help_text="index in the block")
    version = models.BigIntegerField()
    tx_type = models.IntegerField(db_index=True)
    lock_time = models.BigIntegerField()
    size = models.IntegerField()
    fee = models.BigIntegerField(null=True, blank=True, help_text="None for the coinbase")
    is_coinbase = models.BooleanField(default=False)
    input_count = models.IntegerField()
    output_count = models.IntegerField()
    input_total = models.BigIntegerField()
    output_total = models.BigIntegerField()
    raw = models.BinaryField()

    class Meta:
        ordering = ["-height", "-position"]
        indexes = [models.Index(fields=["-height", "-position"], name="tx_height_pos")]
        constraints = [
            models.UniqueConstraint(fields=["block", "position"], name="tx_block_position")
        ]

    def __str__(self) -> str:
        return f"tx {self.txid}"


class TxInput(models.Model):
    """One input; `value`/`address` are the spent output's (None for the coinbase input)."""

    tx = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="inputs")
    index = models.IntegerField()
    prev_txid = models.CharField(max_length=HASH_LEN)
    prev_vout = models.BigIntegerField()
    address = models.CharField(max_length=ADDRESS_LEN, null=True, blank=True)
    value = models.BigIntegerField(null=True, blank=True)
    script_sig = models.BinaryField(help_text="the input's witness")
    sequence = models.BigIntegerField()

    class Meta:
        ordering = ["tx_id", "index"]
        constraints = [models.UniqueConstraint(fields=["tx", "index"], name="txin_tx_index")]

    def __str__(self) -> str:
        return f"input {self.tx_id}:{self.index}"


class TxOutput(models.Model):
    """One output with the main-chain input that spends it, if any."""

    tx = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="outputs")
    index = models.IntegerField()
    value = models.BigIntegerField()
    script_pubkey = models.BinaryField()
    script_type = models.CharField(max_length=16)
    address = models.CharField(max_length=ADDRESS_LEN, null=True, blank=True, db_index=True)
    spent_by_txid = models.CharField(max_length=HASH_LEN, null=True, blank=True)
    spent_by_index = models.IntegerField(null=True, blank=True)
    spent_height = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tx_id", "index"]
        constraints = [models.UniqueConstraint(fields=["tx", "index"], name="txout_tx_index")]
        indexes = [
            models.Index(
                fields=["address", "tx"],
                condition=Q(spent_by_txid__isnull=True),
                name="txout_unspent_by_address",
            ),
            models.Index(fields=["spent_height"], name="txout_spent_height"),
        ]

    def __str__(self) -> str:
        return f"output {self.tx_id}:{self.index}"


class Address(models.Model):
    """Running totals of one address over the main chain."""

    address = models.CharField(max_length=ADDRESS_LEN, unique=True)
    balance = models.BigIntegerField(default=0)
    received = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)
    tx_count = models.IntegerField(default=0)
    utxo_count = models.IntegerField(default=0)
    first_seen_height = models.IntegerField(null=True, blank=True)
    last_seen_height = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return self.address


class AddressTx(models.Model):
    """One transaction touching an address, with what it received and sent there."""

    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="history")
    tx = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="address_rows")
    height = models.IntegerField()
    position = models.IntegerField()
    received = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["address_id", "-height", "-position"]
        constraints = [models.UniqueConstraint(fields=["address", "tx"], name="addrtx_unique")]
        indexes = [
            models.Index(fields=["address", "-height", "-position"], name="addrtx_keyset"),
            models.Index(fields=["height"], name="addrtx_height"),
        ]

    def __str__(self) -> str:
        return f"{self.address_id} in {self.tx_id}"


class TicketStatus(models.TextChoices):
    IMMATURE = "immature"
    LIVE = "live"
    VOTED = "voted"
    MISSED = "missed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SLASHED = "slashed"


class Ticket(models.Model):
    """A ticket (the TICKET_PURCHASE txid) and its current state on the main chain."""

    ticket_id = models.CharField(max_length=HASH_LEN, unique=True)
    purchase_height = models.IntegerField(db_index=True)
    price = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=TicketStatus.choices, db_index=True)
    status_height = models.IntegerField()
    reward_address = models.CharField(max_length=ADDRESS_LEN, null=True, blank=True)
    vote_block_height = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-purchase_height", "ticket_id"]
        indexes = [models.Index(fields=["status_height"], name="ticket_status_height")]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} ({self.status})"


class TicketEvent(models.Model):
    """A ticket's state change at a height; undone (deleted) when that block disconnects."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    height = models.IntegerField(db_index=True)
    status = models.CharField(max_length=10, choices=TicketStatus.choices)

    class Meta:
        ordering = ["ticket_id", "height", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.status} at {self.height}"


class Vote(models.Model):
    """A ticket vote included in a block."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="votes")
    position = models.IntegerField()
    ticket_id = models.CharField(max_length=HASH_LEN, db_index=True)
    vote_bits = models.IntegerField()

    class Meta:
        ordering = ["block_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["block", "position"], name="vote_block_position")
        ]

    def __str__(self) -> str:
        return f"vote {self.ticket_id} in {self.block_id}"


class MempoolTx(models.Model):
    """The node's mempool, replaced by snapshots the node process writes every few seconds."""

    txid = models.CharField(max_length=HASH_LEN, unique=True)
    fee = models.BigIntegerField()
    size = models.IntegerField()
    feerate = models.FloatField(help_text="sat/byte, display only")
    first_seen = models.BigIntegerField(db_index=True)
    tx_type = models.IntegerField()
    raw = models.BinaryField()
    value = models.BigIntegerField(default=0, help_text="sum of the outputs")

    class Meta:
        ordering = ["-first_seen", "txid"]
        verbose_name = "mempool transaction"

    def __str__(self) -> str:
        return f"mempool {self.txid}"


class MempoolTxAddress(models.Model):
    """An address a mempool transaction pays or spends from (for per-address mempool views)."""

    txid = models.CharField(max_length=HASH_LEN, db_index=True)
    address = models.CharField(max_length=ADDRESS_LEN, db_index=True)
    received = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["txid", "address"], name="mempooladdr_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} in mempool {self.txid}"


class DailyStat(models.Model):
    """Per-day aggregates (UTC) recomputed by the Celery periodic task."""

    day = models.DateField(unique=True)
    block_count = models.IntegerField(default=0)
    tx_count = models.IntegerField(default=0)
    total_size = models.BigIntegerField(default=0)
    avg_block_size = models.FloatField(default=0.0)
    difficulty = models.FloatField(default=0.0)
    total_fees = models.BigIntegerField(default=0)
    ticket_price = models.BigIntegerField(default=0)
    ticket_pool_size = models.IntegerField(default=0)
    supply = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"stats {self.day}"


class IndexerState(models.Model):
    """The watermark: every block up to `height` (hash `tip_hash`) is indexed, none above.

    `reindex_from` is a request (admin action): the node process rolls its rows back to
    below that height and indexes again from the node's storage, then clears it.
    """

    name = models.CharField(max_length=32, unique=True, default="main")
    height = models.IntegerField(default=-1)
    tip_hash = models.CharField(max_length=HASH_LEN, default="")
    updated_at = models.DateTimeField(auto_now=True)
    reindex_from = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"indexer {self.name} at {self.height}"
