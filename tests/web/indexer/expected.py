"""An independent recomputation of what the indexer must hold, straight from a node's chain.

Walks the main chain from genesis keeping its own UTXO map (no undo data, none of the
indexer's code), and reads the ticket states from the node's own ticket pool. `compare`
checks the SQL tables of one database alias against it and returns the differences.

A SLASH transaction burns the slashed ticket's stake (SPEC §5.4): the stake output leaves
the UTXO map, and the indexer shows it as spent by the SLASH transaction (no input index),
which counts for the stake's address as a transaction that sent the stake's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.models import Address, AddressTx, Block, IndexerState, Ticket, Transaction, TxOutput
from node import api
from node.params import ChainParams
from node.stake.chainrules import read_pool
from node.stake.tickets import TicketState
from node.storage.env import ChainDB
from node.types import DoubleVoteEvidence, SlashPayload, TxType


@dataclass
class Expected:
    height: int = -1
    tip: str = ""
    blocks: dict[int, str] = field(default_factory=dict)
    txs: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)
    """txid -> (height, position, fee)"""
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    spent: dict[tuple[str, int], tuple[str, int | None, int]] = field(default_factory=dict)
    unspent: set[tuple[str, int]] = field(default_factory=set)
    tickets: dict[str, str] = field(default_factory=dict)


def _addr(expected: Expected, address: str) -> dict[str, Any]:
    return expected.addresses.setdefault(
        address,
        {"balance": 0, "received": 0, "sent": 0, "txs": set(), "utxo_count": 0,
         "first": None, "last": None},
    )  # fmt: skip


def recompute(datadir: Path, params: ChainParams, upto: int | None = None) -> Expected:
    """What the tables must say for the main chain stored in `datadir` (up to height
    `upto`: then without tickets, whose states the pool only knows at its tip)."""
    hrp = params.bech32_hrp
    out = Expected()
    utxos: dict[tuple[str, int], tuple[int, str | None]] = {}
    reader = api.ChainReader.open_readonly(datadir, params)
    try:
        height = 0
        while True:
            batch = reader.read(height, 200)
            if not batch:
                break
            for cb in batch:
                if upto is not None and cb.height > upto:
                    break
                _walk_block(out, cb.block, cb.height, utxos, hrp)
                out.height, out.tip = cb.height, cb.hash.hex()
            height = batch[-1].height + 1
            if upto is not None and height > upto:
                break
    finally:
        reader.close()
    out.unspent = set(utxos)
    if upto is not None:
        return out
    db = ChainDB.open(datadir / params.name / "chain.lmdb", network=params.name, readonly=True)
    try:
        with read_pool(db, params) as pool:
            names = {s: s.name.lower() for s in TicketState}
            for tid in _all_ticket_ids(pool):
                ticket = pool.get(tid)
                if ticket is not None:
                    out.tickets[tid.hex()] = names[ticket.state]
    finally:
        db.close()
    return out


def _all_ticket_ids(pool: Any) -> list[bytes]:
    ids: list[bytes] = []
    for h in range(pool.height + 1):
        ids.extend(pool.store.purchased_at(h))
    return ids


def _walk_block(
    out: Expected,
    block: Any,
    height: int,
    utxos: dict[tuple[str, int], tuple[int, str | None]],
    hrp: str,
) -> None:
    out.blocks[height] = block.hash.hex()
    for position, tx in enumerate(block.txs):
        txid = tx.txid.hex()
        touched: dict[str, int] = {}
        value_in = 0
        spends: list[tuple[tuple[str, int], int | None]] = [
            ((txin.prevout.txid.hex(), txin.prevout.vout), index)
            for index, txin in enumerate(tx.inputs)
        ]
        if tx.tx_type is TxType.SLASH:
            payload = SlashPayload.deserialize(tx.payload)
            assert isinstance(payload.evidence, DoubleVoteEvidence)
            spends = [((payload.evidence.vote_a.ticket_id.hex(), 0), None)]
        if position:
            for key, index in spends:
                value, address = utxos.pop(key)
                if tx.tx_type is not TxType.SLASH:
                    value_in += value
                out.spent[key] = (txid, index, height)
                if address is not None:
                    a = _addr(out, address)
                    a["balance"] -= value
                    a["sent"] += value
                    a["utxo_count"] -= 1
                    touched[address] = 1
        value_out = 0
        for index, o in enumerate(tx.outputs):
            address = api.script_address(o.script_pubkey, hrp)
            utxos[(txid, index)] = (o.value, address)
            value_out += o.value
            if address is not None:
                a = _addr(out, address)
                a["balance"] += o.value
                a["received"] += o.value
                a["utxo_count"] += 1
                touched[address] = 1
        for address in touched:
            a = out.addresses[address]
            a["txs"].add(txid)
            a["first"] = height if a["first"] is None else a["first"]
            a["last"] = height
        out.txs[txid] = (height, position, None if position == 0 else value_in - value_out)


def compare(expected: Expected, using: str) -> list[str]:
    """Differences between the SQL tables of `using` and `expected` ([] when equal)."""
    problems: list[str] = []
    state = IndexerState.objects.using(using).get(name="main")
    if (state.height, state.tip_hash) != (expected.height, expected.tip):
        problems.append(f"watermark {state.height} {state.tip_hash} != {expected.height}")
    blocks = dict(Block.objects.using(using).values_list("height", "hash"))
    if blocks != expected.blocks:
        problems.append(f"blocks differ: {len(blocks)} rows vs {len(expected.blocks)}")
    txs = {
        t: (h, p, f)
        for t, h, p, f in Transaction.objects.using(using).values_list(
            "txid", "height", "position", "fee"
        )
    }
    if txs != expected.txs:
        problems.append(f"transactions differ: {len(txs)} rows vs {len(expected.txs)}")
    spent = {
        (t, i): (s, si, sh)
        for t, i, s, si, sh in TxOutput.objects.using(using)
        .filter(spent_by_txid__isnull=False)
        .values_list("tx__txid", "index", "spent_by_txid", "spent_by_index", "spent_height")
    }
    if spent != expected.spent:
        problems.append(f"spent-by differs: {len(spent)} vs {len(expected.spent)}")
    unspent = set(
        TxOutput.objects.using(using)
        .filter(spent_by_txid__isnull=True)
        .values_list("tx__txid", "index")
    )
    if unspent != expected.unspent:
        problems.append(f"unspent outputs differ: {len(unspent)} vs {len(expected.unspent)}")
    rows = {a.address: a for a in Address.objects.using(using)}
    if set(rows) != set(expected.addresses):
        problems.append(f"address sets differ: {set(rows) ^ set(expected.addresses)}")
    history: dict[str, set[str]] = {}
    for address, txid in AddressTx.objects.using(using).values_list("address__address", "tx__txid"):
        history.setdefault(address, set()).add(txid)
    for address, want in expected.addresses.items():
        row = rows.get(address)
        if row is None:
            continue
        got = {
            "balance": row.balance, "received": row.received, "sent": row.sent,
            "txs": history.get(address, set()), "utxo_count": row.utxo_count,
            "first": row.first_seen_height, "last": row.last_seen_height,
        }  # fmt: skip
        if row.tx_count != len(want["txs"]):
            problems.append(f"{address}: tx_count {row.tx_count} != {len(want['txs'])}")
        if got != want:
            diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
            problems.append(f"{address}: {diff}")
    if not expected.tickets:
        return problems
    tickets = dict(Ticket.objects.using(using).values_list("ticket_id", "status"))
    for tid, status in expected.tickets.items():
        if tickets.get(tid) != status:
            problems.append(f"ticket {tid}: {tickets.get(tid)} != {status}")
    extra = set(tickets) - set(expected.tickets)
    if any(tickets[t] != "slashed" for t in extra):
        problems.append(f"tickets not in the pool: {sorted(extra)}")
    return problems
