"""The wallet's value types (Balances, WalletUtxo, WalletTx) and the small interfaces it needs
from the mempool and the fee estimator (so tests may pass fakes, and the wallet does not
depend on their internals).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from node.storage.records import Coin
from node.types.tx import OutPoint, Tx

__all__ = ["Balances", "EstimatorLike", "MempoolLike", "WalletTx", "WalletUtxo"]


class MempoolLike(Protocol):
    """What the wallet uses of node.mempool.pool.Mempool."""

    @property
    def events(self) -> Any: ...
    @property
    def entries(self) -> Mapping[bytes, Any]: ...

    def accept(self, tx: Tx, *, test_only: bool = False, max_fee: int | None = None) -> Any: ...
    def __contains__(self, txid: object) -> bool: ...
    def get_coin(self, outpoint: OutPoint) -> Coin | None: ...
    def descendants(self, txid: bytes) -> set[bytes]: ...
    def min_fee_rate(self) -> int: ...


class EstimatorLike(Protocol):
    """What the wallet uses of node.mempool.fees.FeeEstimator."""

    def estimate_smart_fee(self, target: int, mode: str = ...) -> tuple[int | None, int]: ...


Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Balances:
    """Base units. `confirmed` = Core's "trusted" (>= 1 confirmation, mature); `unconfirmed`
    = outputs of wallet transactions waiting in the mempool (Core's "untrusted_pending",
    here including our own change); `immature` = coinbase outputs before maturity; `staked`
    = value locked in live tickets (0 until the stake issue adds ticket tracking)."""

    confirmed: int
    unconfirmed: int
    immature: int
    staked: int = 0

    @property
    def total(self) -> int:
        return self.confirmed + self.unconfirmed + self.immature + self.staked


@dataclass(frozen=True, slots=True)
class WalletUtxo:
    """An unspent output of the wallet (listunspent)."""

    outpoint: OutPoint
    value: int
    script_pubkey: bytes
    address: str
    label: str
    confirmations: int
    height: int | None
    is_coinbase: bool
    is_change: bool
    spendable: bool
    """The wallet holds its private key (False for watch-only key chains)."""
    safe: bool
    """Confirmed, or unconfirmed change of our own transaction (Core's "safe")."""


@dataclass(frozen=True, slots=True)
class WalletTx:
    """One wallet transaction (listtransactions / gettransaction).

    `amount` is the net effect on the wallet excluding the fee: positive for a receive,
    negative (what left the wallet) for a send, 0 for a transfer to ourselves. `fee` is the
    fee we paid (a non-negative number; None when some input is not ours). `confirmations`
    is -1 for a transaction neither in the main chain nor in the mempool (conflicted,
    replaced or orphaned). Categories: "send", "receive", "generate", "immature", "orphan".
    """

    txid: bytes
    category: str
    amount: int
    fee: int | None
    confirmations: int
    block_hash: bytes | None
    height: int | None
    block_index: int | None
    time: float
    addresses: tuple[str, ...]
    label: str
    trusted: bool
    replaceable: bool
    tx: Tx

    @property
    def is_confirmed(self) -> bool:
        return self.confirmations > 0
