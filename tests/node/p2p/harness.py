"""A P2P service on a real regtest Node (LMDB in a temp dir) running its own asyncio loop in
a background thread, so tests can drive it with plain sockets (RawPeer) from the test thread."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from node.p2p.config import P2PConfig
from node.p2p.service import P2PService
from node.params import get_params
from node.rpc.node import Node
from tests.node.chain.helpers import FixedClock, make_block

PARAMS = dataclasses.replace(get_params("regtest"), stake_validation_height=1_000_000)
T = TypeVar("T")

TEST_CONFIG = P2PConfig(bind=("127.0.0.1",), port=0, max_outbound=0, use_seeds=False,
                        tx_trickle_outbound=0.05, tx_trickle_inbound=0.05)  # fmt: skip


class ServiceThread:
    """A running P2PService (module docstring)."""

    def __init__(self, datadir: Path, config: P2PConfig = TEST_CONFIG, **changes: Any) -> None:
        self.node = Node.open(datadir, PARAMS, txindex=False, clock=FixedClock(PARAMS))
        self.svc = P2PService(self.node, dataclasses.replace(config, **changes))
        self.node.p2p = self.svc
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.svc.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="p2p-test-loop", daemon=True)
        self.thread.start()
        assert started.wait(30), "the P2P service did not start"

    @property
    def port(self) -> int:
        return self.svc.listening[0][1]

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def height(self) -> int:
        return self.node.chainstate.height

    def call(self, func: Callable[..., T], *args: Any) -> T:
        return self.svc.call(func, self.svc, *args)

    def mine(self, count: int) -> None:
        cs = self.node.chainstate
        for _ in range(count):
            with cs.lock:
                cs.process_block(make_block(cs))

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.svc.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()
        self.node.close()


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)
