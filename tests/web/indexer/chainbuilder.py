"""Real regtest nodes for the indexer tests: start/stop `python -m node` or `manage.py runnode`
processes, and script chains with coinbase spends, payments to fresh addresses, ticket
purchases and votes through their JSON-RPC (generatetoaddress, sendtoaddress,
purchaseticket), the way a user would.

Two wallets: `miner` (loaded by every node process, its ticket buyer and voting service on)
and `cold`, which buys tickets before stake_validation_height and is then unloaded, so its
tickets never vote: each one the lottery draws is MISSED (the miner mines with the other
votes after --votewait), and `revoketickets` of the reloaded wallet revokes them.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.rpc.client import RpcClient, RpcError

ROOT = Path(__file__).resolve().parents[3]
NETWORK = "regtest"
SVH = 30
"""stake_validation_height of the test chains: votes from here on."""
WALLET = "miner"
COLD = "cold"
INSUFFICIENT_FUNDS = -6
COLD_TICKETS = 8
"""Enough that the lottery draws some before the chains end; when it draws three or more
for one block, NodeProcess.mine restarts the node with the cold wallet loaded for it."""

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class NodeProcess:
    """One node process on a regtest data dir (the node alone, or `manage.py runnode`)."""

    datadir: Path
    runnode: bool = False
    env: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    load_wallet: bool = True
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    client: RpcClient | None = None

    def start(self, timeout: float = 60.0) -> NodeProcess:
        args = ["--network", NETWORK, "--datadir", str(self.datadir), "--rpcport", str(self.port),
                "--stakevalidationheight", str(SVH), "--votewait", "1", "--loglevel", "WARNING",
                *(["--wallet", WALLET, "--ticketbuyer"] if self.load_wallet else []),
                *self.extra]  # fmt: skip
        cmd = [sys.executable, "manage.py", "runnode", *args] if self.runnode else [
            sys.executable, "-m", "node", *args]  # fmt: skip
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rustycoin.settings", **self.env}
        self.datadir.mkdir(parents=True, exist_ok=True)
        logfile = (self.datadir / "process.log").open("ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=logfile)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited early: {self.log_tail()}")
            try:
                self.client = RpcClient.from_datadir(
                    self.datadir, NETWORK, port=self.port, timeout=120
                )
                self.client.call("getblockcount")
                return self
            except (RpcError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node did not answer: {self.log_tail()}") from None
                time.sleep(0.2)

    def log_tail(self) -> str:
        path = self.datadir / "process.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def rpc(self, method: str, *params: Any) -> Any:
        assert self.client is not None
        return self.client.call(method, *params)

    def wallet_rpc(self, method: str, *params: Any, wallet: str = WALLET) -> Any:
        assert self.client is not None
        return self.client.with_wallet(wallet).call(method, *params)

    def stop(self, timeout: float = 60.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"node did not stop within {timeout} s") from None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def mine(self, n: int) -> list[str]:
        """Mine `n` blocks one at a time; from shortly before SVH buy 5 tickets before each
        (5 vote per block) so the pool never runs dry whatever the ticket buyer does."""
        hashes: list[str] = []
        for _ in range(n):
            if self.rpc("getblockcount") >= SVH - 10:
                try:
                    self.wallet_rpc("purchaseticket", 5)
                except RpcError as exc:
                    if exc.code != INSUFFICIENT_FUNDS:
                        raise
                    log.info("no confirmed coin left for tickets: %s", self.balances())
            address = self.wallet_rpc("getnewaddress")
            try:
                hashes += self.rpc("generatetoaddress", 1, address)
            except RpcError as exc:
                if "vote(s) for the tip" not in str(exc):
                    raise
                hashes += self._mine_with_cold_votes(address)
        return hashes

    def balances(self) -> Any:
        return self.wallet_rpc("getbalances")

    def _mine_with_cold_votes(self, address: str) -> list[str]:
        """The lottery drew 3+ tickets of the unloaded cold wallet: restart with it loaded
        (a node votes for its tip when it opens), mine one block, restart as before."""
        log.info("too few votes: mining one block with the cold wallet's votes")
        extra, loaded = self.extra, COLD in self.rpc("listwallets")
        self.stop()
        if not loaded:
            self.extra = (*extra, "--wallet", COLD)
        try:
            self.start()
            hashes: list[str] = self.rpc("generatetoaddress", 1, address)
        finally:
            self.stop()
            self.extra = extra
            self.start()
            if loaded:
                self.rpc("loadwallet", COLD)
        return hashes

    def pay(self, count: int, amount: str = "0.5", external: bool = True) -> list[str]:
        """`count` payments, to fresh wallet addresses or to keys nobody here holds."""
        txids = []
        for i in range(count):
            if external and i % 2:
                address = external_address(i + int(time.time() * 1000) % 100_000)
            else:
                address = self.wallet_rpc("getnewaddress")
            txids.append(self.wallet_rpc("sendtoaddress", address, amount))
        return txids


def external_address(seed: int) -> str:
    """A P2PKH regtest address of a throw-away key."""
    from node.crypto.address import p2pkh_address
    from node.crypto.schnorr import pubkey_from_secret
    from node.params import get_params

    secret = (seed + 1).to_bytes(32, "big")
    return str(p2pkh_address(get_params(NETWORK).bech32_hrp, pubkey_from_secret(secret)))


def create_wallet(datadir: Path) -> None:
    """Create the miner and cold wallets once (the node processes load the miner's with
    --wallet; the cold one is loaded only to buy and to revoke)."""
    node = NodeProcess(datadir, load_wallet=False).start()
    try:
        node.rpc("createwallet", WALLET)
        node.rpc("createwallet", COLD)
        node.rpc("unloadwallet", COLD)
    finally:
        node.stop()


def buy_cold_tickets(node: NodeProcess) -> None:
    """Fund the cold wallet, let it buy COLD_TICKETS tickets, and unload it."""
    node.rpc("loadwallet", COLD)
    # one coin per purchase (a purchase's change is not spent unconfirmed), in one payment
    coins = {node.wallet_rpc("getnewaddress", wallet=COLD): "2" for _ in range(COLD_TICKETS)}
    node.wallet_rpc("sendmany", "", coins)
    node.mine(1)
    node.wallet_rpc("purchaseticket", COLD_TICKETS, wallet=COLD)
    node.rpc("unloadwallet", COLD)


def build_base_chain(node: NodeProcess) -> None:
    """~45 blocks: matured coinbases, payments, tickets bought early enough to vote from SVH
    (the miner's, and the cold wallet's that will be missed)."""
    node.mine(12)  # regtest coinbase maturity is 10
    node.pay(4)
    node.mine(1)
    node.wallet_rpc("purchaseticket", 16)
    node.mine(1)
    buy_cold_tickets(node)
    node.mine(1)
    node.pay(3)
    node.mine(SVH - node.rpc("getblockcount") - 1)
    node.wallet_rpc("purchaseticket", 4)
    node.pay(3)
    node.mine(8)  # votes from SVH on
    node.pay(5, "0.25")
    node.mine(2)


def extend(node: NodeProcess, blocks: int, payments: int) -> None:
    """Mine `blocks` more blocks, with `payments` payments in the first."""
    node.pay(payments, "0.1")
    node.mine(blocks)


def copy_datadir(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("process.log", ".cookie", "*.pid"))
