"""The small public surface of the node that the Django apps may use.

The web side imports this module (plus node.types, node.params, node.crypto and the RPC
client) and nothing deeper, so the node's internals can change without touching the apps.
It is the node's top layer: display helpers for the pages and the API, and for the indexer
in the node process the embedded daemon (`run_daemon`), chain events, consistent reads of
the stored main chain with spent coins and ticket changes (`ChainReader`) and the mempool.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from node.chain.events import BlockConnected, BlockDisconnected, ChainEvent, TipChanged
from node.consensus.genesis import build_genesis
from node.consensus.pow import target_from_bits
from node.consensus.subsidy import block_subsidy
from node.params import COIN, NETWORKS, ChainParams, get_params
from node.stake.chainrules import StakeUndo
from node.stake.price import is_price_retarget_height, next_ticket_price
from node.stake.store import LmdbTicketStore
from node.stake.tickets import Ticket, TicketState, ticket_from_purchase
from node.storage.env import ChainDB
from node.storage.errors import StorageError
from node.storage.records import Coin
from node.storage.schema import DB_TICKETS, ticket_undo_key
from node.storage.txn import ReadTxn
from node.types.block import Block, BlockHeader
from node.types.tx import Tx, TxType

if TYPE_CHECKING:
    from node.rpc.node import Node

__all__ = [
    "NETWORKS",
    "BlockConnected",
    "BlockDisconnected",
    "ChainBlock",
    "ChainEvent",
    "ChainParams",
    "ChainReader",
    "Coin",
    "MempoolItem",
    "TicketChange",
    "TipChanged",
    "block_difficulty",
    "daemon_args",
    "describe_header",
    "describe_params",
    "format_amount",
    "format_timestamp",
    "genesis_block",
    "get_params",
    "mempool_snapshot",
    "run_daemon",
    "script_address",
    "script_asm",
    "script_kind",
    "subscribe_chain",
    "subsidy",
]


def genesis_block(params: ChainParams) -> Block:
    """The genesis block of a network."""
    return build_genesis(params)


def format_amount(units: int) -> str:
    """Base units as a RUST decimal string with trailing zeros trimmed (1.5 RUST)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), COIN)
    text = f"{whole}.{frac:08d}".rstrip("0").rstrip(".")
    return f"{sign}{text} RUST"


