"""Blockchain RPCs: chain state, blocks, headers, tips, UTXOs, transactions, proofs."""

from __future__ import annotations

from typing import Any

from node.chain.errors import UnknownBlock
from node.consensus.checks import check_block
from node.consensus.errors import ConsensusError
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import INVALID_ADDRESS_OR_KEY, INVALID_PARAMETER, MISC_ERROR, RpcError
from node.rpc.jsonfmt import Amount
from node.rpc.methods.common import (
    block_json,
    confirmations,
    decode_tx,
    difficulty,
    header_json,
    parse_hash,
    parse_hex,
    script_json,
    tx_json,
)
from node.script.asm import to_asm
from node.script.templates import address_for_script, classify, p2sh_script_for_redeem
from node.storage.schema import state_utxo_key
from node.types.tx import OutPoint

method = Collector("blockchain")


def _entry(ctx: Context, blockhash: str) -> Any:
    try:
        return ctx.node.chainstate.entry(parse_hash(blockhash, "blockhash"))
    except UnknownBlock:
        raise RpcError(INVALID_ADDRESS_OR_KEY, "Block not found") from None


@method
def getblockcount(ctx: Context) -> int:
    """Returns the height of the most-work fully-validated chain (genesis is 0).

    Result: n (numeric)"""
    return ctx.node.chainstate.height


@method
def getbestblockhash(ctx: Context) -> str:
    """Returns the hash of the best (tip) block of the most-work chain.

    Result: "hex" (string)"""
    return ctx.node.chainstate.tip.hash.hex()


@method
def getblockhash(ctx: Context, height: int) -> str:
    """Returns the hash of the block at `height` on the best chain.

    Arguments: height (numeric, required)
    Result: "hex" (string)"""
    cs = ctx.node.chainstate
    if not 0 <= height <= cs.height:
        raise RpcError(INVALID_PARAMETER, "Block height out of range")
    return cs.active[height].hash.hex()


@method
def getblockchaininfo(ctx: Context) -> dict[str, Any]:
    """Returns the state of the block chain.

    Result: {chain, blocks, headers, bestblockhash, bits, target, difficulty, time,
    mediantime, verificationprogress, initialblockdownload, chainwork, size_on_disk,
    pruned, warnings}"""
    cs = ctx.node.chainstate
    tip = cs.tip
    headers = max((e.height for e in cs.entries.values() if not e.is_invalid), default=0)
    start = cs.params.genesis_timestamp
    span = max(1.0, cs.clock() - start)
    progress = max(0.0, min(1.0, (tip.timestamp - start) / span))
    return {
        "chain": cs.params.name,
        "blocks": tip.height,
        "headers": headers,
        "bestblockhash": tip.hash.hex(),
        "bits": f"{tip.bits:08x}",
        "target": header_json(cs, tip)["target"],
        "difficulty": difficulty(tip.bits, cs.params),
        "time": tip.timestamp,
        "mediantime": cs.median_time_past(tip),
        "verificationprogress": progress,
        "initialblockdownload": cs.is_initial_block_download(),
        "chainwork": f"{tip.chain_work:064x}",
        "size_on_disk": cs.db.used_bytes,
        "pruned": False,
        "warnings": "",
    }


@method
def getblock(ctx: Context, blockhash: str, verbosity: int = 1) -> Any:
    """Returns a block. verbosity 0: hex; 1: an object with txids; 2: with decoded txs.

    Arguments: blockhash (string, required), verbosity (numeric, default 1)
    Result (1): {hash, confirmations, height, version, merkleroot, votesroot, stateroot,
    time, mediantime, nonce, bits, target, difficulty, chainwork, nTx, previousblockhash,
    nextblockhash, size, tx: [txid], votes: [{ticket, votebits, sig}]}"""
    if verbosity not in (0, 1, 2):
        raise RpcError(INVALID_PARAMETER, "verbosity must be 0, 1 or 2")
    cs = ctx.node.chainstate
    entry = _entry(ctx, blockhash)
    if not entry.has_data:
        raise RpcError(MISC_ERROR, "Block not available (not fully downloaded)")
    block = cs.get_block(entry.hash)
    if verbosity == 0:
        return block.serialize().hex()
    return block_json(cs, entry, block, verbosity)


