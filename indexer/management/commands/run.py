"""`manage.py run`: the embedded all-in-one process behind `make run`.

ONE process: the node (devnet by default) runs in a background thread through
node.daemon's `run` (no signal handlers of its own), with its built-in miner paying the
node wallet "demo" (`--minewallet demo --ticketbuyer`, so it also buys tickets and votes),
and the SQL indexer inside it (indexer.sink); uvicorn serves the ASGI app (pages, API,
websockets, static files) in the main thread. Broadcasts go to the in-memory channel layer on
uvicorn's own event loop. Without a Celery broker the DailyStat task runs from a timer
thread, and a "demo transactions" thread now and then sends a few small payments from the
demo wallet over the node's JSON-RPC (cookie auth, like any client). Ctrl-C stops the web
server, then the node and indexer (each finishing its current transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from channels.routing import get_default_application
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser

from indexer.broadcast import Broadcaster
from indexer.management.commands.runnode import check_migrated, run_node_with_indexer
from indexer.stats import update_daily_stats
from node import api
from node.rpc.client import RpcClient, RpcError

log = logging.getLogger(__name__)

MINING_NETWORKS = {"devnet", "regtest"}
DEMO_WALLET = "demo"


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal capture: `serve()` below handles SIGINT/SIGTERM on the
    loop so the node and indexer can stop while the loop still delivers their broadcasts
    (uvicorn would re-raise the signal after its shutdown and cancel that)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Command(BaseCommand):
    help = "Run the embedded all-in-one Rusty Coin process on http://HOST:PORT"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="HTTP port (8000)")
        parser.add_argument("--no-node", action="store_true", help="serve the web apps only")
        parser.add_argument(
            "--node-rpcport", type=int, default=None, help="the node's RPC port (network default)"
        )
        parser.add_argument("--no-mine", action="store_true", help="do not run the miner")
        parser.add_argument(
            "--no-demo-txs", action="store_true", help="do not send demo transactions"
        )
        parser.add_argument(
            "--demo-interval", type=float, default=20.0, help="seconds between demo payments"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["port"] <= 65535:
            raise CommandError("--port must be between 1 and 65535")
        if options["demo_interval"] <= 0:
            raise CommandError("--demo-interval must be positive")
        network = settings.RUSTY_NETWORK
        mine = not options["no_mine"] and network in MINING_NETWORKS
        node_argv = ["--network", network, "--datadir", str(settings.RUSTY_DATADIR)]
        if options["node_rpcport"] is not None:
            node_argv += ["--rpcport", str(options["node_rpcport"])]
            os.environ["RUSTY_RPC_PORT"] = str(options["node_rpcport"])  # the pages' RPC client
        if mine:
            node_argv += ["--minewallet", DEMO_WALLET, "--ticketbuyer"]
        node_args = None if options["no_node"] else api.daemon_args(node_argv)
        if node_args is not None:
            check_migrated()
        app = ASGIStaticFilesHandler(get_default_application())
        config = uvicorn.Config(
            app, host=options["host"], port=options["port"], log_level="info", lifespan="off"
        )
        self.stdout.write(
            f"Rusty Coin {network} on http://{options['host']}:{options['port']}/ "
            f"(data in {settings.RUSTY_DATADIR}; Ctrl-C to stop)"
        )
        asyncio.run(
            serve(
                EmbeddedServer(config),
                node_args,
                demo=mine and not options["no_demo_txs"],
                demo_interval=options["demo_interval"],
            )
        )


async def serve(
    server: uvicorn.Server, node_args: Any, *, demo: bool, demo_interval: float
) -> None:
    """Serve HTTP until Ctrl-C with the node and its helpers in background threads."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    if node_args is not None:
        broadcaster = Broadcaster(loop=asyncio.get_running_loop())
        threads.append(
            threading.Thread(
                target=run_node_with_indexer,
                args=(node_args, stop),
                kwargs={"broadcaster": broadcaster},
                name="node",
            )
        )
        if demo:
            threads.append(
                threading.Thread(
                    target=demo_payments,
                    args=(node_args, stop, demo_interval),
                    name="demo-txs",
                    daemon=True,
                )
            )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        threads.append(
            threading.Thread(target=stats_timer, args=(stop,), name="daily-stats", daemon=True)
        )
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if server.should_exit:
            server.force_exit = True  # second Ctrl-C: do not wait for open connections
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    for thread in threads:
        thread.start()
    try:
        await server.serve()
    finally:
        stop.set()
        for thread in threads:
            await asyncio.to_thread(thread.join, 60)


def stats_timer(stop: threading.Event, first: float = 30.0) -> None:
    """The beat schedule's DailyStat task, in-process (no broker in the embedded setup):
    once `first` seconds after start, then every RUSTY_STATS_INTERVAL seconds."""
    from django.db import connections

    wait = first
    while not stop.wait(wait):
        try:
            update_daily_stats()
        except Exception:
            log.exception("daily stats update failed")
        finally:
            connections.close_all()
        wait = float(settings.RUSTY_STATS_INTERVAL)


def demo_payments(node_args: Any, stop: threading.Event, interval: float) -> None:
    """Every `interval` s (jittered) send 1-3 small payments from the demo wallet to fresh
    addresses, over JSON-RPC like any client; quiet until the wallet has mature coins."""
    params = api.get_params(node_args.network)
    port = params.rpc_port if node_args.rpcport is None else node_args.rpcport
    rng = random.Random()
    client: RpcClient | None = None
    while not stop.wait(interval * rng.uniform(0.5, 1.5)):
        try:
            if client is None:
                client = RpcClient.from_datadir(
                    Path(node_args.datadir), params.name, port=port, wallet=DEMO_WALLET,
                    timeout=10,
                )  # fmt: skip
            for _ in range(rng.randint(1, 3)):
                address = client.call("getnewaddress")
                amount = f"{rng.randint(1, 200) / 100:.2f}"
                client.call("sendtoaddress", address, amount)
        except (RpcError, OSError) as exc:
            log.debug("demo payment skipped: %s", exc)
            client = None
