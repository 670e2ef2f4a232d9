"""WalletManager: the node's wallets — create, load, unload, list, and pick by name.

Wallets live in ``<datadir>/<network>/wallets/<name>/wallet.lmdb/``. The manager subscribes
once to the chain's and the mempool's event buses and forwards each event to every loaded
wallet (synchronously, in the thread that changed the chain or the pool, which holds the
chainstate lock).
"""

from __future__ import annotations

import builtins
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from node.chain.events import ChainEvent
from node.wallet.errors import (
    InvalidParameter,
    WalletAlreadyLoaded,
    WalletExists,
    WalletNotFound,
    WalletNotSpecified,
)
from node.wallet.keystore import ScryptParams
from node.wallet.model import Clock, EstimatorLike, MempoolLike
from node.wallet.wallet import Wallet

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from node.chain.chainstate import Chainstate

__all__ = ["WALLETS_DIR", "WalletManager"]

WALLETS_DIR: Final = "wallets"
DB_DIR: Final = "wallet.lmdb"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class WalletManager:
    """Every wallet of one node process."""

    def __init__(
        self,
        datadir_network: Path,
        chainstate: Chainstate,
        mempool: MempoolLike,
        estimator: EstimatorLike | None = None,
        clock: Clock = time.time,
        *,
        scrypt: ScryptParams | None = None,
    ) -> None:
        self.root = Path(datadir_network) / WALLETS_DIR
        self.chainstate = chainstate
        self.mempool = mempool
        self.estimator = estimator
        self.clock = clock
        self.scrypt = scrypt or ScryptParams()
        self._wallets: dict[str, Wallet] = {}
        self._lock = threading.RLock()
        self.on_loaded: list[Callable[[Wallet], None]] = []
        """Called with each wallet created or loaded (the stake service votes with its
        tickets for the current tip right away)."""
        self._unsubscribe = [chainstate.events.subscribe(self._on_chain_event)]
        events = getattr(mempool, "events", None)
        if events is not None:
            self._unsubscribe.append(events.subscribe(self._on_mempool_event))

    # ------------------------------------------------------------------ events

    def _on_chain_event(self, event: ChainEvent) -> None:
        for wallet in list(self._wallets.values()):
            wallet.on_chain_event(event)

    def _on_mempool_event(self, event: Any) -> None:
        entry = getattr(event, "entry", None)
        if entry is None:
            return  # TxRemoved: activity is derived from mempool membership
        for wallet in list(self._wallets.values()):
            wallet.on_mempool_tx(entry.tx)

    # ------------------------------------------------------------------ wallets

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidParameter(
                f"Invalid wallet name {name!r}: use 1-64 letters, digits, '_', '.' or '-'"
            )
        return self.root / name / DB_DIR

    def create(
        self,
        name: str,
        *,
        passphrase: str | None = None,
        mnemonic: str | None = None,
        watch_only_xpub: str | None = None,
        blank: bool = False,
    ) -> Wallet:
        """Create and load a new wallet (see Wallet.create for the options)."""
        path = self._path(name)
        with self.chainstate.lock, self._lock:
            if path.exists() or name in self._wallets:
                raise WalletExists(f"Wallet {name!r} already exists.")
            try:
                wallet = Wallet.create(
                    name, path, self.chainstate, self.mempool, self.estimator, self.clock,
                    self.scrypt, passphrase=passphrase, mnemonic=mnemonic,
                    watch_only_xpub=watch_only_xpub, blank=blank,
                )  # fmt: skip
            except BaseException:
                _remove_tree(path.parent)
                raise
            self._wallets[name] = wallet
        self._loaded(wallet)
        return wallet

    def _loaded(self, wallet: Wallet) -> None:
        for callback in list(self.on_loaded):
            try:
                callback(wallet)
            except Exception:
                log.exception("wallet load hook %r failed", callback)

    def load(self, name: str) -> Wallet:
        """Load a wallet from disk and bring it up to the tip."""
        path = self._path(name)
        with self.chainstate.lock, self._lock:
            if name in self._wallets:
                raise WalletAlreadyLoaded(f"Wallet {name!r} is already loaded.")
            if not (path / "data.mdb").is_file():
                raise WalletNotFound(f"Wallet file not found: {name!r}")
            wallet = Wallet.open(
                name, path, self.chainstate, self.mempool, self.estimator, self.clock,
                self.scrypt,
            )  # fmt: skip
            self._wallets[name] = wallet
        self._loaded(wallet)
        return wallet

    def unload(self, name: str) -> None:
        with self.chainstate.lock, self._lock:
            wallet = self._wallets.pop(name, None)
            if wallet is None:
                raise WalletNotFound(f"Requested wallet {name!r} is not loaded")
            wallet.close()

    def list(self) -> list[str]:
        """Names of the loaded wallets (listwallets)."""
        return sorted(self._wallets)

    def list_dir(self) -> builtins.list[str]:
        """Names of every wallet on disk (listwalletdir)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / DB_DIR / "data.mdb").is_file())

    def get(self, name: str | None) -> Wallet:
        """The wallet `name`, or with None the only loaded wallet."""
        if name is None or name == "":
            loaded = list(self._wallets.values())
            if len(loaded) == 1:
                return loaded[0]
            if not loaded:
                raise WalletNotFound(
                    "No wallet is loaded. Load a wallet using loadwallet or create a new one "
                    "with createwallet."
                )
            raise WalletNotSpecified(
                "Wallet file not specified (must request wallet RPC through /wallet/<filename> "
                "uri-path)."
            )
        wallet = self._wallets.get(name)
        if wallet is None:
            raise WalletNotFound(f"Requested wallet {name!r} does not exist or is not loaded")
        return wallet

    def close(self) -> None:
        """Unload every wallet and stop listening to events."""
        with self.chainstate.lock, self._lock:
            for name in list(self._wallets):
                self.unload(name)
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe = []


def _remove_tree(path: Path) -> None:
    """Remove a half-created wallet directory (best effort)."""
    if not path.exists():
        return
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if child.is_dir():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()
