"""Helpers shared by the method modules: argument parsing and JSON shapes of chain objects.

Hashes and txids are the hex of their stored bytes (no reversal); amounts are `Amount`
(printed as RUST with 8 decimals).
"""

from __future__ import annotations

from typing import Any

from node.chain.chainstate import Chainstate
from node.chain.index import IndexEntry
from node.consensus.pow import target_from_bits
from node.params import ChainParams
from node.rpc.errors import DESERIALIZATION_ERROR, INVALID_PARAMETER, RpcError
from node.rpc.jsonfmt import Amount
from node.script.asm import to_asm
from node.script.templates import address_for_script, classify
from node.types.block import Block, BlockHeader
from node.types.errors import SerializationError
from node.types.tx import Tx, TxType


def parse_hash(value: str, name: str) -> bytes:
    """32 bytes from 64 hex digits, with bitcoind's -8 messages."""
    if len(value) != 64:
        raise RpcError(
            INVALID_PARAMETER, f"{name} must be of length 64 (not {len(value)}, for '{value}')"
        )
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise RpcError(
            INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')"
        ) from None


def parse_hex(value: str, name: str) -> bytes:
    try:
        if len(value) % 2:
            raise ValueError
        return bytes.fromhex(value)
    except ValueError:
        raise RpcError(
            INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value[:80]}')"
        ) from None


def decode_tx(hexstring: str) -> Tx:
    """A transaction from hex; -22 "TX decode failed" for anything undecodable."""
    try:
        raw = bytes.fromhex(hexstring)
        return Tx.deserialize(raw)
    except (ValueError, SerializationError) as exc:
        raise RpcError(DESERIALIZATION_ERROR, f"TX decode failed: {exc}") from None


def decode_block(hexstring: str) -> Block:
    try:
        return Block.deserialize(bytes.fromhex(hexstring))
    except (ValueError, SerializationError) as exc:
        raise RpcError(DESERIALIZATION_ERROR, f"Block decode failed: {exc}") from None


def difficulty(bits: int, params: ChainParams) -> float:
    """pow_limit / target, as a float (1.0 at the easiest difficulty)."""
    return params.pow_limit / max(target_from_bits(bits), 1)


def script_json(script: bytes, params: ChainParams, *, with_type: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"asm": to_asm(script), "hex": script.hex()}
    if with_type:
        out["type"] = classify(script).value
        address = address_for_script(script, params.bech32_hrp)
        if address is not None:
            out["address"] = address
    return out


def tx_json(tx: Tx, params: ChainParams) -> dict[str, Any]:
    """decoderawtransaction's shape."""
    vin: list[dict[str, Any]] = []
    for txin, witness in zip(tx.inputs, tx.witnesses, strict=True):
        if tx.tx_type == TxType.COINBASE:
            vin.append({"coinbase": witness.hex(), "sequence": txin.sequence})
            continue
        vin.append(
            {
                "txid": txin.prevout.txid.hex(),
                "vout": txin.prevout.vout,
                "scriptSig": script_json(witness, params, with_type=False),
                "sequence": txin.sequence,
            }
        )
    vout = [
        {"value": Amount(out.value), "n": n, "scriptPubKey": script_json(out.script_pubkey, params)}
        for n, out in enumerate(tx.outputs)
    ]
    return {
        "txid": tx.txid.hex(),
        "hash": tx.wtxid.hex(),
        "version": tx.version,
        "type": int(tx.tx_type),
        "typename": tx.tx_type.name.lower(),
        "size": tx.size,
        "locktime": tx.lock_time,
        "vin": vin,
        "vout": vout,
        "payload": tx.payload.hex(),
    }


def confirmations(cs: Chainstate, entry: IndexEntry) -> int:
    return cs.height - entry.height + 1 if cs.on_active_chain(entry) else -1


def header_json(cs: Chainstate, entry: IndexEntry) -> dict[str, Any]:
    header: BlockHeader = entry.header
    out: dict[str, Any] = {
        "hash": entry.hash.hex(),
        "confirmations": confirmations(cs, entry),
        "height": entry.height,
        "version": header.version,
        "merkleroot": header.merkle_root.hex(),
        "votesroot": header.votes_root.hex(),
        "stateroot": header.state_root.hex(),
        "time": header.timestamp,
        "mediantime": cs.median_time_past(entry),
        "nonce": header.nonce,
        "bits": f"{header.bits:08x}",
        "target": f"{target_from_bits(header.bits):064x}",
        "difficulty": difficulty(header.bits, cs.params),
        "chainwork": f"{entry.chain_work:064x}",
        "nTx": entry.tx_count,
    }
    if entry.parent is not None:
        out["previousblockhash"] = entry.parent.hash.hex()
    if cs.on_active_chain(entry) and entry.height < cs.height:
        out["nextblockhash"] = cs.active[entry.height + 1].hash.hex()
    return out


def block_json(cs: Chainstate, entry: IndexEntry, block: Block, verbosity: int) -> dict[str, Any]:
    out = header_json(cs, entry)
    out["size"] = block.size
    if verbosity >= 2:
        out["tx"] = [tx_json(tx, cs.params) for tx in block.txs]
    else:
        out["tx"] = [tx.txid.hex() for tx in block.txs]
    out["votes"] = [
        {"ticket": v.ticket_id.hex(), "votebits": v.vote_bits, "sig": v.sig.hex()}
        for v in block.votes
    ]
    return out
