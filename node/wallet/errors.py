"""Errors of the node wallet: one root (`WalletError`) with a narrow subclass per failure.

The RPC layer maps them to bitcoind's codes: WalletLocked -13, BadPassphrase -14,
WalletNotEncrypted -15, WalletNotFound -18, WalletNotSpecified -19, InsufficientFunds -6,
InvalidAddress -5, InvalidAmount / InvalidParameter -8 (-3 for amounts in Core, either is
fine), everything else -4 (wallet error).
"""

from __future__ import annotations

from node.errors import RustyError


class WalletError(RustyError):
    """Base class of every wallet error."""


class WalletLocked(WalletError):
    """The wallet is encrypted and locked: unlock it (walletpassphrase) to sign or export."""


class BadPassphrase(WalletError):
    """The passphrase does not decrypt the wallet (or an empty passphrase was given)."""


class WalletNotEncrypted(WalletError):
    """unlock/lock was called on a wallet that has no passphrase."""


class WalletAlreadyEncrypted(WalletError):
    """encrypt was called on a wallet that already has a passphrase."""


class WalletNotFound(WalletError):
    """No wallet of that name exists on disk, or none is loaded under that name."""


class WalletNotSpecified(WalletNotFound):
    """Several wallets are loaded (or none) and the request did not name one."""


class WalletExists(WalletError):
    """create() for a name that already exists on disk."""


class WalletAlreadyLoaded(WalletError):
    """load() for a wallet that is already loaded."""


class InsufficientFunds(WalletError):
    """The spendable balance cannot pay the outputs plus the fee."""


class InvalidAddress(WalletError):
    """An address that does not decode, or belongs to another network."""


class InvalidAmount(WalletError):
    """An amount <= 0, above MAX_MONEY, or so small that its output would be dust."""


class InvalidParameter(WalletError):
    """Any other unusable argument (bad fee rate, empty outputs, bad index, ...)."""


class InvalidMnemonic(WalletError):
    """A BIP39 mnemonic with an unknown word, a wrong word count or a bad checksum."""


class InvalidExtendedKey(WalletError):
    """A BIP32 xpub/xprv that is malformed, for another network, or not a valid point."""


class UnknownTransaction(WalletError):
    """A txid the wallet does not know (bumpfee, gettransaction)."""


class NotWalletTransaction(WalletError):
    """A transaction the wallet did not send (so it cannot bump or abandon it)."""


class TransactionNotReplaceable(WalletError):
    """bump_fee on a transaction that is confirmed or no longer in the mempool."""


class PrivateKeysDisabled(WalletError):
    """A watch-only or blank wallet was asked to sign, send or show its mnemonic."""


class FeeEstimationFailed(WalletError):
    """No fee estimate is available and the network has no fallback fee (mainnet, testnet)."""


class CorruptWallet(WalletError):
    """wallet.lmdb holds a record the wallet cannot decode."""
