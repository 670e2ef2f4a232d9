"""Turning node blocks (node.api.ChainBlock) into SQL rows: pure Python, no database.

`build_batch` walks a run of consecutive main-chain blocks once and produces every row the
writer inserts (blocks, transactions, inputs, outputs, votes, per-address history), the
spent-by links for outputs created before the batch, the per-address deltas and the ticket
changes. Outputs created and spent inside the batch get their spent-by fields directly.
Column orders match the tuples the writer inserts (indexer.writer).

A SLASH transaction burns the slashed ticket's stake (output 0 of its purchase) without an
input (SPEC §5.4): the stake is recorded as spent by the SLASH transaction with no input
index (`spent_by_index` NULL), and its address sends the stake's value in that transaction,
so balances, UTXO counts and the UTXO lists stay equal to the node's UTXO set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from node import api
from node.params import ChainParams
from node.types.payloads import DoubleVoteEvidence, decode_payload
from node.types.tx import Tx, TxType

U64 = 1 << 64
I64_MAX = (1 << 63) - 1
COINBASE_TXID_HEX = "00" * 32

BLOCK_COLUMNS = (
    "id", "hash", "height", "prev_hash", "merkle_root", "votes_root", "state_root", "version",
    "timestamp", "bits", "nonce", "difficulty", "chainwork", "size", "tx_count", "vote_count",
    "total_fees", "subsidy", "total_out", "supply", "ticket_price", "ticket_pool_size",
    "next_ticket_price",
)  # fmt: skip
TX_COLUMNS = (
    "id", "txid", "wtxid", "block_id", "height", "position", "version", "tx_type", "lock_time",
    "size", "fee", "is_coinbase", "input_count", "output_count", "input_total", "output_total",
    "raw",
)  # fmt: skip
INPUT_COLUMNS = (
    "tx_id", "index", "prev_txid", "prev_vout", "address", "value", "script_sig", "sequence",
)  # fmt: skip
OUTPUT_COLUMNS = (
    "tx_id", "index", "value", "script_pubkey", "script_type", "address", "spent_by_txid",
    "spent_by_index", "spent_height",
)  # fmt: skip
VOTE_COLUMNS = ("block_id", "position", "ticket_id", "vote_bits")
ADDRESS_TX_COLUMNS = ("address_id", "tx_id", "height", "position", "received", "sent")


def signed64(value: int) -> int:
    """An unsigned 64-bit value as the signed BIGINT that stores it (models.UInt64Field)."""
    return value - U64 if value > I64_MAX else value


class ScriptInfo:
    """script_pubkey -> (script type, address or None), memoised (miners reuse scripts)."""

    def __init__(self, hrp: str, limit: int = 200_000) -> None:
        self.hrp = hrp
        self.limit = limit
        self._cache: dict[bytes, tuple[str, str | None]] = {}

    def __call__(self, script: bytes) -> tuple[str, str | None]:
        hit = self._cache.get(script)
        if hit is None:
            if len(self._cache) >= self.limit:
                self._cache.clear()
            hit = (api.script_kind(script), api.script_address(script, self.hrp))
            self._cache[script] = hit
        return hit


@dataclass(slots=True)
class AddressDelta:
    """What a batch changes on one address row."""

    received: int = 0
    sent: int = 0
    tx_count: int = 0
    utxo_count: int = 0
    first_seen: int = 0
    last_seen: int = 0

    @property
    def balance(self) -> int:
        return self.received - self.sent


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket's state after the batch and the events (height, status) that led there."""

    ticket_id: str
    purchase_height: int
    price: int
    reward_address: str | None
    status: str
    status_height: int
    vote_block_height: int | None
    events: tuple[tuple[int, str], ...]
    created: bool


@dataclass(slots=True)
class Batch:
    """All rows of a run of consecutive blocks (see the module docstring)."""

    blocks: list[tuple[object, ...]] = field(default_factory=list)
    txs: list[tuple[object, ...]] = field(default_factory=list)
    inputs: list[tuple[object, ...]] = field(default_factory=list)
    outputs: list[list[object]] = field(default_factory=list)
    votes: list[tuple[object, ...]] = field(default_factory=list)
    address_txs: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    """(address, tx_id, height, position, received, sent): the address id is filled later."""
    spends: list[tuple[str, int, str, int | None, int]] = field(default_factory=list)
    """(prev txid, prev vout, spending txid, input index, height) of outputs older than the
    batch (input index None: a stake burned by a SLASH)."""
    addresses: dict[str, AddressDelta] = field(default_factory=dict)
    tickets: dict[str, TicketRow] = field(default_factory=dict)
    tx_count: int = 0
    supply: int = 0
    pool_size: int = 0
    summaries: list[BlockSummary] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    """What the broadcasts after commit need about one indexed block."""

    height: int
    hash: str
    txids: tuple[str, ...]
    addresses: tuple[tuple[str, str], ...]
    """(address, txid) pairs touched by the block."""


