"""Wallet RPCs (bitcoind names and shapes). The wallet is chosen by the request path
`/wallet/<name>`, or is the only loaded wallet. Registered only when node.wallet is present.

Wallet errors map to bitcoind codes: locked -13, bad passphrase -14, wrong encryption state
-15, not found -18, not specified -19, insufficient funds -6, bad address -5, bad amount or
parameter -8, already loaded -35, mempool rejection and anything else -4.
"""

from __future__ import annotations

from typing import Any

from node.mempool.errors import MempoolReject
from node.rpc.dispatch import Collector, Context
from node.rpc.errors import (
    DESERIALIZATION_ERROR,
    INVALID_ADDRESS_OR_KEY,
    INVALID_PARAMETER,
    METHOD_NOT_FOUND,
    WALLET_ALREADY_LOADED,
    WALLET_ERROR,
    WALLET_INSUFFICIENT_FUNDS,
    WALLET_NOT_FOUND,
    WALLET_NOT_SPECIFIED,
    WALLET_PASSPHRASE_INCORRECT,
    WALLET_UNLOCK_NEEDED,
    WALLET_WRONG_ENC_STATE,
    RpcError,
)
from node.rpc.jsonfmt import Amount, parse_amount
from node.rpc.methods.common import decode_tx, parse_hash, parse_hex
from node.types.tx import OutPoint, TxOut
from node.wallet import errors as werr
from node.wallet.manager import WalletManager
from node.wallet.wallet import Wallet

MAX_UNLOCK_SECONDS = 100_000_000
FEE_RATE_SCALE = 1000
"""`fee_rate` arguments are base units per byte (like sat/vB); the wallet takes per kvB."""

_CODES: tuple[tuple[type[Exception], int], ...] = (
    (werr.WalletLocked, WALLET_UNLOCK_NEEDED),
    (werr.BadPassphrase, WALLET_PASSPHRASE_INCORRECT),
    (werr.WalletNotEncrypted, WALLET_WRONG_ENC_STATE),
    (werr.WalletAlreadyEncrypted, WALLET_WRONG_ENC_STATE),
    (werr.WalletNotSpecified, WALLET_NOT_SPECIFIED),
    (werr.WalletNotFound, WALLET_NOT_FOUND),
    (werr.WalletAlreadyLoaded, WALLET_ALREADY_LOADED),
    (werr.InsufficientFunds, WALLET_INSUFFICIENT_FUNDS),
    (werr.InvalidAddress, INVALID_ADDRESS_OR_KEY),
    (werr.InvalidExtendedKey, INVALID_ADDRESS_OR_KEY),
    (werr.InvalidAmount, INVALID_PARAMETER),
    (werr.InvalidParameter, INVALID_PARAMETER),
    (werr.InvalidMnemonic, INVALID_PARAMETER),
    (werr.UnknownTransaction, INVALID_ADDRESS_OR_KEY),
    (werr.WalletError, WALLET_ERROR),
)


def translate(exc: Exception) -> RpcError | None:
    if isinstance(exc, MempoolReject):
        return RpcError(WALLET_ERROR, f"Transaction rejected by the mempool: {exc}")
    for cls, code in _CODES:
        if isinstance(exc, cls):
            if cls is werr.WalletNotSpecified:
                return RpcError(
                    code,
                    "Wallet file not specified (must request wallet RPC through "
                    "/wallet/<filename> uri-path).",
                )
            if cls is werr.WalletNotFound:
                return RpcError(code, f"Requested wallet does not exist or is not loaded: {exc}")
            return RpcError(code, str(exc) or cls.__name__)
    return None


method = Collector("wallet", translate)


def _manager(ctx: Context) -> WalletManager:
    manager = ctx.node.wallets
    if manager is None:
        raise RpcError(METHOD_NOT_FOUND, "Method not found (wallet is disabled)")
    return manager


def _wallet(ctx: Context) -> Wallet:
    return _manager(ctx).get(ctx.wallet_name)


def _amount(value: object, name: str = "amount") -> int:
    try:
        return parse_amount(value)
    except TypeError as exc:
        raise RpcError(-3, f"{name}: {exc}") from None
    except ValueError as exc:
        raise RpcError(INVALID_PARAMETER, f"{name}: {exc}") from None


def _fee_rate(fee_rate: float | None) -> int | None:
    if fee_rate is None:
        return None
    if fee_rate <= 0:
        raise RpcError(INVALID_PARAMETER, "fee_rate must be positive (units per byte)")
    return int(fee_rate * FEE_RATE_SCALE)


