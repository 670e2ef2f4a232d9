"""`manage.py run`: the embedded all-in-one process behind `make run`.

Today it serves the ASGI application (pages, API, websockets, static files) with uvicorn;
the node, miner and indexer join this process as their issues land.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from channels.routing import get_default_application
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the embedded all-in-one Rusty Coin process on http://HOST:PORT"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="HTTP port (8000)")

    def handle(self, *args: Any, **options: Any) -> None:
        app = ASGIStaticFilesHandler(get_default_application())
        self.stdout.write(
            f"Rusty Coin {settings.RUSTY_NETWORK} web apps on "
            f"http://{options['host']}:{options['port']}/ (Ctrl-C to stop)"
        )
        uvicorn.run(
            app, host=options["host"], port=options["port"], log_level="info", lifespan="off"
        )
