"""The node daemon: `python -m node --network NAME --datadir DIR [--mine ADDRESS]`.

Opens (or creates) the node in `<datadir>/<network>/` (chainstate, tx index, mempool, fee
estimator, wallets: node.rpc.node.Node), logs to stderr and to `node.log`, serves JSON-RPC
(`--rpcbind`, default 127.0.0.1, `--rpcport`, default per network; cookie file plus any
`--rpcauth USER:SALT$HASH`), optionally runs the built-in CPU miner (which takes the
mempool's best transactions), reports sync progress (height, blocks per second, percent)
and shuts down cleanly on SIGINT/SIGTERM or the `stop` RPC; a restart resumes from the
stored tip. The P2P service (node.p2p: `--port --bind --listen --connect --addnode
--maxconnections --maxoutbound`) runs in the same asyncio loop as the RPC server.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import FrameType

from node.chain.chainstate import Chainstate
from node.chain.events import BlockConnected, ChainEvent
from node.consensus.errors import ConsensusError
from node.crypto.address import AddressError
from node.errors import RustyError
from node.p2p.config import DEFAULT_BIND, P2PConfig
from node.p2p.netaddr import parse_hostport
from node.p2p.service import P2PService
from node.params import COIN, NETWORKS, ChainParams, get_params
from node.rpc.auth import Authenticator, RpcAuthEntry
from node.rpc.dispatch import Dispatcher
from node.rpc.methods import build_table
from node.rpc.node import Node
from node.rpc.ratelimit import RateLimiter
from node.rpc.server import MAX_BODY, RpcServer
from node.script.templates import script_for_address
from node.wallet.errors import WalletNotFound
from node.wallet.voting import TicketBuyerConfig

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
    parser.add_argument(
        "--script-threads",
        type=int,
        default=2,
        help="script-check threads (2: measured fastest on 2 cores, see PERFORMANCE.md)",
    )
    parser.add_argument(
        "--stakevalidationheight",
        type=int,
        default=None,
        help="regtest only: override stake_validation_height",
    )
    parser.add_argument("--loglevel", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    rpc = parser.add_argument_group("JSON-RPC")
    rpc.add_argument("--rpcbind", default="127.0.0.1", help="address to listen on")
    rpc.add_argument("--rpcport", type=int, default=None,
                     help="port (default per network, SPEC §12; 0 = any free port)")  # fmt: skip
    rpc.add_argument("--rpcauth", action="append", default=[], metavar="USER:SALT$HASH",
                     help="extra credentials, bitcoind's rpcauth format (repeatable)")  # fmt: skip
    rpc.add_argument("--rpcratelimit", type=float, default=1000.0,
                     help="requests per second per client IP (0 = unlimited)")  # fmt: skip
    rpc.add_argument("--rpcburst", type=float, default=2000.0, help="rate-limit burst")
    rpc.add_argument("--norpc", action="store_true", help="do not start the RPC server")
    add_p2p_arguments(parser)
    parser.add_argument("--mempool-max-mb", type=int, default=300, help="mempool size limit")
    parser.add_argument("--wallet", action="append", default=[], metavar="NAME",
                        help="load this wallet at start (repeatable)")  # fmt: skip
    parser.add_argument("--no-txindex", action="store_true", help="no transaction index")
    stake = parser.add_argument_group("staking and the built-in miner's wallet")
    stake.add_argument("--minewallet", metavar="NAME",
                       help="run the CPU miner paying a fresh address of wallet NAME "
                            "(loaded, or created when absent)")  # fmt: skip
    stake.add_argument("--ticketbuyer", action="store_true",
                       help="buy tickets automatically with the --minewallet (or first "
                            "--wallet) wallet; off by default")  # fmt: skip
    stake.add_argument("--ticketbuyer-target", type=int, default=0, metavar="N",
                       help="tickets to keep unmined+immature+live (0: automatic)")  # fmt: skip
    stake.add_argument("--ticketbuyer-limit", type=_amount, default=None, metavar="RUST",
                       help="most RUST the ticket buyer spends while the node runs")  # fmt: skip
    stake.add_argument("--ticketbuyer-balance", type=_amount, default=0, metavar="RUST",
                       help="balance the ticket buyer leaves unspent")  # fmt: skip
    stake.add_argument("--votebits", type=lambda t: int(t, 0), default=1, metavar="BITS",
                       help="vote_bits of this node's votes: bit 0 = previous block valid, "
                            "bits 1..15 signal agendas (default 1)")  # fmt: skip
    stake.add_argument("--votewait", type=float, default=None, metavar="SECONDS",
                       help="from stake_validation_height on, how long the miner waits for "
                            "the tip's votes (default: 1 on regtest, 5 elsewhere)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.stakevalidationheight is not None and args.network != "regtest":
        parser.error("--stakevalidationheight is only allowed on regtest")
    if args.rpcport is not None and not 0 <= args.rpcport <= 65535:
        parser.error("--rpcport must be between 0 and 65535")
    check_p2p_arguments(parser, args)
    if args.mempool_max_mb < 5:
        parser.error("--mempool-max-mb must be at least 5")
    if args.mine and args.minewallet:
        parser.error("--mine and --minewallet exclude each other")
    if args.ticketbuyer and not (args.minewallet or args.wallet):
        parser.error("--ticketbuyer needs --minewallet or --wallet")
    if args.ticketbuyer_target < 0:
        parser.error("--ticketbuyer-target must not be negative")
    if not 0 <= args.votebits <= 0xFFFF:
        parser.error("--votebits must be between 0 and 65535")
    if args.votewait is not None and not 0 <= args.votewait <= 600:
        parser.error("--votewait must be between 0 and 600 seconds")
    try:
        args.rpcauth = tuple(RpcAuthEntry.parse(text) for text in args.rpcauth)
    except RustyError as exc:
        parser.error(str(exc))
    return args


def add_p2p_arguments(parser: argparse.ArgumentParser) -> None:
    """The P2P options (node.p2p; Bitcoin Core's names)."""
    p2p = parser.add_argument_group("P2P network")
    p2p.add_argument("--port", type=int, default=None,
                     help="listen for peers on this port (default per network, SPEC §12; "
                          "0 = any free port)")  # fmt: skip
    p2p.add_argument("--bind", action="append", default=[], metavar="ADDR[:PORT]",
                     help="listen on this address (repeatable; default: all)")  # fmt: skip
    p2p.add_argument("--listen", type=int, choices=(0, 1), default=None,
                     help="accept inbound connections (default 1; 0 with --connect)")  # fmt: skip
    p2p.add_argument("--connect", action="append", default=[], metavar="IP[:PORT]",
                     help="connect only to this peer (repeatable; --connect 0: no "
                          "connections)")  # fmt: skip
    p2p.add_argument("--addnode", action="append", default=[], metavar="IP[:PORT]",
                     help="keep a connection to this peer (repeatable)")  # fmt: skip
    p2p.add_argument("--maxconnections", type=int, default=125, metavar="N",
                     help="most inbound connections (default 125)")  # fmt: skip
    p2p.add_argument("--maxoutbound", type=int, default=8, metavar="N",
                     help="automatic outbound connections to keep (default 8)")  # fmt: skip
    p2p.add_argument("--txtrickle", type=float, default=None, metavar="SECONDS",
                     help="mean delay of transaction announcements (default 2 outbound, "
                          "5 inbound, as Bitcoin Core)")  # fmt: skip
    p2p.add_argument("--peertimeout", type=float, default=None, metavar="SECONDS",
                     help="drop a peer silent this long (default 1200)")  # fmt: skip


def check_p2p_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.port is not None and not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.maxconnections < 0 or args.maxoutbound < 0:
        parser.error("--maxconnections and --maxoutbound must not be negative")
    if args.txtrickle is not None and not 0 <= args.txtrickle <= 600:
        parser.error("--txtrickle must be between 0 and 600 seconds")
    if args.peertimeout is not None and args.peertimeout < 1:
        parser.error("--peertimeout must be at least 1 second")
    for text in [*args.connect, *args.addnode]:
        if text == "0" and text in args.connect:
            continue
        try:
            parse_hostport(text, 1)
        except RustyError as exc:
            parser.error(f"--connect/--addnode: {exc}")
    for text in args.bind:
        try:
            parse_hostport(text, 1)
        except RustyError as exc:
            parser.error(f"--bind: {exc}")


def p2p_config(args: argparse.Namespace) -> P2PConfig:
    """The P2P service's settings from the command line."""
    connect = tuple(c for c in args.connect if c != "0")
    listen = args.listen if args.listen is not None else (0 if args.connect else 1)
    config = P2PConfig(
        listen=bool(listen),
        bind=tuple(args.bind) or DEFAULT_BIND,
        port=args.port,
        connect=connect,
        addnode=tuple(args.addnode),
        max_outbound=0 if args.connect else args.maxoutbound,
        max_inbound=args.maxconnections,
    )
    if args.txtrickle is not None:
        config = dataclasses.replace(
            config, tx_trickle_outbound=args.txtrickle, tx_trickle_inbound=args.txtrickle
        )
    if args.peertimeout is not None:
        config = dataclasses.replace(config, timeout=args.peertimeout)
    return config


def _amount(text: str) -> int:
    """A RUST amount option (decimal, up to 8 places) in base units."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from None
    units = value * COIN
    if not value.is_finite() or value < 0 or units != units.to_integral_value():
        raise argparse.ArgumentTypeError(f"not an amount of RUST: {text!r}")
    return int(units)


def ticket_buyers(args: argparse.Namespace) -> tuple[TicketBuyerConfig, ...]:
    if not args.ticketbuyer:
        return ()
    name = args.minewallet or args.wallet[0]
    return (
        TicketBuyerConfig(
            wallet=name,
            target=args.ticketbuyer_target,
            limit=args.ticketbuyer_limit,
            balance_to_maintain=args.ticketbuyer_balance,
        ),
    )


def mine_wallet_script(node: Node, name: str) -> bytes:
    """A fresh receive script of wallet `name` (loaded, or created when absent)."""
    wallets = node.wallets
    if wallets is None:
        raise RustyError("no wallet support in this build")
    if name not in wallets.list():
        try:
            wallets.load(name)
        except WalletNotFound:
            wallets.create(name)
            log.info("created wallet %r for the miner", name)
    wallet = wallets.get(name)
    return script_for_address(wallet.get_new_address("miner"), node.params.bech32_hrp)


def network_params(args: argparse.Namespace) -> ChainParams:
    params = get_params(args.network)
    if args.stakevalidationheight is not None:
        params = dataclasses.replace(params, stake_validation_height=args.stakevalidationheight)
    return params


def setup_logging(level: str, logfile: Path, *, stderr: bool = True) -> None:
    """Log to `logfile` (and stderr); the node's loggers only, so an embedding process's
    own logging setup is left alone."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    target = logging.getLogger("node")
    target.setLevel(level)
    handlers: list[logging.Handler] = [logging.FileHandler(logfile)]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(fmt)
        target.addHandler(handler)


class ProgressReporter:
    """Logs height, blocks/s and estimated sync percent at most every PROGRESS_INTERVAL s."""

    def __init__(self, chainstate: Chainstate, interval: float = PROGRESS_INTERVAL) -> None:
        self.chainstate = chainstate
        self.interval = interval
        self._last_time = time.monotonic()
        self._last_height = chainstate.height
        self.extra: Callable[[], str] | None = None
        """More progress text (the P2P sync: headers height and ETA)."""

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
            "progress: height=%d blocks/s=%.1f progress=%.2f%% tip=%s%s",
            height,
            rate,
            self.percent(),
            self.chainstate.tip.hash.hex(),
            f" {self.extra()}" if self.extra is not None else "",
        )
        self._last_time, self._last_height = now, height