@method
def getblockheader(ctx: Context, blockhash: str, verbose: bool = True) -> Any:
    """Returns a block header: an object (verbose, default) or the 160-byte header in hex.

    Arguments: blockhash (string, required), verbose (boolean, default true)"""
    entry = _entry(ctx, blockhash)
    if not verbose:
        return entry.header.serialize().hex()
    return header_json(ctx.node.chainstate, entry)


@method
def getchaintips(ctx: Context) -> list[dict[str, Any]]:
    """Returns every leaf of the block tree: [{height, hash, branchlen, status}], status one
    of active, valid-fork, headers-only, invalid."""
    return [
        {"height": t.height, "hash": t.hash.hex(), "branchlen": t.branch_length,
         "status": t.status}
        for t in ctx.node.chainstate.chain_tips()
    ]  # fmt: skip


@method
def gettxout(ctx: Context, txid: str, n: int, include_mempool: bool = True) -> Any:
    """Returns an unspent output, or null when it is spent or unknown. With include_mempool
    (default) outputs spent in the mempool are null and mempool outputs are shown with 0
    confirmations.

    Result: {bestblock, confirmations, value, scriptPubKey: {asm, hex, type, address},
    coinbase}"""
    node = ctx.node
    cs = node.chainstate
    if n < 0 or n > 0xFFFFFFFF:
        raise RpcError(INVALID_PARAMETER, "vout cannot be negative or above 2^32-1")
    outpoint = OutPoint(parse_hash(txid, "txid"), n)
    if include_mempool and node.mempool is not None:
        coin = node.mempool.get_coin(outpoint)
    else:
        with cs.db.read() as txn:
            coin = txn.get_coin(outpoint)
    if coin is None:
        return None
    confs = 0 if coin.height > cs.height else cs.height - coin.height + 1
    return {
        "bestblock": cs.tip.hash.hex(),
        "confirmations": confs,
        "value": Amount(coin.value),
        "scriptPubKey": script_json(coin.script_pubkey, cs.params),
        "coinbase": coin.is_coinbase,
    }


@method
def gettxoutsetinfo(ctx: Context) -> dict[str, Any]:
    """Statistics about the UTXO set: {height, bestblock, txouts, total_amount,
    hash_serialized (BLAKE3 over every coin in key order), stateroot}."""
    cs = ctx.node.chainstate
    with cs.db.read() as txn:
        count = txn.utxo_count()
        total = sum(coin.value for _, coin in txn.iter_utxos())
        digest = txn.utxo_set_digest()
    return {
        "height": cs.height,
        "bestblock": cs.tip.hash.hex(),
        "txouts": count,
        "total_amount": Amount(total),
        "hash_serialized": digest.hex(),
        "stateroot": cs.tip.header.state_root.hex(),
    }


@method
def getrawtransaction(
    ctx: Context, txid: str, verbose: bool = False, blockhash: str | None = None
) -> Any:
    """Returns a transaction from the mempool, the tx index, or the given block.

    Arguments: txid (string), verbose (boolean, default false), blockhash (string, optional)
    Result: "hex", or (verbose) decoderawtransaction's object plus hex, and for confirmed
    transactions blockhash, confirmations, time, blocktime, in_active_chain."""
    node = ctx.node
    cs = node.chainstate
    key = parse_hash(txid, "parameter 1")
    tx = None
    entry = None
    if blockhash is not None:
        entry = _entry(ctx, blockhash)
        block = cs.get_block(entry.hash)
        tx = next((t for t in block.txs if t.txid == key), None)
        if tx is None:
            raise RpcError(
                INVALID_ADDRESS_OR_KEY, "No such transaction found in the provided block."
            )
    else:
        pooled = node.mempool.get(key) if node.mempool is not None else None
        if pooled is not None:
            tx = pooled.tx
        elif node.txindex is not None:
            found = node.txindex.lookup(key)
            if found is not None:
                entry = cs.entry(found[0])
                tx = cs.get_block(found[0]).txs[found[1]]
    if tx is None:
        raise RpcError(
            INVALID_ADDRESS_OR_KEY,
            "No such mempool or blockchain transaction. Use gettransaction for wallet "
            "transactions.",
        )
    if not verbose:
        return tx.serialize().hex()
    out = tx_json(tx, cs.params)
    out["hex"] = tx.serialize().hex()
    if entry is not None:
        out["blockhash"] = entry.hash.hex()
        out["in_active_chain"] = cs.on_active_chain(entry)
        out["confirmations"] = max(confirmations(cs, entry), 0)
        out["time"] = out["blocktime"] = entry.timestamp
    return out


