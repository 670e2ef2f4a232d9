"""Transactions in Esplora's shape, their status, raw bytes, Merkle proofs and outspends.

Esplora transaction fields: txid, version, locktime, vin[], vout[], size, weight, fee, status.
vin[]: txid, vout, prevout, scriptsig, scriptsig_asm, witness, is_coinbase, sequence.
vout[]: scriptpubkey, scriptpubkey_asm, scriptpubkey_type, scriptpubkey_address (absent when
the script has no single address), value. status: confirmed, block_height, block_hash,
block_time (the last three only when confirmed).

Rusty Coin choices, documented in docs/REST.md:
* each input's witness (SPEC §3: one unlocking script per input, not part of the txid) is
  shown as `scriptsig`/`scriptsig_asm`; `witness` is always an empty list;
* `weight` = 4 x size (no witness discount), `fee` = 0 for the coinbase;
* scriptpubkey_type: p2pkh, p2sh, multisig, htlc, op_return (nulldata), empty, unknown;
* extras: wtxid, tx_type (the SPEC §3.1 number) and tx_type_name (lowercase name); a
  confirmed SLASH also has `burns`: the ticket stakes it destroyed without an input
  ([{txid, vout, prevout}]), so a client can account for them as spends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from django.db.models import Q

from indexer.models import Block, Transaction, TxInput, TxOutput
from indexer.read import mempool
from indexer.read.chain import get_block
from indexer.read.errors import InvalidInput, NotFound
from indexer.read.mempool import MempoolEntry
from node.api import script_asm, script_kind
from node.crypto.hashes import H
from node.crypto.merkle import merkle_proof as compact_merkle_proof
from node.types.tx import TxType

TXS_PER_PAGE: Final = 25
"""Transactions per page of block txs and address history (Esplora's CHAIN_TXS_PER_PAGE)."""
TX_NOT_FOUND: Final = "Transaction not found"
_TYPE_NAMES: Final = {"nulldata": "op_return", "nonstandard": "unknown"}
_PREVOUT_CHUNK: Final = 400

Prevout = tuple[int, bytes, str, str | None]
"""(value, script_pubkey, script kind, address) of a spent output."""


def esplora_script_type(kind: str, script: bytes) -> str:
    """Esplora's scriptpubkey_type for the indexer's script_type."""
    if not script:
        return "empty"
    return _TYPE_NAMES.get(kind, kind)


def tx_type_name(tx_type: int) -> str:
    """The lowercase SPEC §3.1 name of a tx_type number ("unknown" for others)."""
    try:
        return TxType(tx_type).name.lower()
    except ValueError:
        return "unknown"


def output_json(value: int, script: bytes, kind: str, address: str | None) -> dict[str, Any]:
    """One Esplora vout / prevout object."""
    out: dict[str, Any] = {
        "scriptpubkey": script.hex(),
        "scriptpubkey_asm": script_asm(script),
        "scriptpubkey_type": esplora_script_type(kind, script),
    }
    if address:
        out["scriptpubkey_address"] = address
    out["value"] = value
    return out


def confirmed_status(height: int, block_hash: str, block_time: int) -> dict[str, Any]:
    """Esplora status of a transaction confirmed in a main-chain block."""
    return {
        "confirmed": True,
        "block_height": height,
        "block_hash": block_hash,
        "block_time": block_time,
    }


UNCONFIRMED: Final[dict[str, Any]] = {"confirmed": False}


def prevouts(outpoints: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Prevout]:
    """The confirmed outputs among `outpoints`, fetched in chunks."""
    wanted = sorted(set(outpoints))
    found: dict[tuple[str, int], Prevout] = {}
    for start in range(0, len(wanted), _PREVOUT_CHUNK):
        chunk = wanted[start : start + _PREVOUT_CHUNK]
        query = Q()
        for txid, vout in chunk:
            query |= Q(tx__txid=txid, index=vout)
        rows = TxOutput.objects.filter(query).values_list(
            "tx__txid", "index", "value", "script_pubkey", "script_type", "address"
        )
        for txid, index, value, script, kind, address in rows:
            found[(txid, index)] = (value, bytes(script), kind, address)
    return found


def _mempool_prevout(view: mempool.MempoolView, txid: str, vout: int) -> Prevout | None:
    entry = view.entries.get(txid)
    if entry is None or vout >= len(entry.tx.outputs):
        return None
    out = entry.tx.outputs[vout]
    return (out.value, out.script_pubkey, script_kind(out.script_pubkey), entry.addresses[vout])


def _input_json(
    prev_txid: str,
    prev_vout: int,
    script_sig: bytes,
    sequence: int,
    is_coinbase: bool,
    prevout: Prevout | None,
) -> dict[str, Any]:
    return {
        "txid": prev_txid,
        "vout": prev_vout,
        "prevout": None if prevout is None else output_json(*prevout),
        "scriptsig": script_sig.hex(),
        "scriptsig_asm": script_asm(script_sig),
        "witness": [],
        "is_coinbase": is_coinbase,
        "sequence": sequence,
    }


def confirmed_txs_json(rows: Sequence[Transaction]) -> list[dict[str, Any]]:
    """Esplora objects of confirmed transactions (rows with `block` selected), same order."""
    ids = [t.id for t in rows]
    outputs: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    out_rows = TxOutput.objects.filter(tx_id__in=ids).order_by("tx_id", "index")
    for tx_id, value, script, kind, address in out_rows.values_list(
        "tx_id", "value", "script_pubkey", "script_type", "address"
    ):
        outputs[tx_id].append(output_json(value, bytes(script), kind, address))
    in_rows = list(
        TxInput.objects.filter(tx_id__in=ids)
        .order_by("tx_id", "index")
        .values_list("tx_id", "prev_txid", "prev_vout", "script_sig", "sequence")
    )
    coinbase_ids = {t.id for t in rows if t.is_coinbase}
    spent = prevouts((r[1], r[2]) for r in in_rows if r[0] not in coinbase_ids)
    burns = _burns([t.txid for t in rows if t.tx_type == TxType.SLASH])
    inputs: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for tx_id, prev_txid, prev_vout, script_sig, sequence in in_rows:
        is_cb = tx_id in coinbase_ids
        prevout = None if is_cb else spent.get((prev_txid, prev_vout))
        inputs[tx_id].append(
            _input_json(prev_txid, prev_vout, bytes(script_sig), sequence, is_cb, prevout)
        )
    result = []
    for t in rows:
        data = {
            "txid": t.txid,
            "version": t.version,
            "locktime": t.lock_time,
            "vin": inputs[t.id],
            "vout": outputs[t.id],
            "size": t.size,
            "weight": t.size * 4,
            "fee": t.fee or 0,
            "status": confirmed_status(t.height, t.block.hash, t.block.timestamp),
            "wtxid": t.wtxid,
            "tx_type": t.tx_type,
            "tx_type_name": tx_type_name(t.tx_type),
        }
        if t.tx_type == TxType.SLASH:
            data["burns"] = burns.get(t.txid, [])
        result.append(data)
    return result


def _burns(slash_txids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """{SLASH txid: [{txid, vout, prevout}]} of the stakes those transactions burned."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not slash_txids:
        return out
    rows = TxOutput.objects.filter(
        spent_by_txid__in=slash_txids, spent_by_index__isnull=True
    ).values_list("spent_by_txid", "tx__txid", "index", "value", "script_pubkey", "script_type",
                  "address")  # fmt: skip
    for by, txid, index, value, script, kind, address in rows:
        prevout = output_json(value, bytes(script), kind, address)
        out.setdefault(by, []).append({"txid": txid, "vout": index, "prevout": prevout})
    return out


def mempool_txs_json(entries: Sequence[MempoolEntry]) -> list[dict[str, Any]]:
    """Esplora objects of mempool transactions (status {"confirmed": false})."""
    view = mempool.view()
    outpoints = [(i.prevout.txid.hex(), i.prevout.vout) for e in entries for i in e.tx.inputs]
    confirmed = prevouts(op for op in outpoints if op[0] not in view.entries)
    result = []
    for e in entries:
        tx = e.tx
        vin = []
        for txin, script_sig in zip(tx.inputs, tx.witnesses, strict=True):
            key = (txin.prevout.txid.hex(), txin.prevout.vout)
            prevout = confirmed.get(key) or _mempool_prevout(view, *key)
            vin.append(_input_json(*key, script_sig, txin.sequence, False, prevout))
        vout = [
            output_json(o.value, o.script_pubkey, script_kind(o.script_pubkey), address)
            for o, address in zip(tx.outputs, e.addresses, strict=True)
        ]
        result.append(
            {
                "txid": e.txid,
                "version": tx.version,
                "locktime": tx.lock_time,
                "vin": vin,
                "vout": vout,
                "size": e.size,
                "weight": e.size * 4,
                "fee": e.fee,
                "status": dict(UNCONFIRMED),
                "wtxid": tx.wtxid.hex(),
                "tx_type": int(tx.tx_type),
                "tx_type_name": tx.tx_type.name.lower(),
            }
        )
    return result


def _confirmed(txid: str) -> Transaction | None:
    return Transaction.objects.select_related("block").filter(txid=txid).first()


def tx_json(txid: str) -> dict[str, Any]:
    """GET /tx/:txid: the transaction, confirmed or in the mempool snapshot."""
    row = _confirmed(txid)
    if row is not None:
        return confirmed_txs_json([row])[0]
    entry = mempool.view().entries.get(txid)
    if entry is None:
        raise NotFound(TX_NOT_FOUND)
    return mempool_txs_json([entry])[0]


def tx_status(txid: str) -> dict[str, Any]:
    """GET /tx/:txid/status. Unknown txids are a 404 (Esplora answers unconfirmed)."""
    row = (
        Transaction.objects.filter(txid=txid)
        .values_list("height", "block__hash", "block__timestamp")
        .first()
    )
    if row is not None:
        return confirmed_status(*row)
    if txid in mempool.view().entries:
        return dict(UNCONFIRMED)
    raise NotFound(TX_NOT_FOUND)


def tx_raw(txid: str) -> tuple[bytes, int | None]:
    """GET /tx/:txid/raw and /hex: the serialized transaction and its height (None when
    unconfirmed)."""
    row = Transaction.objects.filter(txid=txid).values_list("raw", "height").first()
    if row is not None:
        return bytes(row[0]), row[1]
    entry = mempool.view().entries.get(txid)
    if entry is None:
        raise NotFound(TX_NOT_FOUND)
    return entry.tx.serialize(), None


def merkle_proof(txid: str) -> dict[str, Any]:
    """GET /tx/:txid/merkle-proof in Electrum's blockchain.transaction.get_merkle format:
    {block_height, merkle: [sibling hex, bottom-up], pos}.

    The leaves of a Rusty Coin block's tree are the wtxids (SPEC §4), so the proof is of the
    `wtxid` (given as an extra) and an odd last node's sibling is itself, as in Electrum.
    Extras: wtxid, merkle_root, and `proof`: the same path in the node's compact format
    (node.crypto.merkle.MerkleProof: index u32 | leaf_count u32 | n | siblings).
    """
    row = Transaction.objects.filter(txid=txid).values_list("block_id", "position").first()
    if row is None:
        if txid in mempool.view().entries:
            raise NotFound("Transaction is unconfirmed")
        raise NotFound(TX_NOT_FOUND)
    block_id, pos = row
    block = Block.objects.get(id=block_id)
    level = [
        bytes.fromhex(w)
        for w in Transaction.objects.filter(block_id=block_id)
        .order_by("position")
        .values_list("wtxid", flat=True)
    ]
    compact = compact_merkle_proof(level, pos).serialize().hex()
    leaf = level[pos].hex()
    siblings: list[str] = []
    index = pos
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        siblings.append(level[index ^ 1].hex())
        level = [H(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        index >>= 1
    return {
        "block_height": block.height,
        "merkle": siblings,
        "pos": pos,
        "wtxid": leaf,
        "merkle_root": block.merkle_root,
        "proof": compact,
    }


def _spending_status(txids: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = Transaction.objects.filter(txid__in=set(txids)).values_list(
        "txid", "height", "block__hash", "block__timestamp"
    )
    return {txid: confirmed_status(h, bh, bt) for txid, h, bh, bt in rows}


def _outspends(txid: str, vouts: Sequence[int] | None) -> list[dict[str, Any]]:
    """Spending status of outputs `vouts` (all when None) of `txid`."""
    view = mempool.view()
    row = Transaction.objects.filter(txid=txid).values_list("id", "output_count").first()
    if row is not None:
        tx_id, count = row
        rows = TxOutput.objects.filter(tx_id=tx_id)
        if vouts is not None:
            rows = rows.filter(index__in=vouts)
        spent = {
            index: (by_txid, by_index)
            for index, by_txid, by_index in rows.values_list(
                "index", "spent_by_txid", "spent_by_index"
            )
        }
    else:
        entry = view.entries.get(txid)
        if entry is None:
            raise NotFound(TX_NOT_FOUND)
        count = len(entry.tx.outputs)
        spent = dict.fromkeys(range(count), (None, None))
    wanted = list(range(count)) if vouts is None else list(vouts)
    if any(v >= count for v in wanted):
        raise NotFound(f"Output not found (the transaction has {count} outputs)")
    statuses = _spending_status(s[0] for s in spent.values() if s[0])
    result = []
    for vout in wanted:
        by_txid, by_index = spent.get(vout, (None, None))
        if by_txid is None and (txid, vout) in view.spends:
            by_txid, by_index = view.spends[(txid, vout)]
        if by_txid is None:
            result.append({"spent": False})
            continue
        status = statuses.get(by_txid, dict(UNCONFIRMED))
        spend: dict[str, Any] = {"spent": True, "txid": by_txid}
        if by_index is not None:  # None: a stake burned by the SLASH `by_txid`
            spend["vin"] = by_index
        spend["status"] = status
        result.append(spend)
    return result


def outspend(txid: str, vout: int) -> dict[str, Any]:
    """GET /tx/:txid/outspend/:vout: {spent, txid, vin, status} (the last three when spent,
    by a confirmed transaction or one in the mempool snapshot). A ticket stake burned by a
    SLASH is spent by that transaction without an input: `vin` is absent (electrs leaves
    out the optional fields it has no value for)."""
    return _outspends(txid, [vout])[0]


def outspends(txid: str) -> list[dict[str, Any]]:
    """GET /tx/:txid/outspends: the outspend object of every output, in order."""
    return _outspends(txid, None)


def block_txs(block_hash: str, start_index: int = 0) -> list[dict[str, Any]]:
    """GET /block/:hash/txs[/:start_index]: 25 transactions from `start_index` (a multiple of
    25, below the block's tx count; Esplora's rule)."""
    block = get_block(block_hash)
    if start_index % TXS_PER_PAGE:
        raise InvalidInput(f"start index must be a multiple of {TXS_PER_PAGE}")
    if start_index >= block.tx_count:
        raise InvalidInput(f"start index out of range (the block has {block.tx_count} txs)")
    rows = list(
        Transaction.objects.select_related("block")
        .filter(block_id=block.id, position__gte=start_index)
        .order_by("position")[:TXS_PER_PAGE]
    )
    return confirmed_txs_json(rows)
