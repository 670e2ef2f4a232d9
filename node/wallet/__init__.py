"""The node-operator wallet: BIP39 -> BIP32 keys on m/44'/7337'/account'/change/index,
encryption at rest, chain and mempool tracking, coin selection, sending and fee bumping.

Layering: node.wallet may import node.mempool and everything below it; node.rpc uses it.
See docs/protocol/wallet.md for formats and policies.
"""

from node.wallet.errors import (
    BadPassphrase,
    InsufficientFunds,
    WalletError,
    WalletLocked,
    WalletNotFound,
)
from node.wallet.manager import WalletManager
from node.wallet.model import Balances, WalletTx, WalletUtxo
from node.wallet.wallet import Wallet

__all__ = [
    "BadPassphrase",
    "Balances",
    "InsufficientFunds",
    "Wallet",
    "WalletError",
    "WalletLocked",
    "WalletManager",
    "WalletNotFound",
    "WalletTx",
    "WalletUtxo",
]