@method.nolock
def decoderawtransaction(ctx: Context, hexstring: str) -> dict[str, Any]:
    """Decodes a serialized transaction (hex) without checking it against the chain.

    Result: {txid, hash (wtxid), version, type, typename, size, locktime,
    vin: [{txid, vout, scriptSig: {asm, hex}, sequence} | {coinbase, sequence}],
    vout: [{value, n, scriptPubKey: {asm, hex, type, address}}], payload}"""
    return tx_json(decode_tx(hexstring), ctx.node.params)


@method.nolock
def decodescript(ctx: Context, hexstring: str) -> dict[str, Any]:
    """Decodes a hex script: {asm, type, address (if standard P2PKH/P2SH), p2sh (the P2SH
    address of this script as a redeem script)}."""
    script = parse_hex(hexstring, "argument")
    hrp = ctx.node.params.bech32_hrp
    out: dict[str, Any] = {"asm": to_asm(script), "type": classify(script).value}
    address = address_for_script(script, hrp)
    if address is not None:
        out["address"] = address
    if out["type"] != "p2sh":
        out["p2sh"] = address_for_script(p2sh_script_for_redeem(script), hrp)
    return out


@method
def verifychain(ctx: Context, checklevel: int = 3, nblocks: int = 6) -> bool:
    """Re-checks the last `nblocks` blocks of the best chain (0 = all). Level 0: block data
    readable; 1: context-free block checks; 2+: undo data present. Result: true|false."""
    if not 0 <= checklevel <= 4:
        raise RpcError(INVALID_PARAMETER, "checklevel must be between 0 and 4")
    if nblocks < 0:
        raise RpcError(INVALID_PARAMETER, "nblocks must be >= 0")
    cs = ctx.node.chainstate
    count = cs.height if nblocks == 0 else min(nblocks, cs.height)
    for height in range(cs.height, cs.height - count, -1):
        entry = cs.active[height]
        with cs.db.read() as txn:
            block = txn.get_block(entry.hash)
            undo = txn.get_undo(entry.hash) if checklevel >= 2 else True
        if block is None or undo is None:
            return False
        if checklevel >= 1:
            try:
                check_block(block, cs.params, allowed_tx_types=cs.allowed_tx_types)
            except ConsensusError:
                return False
    return True


@method
def getstateproof(ctx: Context, key: str, vout: int | None = None) -> dict[str, Any]:
    """A state-trie proof under the tip's state root, for light clients.

    Arguments: key (string: a raw trie key in hex, or a txid when vout is given),
    vout (numeric, optional: prove the UTXO entry txid:vout)
    Result: {stateroot, key, proof: ["hex node", ...]} (check with verify_proof)"""
    if vout is not None:
        if not 0 <= vout <= 0xFFFFFFFF:
            raise RpcError(INVALID_PARAMETER, "vout out of range")
        raw_key = state_utxo_key(OutPoint(parse_hash(key, "txid"), vout))
    else:
        raw_key = parse_hex(key, "key")
        if not raw_key:
            raise RpcError(INVALID_PARAMETER, "key must not be empty")
    root, proof = ctx.node.chainstate.state_proof(raw_key)
    return {"stateroot": root.hex(), "key": raw_key.hex(), "proof": [p.hex() for p in proof]}