def build_batch(
    blocks: Sequence[api.ChainBlock],
    params: ChainParams,
    scripts: ScriptInfo,
    *,
    block_ids: Sequence[int],
    tx_ids: Sequence[int],
    supply: int,
    pool_size: int,
    existing_tickets: dict[str, str],
    stakes: dict[str, tuple[int, str | None]] | None = None,
) -> Batch:
    """Rows for `blocks` (consecutive, lowest first). `supply` and `pool_size` are the
    values after the block before the batch; `existing_tickets` maps the ids of tickets
    already in SQL that the batch changes to their current status; `stakes` gives the
    (value, address) of the stakes indexed before the batch that it slashes."""
    batch = Batch(supply=supply, pool_size=pool_size)
    created: dict[tuple[str, int], list[object]] = {}
    next_tx = iter(tx_ids)
    for cb, block_id in zip(blocks, block_ids, strict=True):
        _add_block(batch, cb, block_id, next_tx, created, params, scripts, stakes or {})
        _add_tickets(batch, cb, scripts, existing_tickets)
    return batch


def next_ticket_price(price: int, live: int, height: int, params: ChainParams) -> int:
    """The price a purchase in block `height + 1` pays, given the price of block `height`
    and the LIVE tickets after it: the node's own rule through node.api. Tests compare it
    with the price the node records for the next block and with its pool at the tip."""
    return api.ticket_price_after(price, live, height, params)


def slashed_stake(tx: Tx) -> str | None:
    """The ticket id (hex) whose stake a SLASH transaction burns; None for other txs and
    for evidence that names no ticket (a masternode double sign)."""
    if tx.tx_type is not TxType.SLASH:
        return None
    payload = decode_payload(tx.tx_type, tx.payload)
    evidence = getattr(payload, "evidence", None)
    if not isinstance(evidence, DoubleVoteEvidence):
        return None
    return evidence.vote_a.ticket_id.hex()


