"""Mining RPCs: getmininginfo, getblocktemplate, submitblock, generatetoaddress."""

from __future__ import annotations

from typing import Any

from node.chain.chainstate import ProcessResult
from node.consensus.errors import ConsensusError
from node.consensus.pow import target_from_bits
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import (
    INVALID_ADDRESS_OR_KEY,
    INVALID_PARAMETER,
    METHOD_NOT_FOUND,
    MISC_ERROR,
    RpcError,
)
from node.rpc.methods.common import decode_block, difficulty
from node.rpc.node import optional_module
from node.script.errors import ScriptError
from node.script.templates import script_for_address

method = Collector("mining")

GENERATE_NETWORKS = ("regtest", "devnet")
MAX_GENERATE = 1000
MAX_RETRIES = 100


def payout_script(ctx: Context, address: str) -> bytes:
    try:
        return script_for_address(address, ctx.node.params.bech32_hrp)
    except ScriptError:
        raise RpcError(INVALID_ADDRESS_OR_KEY, "Error: Invalid address") from None


@method
def getmininginfo(ctx: Context) -> dict[str, Any]:
    """Mining-related information: {blocks, currentblocksize, currentblocktx, bits, target,
    difficulty, pooledtx, chain, warnings}."""
    node = ctx.node
    cs = node.chainstate
    tip = cs.tip
    bits = cs.expected_bits(tip)
    return {
        "blocks": tip.height,
        "currentblocksize": tip.size,
        "currentblocktx": max(tip.tx_count - 1, 0),
        "bits": f"{bits:08x}",
        "target": f"{target_from_bits(bits):064x}",
        "difficulty": difficulty(bits, cs.params),
        "pooledtx": len(node.mempool) if node.mempool is not None else 0,
        "chain": cs.params.name,
        "warnings": "",
    }


@method.nolock
def generatetoaddress(
    ctx: Context, nblocks: int, address: str, maxtries: int = 1_000_000
) -> list[str]:
    """Mines `nblocks` blocks (with mempool transactions and, from stake_validation_height
    on, the votes of the node's wallets or relayed by peers) paying `address`; regtest and
    devnet only. Result: ["blockhash", ...]"""
    node = ctx.node
    if node.params.name not in GENERATE_NETWORKS:
        raise RpcError(MISC_ERROR, "generatetoaddress is only available on regtest and devnet")
    if not 0 <= nblocks <= MAX_GENERATE:
        raise RpcError(INVALID_PARAMETER, f"nblocks must be between 0 and {MAX_GENERATE}")
    if maxtries < 1:
        raise RpcError(INVALID_PARAMETER, "maxtries must be positive")
    script = payout_script(ctx, address)
    hashes: list[str] = []
    # Runs without the chainstate lock (mine_block takes it to build and to submit), so
    # votes and blocks from peers keep flowing while it waits for votes.
    retries = 0
    while len(hashes) < nblocks:
        block = node.mine_block(script)
        if block is not None:
            hashes.append(block.hash.hex())
            continue
        cs = node.chainstate
        params = node.params
        have = 0 if node.votes is None else len(node.votes.votes_for(cs.tip.hash))
        if cs.height + 1 >= params.stake_validation_height and have < params.min_votes_per_block:
            raise RpcError(
                MISC_ERROR,
                f"cannot mine block {cs.height + 1}: {have} vote(s) for the tip, "
                f"{params.min_votes_per_block} needed from stake_validation_height "
                f"{params.stake_validation_height} (the node's wallets hold too few "
                "live tickets; buy some with purchaseticket)",
            )
        retries += 1  # another block took the tip meanwhile: build on the new one
        if retries > MAX_RETRIES:
            raise RpcError(MISC_ERROR, "the tip kept changing; mined " + str(len(hashes)))
    return hashes


@method
def submitblock(ctx: Context, hexdata: str) -> str | None:
    """Submits a solved block (hex). Result: null when accepted, else a reason string
    ("duplicate", "duplicate-invalid", "inconclusive" for an unknown parent, or the
    consensus reject reason such as "high-hash" or "bad-txnmrklroot")."""
    block = decode_block(hexdata)
    try:
        result = ctx.node.chainstate.process_block(block)
    except ConsensusError as exc:
        return exc.reason
    if result is ProcessResult.DUPLICATE:
        return "duplicate"
    if result is ProcessResult.ORPHAN:
        return "inconclusive"
    return None


@method
def getblocktemplate(ctx: Context, template_request: dict[str, Any] | None = None) -> Any:
    """A block template built from the mempool by ancestor feerate (Core's field names:
    version, previousblockhash, transactions [{data, txid, hash, fee, sigops, depends}],
    coinbasevalue, target, mintime, curtime, bits, height, sizelimit, sigoplimit, plus
    stateroot and votesroot).

    Arguments: template_request (object) with "payoutaddress" (required: the state root
    commits to the coinbase, so the template is built for that payout)."""
    node = ctx.node
    template = optional_module("node.mempool.template")
    if template is None or node.mempool is None:
        raise RpcError(METHOD_NOT_FOUND, "Method not found (no mempool in this build)")
    request = template_request or {}
    if request.get("mode", "template") != "template":
        raise RpcError(INVALID_PARAMETER, "Invalid mode")
    address = request.get("payoutaddress")
    if not isinstance(address, str):
        raise RpcError(INVALID_PARAMETER, "template_request.payoutaddress (string) is required")
    built = template.build_template(node.chainstate, node.mempool, payout_script(ctx, address))
    gbt: dict[str, Any] = built.to_gbt()
    return gbt
