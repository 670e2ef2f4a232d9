"""Builders for wallet tests: a regtest chain, a real mempool and a wallet manager on it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from node.chain.chainstate import Chainstate
from node.crypto.address import p2pkh_address
from node.mempool import Mempool
from node.script.templates import script_for_address
from node.types.tx import Tx
from node.wallet.bip32 import ExtendedKey
from node.wallet.bip39 import mnemonic_to_seed
from node.wallet.keystore import ScryptParams
from node.wallet.manager import WalletManager
from node.wallet.wallet import Wallet
from tests.node.chain.helpers import OTHER_SCRIPT, FixedClock, make_block, mine, open_chain

FAST_SCRYPT = ScryptParams(log2_n=4)
MNEMONIC = (
    "legal winner thank year wave sausage worth useful legal winner thank year wave "
    "sausage worth useful legal winner thank year wave sausage worth title"
)
HRP = "rcrt"


def expected_address(path: str) -> str:
    """The address of `path` under MNEMONIC, derived independently of the wallet."""
    node = ExtendedKey.from_seed(mnemonic_to_seed(MNEMONIC)).derive_path(path)
    return str(p2pkh_address(HRP, node.xonly))


@dataclasses.dataclass
class Env:
    path: Path
    cs: Chainstate
    pool: Mempool
    clock: FixedClock
    manager: WalletManager

    @classmethod
    def open(cls, path: Path) -> Env:
        cs = open_chain(path)
        clock = cs.clock
        assert isinstance(clock, FixedClock)
        pool = Mempool(cs, clock=clock)
        manager = WalletManager(path / "regtest", cs, pool, None, clock=clock,
                                scrypt=FAST_SCRYPT)  # fmt: skip
        return cls(path, cs, pool, clock, manager)

    def reopen_manager(self) -> WalletManager:
        self.manager.close()
        self.manager = WalletManager(self.path / "regtest", self.cs, self.pool, None,
                                     clock=self.clock, scrypt=FAST_SCRYPT)  # fmt: skip
        return self.manager

    def close(self) -> None:
        self.manager.close()
        self.pool.close()
        self.cs.close()

    def script(self, address: str) -> bytes:
        return script_for_address(address, HRP)

    def mine_to(self, wallet: Wallet, count: int = 1) -> None:
        """`count` blocks whose coinbase pays a fresh address of `wallet`."""
        for _ in range(count):
            mine(self.cs, 1, script=self.script(wallet.get_new_address()))

    def mature(self) -> None:
        """Enough blocks (to a foreign script) for every coinbase so far to mature."""
        mine(self.cs, self.cs.params.coinbase_maturity, script=OTHER_SCRIPT)

    def mine_block(self, txs: tuple[Tx, ...] | None = None) -> bytes:
        """A block with `txs` (default: the whole mempool, parents first)."""
        if txs is None:
            txs = tuple(
                sorted(
                    (e.tx for e in self.pool.entries.values()),
                    key=lambda tx: self.pool.entries[tx.txid].ancestor_count,
                )
            )
        block = make_block(self.cs, txs, script=OTHER_SCRIPT)
        self.cs.process_block(block)
        assert self.cs.tip.hash == block.hash
        return block.hash
