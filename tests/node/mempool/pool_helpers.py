"""Builders for the mempool tests: a funded regtest chain with a pool on it, and signed
P2PKH spends of confirmed coins and of pool outputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.mempool import Mempool, TxAdded, TxRemoved
from node.mempool.events import MempoolEvent
from node.storage.records import Coin
from node.types.tx import OutPoint, Tx
from tests.node.chain.helpers import (
    SCRIPT,
    FixedClock,
    make_block,
    mine,
    open_chain,
    spend,
    spendable,
)

__all__ = ["SCRIPT", "Env", "make_block", "mine", "spend"]


@dataclasses.dataclass
class Env:
    """A regtest chain with `coins` mature P2PKH outputs and a mempool following it."""

    cs: Chainstate
    pool: Mempool
    clock: FixedClock
    coins: list[tuple[OutPoint, Coin]]
    events: list[MempoolEvent]

    @classmethod
    def open(cls, path: Path, n_coins: int = 6, **pool_options: object) -> Env:
        cs = open_chain(path)
        clock = cs.clock
        assert isinstance(clock, FixedClock)
        mine(cs, cs.params.coinbase_maturity + n_coins - 1)
        pool_options.setdefault("clock", clock)
        pool = Mempool(cs, **pool_options)  # type: ignore[arg-type]
        events: list[MempoolEvent] = []
        pool.events.subscribe(events.append)
        return cls(cs, pool, clock, spendable(cs), events)

    def close(self) -> None:
        self.pool.close()
        self.cs.close()

    def removed(self, reason: str | None = None) -> list[bytes]:
        return [
            e.txid
            for e in self.events
            if isinstance(e, TxRemoved) and (reason is None or e.reason == reason)
        ]

    def added(self) -> list[bytes]:
        return [e.entry.txid for e in self.events if isinstance(e, TxAdded)]

    def check(self) -> None:
        assert self.pool.consistency_problems() == []

    def mine_txs(
        self, txs: Sequence[Tx] = (), tag: bytes = b"rusty", script: bytes = SCRIPT
    ) -> bytes:
        block = make_block(self.cs, txs, tag=tag, script=script)
        self.cs.process_block(block)
        assert self.cs.tip.hash == block.hash
        return block.hash


def coin_of(tx: Tx, vout: int = 0) -> tuple[OutPoint, Coin]:
    """Output `vout` of `tx` as an input for `spend` (height is irrelevant for signing)."""
    out = tx.outputs[vout]
    return OutPoint(tx.txid, vout), Coin(out.value, out.script_pubkey, 0, False)


def pay(
    inputs: Sequence[tuple[OutPoint, Coin]],
    fee: int,
    *,
    n_outputs: int = 1,
    script: bytes = SCRIPT,
    **options: object,
) -> Tx:
    """Spend `inputs` into `n_outputs` equal outputs to `script`, leaving `fee`."""
    total = sum(c.value for _, c in inputs) - fee
    each = total // n_outputs
    values = [each] * (n_outputs - 1) + [total - each * (n_outputs - 1)]
    return spend(inputs, [(v, script) for v in values], **options)  # type: ignore[arg-type]


def chain_of(start: tuple[OutPoint, Coin], length: int, fee: int = 1000) -> list[Tx]:
    """`length` transactions each spending the previous one's only output."""
    txs = []
    coin = start
    for _ in range(length):
        tx = pay([coin], fee)
        txs.append(tx)
        coin = coin_of(tx)
    return txs