def format_timestamp(seconds: int) -> str:
    """Unix seconds as an ISO-like UTC date and time."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe_params(params: ChainParams) -> dict[str, str]:
    """Human-readable parameters of a network, in display order."""
    q = params.quorums
    return {
        "Magic": params.magic.hex(),
        "P2P / RPC port": f"{params.p2p_port} / {params.rpc_port}",
        "Address prefix": params.bech32_hrp,
        "Target block spacing": f"{params.target_spacing} s",
        "OxideHash pad / rounds": f"{params.oxide_pad_bytes} bytes / {params.oxide_rounds}",
        "Coinbase maturity": f"{params.coinbase_maturity} blocks",
        "Ticket maturity / expiry": f"{params.ticket_maturity} / {params.ticket_expiry} blocks",
        "Stake validation height": str(params.stake_validation_height),
        "Ticket price (start)": format_amount(params.ticket_price_start),
        "Masternode collateral": format_amount(params.mn_collateral),
        "Quorums (size/threshold)": ", ".join(f"{x.name} {x.size}/{x.threshold}" for x in q),
        "Proposal stake": format_amount(params.proposal_stake),
        "Max reorg depth": f"{params.max_reorg_depth} blocks",
    }


def describe_header(header: BlockHeader) -> dict[str, str]:
    """The fields of a header for display (hashes as hex of the stored bytes)."""
    return {
        "Hash": header.hash.hex(),
        "Height": str(header.height),
        "Version": str(header.version),
        "Previous block": header.prev_hash.hex(),
        "Merkle root": header.merkle_root.hex(),
        "Votes root": header.votes_root.hex(),
        "State root": header.state_root.hex(),
        "Timestamp": f"{header.timestamp} ({format_timestamp(header.timestamp)})",
        "Bits": f"0x{header.bits:08x}",
        "Nonce": str(header.nonce),
    }


# --- api engineer: script display helpers for the REST API (indexer/read, explorer/api).
# The web apps may not import node.script; these wrappers are their only way to it.


def script_asm(script: bytes) -> str:
    """The script as assembly text (Bitcoin Core style, as `decodescript` prints it)."""
    from node.script.asm import to_asm

    return to_asm(script)


def script_kind(script: bytes) -> str:
    """The standard template a script_pubkey matches: p2pkh, p2sh, multisig, nulldata,
    htlc or nonstandard (node.script.templates.ScriptType values)."""
    from node.script.templates import classify

    return classify(script).value


def script_address(script: bytes, hrp: str) -> str | None:
    """The address of a P2PKH or P2SH script_pubkey for the network of `hrp`, else None."""
    from node.script.templates import address_for_script

    return address_for_script(script, hrp)


# --- indexer: the main chain as the node stored it, for the SQL indexer (node process only).
# `manage.py runnode` / `manage.py run` embed the daemon and hand the indexer the open Node;
# everything the indexer reads from it goes through these functions.

TICKET_STATUS = {
    TicketState.IMMATURE: "immature",
    TicketState.LIVE: "live",
    TicketState.VOTED: "voted",
    TicketState.MISSED: "missed",
    TicketState.EXPIRED: "expired",
    TicketState.REVOKED: "revoked",
}
"""Ticket states as the indexer stores them; a SLASHed ticket (removed from the pool) is
"slashed"."""


@dataclass(frozen=True, slots=True)
class TicketChange:
    """A ticket whose state a block changed: `previous` is None for a purchase."""

    ticket_id: bytes
    status: str
    previous: str | None
    purchase_height: int
    price: int
    reward_script: bytes


@dataclass(frozen=True, slots=True)
class ChainBlock:
    """One main-chain block with what the indexer derives from the node's storage.

    `spent[i]` are the coins `block.txs[i]`'s inputs spent, in input order (() for the
    coinbase); `ticket_price` is what a purchase in this block paid; `burned` is the value of
    the stakes its SLASH transactions destroyed.
    """

    block: Block
    height: int
    chain_work: int
    size: int
    spent: tuple[tuple[Coin, ...], ...]
    ticket_price: int
    ticket_changes: tuple[TicketChange, ...]
    burned: int

    @property
    def hash(self) -> bytes:
        return self.block.hash


@dataclass(frozen=True, slots=True)
class MempoolItem:
    """A mempool transaction with the outputs its inputs spend (None: no longer known)."""

    tx: Tx
    fee: int
    size: int
    time: float
    spent: tuple[Coin | None, ...]


class ChainReader:
    """Consistent reads of the node's main chain from its LMDB storage.

    Each call is one LMDB read snapshot, so the blocks, undo data and ticket changes it
    returns belong to one chain even while the chainstate keeps connecting blocks.
    """

    def __init__(self, db: ChainDB, params: ChainParams, *, owned: bool = False) -> None:
        self._db = db
        self.params = params
        self._owned = owned

    @classmethod
    def of_node(cls, node: Node) -> ChainReader:
        """A reader over a running node's chain database."""
        return cls(node.chainstate.db, node.params)

    @classmethod
    def open_readonly(cls, datadir: Path, params: ChainParams) -> ChainReader:
        """A reader over `<datadir>/<network>/chain.lmdb` opened read-only (another process
        may be running the node on it); `close()` it when done."""
        path = datadir / params.name / "chain.lmdb"
        return cls(ChainDB.open(path, network=params.name, readonly=True), params, owned=True)

    def close(self) -> None:
        """Close the database if this reader opened it."""
        if self._owned:
            self._db.close()

    def tip(self) -> tuple[int, bytes]:
        """(height, hash) of the stored tip."""
        with self._db.read() as txn:
            return _tip(txn)

    def hash_at(self, height: int) -> bytes | None:
        """Hash of the main-chain block at `height`, None above the tip."""
        with self._db.read() as txn:
            return txn.get_hash_at_height(height) if height >= 0 else None

    def hashes(self, heights: Sequence[int]) -> dict[int, bytes | None]:
        """Main-chain hashes of several heights from one snapshot."""
        with self._db.read() as txn:
            return {h: txn.get_hash_at_height(h) if h >= 0 else None for h in heights}

    def read(self, start: int, max_blocks: int, max_txs: int = 0) -> list[ChainBlock]:
        """Main-chain blocks from `start` on: at most `max_blocks`, and stop once `max_txs`
        transactions are collected (0: no limit); [] when `start` is above the tip."""
        out: list[ChainBlock] = []
        txs = 0
        with self._db.read() as txn:
            for height in range(start, start + max_blocks):
                block_hash = txn.get_hash_at_height(height)
                if block_hash is None:
                    break
                out.append(_chain_block(txn, self.params, block_hash, height))
                txs += len(out[-1].block.txs)
                if max_txs and txs >= max_txs:
                    break
        return out


