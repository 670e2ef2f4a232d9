"""Read-only views of a wallet for listunspent and listtransactions / gettransaction:
`unspent_view` and `describe` (how a wallet transaction is summarised, see WalletTx)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.types.tx import OutPoint
from node.wallet.db import TxRecord
from node.wallet.errors import InvalidParameter
from node.wallet.keychain import CHANGE
from node.wallet.model import WalletTx, WalletUtxo

if TYPE_CHECKING:
    from node.wallet.wallet import Wallet

__all__ = ["describe", "unspent_view"]


def unspent_view(self: Wallet, min_conf: int, max_conf: int) -> list[WalletUtxo]:
    """Spendable outputs (immature coinbase excluded) with min_conf <= confs <= max_conf."""
    if min_conf < 0 or max_conf < min_conf:
        raise InvalidParameter(f"bad confirmation range [{min_conf}, {max_conf}]")
    with self.chainstate.lock, self.lock_:
        result = []
        for rec, vout, out in self._unspent():
            if self._is_immature(rec):
                continue
            confs = self.confirmations(rec)
            if not min_conf <= confs <= max_conf:
                continue
            origin = self.state.origins[out.script_pubkey]
            address = self.address_of(out.script_pubkey)
            result.append(
                WalletUtxo(
                    outpoint=OutPoint(rec.tx.txid, vout),
                    value=out.value,
                    script_pubkey=out.script_pubkey,
                    address=address,
                    label=self.labels.get(address, ""),
                    confirmations=confs,
                    height=rec.height,
                    is_coinbase=rec.tx.is_coinbase(),
                    is_change=origin.branch == CHANGE,
                    spendable=origin.chain == 0 and self.has_private_keys,
                    safe=self._is_trusted(rec),
                )
            )
        result.sort(key=lambda u: (-u.confirmations, u.outpoint.txid, u.outpoint.vout))
        return result


def describe(self: Wallet, rec: TxRecord) -> WalletTx:
    tx = rec.tx
    debit, all_mine = self.state.debit(tx)
    mine_out = [out for out in tx.outputs if out.script_pubkey in self.state.origins]
    credit = sum(out.value for out in mine_out)
    confs = self.confirmations(rec)
    fee = None
    if debit and all_mine:
        fee = debit - sum(out.value for out in tx.outputs)
    if tx.is_coinbase():
        immature = self._is_immature(rec)
        category = "orphan" if confs < 0 else "immature" if immature else "generate"
        amount = credit
        addresses = tuple(self.address_of(o.script_pubkey) for o in mine_out)
    elif debit:
        category = "send"
        external = [o for o in tx.outputs if o.script_pubkey not in self.state.origins]
        amount = -sum(o.value for o in external)
        addresses = tuple(self.address_of(o.script_pubkey) for o in external)
    else:
        category = "receive"
        amount = credit
        addresses = tuple(self.address_of(o.script_pubkey) for o in mine_out)
    label = next((self.labels[a] for a in addresses if a in self.labels), "")
    return WalletTx(
        txid=tx.txid,
        category=category,
        amount=amount,
        fee=fee,
        confirmations=confs,
        block_hash=rec.block_hash if rec.height is not None else None,
        height=rec.height,
        block_index=rec.block_index if rec.height is not None else None,
        time=rec.time,
        addresses=addresses,
        label=label,
        trusted=self._is_trusted(rec),
        replaceable=rec.height is None and confs == 0 and bool(debit),
        tx=tx,
    )
