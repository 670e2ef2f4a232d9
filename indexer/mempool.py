"""The mempool snapshot: MempoolTx / MempoolTxAddress rows replaced from the node's pool.

The node process calls `write_snapshot` every few seconds. It is a replace-set done as a
diff in one transaction (rows of transactions that left the pool are deleted, new ones are
inserted, the rest is untouched), so readers always see one complete snapshot and a quiet
pool costs one query. Only new transactions need their inputs resolved (node.api).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, transaction

from indexer.models import MempoolTx, MempoolTxAddress
from indexer.rows import ScriptInfo
from indexer.sqlops import chunks
from node import api


@dataclass(frozen=True, slots=True)
class MempoolDiff:
    """What a snapshot changed: new txids with their (address, txid) pairs, removed txids."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    addresses: tuple[tuple[str, str], ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def stored_txids(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    return set(MempoolTx.objects.using(using).values_list("txid", flat=True))


def write_snapshot(
    items: list[api.MempoolItem],
    scripts: ScriptInfo,
    *,
    known: set[str],
    using: str = DEFAULT_DB_ALIAS,
) -> MempoolDiff:
    """Make the stored snapshot equal `items`; `known` = the txids stored now (items for
    them may come without resolved inputs)."""
    current = {item.tx.txid.hex(): item for item in items}
    removed = sorted(known - current.keys())
    added = [t for t in current if t not in known]
    pairs: list[tuple[str, str]] = []
    if not removed and not added:
        return MempoolDiff((), (), ())
    rows: list[MempoolTx] = []
    links: list[MempoolTxAddress] = []
    for txid in added:
        item = current[txid]
        tx = item.tx
        per_addr: dict[str, list[int]] = {}
        for coin in item.spent:
            if coin is None:
                continue
            _, address = scripts(coin.script_pubkey)
            if address is not None:
                per_addr.setdefault(address, [0, 0])[1] += coin.value
        value = 0
        for out in tx.outputs:
            value += out.value
            _, address = scripts(out.script_pubkey)
            if address is not None:
                per_addr.setdefault(address, [0, 0])[0] += out.value
        rows.append(
            MempoolTx(
                txid=txid,
                fee=item.fee,
                size=item.size,
                feerate=round(item.fee / item.size, 3) if item.size else 0.0,
                first_seen=int(item.time),
                tx_type=int(tx.tx_type),
                raw=tx.serialize(),
                value=value,
            )
        )
        for address, (received, sent) in per_addr.items():
            links.append(MempoolTxAddress(txid=txid, address=address, received=received, sent=sent))
            pairs.append((address, txid))
    with transaction.atomic(using=using):
        for part in chunks(removed):
            MempoolTx.objects.using(using).filter(txid__in=part).delete()
            MempoolTxAddress.objects.using(using).filter(txid__in=part).delete()
        MempoolTx.objects.using(using).bulk_create(rows, batch_size=500)
        MempoolTxAddress.objects.using(using).bulk_create(links, batch_size=500)
    return MempoolDiff(tuple(added), tuple(removed), tuple(pairs))