def _tip(txn: ReadTxn) -> tuple[int, bytes]:
    tip_hash = txn.get_tip()
    record = None if tip_hash is None else txn.get_block_index(tip_hash)
    if tip_hash is None or record is None:
        raise StorageError("the chain database has no tip")
    return record.header.height, tip_hash


def _chain_block(txn: ReadTxn, params: ChainParams, block_hash: bytes, height: int) -> ChainBlock:
    block = txn.get_block(block_hash)
    record = txn.get_block_index(block_hash)
    if block is None or record is None:
        raise StorageError(f"main-chain block {block_hash.hex()} at {height} is missing")
    undo = txn.get_undo(block_hash)
    rows = () if undo is None else undo.spent
    if len(rows) != len(block.txs) - 1:
        raise StorageError(f"undo data of {block_hash.hex()} does not match the block")
    price, changes, burned = _ticket_changes(txn, params, block, height)
    return ChainBlock(
        block=block,
        height=height,
        chain_work=record.chain_work,
        size=record.size or block.size,
        spent=((), *rows),
        ticket_price=price,
        ticket_changes=changes,
        burned=burned,
    )


def _stake_undo(txn: ReadTxn, block_hash: bytes) -> StakeUndo | None:
    raw = txn.kv(DB_TICKETS).get(ticket_undo_key(block_hash))
    return None if raw is None else StakeUndo.deserialize(raw)


def _ticket_changes(
    txn: ReadTxn, params: ChainParams, block: Block, height: int
) -> tuple[int, tuple[TicketChange, ...], int]:
    undo = _stake_undo(txn, block.hash)
    if undo is None:  # genesis: the pool starts empty, no undo record
        return params.ticket_price_start, (), 0
    price = undo.pool.prev_info.price
    votes = {v.ticket_id for v in block.votes}
    slashed = set(undo.pool.slashed)
    bought = {
        tx.txid: ticket_from_purchase(tx, height, price)
        for tx in block.txs
        if tx.tx_type is TxType.TICKET_PURCHASE
    }
    changes = []
    for tid, prior in undo.pool.prior:
        ticket = prior if prior is not None else bought.get(tid)
        if ticket is None:
            raise StorageError(f"stake undo of {block.hash.hex()}: unknown purchase {tid.hex()}")
        if tid in slashed:
            status = "slashed"
        elif prior is None:
            status = "immature"
        elif prior.state is TicketState.IMMATURE:
            status = "live"
        elif prior.state in (TicketState.MISSED, TicketState.EXPIRED):
            status = "revoked"
        elif prior.state is TicketState.LIVE and tid in votes:
            status = "voted"
        elif prior.state is TicketState.LIVE:
            status = _missed_or_expired(txn, params, prior, height)
        else:
            raise StorageError(f"stake undo of {block.hash.hex()}: {tid.hex()} changed oddly")
        changes.append(
            TicketChange(
                ticket_id=tid,
                status=status,
                previous=None if prior is None else TICKET_STATUS[prior.state],
                purchase_height=ticket.purchase_height,
                price=ticket.price,
                reward_script=ticket.reward_script,
            )
        )
    burned = sum(coin.value for _, coin in undo.burned)
    return price, tuple(changes), burned


