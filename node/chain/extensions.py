"""Block rules that live above the chain layer and plug into connect/disconnect.

The stake layer (and later masternodes and governance) sits above `node.chain` in the import
layers, so the chainstate cannot call it directly. Instead the node hands the chainstate a
list of `ChainExtension` objects; `BlockConnector` calls each one inside the block's LMDB
write transaction:

* `init_genesis` when the chain is created,
* `check_open` when an existing chain is loaded (a store that is not at the tip's height is
  refused with a clear message instead of being silently corrupted),
* `connect` after the UTXO pass and before the coinbase check: it validates its rules against
  the state *before* the block, applies its own state, stores its own undo record, adds its
  state-trie writes to `changes`, and returns the `CoinbaseTerms` the coinbase must honour,
* `disconnect` when the block leaves the main chain (its own undo record reverses it; the
  state trie is reverted by the chain from the trie's journal).

An extension raising a ConsensusError rejects the block; the whole transaction aborts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from node.storage.records import Coin
from node.storage.txn import ReadTxn, WriteTxn
from node.types.block import Block
from node.types.tx import TxType

__all__ = ["ChainExtension", "CoinbaseTerms"]


@dataclass(frozen=True, slots=True)
class CoinbaseTerms:
    """What the coinbase must carry besides the miner's share (SPEC §5.3): one stake output
    per included vote, paid to `stake_scripts` in vote order."""

    n_votes: int = 0
    stake_scripts: tuple[bytes, ...] = ()


class ChainExtension(Protocol):
    """One set of block rules kept outside the chain layer (see the module docstring)."""

    name: str
    tx_types: frozenset[TxType]
    """Transaction types this extension makes valid in blocks (beside STANDARD/COINBASE)."""

    def init_genesis(self, txn: WriteTxn, genesis: Block) -> None: ...

    def check_open(self, txn: ReadTxn, tip_height: int) -> None: ...

    def connect(
        self,
        txn: WriteTxn,
        block: Block,
        height: int,
        spent: Sequence[tuple[Coin, ...]],
        changes: dict[bytes, bytes | None],
    ) -> CoinbaseTerms: ...

    def disconnect(self, txn: WriteTxn, block: Block, height: int) -> None: ...
