"""The node daemon: `python -m node --network NAME --datadir DIR [--mine ADDRESS]`.

Opens (or creates) the chainstate in `<datadir>/<network>/`, logs to stderr and to
`node.log`, optionally runs the built-in CPU miner, reports sync progress (height, blocks
per second, percent) and shuts down cleanly on SIGINT/SIGTERM; a restart resumes from the
stored tip. P2P, RPC and the mempool join this process as their issues land.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from node.chain.chainstate import Chainstate
from node.chain.events import BlockConnected, ChainEvent
from node.chain.miner import BlockAssembler, solve
from node.consensus.errors import ConsensusError
from node.crypto.address import AddressError
from node.errors import RustyError
from node.params import NETWORKS, ChainParams, get_params
from node.script.templates import script_for_address

log = logging.getLogger("node")

PROGRESS_INTERVAL = 10.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m node", description="Rusty Coin full node")
    parser.add_argument("--network", choices=list(NETWORKS), default="mainnet")
    parser.add_argument("--datadir", type=Path, default=Path.home() / ".rustycoin")
    parser.add_argument("--mine", metavar="ADDRESS", help="run the CPU miner paying ADDRESS")
    parser.add_argument(
        "--block-interval",
        type=float,
        default=None,
        help="with --mine: at most one block per this many seconds "
        "(default: the target spacing on devnet, 0 elsewhere)",
    )
    parser.add_argument("--script-threads", type=int, default=0, help="script-check threads")
    parser.add_argument(
        "--stakevalidationheight",
        type=int,
        default=None,
        help="regtest only: override stake_validation_height",
    )
    parser.add_argument("--loglevel", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    args = parser.parse_args(argv)
    if args.stakevalidationheight is not None and args.network != "regtest":
        parser.error("--stakevalidationheight is only allowed on regtest")
    return args


def network_params(args: argparse.Namespace) -> ChainParams:
    params = get_params(args.network)
    if args.stakevalidationheight is not None:
        params = dataclasses.replace(params, stake_validation_height=args.stakevalidationheight)
    return params


def setup_logging(level: str, logfile: Path) -> None:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(logfile)):
        handler.setFormatter(fmt)
        root.addHandler(handler)


class ProgressReporter:
    """Logs height, blocks/s and estimated sync percent at most every PROGRESS_INTERVAL s."""

    def __init__(self, chainstate: Chainstate, interval: float = PROGRESS_INTERVAL) -> None:
        self.chainstate = chainstate
        self.interval = interval
        self._last_time = time.monotonic()
        self._last_height = chainstate.height

    def percent(self) -> float:
        """Share of the time between genesis and now that the tip covers (display only)."""
        cs = self.chainstate
        start = cs.params.genesis_timestamp
        span = max(1.0, cs.clock() - start)
        return max(0.0, min(100.0, 100.0 * (cs.tip.timestamp - start) / span))

    def __call__(self, event: ChainEvent) -> None:
        if not isinstance(event, BlockConnected):
            return
        now = time.monotonic()
        if now - self._last_time < self.interval:
            return
        self.report(now)

    def report(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        height = self.chainstate.height
        rate = (height - self._last_height) / max(now - self._last_time, 1e-9)
        log.info(
            "progress: height=%d blocks/s=%.1f progress=%.2f%% tip=%s",
            height,
            rate,
            self.percent(),
            self.chainstate.tip.hash.hex(),
        )
        self._last_time, self._last_height = now, height


def run_miner(
    chainstate: Chainstate, payout_script: bytes, interval: float, stop: threading.Event
) -> None:
    """Mine on the tip until `stop` is set, at most one block per `interval` seconds."""
    assembler = BlockAssembler(chainstate)
    last = 0.0
    while not stop.is_set():
        wait = last + interval - time.monotonic()
        if wait > 0 and stop.wait(wait):
            break
        block = assembler.create_block(payout_script)
        solved = solve(block, chainstate.params, should_stop=stop.is_set)
        if solved is None:
            continue
        try:
            chainstate.process_block(solved)
        except ConsensusError as exc:  # pragma: no cover - our own template was invalid
            log.error("mined block rejected: %s", exc)
            stop.wait(1.0)
            continue
        last = time.monotonic()
        log.info("mined block %d %s", chainstate.height, solved.hash.hex())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = network_params(args)
    netdir = args.datadir / params.name
    setup_logging(args.loglevel, netdir / "node.log")
    payout: bytes | None = None
    if args.mine:
        try:
            payout = script_for_address(args.mine, params.bech32_hrp)
        except (AddressError, RustyError) as exc:
            log.error("--mine %s: %s", args.mine, exc)
            return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        chainstate = Chainstate.open(args.datadir, params, script_threads=args.script_threads)
    except RustyError as exc:
        log.error("cannot open the chainstate in %s: %s", netdir, exc)
        return 1
    with chainstate:
        log.info(
            "Rusty Coin node on %s, datadir %s, tip %d %s",
            params.name,
            netdir,
            chainstate.height,
            chainstate.tip.hash.hex(),
        )
        progress = ProgressReporter(chainstate)
        chainstate.events.subscribe(progress)
        progress.report()
        if payout is not None:
            interval = args.block_interval
            if interval is None:
                interval = float(params.target_spacing) if params.name == "devnet" else 0.0
            miner = threading.Thread(
                target=run_miner, args=(chainstate, payout, interval, stop), name="miner"
            )
            miner.start()
            stop.wait()
            miner.join()
        else:
            stop.wait()
        progress.report()
        log.info("shut down cleanly at height %d", chainstate.height)
    return 0