def _missed_or_expired(txn: ReadTxn, params: ChainParams, prior: Ticket, height: int) -> str:
    """A LIVE ticket left the pool at `height` without voting: MISSED (drawn) unless this is
    its expiry height, where only the record after the block tells the two apart."""
    if height != prior.purchase_height + params.ticket_maturity + params.ticket_expiry:
        return "missed"
    store = LmdbTicketStore(txn.kv(DB_TICKETS))
    record = store.get(prior.ticket_id)
    if record is not None and record.state_height == height:
        return TICKET_STATUS[record.state]
    if record is not None and record.state is TicketState.REVOKED:
        later = txn.get_hash_at_height(record.state_height)
        undo = None if later is None else _stake_undo(txn, later)
        for tid, old in () if undo is None else undo.pool.prior:
            if tid == prior.ticket_id and old is not None:
                return TICKET_STATUS[old.state]
    return "expired"  # slashed since: the SLASH row will say so


def subscribe_chain(node: Node, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
    """Call `callback` with every chain event (in the chainstate's thread, after each LMDB
    commit, with the chainstate lock held: keep it short); returns the unsubscriber."""
    return node.chainstate.events.subscribe(callback)


def mempool_snapshot(node: Node, known: Collection[bytes] = ()) -> list[MempoolItem]:
    """The node's mempool now, in acceptance order, with the outputs each input spends
    (left empty for the txids in `known`, which the caller already has)."""
    pool = node.mempool
    if pool is None:
        return []
    with node.chainstate.lock:
        entries = list(pool.entries.values())
    in_pool = {e.tx.txid: e.tx for e in entries}
    out = []
    with node.chainstate.db.read() as txn:
        for e in entries:
            spent: list[Coin | None] = []
            if e.tx.txid in known:
                out.append(MempoolItem(e.tx, e.fee, e.size, e.time, ()))
                continue
            for txin in e.tx.inputs:
                op = txin.prevout
                parent = in_pool.get(op.txid)
                if parent is not None and op.vout < len(parent.outputs):
                    spent.append(Coin.from_txout(parent.outputs[op.vout], 0, False))
                else:
                    spent.append(txn.get_coin(op))
            out.append(MempoolItem(e.tx, e.fee, e.size, e.time, tuple(spent)))
    return out


def block_difficulty(bits: int, params: ChainParams) -> float:
    """pow_limit / target as a float (display only; 1.0 at the easiest difficulty)."""
    return params.pow_limit / max(target_from_bits(bits), 1)


def ticket_price_after(price: int, live: int, height: int, params: ChainParams) -> int:
    """The ticket price a purchase in block `height + 1` pays, given the price block `height`
    paid and the LIVE tickets after it: the pool's own retarget rule (node.stake.price)."""
    if is_price_retarget_height(height, params):
        return next_ticket_price(price, live, params)
    return price


def subsidy(height: int, params: ChainParams) -> int:
    """The block subsidy at `height` (SPEC §5.1), before the miner/stake/masternode split."""
    return block_subsidy(height, params)


def daemon_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse `python -m node` options (exits with the usage on bad input, like argparse)."""
    from node.daemon import parse_args

    return parse_args(argv)


def run_daemon(
    args: argparse.Namespace,
    stop: threading.Event,
    *,
    on_open: Callable[[Node], None] | None = None,
    on_close: Callable[[Node], None] | None = None,
    handle_signals: bool = True,
    log_to_stderr: bool = True,
) -> int:
    """Run the node daemon (node.daemon.run) until `stop` is set; the exit status.

    `on_open(node)` runs once the node is open, before its services start; `on_close(node)`
    runs when the daemon closes the node, before the chain database closes (stop threads
    that read it there)."""
    from node.daemon import run

    def opened(node: Node) -> None:
        if on_close is not None:
            node.close_hooks.append(on_close)
        if on_open is not None:
            on_open(node)

    return run(
        args, stop, on_open=opened, handle_signals=handle_signals, log_to_stderr=log_to_stderr
    )
