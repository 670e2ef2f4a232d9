"""`manage.py runnode [NODE OPTIONS]`: the node daemon with the SQL indexer inside it.

Takes exactly the options of `python -m node` (`manage.py runnode --help` lists them) and
runs node.daemon's `run` with an `on_open` hook that starts the indexer (indexer.sink) on
the opened node: it catches up from the node's storage and then follows its chain events,
writing the database configured by DATABASE_URL and broadcasting on the channel layer
configured by REDIS_URL. SIGINT/SIGTERM stop both cleanly. This is the production
`node` process (Procfile); it is the only writer of the chain database and of the
indexer's tables.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from indexer.broadcast import Broadcaster
from indexer.sink import Indexer
from node import api

if TYPE_CHECKING:
    from node.api import Node

DJANGO_FLAGS = {"--traceback", "--no-color", "--force-color", "--skip-checks"}
DJANGO_VALUED = {"--settings", "--pythonpath", "-v", "--verbosity"}


def split_argv(argv: list[str]) -> list[str]:
    """The node options of `manage.py runnode ...` (Django's own options removed)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in DJANGO_FLAGS:
            continue
        if name in DJANGO_VALUED:
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


class Command(BaseCommand):
    help = "Run the Rusty Coin node (options of `python -m node`) with the SQL indexer"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("node_args", nargs=argparse.REMAINDER, help="python -m node options")

    def run_from_argv(self, argv: list[str]) -> None:
        # argparse in Django's parser would reject the node's options: hand them over as is.
        node_argv = split_argv(argv[2:])
        if any(a in ("-h", "--help") for a in node_argv):
            self.stdout.write(f"usage: {argv[0]} runnode [python -m node options]\n{self.help}.")
        try:
            self.execute(node_args=node_argv, verbosity=1, no_color=False, force_color=False,
                         skip_checks=False, traceback=False)  # fmt: skip
        except CommandError as exc:
            self.stderr.write(f"CommandError: {exc}")
            sys.exit(exc.returncode)

    def handle(self, *args: Any, **options: Any) -> None:
        node_args = api.daemon_args(list(options.get("node_args") or []))
        check_migrated()
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        status = run_node_with_indexer(node_args, stop)
        if status:
            sys.exit(status)


def check_migrated(using: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse to start on a database without the current schema (CommandError)."""
    try:
        executor = MigrationExecutor(connections[using])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise CommandError(f"cannot reach the database: {exc}") from None
    finally:
        connections[using].close()
    if plan:
        raise CommandError(
            f"the database has {len(plan)} unapplied migration(s): run `manage.py migrate` first"
        )


def run_node_with_indexer(
    node_args: argparse.Namespace,
    stop: threading.Event,
    *,
    broadcaster: Broadcaster | None = None,
    handle_signals: bool = False,
    indexer_options: dict[str, Any] | None = None,
    started: list[Indexer] | None = None,
) -> int:
    """Run the daemon until `stop` with an indexer on its node; the exit status.

    The indexer stops (finishing its current SQL transaction) before the node closes its
    chain database. `started`, when given, receives the indexer once it runs."""
    indexers: list[Indexer] = []
    own_broadcaster = broadcaster is None

    def on_open(node: Node) -> None:
        indexer = Indexer.for_node(
            node,
            broadcaster=Broadcaster() if broadcaster is None else broadcaster,
            **(indexer_options or {}),
        )
        indexer.start()
        indexers.append(indexer)
        if started is not None:
            started.append(indexer)

    def on_close(node: Node) -> None:
        for indexer in indexers:
            indexer.stop()
            if own_broadcaster and indexer.broadcaster is not None:
                indexer.broadcaster.close()

    return api.run_daemon(
        node_args,
        stop,
        on_open=on_open,
        on_close=on_close,
        handle_signals=handle_signals,
        log_to_stderr=False,  # the node's records reach Django's console handler already
    )