def run_miner(node: Node, payout_script: bytes, interval: float, stop: threading.Event) -> None:
    """Mine on the tip until `stop` is set, at most one block per `interval` seconds."""
    last = 0.0
    while not stop.is_set():
        wait = last + interval - time.monotonic()
        if wait > 0 and stop.wait(wait):
            break
        try:
            solved = node.mine_block(payout_script, should_stop=stop.is_set)
        except ConsensusError as exc:  # pragma: no cover - our own template was invalid
            log.error("mined block rejected: %s", exc)
            stop.wait(1.0)
            continue
        if solved is None:
            # stopped, beaten to the tip, or too few votes: let the tip or the votes move
            stop.wait(0.2)
            continue
        last = time.monotonic()
        log.info("mined block %d %s", solved.header.height, solved.hash.hex())


def large_body_limit(node: Node) -> int:
    """Body limit for submitblock: the hex of the largest block allowed next, plus slack."""
    limit = node.params.initial_max_block_size
    try:
        cs = node.chainstate
        limit = cs._connector.block_size_limit(cs.active, cs.height + 1)
    except Exception:  # pragma: no cover - fall back to the initial limit
        log.exception("block size limit unavailable")
    return 2 * limit + 64 * 1024


async def serve_rpc(
    node: Node, args: argparse.Namespace, stop: threading.Event, *, handle_signals: bool = True
) -> int:
    """Run the RPC server until `stop` is set (by a signal, the stop RPC or the caller)."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:
        stop.set()
        woken.set()

    def request_stop() -> None:
        loop.call_soon_threadsafe(loop.call_later, 0.2, wake)

    if handle_signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, _on_signal, signum, wake)
    server: RpcServer | None = None
    p2p: P2PService | None = None
    if not args.norpc:
        dispatcher = Dispatcher(build_table(), node, request_stop=request_stop)
        server = RpcServer(
            dispatcher,
            Authenticator(rpcauth=args.rpcauth),
            netdir=node.netdir,
            ratelimiter=RateLimiter(args.rpcratelimit, args.rpcburst),
            max_body=MAX_BODY,
            large_body=lambda: large_body_limit(node),
        )
        port = node.params.rpc_port if args.rpcport is None else args.rpcport
        try:
            await server.start(args.rpcbind, port)
        except OSError as exc:
            log.error("cannot start the RPC server on %s:%d: %s", args.rpcbind, port, exc)
            stop.set()
            return 1
    p2p = node.p2p = P2PService(node, p2p_config(args))
    await p2p.start()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(woken.wait(), 0.5)
            except TimeoutError:
                continue
    finally:
        if p2p is not None:
            await p2p.stop()
        if server is not None:
            await server.stop()
    return 0


def _on_signal(signum: int, wake: Callable[[], None]) -> None:
    log.info("received %s, shutting down", signal.Signals(signum).name)
    wake()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m node`: parse the options, handle SIGINT/SIGTERM, run until stopped."""
    args = parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return run(args, stop)


