"""The assembled node process: chainstate, tx index, mempool, fee estimator and wallets.

`Node.open` wires the parts together in layer order and `close` takes them down in reverse
(saving the fee estimates). The mempool, estimator and wallet manager are optional at
import time so the RPC server also runs on a tree where those packages are absent; the
methods that need them then answer "Method not found".
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.chain.chainstate import Chainstate
from node.chain.miner import BlockAssembler, solve
from node.params import ChainParams
from node.rpc.txindex import TxIndex
from node.stake.chainrules import StakeRules
from node.types.block import Block

if TYPE_CHECKING:
    from node.mempool.fees import FeeEstimator
    from node.mempool.pool import Mempool
    from node.wallet.manager import WalletManager

log = logging.getLogger(__name__)

FEE_ESTIMATES_FILE = "fee_estimates.json"


def optional_module(name: str) -> Any | None:
    """The module `name`, or None when it (or the package) is not present."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


class Node:
    """One running node: the parts the RPC methods and the daemon work with."""

    def __init__(
        self,
        params: ChainParams,
        datadir: Path,
        chainstate: Chainstate,
        *,
        txindex: TxIndex | None = None,
        mempool: Mempool | None = None,
        estimator: FeeEstimator | None = None,
        wallets: WalletManager | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.params = params
        self.datadir = datadir
        self.chainstate = chainstate
        self.txindex = txindex
        self.mempool = mempool
        self.estimator = estimator
        self.wallets = wallets
        self.clock = clock
        self.started_at = clock()

    @property
    def netdir(self) -> Path:
        return self.datadir / self.params.name

    @classmethod
    def open(
        cls,
        datadir: Path,
        params: ChainParams,
        *,
        script_threads: int = 0,
        txindex: bool = True,
        mempool_max_mb: int = 300,
        wallets: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> Node:
        """Open the chainstate in `<datadir>/<network>/` and build the rest on it."""
        chainstate = Chainstate.open(
            datadir, params, script_threads=script_threads, clock=clock,
            extensions=[StakeRules(params)],
        )  # fmt: skip
        node = cls(params, datadir, chainstate, clock=clock)
        try:
            if txindex:
                node.txindex = TxIndex.open(node.netdir, chainstate)
            fees = optional_module("node.mempool.fees")
            if fees is not None:
                node.estimator = fees.FeeEstimator(node.netdir / FEE_ESTIMATES_FILE)
            pool = optional_module("node.mempool.pool")
            if pool is not None:
                node.mempool = pool.Mempool(
                    chainstate, max_size=mempool_max_mb * 1_000_000, clock=clock,
                    estimator=node.estimator,
                )  # fmt: skip
            manager = optional_module("node.wallet.manager")
            if manager is not None and node.mempool is not None:
                node.wallets = manager.WalletManager(
                    node.netdir, chainstate, node.mempool, node.estimator, clock=clock
                )
                for name in wallets:
                    node.wallets.load(name)
            elif wallets:
                log.warning("no wallet support in this build: --wallet ignored")
        except BaseException:
            node.close()
            raise
        return node

    def close(self) -> None:
        if self.wallets is not None:
            try:
                self.wallets.close()
            except Exception:  # pragma: no cover - best effort at shutdown
                log.exception("closing the wallets failed")
        if self.estimator is not None:
            try:
                self.estimator.save()
            except Exception:  # pragma: no cover - best effort at shutdown
                log.exception("saving the fee estimates failed")
        if self.txindex is not None:
            self.txindex.close()
        self.chainstate.close()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def uptime(self) -> int:
        return int(self.clock() - self.started_at)

    # ------------------------------------------------------------------ mining

    def new_block(self, payout_script: bytes, *, timestamp: int | None = None) -> Block:
        """An unsolved block on the tip with the mempool's best transactions (if any)."""
        with self.chainstate.lock:
            template = optional_module("node.mempool.template")
            if template is not None and self.mempool is not None:
                built = template.build_template(
                    self.chainstate, self.mempool, payout_script, timestamp=timestamp
                )
                block: Block = built.block
                return block
            return BlockAssembler(self.chainstate).create_block(payout_script, timestamp=timestamp)

    def mine_block(
        self, payout_script: bytes, should_stop: Callable[[], bool] | None = None
    ) -> Block | None:
        """Build, solve and submit one block; None when stopped or beaten to it."""
        block = self.new_block(payout_script)
        solved = solve(block, self.params, should_stop=should_stop)
        if solved is None:
            return None
        with self.chainstate.lock:
            if self.chainstate.tip.hash != block.header.prev_hash:
                return None
            self.chainstate.process_block(solved)
        return solved