def _conf_target(conf_target: int) -> int:
    if not 1 <= conf_target <= 1008:
        raise RpcError(INVALID_PARAMETER, "Invalid conf_target, must be between 1 and 1008")
    return conf_target


@method
def createwallet(
    ctx: Context,
    wallet_name: str,
    disable_private_keys: bool = False,
    blank: bool = False,
    passphrase: str = "",
    mnemonic: str | None = None,
    xpub: str | None = None,
) -> dict[str, Any]:
    """Creates and loads a wallet in <datadir>/<network>/wallets/<name>/wallet.lmdb.

    Arguments: wallet_name, disable_private_keys (watch-only: requires xpub), blank (no
    keys), passphrase (encrypt at once), mnemonic (restore from a BIP39 phrase),
    xpub (watch-only account xpub)
    Result: {name, warnings: []}"""
    if disable_private_keys and xpub is None and not blank:
        raise RpcError(INVALID_PARAMETER, "disable_private_keys needs xpub (or blank)")
    if xpub is not None and mnemonic is not None:
        raise RpcError(INVALID_PARAMETER, "pass mnemonic or xpub, not both")
    wallet = _manager(ctx).create(
        wallet_name,
        passphrase=passphrase or None,
        mnemonic=mnemonic,
        watch_only_xpub=xpub,
        blank=blank,
    )
    return {"name": wallet.name, "warnings": []}


@method
def loadwallet(ctx: Context, filename: str) -> dict[str, Any]:
    """Loads a wallet from the wallets directory. Result: {name, warnings: []}"""
    wallet = _manager(ctx).load(filename)
    return {"name": wallet.name, "warnings": []}


@method
def unloadwallet(ctx: Context, wallet_name: str | None = None) -> dict[str, Any]:
    """Unloads the wallet named by the argument or the request path. Result: {warnings: []}"""
    if wallet_name is not None and ctx.wallet_name is not None and wallet_name != ctx.wallet_name:
        raise RpcError(
            INVALID_PARAMETER,
            "RPC endpoint wallet and wallet_name parameter specify different wallets",
        )
    name = wallet_name if wallet_name is not None else ctx.wallet_name
    manager = _manager(ctx)
    target = manager.get(name)
    manager.unload(target.name)
    return {"warnings": []}


@method
def listwallets(ctx: Context) -> list[str]:
    """Names of the loaded wallets. Result: ["name", ...]"""
    return sorted(_manager(ctx).list())


@method
def getwalletinfo(ctx: Context) -> dict[str, Any]:
    """The wallet's state: {walletname, balance, unconfirmed_balance, immature_balance,
    staked_balance, txcount, private_keys_enabled, encrypted, unlocked_until (encrypted
    wallets only: unix time, 0 when locked)}."""
    wallet = _wallet(ctx)
    bal = wallet.balances()
    extra: dict[str, Any] = {
        "private_keys_enabled": wallet.has_private_keys,
        "encrypted": wallet.is_encrypted,
    }
    if wallet.is_encrypted:
        extra["unlocked_until"] = int(wallet.unlocked_until)
    return extra | {
        "walletname": wallet.name,
        "balance": Amount(bal.confirmed),
        "unconfirmed_balance": Amount(bal.unconfirmed),
        "immature_balance": Amount(bal.immature),
        "staked_balance": Amount(bal.staked),
        "txcount": len(wallet.list_transactions(count=1_000_000)),
    }


@method
def getnewaddress(ctx: Context, label: str = "") -> str:
    """A new receiving address (the next unused key of the external chain). Result: "addr\""""
    return _wallet(ctx).get_new_address(label)


@method
def getrawchangeaddress(ctx: Context) -> str:
    """A new change address (internal chain). Result: "address\""""
    return _wallet(ctx).get_change_address()


@method
def getbalances(ctx: Context) -> dict[str, Any]:
    """Balances in RUST: {mine: {trusted, untrusted_pending, immature, staked}}"""
    bal = _wallet(ctx).balances()
    return {
        "mine": {
            "trusted": Amount(bal.confirmed),
            "untrusted_pending": Amount(bal.unconfirmed),
            "immature": Amount(bal.immature),
            "staked": Amount(bal.staked),
        }
    }


@method
def getbalance(ctx: Context, dummy: str | None = None, minconf: int = 0) -> Any:
    """The trusted (confirmed, mature) balance in RUST. `dummy` must be omitted or "*"."""
    if dummy is not None and dummy != "*":
        raise RpcError(-32, 'dummy first argument must be excluded or set to "*".')
    if minconf < 0:
        raise RpcError(INVALID_PARAMETER, "minconf must be >= 0")
    return Amount(_wallet(ctx).balances().confirmed)


