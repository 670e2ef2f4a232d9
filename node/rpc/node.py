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
from node.stake.rewards import stake_reward_outputs
from node.types.block import Block, TicketVote
from node.types.tx import TxOut

if TYPE_CHECKING:
    from node.mempool.fees import FeeEstimator
    from node.mempool.pool import Mempool
    from node.mempool.votes import VotePool
    from node.wallet.manager import WalletManager
    from node.wallet.voting import StakeService, TicketBuyerConfig

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
        vote_wait: float = 0.0,
    ) -> None:
        self.params = params
        self.datadir = datadir
        self.chainstate = chainstate
        self.txindex = txindex
        self.mempool = mempool
        self.estimator = estimator
        self.wallets = wallets
        self.votes: VotePool | None = None
        self.stake: StakeService | None = None
        self.vote_wait = vote_wait
        """Seconds the miner waits for votes from stake_validation_height on."""
        self.p2p: Any = None
        """The P2P service when running (node.p2p)."""
        self.close_hooks: list[Callable[[Node], None]] = []
        """Run first by `close` (newest first), while the chain database is still open: an
        embedding process (the indexer of manage.py runnode) stops its readers there."""
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
        ticket_buyers: Sequence[TicketBuyerConfig] = (),
        vote_wait: float = 0.0,
        vote_bits: int = 1,
    ) -> Node:
        """Open the chainstate in `<datadir>/<network>/` and build the rest on it."""
        chainstate = Chainstate.open(
            datadir, params, script_threads=script_threads, clock=clock,
            extensions=[StakeRules(params)],
        )  # fmt: skip
        node = cls(params, datadir, chainstate, clock=clock, vote_wait=vote_wait)
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
            votes = optional_module("node.mempool.votes")
            if votes is not None:
                node.votes = votes.VotePool(chainstate)
            voting = optional_module("node.wallet.voting")
            if voting is not None and node.wallets is not None and node.votes is not None:
                node.stake = voting.StakeService(
                    chainstate, node.votes, node.wallets, buyers=tuple(ticket_buyers),
                    vote_bits=vote_bits,
                )  # fmt: skip
                node.stake.vote(chainstate.tip.hash)
        except BaseException:
            node.close()
            raise
        return node

    def close(self) -> None:
        hooks, self.close_hooks = self.close_hooks, []
        for hook in reversed(hooks):
            try:
                hook(self)
            except Exception:  # pragma: no cover - best effort at shutdown
                log.exception("close hook %r failed", hook)
        if self.stake is not None:
            self.stake.close()
        if self.votes is not None:
            self.votes.close()
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

    def stake_votes(self, parent_hash: bytes) -> tuple[tuple[TicketVote, ...], tuple[TxOut, ...]]:
        """The votes for the block on `parent_hash` (at most tickets_per_block, by ticket id)
        and their stake reward outputs; ((), ()) below stake_validation_height."""
        height = self.chainstate.entry(parent_hash).height + 1
        if self.votes is None or height < self.params.stake_validation_height:
            return (), ()
        relayed = self.votes.votes_for(parent_hash)[: self.params.tickets_per_block]
        tickets = self.votes.tickets_of(relayed)
        outputs = stake_reward_outputs(height, tickets, False, self.params)
        return tuple(rv.vote for rv in relayed), outputs

    def wait_for_votes(self, should_stop: Callable[[], bool] | None = None) -> bool:
        """From stake_validation_height on, wait up to `vote_wait` seconds for the tip's
        votes (all selected tickets, or at least min_votes_per_block); False if too few."""
        with self.chainstate.lock:
            tip = self.chainstate.tip
        params = self.params
        if tip.height + 1 < params.stake_validation_height:
            return True
        if self.votes is None:
            return False
        want = len(self.votes.selected()) or params.tickets_per_block
        deadline = time.monotonic() + self.vote_wait
        while True:
            have = self.votes.wait_for(tip.hash, want, min(0.5, self.vote_wait))
            if have >= want or (should_stop is not None and should_stop()):
                break
            if time.monotonic() >= deadline:
                break
        return len(self.votes.votes_for(tip.hash)) >= params.min_votes_per_block

    def new_block(self, payout_script: bytes, *, timestamp: int | None = None) -> Block:
        """An unsolved block on the tip with the mempool's best transactions (if any) and,
        from stake_validation_height on, the votes collected for the tip."""
        with self.chainstate.lock:
            votes, stake_outputs = self.stake_votes(self.chainstate.tip.hash)
            template = optional_module("node.mempool.template")
            if template is not None and self.mempool is not None:
                special = [] if self.votes is None else self.votes.slash_txs()
                built = template.build_template(
                    self.chainstate, self.mempool, payout_script, timestamp=timestamp,
                    votes=votes, stake_outputs=stake_outputs, special_txs=special,
                )  # fmt: skip
                block: Block = built.block
                return block
            return BlockAssembler(self.chainstate).create_block(
                payout_script, timestamp=timestamp, votes=votes, stake_outputs=stake_outputs
            )

    def mine_block(
        self, payout_script: bytes, should_stop: Callable[[], bool] | None = None
    ) -> Block | None:
        """Build, solve and submit one block; None when stopped, beaten to it, or (past
        stake_validation_height) when too few votes arrived within `vote_wait`."""
        if not self.wait_for_votes(should_stop):
            return None
        block = self.new_block(payout_script)
        solved = solve(block, self.params, should_stop=should_stop)
        if solved is None:
            return None
        with self.chainstate.lock:
            if self.chainstate.tip.hash != block.header.prev_hash:
                return None
            self.chainstate.process_block(solved)
        return solved