def run(
    args: argparse.Namespace,
    stop: threading.Event,
    *,
    on_open: Callable[[Node], None] | None = None,
    handle_signals: bool = True,
    log_to_stderr: bool = True,
) -> int:
    """Open the node, start its services and block until `stop` is set; the exit status.

    `on_open` runs once the node is open and before any service starts (the indexer of
    `manage.py runnode` subscribes to chain events there). With `handle_signals=False` this
    runs in any thread (the embedded `manage.py run`), and the caller sets `stop`.
    """
    params = network_params(args)
    netdir = args.datadir / params.name
    setup_logging(args.loglevel, netdir / "node.log", stderr=log_to_stderr)
    payout: bytes | None = None
    if args.mine:
        try:
            payout = script_for_address(args.mine, params.bech32_hrp)
        except (AddressError, RustyError) as exc:
            log.error("--mine %s: %s", args.mine, exc)
            return 2
    try:
        node = Node.open(
            args.datadir,
            params,
            script_threads=args.script_threads,
            txindex=not args.no_txindex,
            mempool_max_mb=args.mempool_max_mb,
            wallets=args.wallet,
            ticket_buyers=ticket_buyers(args),
            vote_bits=args.votebits,
            vote_wait=args.votewait if args.votewait is not None else (
                1.0 if params.name == "regtest" else 5.0
            ),
        )  # fmt: skip
    except RustyError as exc:
        log.error("cannot open the chainstate in %s: %s", netdir, exc)
        return 1
    status = 0
    with node:
        chainstate = node.chainstate
        log.info(
            "Rusty Coin node on %s, datadir %s, tip %d %s",
            params.name,
            netdir,
            chainstate.height,
            chainstate.tip.hash.hex(),
        )
        if args.minewallet:
            try:
                payout = mine_wallet_script(node, args.minewallet)
            except RustyError as exc:
                log.error("--minewallet %s: %s", args.minewallet, exc)
                return 2
        if on_open is not None:
            on_open(node)
        progress = ProgressReporter(chainstate)
        progress.extra = lambda: node.p2p.sync.progress_text() if node.p2p is not None else ""
        chainstate.events.subscribe(progress)
        progress.report()
        miner: threading.Thread | None = None
        if payout is not None:
            interval = args.block_interval
            if interval is None:
                interval = float(params.target_spacing) if params.name == "devnet" else 0.0
            miner = threading.Thread(
                target=run_miner, args=(node, payout, interval, stop), name="miner"
            )
            miner.start()
        if not stop.is_set():
            status = asyncio.run(serve_rpc(node, args, stop, handle_signals=handle_signals))
        stop.set()
        if miner is not None:
            miner.join()
        progress.report()
        log.info("shut down cleanly at height %d", chainstate.height)
    return status