@method
def listunspent(
    ctx: Context, minconf: int = 1, maxconf: int = 9_999_999, addresses: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The wallet's unspent outputs with minconf..maxconf confirmations.

    Result: [{txid, vout, address, label, scriptPubKey, amount, confirmations, spendable,
    solvable, safe}]"""
    if minconf < 0 or maxconf < minconf:
        raise RpcError(INVALID_PARAMETER, "need 0 <= minconf <= maxconf")
    wanted = None
    if addresses is not None:
        if not all(isinstance(a, str) for a in addresses):
            raise RpcError(INVALID_PARAMETER, "addresses must be strings")
        wanted = set(addresses)
    return [
        {
            "txid": u.outpoint.txid.hex(),
            "vout": u.outpoint.vout,
            "address": u.address,
            "label": u.label,
            "scriptPubKey": u.script_pubkey.hex(),
            "amount": Amount(u.value),
            "confirmations": u.confirmations,
            "spendable": u.spendable,
            "solvable": True,
            "safe": u.safe,
        }
        for u in _wallet(ctx).list_unspent(minconf, maxconf)
        if wanted is None or u.address in wanted
    ]


@method
def listtransactions(
    ctx: Context, label: str | None = None, count: int = 10, skip: int = 0
) -> list[dict[str, Any]]:
    """The most recent wallet transactions (oldest first), `skip` from the newest.

    Result: [{address, category, amount, label, fee, confirmations, blockhash, blockheight,
    blockindex, txid, time, trusted, bip125-replaceable}]"""
    if count < 0 or skip < 0:
        raise RpcError(INVALID_PARAMETER, "Negative count or from")
    out = []
    for t in _wallet(ctx).list_transactions(count, skip):
        if label not in (None, "*") and t.label != label:
            continue
        item: dict[str, Any] = {
            "address": t.addresses[0] if t.addresses else None,
            "category": t.category,
            "amount": Amount(t.amount),
            "label": t.label,
            "confirmations": t.confirmations,
            "txid": t.txid.hex(),
            "time": int(t.time),
            "trusted": t.trusted,
            "bip125-replaceable": "yes" if t.replaceable else "no",
        }
        if t.fee is not None:
            item["fee"] = Amount(-t.fee)
        if t.block_hash is not None:
            item.update(blockhash=t.block_hash.hex(), blockheight=t.height,
                        blockindex=t.block_index)  # fmt: skip
        out.append(item)
    return out


@method
def sendtoaddress(
    ctx: Context,
    address: str,
    amount: float | str,
    comment: str = "",
    comment_to: str = "",
    subtractfeefromamount: bool = False,
    replaceable: bool = True,
    conf_target: int = 6,
    estimate_mode: str = "unset",
    avoid_reuse: bool = False,
    fee_rate: float | None = None,
) -> str:
    """Sends `amount` RUST to `address`; the fee comes from the estimator for conf_target
    unless fee_rate (base units per byte) is given. Result: "txid\""""
    del comment, comment_to, estimate_mode, avoid_reuse
    txid = _wallet(ctx).send(
        [(address, _amount(amount))],
        fee_rate=_fee_rate(fee_rate),
        conf_target=_conf_target(conf_target),
        subtract_fee_from=(0,) if subtractfeefromamount else (),
        replaceable=replaceable,
    )
    return txid.hex()


@method
def sendmany(
    ctx: Context,
    dummy: str,
    amounts: dict[str, Any],
    minconf: int = 1,
    comment: str = "",
    subtractfeefrom: list[Any] | None = None,
    replaceable: bool = True,
    conf_target: int = 6,
    estimate_mode: str = "unset",
    fee_rate: float | None = None,
) -> str:
    """Sends to several addresses in one transaction: amounts = {"address": amount, ...};
    `dummy` must be "". subtractfeefrom: addresses that pay the fee. Result: "txid\""""
    del minconf, comment, estimate_mode
    if dummy != "":
        raise RpcError(INVALID_PARAMETER, 'Dummy value must be set to ""')
    if not amounts:
        raise RpcError(INVALID_PARAMETER, "Transaction must have at least one recipient")
    outputs = [(addr, _amount(value, addr)) for addr, value in amounts.items()]
    names = [addr for addr, _ in outputs]
    subtract = []
    for addr in subtractfeefrom or []:
        if addr not in names:
            raise RpcError(INVALID_PARAMETER, f"subtractfeefrom: {addr} is not a recipient")
        subtract.append(names.index(addr))
    txid = _wallet(ctx).send(
        outputs,
        fee_rate=_fee_rate(fee_rate),
        conf_target=_conf_target(conf_target),
        subtract_fee_from=tuple(subtract),
        replaceable=replaceable,
    )
    return txid.hex()


@method
def bumpfee(ctx: Context, txid: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Replaces an unconfirmed wallet transaction by one paying a higher fee (RBF).

    Arguments: txid, options {fee_rate (units per byte)}
    Result: {txid, origfee, fee, errors: []}"""
    opts = options or {}
    unknown = set(opts) - {"fee_rate", "conf_target", "replaceable", "estimate_mode"}
    if unknown:
        raise RpcError(INVALID_PARAMETER, f"Invalid parameter {sorted(unknown)[0]}")
    rate = opts.get("fee_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
        raise RpcError(-3, "fee_rate must be a number")
    old = parse_hash(txid, "txid")
    pool = ctx.node.mempool
    orig = pool.get(old) if pool is not None else None
    new = _wallet(ctx).bump_fee(old, fee_rate=_fee_rate(rate))
    fresh = pool.get(new) if pool is not None else None
    return {
        "txid": new.hex(),
        "origfee": Amount(orig.fee) if orig is not None else None,
        "fee": Amount(fresh.fee) if fresh is not None else None,
        "errors": [],
    }


@method
def walletpassphrase(ctx: Context, passphrase: str, timeout: int) -> None:
    """Unlocks an encrypted wallet for `timeout` seconds (at most 100000000)."""
    if timeout < 0:
        raise RpcError(INVALID_PARAMETER, "Timeout cannot be negative.")
    if not passphrase:
        raise RpcError(INVALID_PARAMETER, "passphrase can not be empty")
    _wallet(ctx).unlock(passphrase, float(min(timeout, MAX_UNLOCK_SECONDS)))
    stake = getattr(ctx.node, "stake", None)
    if stake is not None:  # its tickets can vote for the current tip now
        stake.vote(ctx.node.chainstate.tip.hash)


@method
def walletlock(ctx: Context) -> None:
    """Locks an encrypted wallet (forgets the decrypted keys)."""
    _wallet(ctx).lock()


@method
def encryptwallet(ctx: Context, passphrase: str) -> str:
    """Encrypts the wallet with `passphrase` (scrypt + ChaCha20-Poly1305); it is then
    locked. Result: a confirmation string."""
    if not passphrase:
        raise RpcError(INVALID_PARAMETER, "passphrase can not be empty")
    _wallet(ctx).encrypt(passphrase)
    return "wallet encrypted; the keypool has been flushed, back up the wallet"


@method
def importxpub(ctx: Context, xpub: str, rescan: bool = True) -> None:
    """Adds an account xpub as a watch-only key chain (gap limit 20), rescanning the
    chain unless rescan is false."""
    _wallet(ctx).import_xpub(xpub, rescan=rescan)


@method
def signrawtransactionwithwallet(
    ctx: Context, hexstring: str, prevtxs: list[Any] | None = None
) -> dict[str, Any]:
    """Signs the inputs of a raw transaction the wallet has keys for.

    Arguments: hexstring, prevtxs [{txid, vout, scriptPubKey, amount}] for outputs the node
    does not know. Result: {hex, complete}"""
    tx = decode_tx(hexstring)
    prevouts: dict[OutPoint, TxOut] | None = None
    if prevtxs:
        prevouts = {}
        for item in prevtxs:
            if not isinstance(item, dict) or not {"txid", "vout", "scriptPubKey",
                                                 "amount"} <= set(item):  # fmt: skip
                raise RpcError(DESERIALIZATION_ERROR, "prevtxs: expected objects with txid, "
                               "vout, scriptPubKey, amount")  # fmt: skip
            vout = item["vout"]
            if not isinstance(vout, int) or isinstance(vout, bool) or not 0 <= vout < 2**32:
                raise RpcError(INVALID_PARAMETER, "prevtxs: vout must be a non-negative integer")
            op = OutPoint(parse_hash(str(item["txid"]), "txid"), vout)
            prevouts[op] = TxOut(_amount(item["amount"]), parse_hex(str(item["scriptPubKey"]),
                                                                    "scriptPubKey"))  # fmt: skip
    signed, complete = _wallet(ctx).sign_transaction(tx, prevouts)
    return {"hex": signed.serialize().hex(), "complete": complete}