def _add_block(
    batch: Batch,
    cb: api.ChainBlock,
    block_id: int,
    next_tx: Iterator[int],
    created: dict[tuple[str, int], list[object]],
    params: ChainParams,
    scripts: ScriptInfo,
    stakes: dict[str, tuple[int, str | None]],
) -> None:
    block, height = cb.block, cb.height
    header = block.header
    fees = total_out = coinbase_out = 0
    txids: list[str] = []
    touched: list[tuple[str, str]] = []
    addresses = batch.addresses
    for position, (tx, spent) in enumerate(zip(block.txs, cb.spent, strict=True)):
        tx_id = next(next_tx)
        txid = tx.txid.hex()
        txids.append(txid)
        coinbase = position == 0
        per_addr: dict[str, list[int]] = {}
        input_total = 0
        for index, (txin, witness) in enumerate(zip(tx.inputs, tx.witnesses, strict=True)):
            prev = txin.prevout
            prev_txid = prev.txid.hex()
            if coinbase:
                batch.inputs.append(
                    (tx_id, index, prev_txid, prev.vout, None, None, witness, txin.sequence)
                )
                continue
            coin = spent[index]
            _, address = scripts(coin.script_pubkey)
            input_total += coin.value
            batch.inputs.append(
                (tx_id, index, prev_txid, prev.vout, address, coin.value, witness, txin.sequence)
            )
            row = created.get((prev_txid, prev.vout))
            if row is not None:
                row[6], row[7], row[8] = txid, index, height
            else:
                batch.spends.append((prev_txid, prev.vout, txid, index, height))
            if address is not None:
                per_addr.setdefault(address, [0, 0, 0])[1] += coin.value
                per_addr[address][2] -= 1
        burned = slashed_stake(tx)
        if burned is not None:
            _burn(batch, burned, txid, height, created, stakes, per_addr)
        output_total = 0
        for index, out in enumerate(tx.outputs):
            kind, address = scripts(out.script_pubkey)
            output_total += out.value
            row = [tx_id, index, out.value, out.script_pubkey, kind, address, None, None, None]
            batch.outputs.append(row)
            created[(txid, index)] = row
            if address is not None:
                acc = per_addr.setdefault(address, [0, 0, 0])
                acc[0] += out.value
                acc[2] += 1
        if coinbase:
            fee: int | None = None
            coinbase_out = output_total
        else:
            fee = input_total - output_total
            fees += fee
            total_out += output_total
        raw = tx.serialize()
        batch.txs.append(
            (tx_id, txid, tx.wtxid.hex(), block_id, height, position, tx.version,
             int(tx.tx_type), tx.lock_time, len(raw), fee, coinbase, len(tx.inputs),
             len(tx.outputs), input_total, output_total, raw)
        )  # fmt: skip
        for address, (received, sent, utxos) in per_addr.items():
            batch.address_txs.append((address, tx_id, height, position, received, sent))
            delta = addresses.get(address)
            if delta is None:
                delta = addresses[address] = AddressDelta(first_seen=height)
            delta.received += received
            delta.sent += sent
            delta.tx_count += 1
            delta.utxo_count += utxos
            delta.last_seen = height
            touched.append((address, txid))
    for position, vote in enumerate(block.votes):
        batch.votes.append((block_id, position, vote.ticket_id.hex(), vote.vote_bits))
    batch.supply += coinbase_out - fees - cb.burned
    for change in cb.ticket_changes:
        if change.previous == "live":
            batch.pool_size -= 1
        if change.status == "live":
            batch.pool_size += 1
    batch.tx_count += len(block.txs)
    batch.blocks.append(
        (block_id, block.hash.hex(), height, header.prev_hash.hex(), header.merkle_root.hex(),
         header.votes_root.hex(), header.state_root.hex(), header.version, header.timestamp,
         header.bits, signed64(header.nonce), api.block_difficulty(header.bits, params),
         f"{cb.chain_work:064x}", cb.size, len(block.txs), len(block.votes), fees,
         api.subsidy(height, params), total_out, batch.supply, cb.ticket_price,
         batch.pool_size, next_ticket_price(cb.ticket_price, batch.pool_size, height, params))
    )  # fmt: skip
    batch.summaries.append(BlockSummary(height, block.hash.hex(), tuple(txids), tuple(touched)))


def _burn(
    batch: Batch,
    ticket_id: str,
    txid: str,
    height: int,
    created: dict[tuple[str, int], list[object]],
    stakes: dict[str, tuple[int, str | None]],
    per_addr: dict[str, list[int]],
) -> None:
    """The SLASH `txid` burns the stake (ticket_id, 0): spent by it without an input."""
    row = created.get((ticket_id, 0))
    address: object
    if row is not None:
        value, address = row[2], row[5]
        assert isinstance(value, int)
        row[6], row[7], row[8] = txid, None, height
    else:
        if ticket_id not in stakes:
            raise LookupError(f"SLASH {txid} burns the stake of unindexed ticket {ticket_id}")
        value, address = stakes[ticket_id]
        batch.spends.append((ticket_id, 0, txid, None, height))
    if isinstance(address, str):
        acc = per_addr.setdefault(address, [0, 0, 0])
        acc[1] += value
        acc[2] -= 1


def _add_tickets(
    batch: Batch, cb: api.ChainBlock, scripts: ScriptInfo, existing: dict[str, str]
) -> None:
    height = cb.height
    for change in cb.ticket_changes:
        tid = change.ticket_id.hex()
        old = batch.tickets.get(tid)
        voted = height if change.status == "voted" else None
        if old is None:
            created = change.previous is None
            if not created and tid not in existing:
                raise LookupError(f"ticket {tid} changed at {height} but was never indexed")
            _, reward = scripts(change.reward_script)
            batch.tickets[tid] = TicketRow(
                tid, change.purchase_height, change.price, reward, change.status, height,
                voted, ((height, change.status),), created,
            )  # fmt: skip
        else:
            batch.tickets[tid] = TicketRow(
                tid, old.purchase_height, old.price, old.reward_address, change.status, height,
                voted if voted is not None else old.vote_block_height,
                (*old.events, (height, change.status)), old.created,
            )  # fmt: skip
