"""Mempool RPCs: getmempoolinfo, getrawmempool, getmempoolentry/ancestors/descendants,
testmempoolaccept, sendrawtransaction. Registered only when node.mempool is present."""

from __future__ import annotations

from typing import Any

from node.mempool.entry import MempoolEntry
from node.mempool.errors import MempoolReject
from node.mempool.pool import Mempool
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import (
    INVALID_ADDRESS_OR_KEY,
    INVALID_PARAMETER,
    METHOD_NOT_FOUND,
    VERIFY_ALREADY_IN_CHAIN,
    VERIFY_ERROR,
    VERIFY_REJECTED,
    RpcError,
)
from node.rpc.jsonfmt import Amount, parse_amount
from node.rpc.methods.common import decode_tx, parse_hash
from node.types.tx import OutPoint, Tx

DEFAULT_MAX_FEERATE = "0.10"
"""RUST per kvB, as bitcoind's default maxfeerate."""
MAX_TEST_TXS = 25


def translate(exc: Exception) -> RpcError | None:
    if isinstance(exc, MempoolReject):
        return reject_error(exc)
    return None


def reject_error(exc: MempoolReject) -> RpcError:
    if exc.reason == "missing-inputs":
        return RpcError(VERIFY_ERROR, "bad-txns-inputs-missingorspent")
    if exc.reason == "max-fee-exceeded":
        return RpcError(
            VERIFY_ERROR, "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
        )
    text = exc.reason if not exc.message else f"{exc.reason} ({exc.message})"
    return RpcError(VERIFY_REJECTED, text)


method = Collector("mempool", translate)


def _pool(ctx: Context) -> Mempool:
    pool = ctx.node.mempool
    if pool is None:
        raise RpcError(METHOD_NOT_FOUND, "Method not found (no mempool)")
    return pool


def entry_json(pool: Mempool, entry: MempoolEntry) -> dict[str, Any]:
    txid = entry.txid
    depends = sorted({i.prevout.txid.hex() for i in entry.tx.inputs if i.prevout.txid in pool})
    spentby = set()
    for vout in range(len(entry.tx.outputs)):
        child = pool.spender_of(OutPoint(txid, vout))
        if child is not None:
            spentby.add(child.hex())
    return {
        "vsize": entry.size,
        "size": entry.size,
        "time": int(entry.time),
        "height": entry.height,
        "descendantcount": entry.descendant_count,
        "descendantsize": entry.descendant_size,
        "ancestorcount": entry.ancestor_count,
        "ancestorsize": entry.ancestor_size,
        "wtxid": entry.tx.wtxid.hex(),
        "fees": {
            "base": Amount(entry.fee),
            "modified": Amount(entry.fee),
            "ancestor": Amount(entry.ancestor_fees),
            "descendant": Amount(entry.descendant_fees),
        },
        "depends": depends,
        "spentby": sorted(spentby),
        "bip125-replaceable": True,
        "unbroadcast": False,
    }


