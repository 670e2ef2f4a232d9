"""`manage.py run`: the embedded all-in-one process behind `make run`.

Starts the node for the configured network (devnet by default) with its built-in miner as
a child process, and serves the ASGI application (pages, websockets, static files) with
uvicorn in this process. Ctrl-C stops both cleanly. The indexer joins with its issue.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from channels.routing import get_default_application
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management.base import BaseCommand, CommandParser

from indexer.services import rpc_port, start_node, stop_node


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["node_rpcport"] is not None:
            os.environ["RUSTY_RPC_PORT"] = str(options["node_rpcport"])
        node = None
        if not options["no_node"]:
            node = start_node(port=rpc_port(), mine=not options["no_mine"])
            self.stdout.write(
                f"Rusty Coin {settings.RUSTY_NETWORK} node started (pid {node.pid}, "
                f"RPC port {rpc_port()}, data in {settings.RUSTY_DATADIR})"
            )
        app = ASGIStaticFilesHandler(get_default_application())
        self.stdout.write(
            f"Rusty Coin {settings.RUSTY_NETWORK} web apps on "
            f"http://{options['host']}:{options['port']}/ (Ctrl-C to stop)"
        )
        try:
            uvicorn.run(
                app, host=options["host"], port=options["port"], log_level="info", lifespan="off"
            )
        finally:
            if node is not None:
                stop_node(node)