def _entry(pool: Mempool, txid: str) -> MempoolEntry:
    entry = pool.get(parse_hash(txid, "txid"))
    if entry is None:
        raise RpcError(INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
    return entry


def _listing(pool: Mempool, txids: set[bytes] | list[bytes], verbose: bool) -> Any:
    if not verbose:
        return [t.hex() for t in sorted(txids)]
    out = {}
    for t in sorted(txids):
        entry = pool.get(t)
        if entry is not None:
            out[t.hex()] = entry_json(pool, entry)
    return out


@method
def getmempoolinfo(ctx: Context) -> dict[str, Any]:
    """Mempool state: {loaded, size, bytes, usage, total_fee, maxmempool, mempoolminfee,
    minrelaytxfee, ...}; fee rates in RUST per kvB."""
    pool = _pool(ctx)
    info: dict[str, Any] = {"loaded": True}
    for key, value in pool.info().items():
        if key in ("mempoolminfee", "minrelaytxfee", "total_fee", "incrementalrelayfee"):
            info[key] = Amount(int(value))
        else:
            info[key] = value
    return info


@method
def getrawmempool(ctx: Context, verbose: bool = False) -> Any:
    """All transaction ids in the mempool: ["txid", ...], or (verbose) {txid: entry} with
    entry = {vsize, size, time, height, descendantcount, descendantsize, ancestorcount,
    ancestorsize, wtxid, fees: {base, modified, ancestor, descendant}, depends, spentby,
    bip125-replaceable, unbroadcast}."""
    pool = _pool(ctx)
    return _listing(pool, list(pool.entries), verbose)


@method
def getmempoolentry(ctx: Context, txid: str) -> dict[str, Any]:
    """The mempool entry of `txid` (shape as getrawmempool verbose); -5 if absent."""
    pool = _pool(ctx)
    return entry_json(pool, _entry(pool, txid))


@method
def getmempoolancestors(ctx: Context, txid: str, verbose: bool = False) -> Any:
    """In-mempool ancestors of `txid`: ["txid"] or (verbose) {txid: entry}."""
    pool = _pool(ctx)
    return _listing(pool, pool.ancestors(_entry(pool, txid).txid), verbose)


@method
def getmempooldescendants(ctx: Context, txid: str, verbose: bool = False) -> Any:
    """In-mempool descendants of `txid`: ["txid"] or (verbose) {txid: entry}."""
    pool = _pool(ctx)
    return _listing(pool, pool.descendants(_entry(pool, txid).txid), verbose)


def _max_fee(tx: Tx, maxfeerate: float | str) -> int | None:
    try:
        rate = parse_amount(maxfeerate, allow_zero=True)
    except (TypeError, ValueError) as exc:
        raise RpcError(INVALID_PARAMETER, f"maxfeerate: {exc}") from None
    return None if rate == 0 else rate * tx.size // 1000


def _in_chain(ctx: Context, tx: Tx) -> bool:
    txindex = ctx.node.txindex
    if txindex is not None:
        return txindex.lookup(tx.txid) is not None
    with ctx.node.chainstate.db.read() as txn:
        return any(txn.has_coin(OutPoint(tx.txid, i)) for i in range(len(tx.outputs)))


@method
def testmempoolaccept(
    ctx: Context,
    rawtxs: list[Any],
    maxfeerate: float | str = DEFAULT_MAX_FEERATE,  # noqa: PT028 - an RPC, not a test
) -> list[dict[str, Any]]:
    """Would these transactions (hex, each checked on its own) be accepted?

    Result: [{txid, wtxid, allowed, vsize, fees: {base}} | {txid, wtxid, allowed: false,
    reject-reason}]"""
    pool = _pool(ctx)
    if not 1 <= len(rawtxs) <= MAX_TEST_TXS:
        raise RpcError(INVALID_PARAMETER, "Array must contain between 1 and 25 transactions.")
    if not all(isinstance(r, str) for r in rawtxs):
        raise RpcError(INVALID_PARAMETER, "rawtxs must be an array of hex strings")
    txs = [decode_tx(r) for r in rawtxs]
    results = []
    for tx in txs:
        item: dict[str, Any] = {"txid": tx.txid.hex(), "wtxid": tx.wtxid.hex()}
        try:
            res = pool.accept(tx, test_only=True, max_fee=_max_fee(tx, maxfeerate))
        except MempoolReject as exc:
            item["allowed"] = False
            item["reject-reason"] = exc.reason
        else:
            item.update(allowed=True, vsize=res.size, fees={"base": Amount(res.fee)})
        results.append(item)
    return results


@method
def sendrawtransaction(
    ctx: Context, hexstring: str, maxfeerate: float | str = DEFAULT_MAX_FEERATE
) -> str:
    """Submits a raw transaction (hex) to the mempool. Result: "txid".

    Errors: -22 undecodable, -25 missing inputs or fee above maxfeerate, -26 rejected by
    policy or consensus (the reject reason), -27 already in the block chain."""
    pool = _pool(ctx)
    tx = decode_tx(hexstring)
    if tx.txid in pool:
        return tx.txid.hex()
    if _in_chain(ctx, tx):
        raise RpcError(VERIFY_ALREADY_IN_CHAIN, "Transaction already in block chain")
    pool.accept(tx, max_fee=_max_fee(tx, maxfeerate))
    return tx.txid.hex()
