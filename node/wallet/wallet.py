"""One node wallet: HD keys from a BIP39 mnemonic (or watch-only xpubs), encryption and
locking, chain and mempool tracking, balances, history, and the spending entry points.

Keys: account 0 of ``m/44'/7337'/account'`` is key chain 0; its xpub is stored in clear so a
locked wallet still derives addresses and follows the chain; the mnemonic (the only secret)
is in the key store, encrypted once `encrypt` was called. Imported xpubs (watch-only) are
key chains 1, 2, ... of a wallet without private keys.

Threading: callers that change the wallet take ``chainstate.lock`` first, then the wallet's
own lock (chain and mempool events arrive holding the chainstate lock), so the order is
always chainstate -> wallet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from node.chain.events import BlockConnected, BlockDisconnected, ChainEvent
from node.chain.index import last_common_ancestor
from node.script.templates import address_for_script
from node.types.block import Block
from node.types.tx import OutPoint, Tx, TxOut
from node.wallet import builder, history, keystore, tickets
from node.wallet.bip32 import NETWORK_VERSIONS, ExtendedKey, account_path, parse_extended_key
from node.wallet.bip39 import generate_mnemonic, mnemonic_to_seed, normalize_mnemonic
from node.wallet.db import (
    FLAG_BLANK,
    FLAG_NO_PRIVATE_KEYS,
    SCHEMA_VERSION,
    TxRecord,
    WalletDB,
    WalletWrite,
)
from node.wallet.errors import (
    CorruptWallet,
    InvalidParameter,
    PrivateKeysDisabled,
    WalletAlreadyEncrypted,
    WalletLocked,
    WalletNotEncrypted,
)
from node.wallet.keychain import CHANGE, RECEIVE, Keychain
from node.wallet.model import Balances, Clock, EstimatorLike, MempoolLike, WalletTx, WalletUtxo
from node.wallet.scan import WalletState

if TYPE_CHECKING:
    from pathlib import Path

    from node.chain.chainstate import Chainstate

__all__ = ["MAX_UNLOCK_TIMEOUT", "Wallet"]

log = logging.getLogger(__name__)

MAX_UNLOCK_TIMEOUT = 100_000_000
"""Longest walletpassphrase timeout in seconds (Core caps it the same way)."""


class Wallet:
    """A loaded wallet. Build with :meth:`create` or :meth:`open` (the manager does)."""

    def __init__(
        self,
        name: str,
        db: WalletDB,
        chainstate: Chainstate,
        mempool: MempoolLike,
        estimator: EstimatorLike | None,
        clock: Clock,
        scrypt: keystore.ScryptParams,
    ) -> None:
        self.name = name
        self.db = db
        self.chainstate = chainstate
        self.params = chainstate.params
        self.hrp = self.params.bech32_hrp
        self.versions = NETWORK_VERSIONS[self.params.name]
        self.mempool = mempool
        self.estimator = estimator
        self.clock = clock
        self.scrypt = scrypt
        self.lock_ = threading.RLock()
        self.state = WalletState()
        self.labels: dict[str, str] = {}
        self.flags = 0
        self._keystore: bytes | None = None
        self._mnemonic: str | None = None
        self._account: ExtendedKey | None = None
        self._unlocked_until = 0.0

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        name: str,
        path: Path,
        chainstate: Chainstate,
        mempool: MempoolLike,
        estimator: EstimatorLike | None,
        clock: Clock,
        scrypt: keystore.ScryptParams,
        *,
        passphrase: str | None = None,
        mnemonic: str | None = None,
        watch_only_xpub: str | None = None,
        blank: bool = False,
    ) -> Wallet:
        """A new wallet in `path`. With `mnemonic` or `watch_only_xpub` the chain is
        rescanned from genesis; a fresh random mnemonic starts at the tip."""
        if watch_only_xpub is not None and (mnemonic is not None or passphrase is not None):
            raise InvalidParameter("a watch-only wallet takes no mnemonic and no passphrase")
        if blank and mnemonic is not None:
            raise InvalidParameter("a blank wallet takes no mnemonic")
        versions = NETWORK_VERSIONS[chainstate.params.name]
        account: ExtendedKey | None = None
        words: str | None = None
        if watch_only_xpub is not None:
            parse_extended_key(watch_only_xpub, versions, private=False)
        elif not blank:
            words = normalize_mnemonic(mnemonic) if mnemonic is not None else generate_mnemonic()
            account = ExtendedKey.from_seed(mnemonic_to_seed(words)).derive_path(account_path(0))
        if passphrase is not None and words is None:
            raise InvalidParameter("only a wallet with private keys can be encrypted")
        blob = None
        if words is not None:
            plain = words.encode("utf-8")
            blob = (
                keystore.plain_secret(plain)
                if passphrase is None
                else keystore.encrypt_secret(plain, passphrase, chainstate.params.name, scrypt)
            )
        db = WalletDB.open(path, create=True)
        try:
            wallet = cls(name, db, chainstate, mempool, estimator, clock, scrypt)
            flags = 0 if words is not None else FLAG_NO_PRIVATE_KEYS
            if blank:
                flags |= FLAG_BLANK
            chains = []
            if account is not None:
                chains.append(Keychain.new(0, account, versions))
            elif watch_only_xpub is not None:
                xpub = parse_extended_key(watch_only_xpub, versions, private=False)
                chains.append(Keychain.new(1, xpub, versions))
            with chainstate.lock:
                start_tip = chainstate.tip
                with db.write() as w:
                    w.put_meta(b"version", SCHEMA_VERSION.to_bytes(4, "little"))
                    w.put_meta(b"network", chainstate.params.name.encode("ascii"))
                    w.put_meta(b"flags", bytes((flags,)))
                    if blob is not None:
                        w.put_meta(b"keystore", blob)
                    for chain in chains:
                        w.put_chain(chain.number, chain.record())
                    w.set_best(start_tip.hash, start_tip.height)
                wallet._load()
                if mnemonic is not None or watch_only_xpub is not None:
                    wallet.rescan(0)
            return wallet
        except BaseException:
            db.close()
            raise

    @classmethod
    def open(
        cls,
        name: str,
        path: Path,
        chainstate: Chainstate,
        mempool: MempoolLike,
        estimator: EstimatorLike | None,
        clock: Clock,
        scrypt: keystore.ScryptParams,
    ) -> Wallet:
        """Load an existing wallet and bring it up to the chain tip."""
        db = WalletDB.open(path, create=False)
        try:
            wallet = cls(name, db, chainstate, mempool, estimator, clock, scrypt)
            with chainstate.lock:
                wallet._load()
                wallet._catch_up()
            wallet.resubmit()
            return wallet
        except BaseException:
            db.close()
            raise

    def _load(self) -> None:
        network = self.db.get_meta(b"network")
        if network != self.params.name.encode("ascii"):
            raise CorruptWallet(f"wallet {self.name!r} is for {network!r}, not {self.params.name}")
        flags = self.db.get_meta(b"flags")
        if flags is None or len(flags) != 1:
            raise CorruptWallet("missing wallet flags")
        self.flags = flags[0]
        self._keystore = self.db.get_meta(b"keystore")
        self.state = WalletState()
        for number, rec in sorted(self.db.iter_chains()):
            self.state.add_keychain(Keychain(number, rec, self.versions))
        for tx_rec in sorted(self.db.iter_txs(), key=lambda r: r.order):
            self.state.load_record(tx_rec)
        self.state.dirty_chains.clear()
        self.labels = self.db.labels()

    def close(self) -> None:
        with self.lock_:
            self._wipe()
            self.db.close()

    # ------------------------------------------------------------------ chain tracking

    def _persist(self, w: WalletWrite, records: Sequence[TxRecord]) -> None:
        for rec in records:
            w.put_tx(rec)
        for number in sorted(self.state.dirty_chains):
            w.put_chain(number, self.state.chain(number).record())
        self.state.dirty_chains.clear()

    def on_chain_event(self, event: ChainEvent) -> None:
        """Chain subscriber (called holding the chainstate lock)."""
        with self.lock_:
            if isinstance(event, BlockConnected):
                self._connect(event.block, event.height)
            elif isinstance(event, BlockDisconnected):
                changed = self.state.disconnect_block(event.block)
                with self.db.write() as w:
                    self._persist(w, changed)
                    w.set_best(event.block.header.prev_hash, event.height - 1)

    def _connect(self, block: Block, height: int) -> None:
        changed = self.state.connect_block(block, height, self.clock())
        with self.db.write() as w:
            self._persist(w, changed)
            w.set_best(block.hash, height)

    def on_mempool_tx(self, tx: Tx) -> None:
        """A transaction entered the mempool: record it if it touches the wallet."""
        with self.lock_:
            rec = self.state.add_tx(tx, height=None, time=self.clock())
            if rec is not None:
                with self.db.write() as w:
                    self._persist(w, [rec])

    def rescan(self, start_height: int = 0) -> None:
        """Scan the main chain from `start_height` to the tip, then the mempool, for wallet
        transactions."""
        cs = self.chainstate
        with cs.lock, self.lock_:
            changed: dict[bytes, TxRecord] = {}
            for entry in cs.active[start_height:]:
                block = cs.get_block(entry.hash)
                for rec in self.state.connect_block(block, entry.height, self.clock()):
                    changed[rec.tx.txid] = rec
            pool = list(self.mempool.entries.values())
            pool.sort(key=lambda e: (e.ancestor_count, e.time))
            for pool_entry in pool:  # parents before children
                added = self.state.add_tx(pool_entry.tx, height=None, time=self.clock())
                if added is not None:
                    changed[added.tx.txid] = added
            with self.db.write() as w:
                self._persist(w, list(changed.values()))
                w.set_best(cs.tip.hash, cs.tip.height)

    def _catch_up(self) -> None:
        """After loading: undo blocks the chain left while we were away, scan new ones."""
        cs = self.chainstate
        best = self.db.get_best()
        start = 0
        if best is not None:
            entry = cs.entries.get(best[0])
            if entry is not None:
                fork = last_common_ancestor(entry, cs.tip)
                start = fork.height + 1
            changed = self.state.unconfirm_above(start - 1)
            if changed:
                with self.db.write() as w:
                    self._persist(w, changed)
        if start <= cs.height:
            self.rescan(start)

    def resubmit(self) -> int:
        """Offer unconfirmed wallet transactions to the mempool again; returns how many
        were accepted (rejections are logged at debug level)."""
        accepted = 0
        with self.chainstate.lock, self.lock_:
            records = sorted(self.state.records.values(), key=lambda r: r.order)
            pending = [
                rec.tx
                for rec in records
                if rec.height is None
                and not rec.tx.is_coinbase()
                and rec.tx.txid not in self.mempool
            ]
            for tx in pending:
                try:
                    self.mempool.accept(tx)
                    accepted += 1
                except Exception as exc:  # MempoolReject and friends: keep it as inactive
                    log.debug("wallet %s: resubmitting %s failed: %s", self.name,
                              tx.txid.hex(), exc)  # fmt: skip
        return accepted

    # ------------------------------------------------------------------ keys and locking

    @property
    def has_private_keys(self) -> bool:
        return self._keystore is not None

    @property
    def is_encrypted(self) -> bool:
        return self._keystore is not None and keystore.is_encrypted(self._keystore)

    @property
    def is_locked(self) -> bool:
        """True for an encrypted wallet without a live unlock."""
        if not self.is_encrypted:
            return False
        if self._mnemonic is not None and self.clock() >= self._unlocked_until:
            self._wipe()
        return self._mnemonic is None

    @property
    def unlocked_until(self) -> float:
        """When the unlock ends (0 when locked or not encrypted), like getwalletinfo."""
        return 0.0 if self.is_locked or not self.is_encrypted else self._unlocked_until

    def _wipe(self) -> None:
        self._mnemonic = None
        self._account = None
        self._unlocked_until = 0.0

    def _secret_mnemonic(self) -> str:
        if self._keystore is None:
            raise PrivateKeysDisabled(f"wallet {self.name!r} has no private keys")
        if not keystore.is_encrypted(self._keystore):
            return keystore.read_plain_secret(self._keystore).decode("utf-8")
        if self.is_locked or self._mnemonic is None:
            raise WalletLocked(
                "Error: Please enter the wallet passphrase with walletpassphrase first."
            )
        return self._mnemonic

    def account_key(self) -> ExtendedKey:
        """The private account key m/44'/7337'/0' (requires an unlocked wallet)."""
        with self.lock_:
            mnemonic = self._secret_mnemonic()
            if self._account is None:
                account = ExtendedKey.from_seed(mnemonic_to_seed(mnemonic, validate=False))
                self._account = account.derive_path(account_path(0))
            return self._account

    def get_mnemonic(self) -> str:
        with self.lock_:
            return self._secret_mnemonic()

    def encrypt(self, passphrase: str) -> None:
        """Encrypt the key store with `passphrase`; the wallet is locked afterwards."""
        with self.lock_:
            if self._keystore is None:
                raise PrivateKeysDisabled("a wallet without private keys cannot be encrypted")
            if keystore.is_encrypted(self._keystore):
                raise WalletAlreadyEncrypted(
                    "wallet is already encrypted (changing the passphrase is not supported)"
                )
            plain = keystore.read_plain_secret(self._keystore)
            blob = keystore.encrypt_secret(plain, passphrase, self.params.name, self.scrypt)
            with self.db.write() as w:
                w.put_meta(b"keystore", blob)
            self.db.compact()
            self._keystore = blob
            self._wipe()

    def unlock(self, passphrase: str, timeout: float) -> None:
        """Decrypt the key store for `timeout` seconds; BadPassphrase when wrong."""
        with self.lock_:
            if not self.is_encrypted or self._keystore is None:
                raise WalletNotEncrypted(
                    "Error: running with an unencrypted wallet, but walletpassphrase was called."
                )
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
                raise InvalidParameter("Timeout cannot be negative.")
            plain = keystore.decrypt_secret(self._keystore, passphrase, self.params.name)
            self._mnemonic = plain.decode("utf-8")
            self._account = None
            self._unlocked_until = self.clock() + min(float(timeout), MAX_UNLOCK_TIMEOUT)

    def lock(self) -> None:
        with self.lock_:
            if not self.is_encrypted:
                raise WalletNotEncrypted(
                    "Error: running with an unencrypted wallet, but walletlock was called."
                )
            self._wipe()

    def secret_for(self, script: bytes) -> bytes | None:
        """The signing secret of a wallet script of key chain 0, or None if not ours."""
        origin = self.state.origins.get(script)
        if origin is None or origin.chain != 0 or not self.has_private_keys:
            return None
        return self.account_key().derive(origin.branch).derive(origin.index).secret

    def import_xpub(self, xpub: str, *, rescan: bool = True) -> None:
        """Watch an account-level xpub (its /0/i and /1/i keys) in a wallet without
        private keys; with `rescan`, scan the whole chain for its payments."""
        with self.chainstate.lock, self.lock_:
            if self.has_private_keys:
                raise PrivateKeysDisabled(
                    "Cannot import an xpub into a wallet with private keys enabled; "
                    "create a watch-only or blank wallet for it"
                )
            key = parse_extended_key(xpub, self.versions, private=False)
            canonical = key.serialize(self.versions)
            if any(chain.xpub == canonical for chain in self.state.keychains):
                return
            number = max((c.number for c in self.state.keychains), default=0) + 1
            chain = Keychain.new(number, key, self.versions)
            self.state.add_keychain(chain)
            flags = self.flags & ~FLAG_BLANK
            with self.db.write() as w:
                w.put_chain(number, chain.record())
                w.put_meta(b"flags", bytes((flags,)))
            self.flags = flags
            if rescan:
                self.rescan(0)

    # ------------------------------------------------------------------ addresses

    def _first_chain(self) -> int:
        if not self.state.keychains:
            raise PrivateKeysDisabled(
                "Error: This wallet has no available keys (blank wallet: import an xpub)"
            )
        return self.state.keychains[0].number

    def _new_script(self, branch: int) -> bytes:
        with self.lock_:
            script = self.state.issue(self._first_chain(), branch)
            with self.db.write() as w:
                self._persist(w, [])
            return script

    def get_new_address(self, label: str = "") -> str:
        if not isinstance(label, str):
            raise InvalidParameter("label must be a string")
        script = self._new_script(RECEIVE)
        address = self.address_of(script)
        if label:
            with self.lock_, self.db.write() as w:
                w.put_label(address, label)
                self.labels[address] = label
        return address

    def get_change_address(self) -> str:
        return self.address_of(self._new_script(CHANGE))

    def address_of(self, script: bytes) -> str:
        address = address_for_script(script, self.hrp)
        return address if address is not None else script.hex()

    def is_mine(self, script: bytes) -> bool:
        return self.state.is_mine(script)

    def is_change(self, script: bytes) -> bool:
        origin = self.state.origins.get(script)
        return origin is not None and origin.branch == CHANGE

    # ------------------------------------------------------------------ balances and coins

    def _in_mempool(self, txid: bytes) -> bool:
        return txid in self.mempool

    def confirmations(self, rec: TxRecord) -> int:
        if rec.height is not None:
            return self.chainstate.height - rec.height + 1
        return 0 if self._in_mempool(rec.tx.txid) else -1

    def _is_immature(self, rec: TxRecord) -> bool:
        if not rec.tx.is_coinbase() or rec.height is None:
            return False
        return self.chainstate.height + 1 - rec.height < self.params.coinbase_maturity

    def _coins(self) -> list[tuple[TxRecord, int, TxOut, bool]]:
        """Our unspent outputs, each with whether it is a ticket stake the pool does not yet
        let us spend (those are `staked`, not coins to select)."""
        active = self.state.active(self._in_mempool)
        spent = self.state.spent_outpoints(active)
        locked = tickets.stake_view(self)
        return [
            (rec, vout, out, locked(rec.tx, vout))
            for rec in active
            for vout, out in enumerate(rec.tx.outputs)
            if out.script_pubkey in self.state.origins and OutPoint(rec.tx.txid, vout) not in spent
        ]

    def _unspent(self) -> list[tuple[TxRecord, int, TxOut]]:
        """Our spendable unspent outputs (ticket stakes left out until released)."""
        return [(rec, vout, out) for rec, vout, out, staked in self._coins() if not staked]

    def balances(self) -> Balances:
        with self.chainstate.lock, self.lock_:
            confirmed = unconfirmed = immature = staked = 0
            for rec, _, out, is_stake in self._coins():
                if is_stake:
                    staked += out.value
                elif rec.height is None:
                    unconfirmed += out.value
                elif self._is_immature(rec):
                    immature += out.value
                else:
                    confirmed += out.value
            return Balances(confirmed, unconfirmed, immature, staked)

    def _is_trusted(self, rec: TxRecord) -> bool:
        if rec.height is not None:
            return True
        if not self._in_mempool(rec.tx.txid):
            return False
        _, all_mine = self.state.debit(rec.tx)
        return all_mine

    def list_unspent(self, min_conf: int = 1, max_conf: int = 9_999_999) -> list[WalletUtxo]:
        """Spendable outputs (immature coinbase excluded) with min_conf <= confs <= max_conf."""
        return history.unspent_view(self, min_conf, max_conf)

    # ------------------------------------------------------------------ history

    def list_transactions(self, count: int = 10, skip: int = 0) -> list[WalletTx]:
        """The most recent `count` transactions after skipping `skip`, oldest first (Core)."""
        if count < 0 or skip < 0:
            raise InvalidParameter("count and skip must not be negative")
        with self.chainstate.lock, self.lock_:
            records = sorted(self.state.records.values(), key=lambda r: r.order)
            end = len(records) - skip
            chosen = records[max(0, end - count) : max(0, end)]
            return [history.describe(self, rec) for rec in chosen]

    def get_transaction(self, txid: bytes) -> WalletTx | None:
        with self.chainstate.lock, self.lock_:
            rec = self.state.records.get(txid)
            return None if rec is None else history.describe(self, rec)

    # ------------------------------------------------------------------ spending

    def create_transaction(
        self,
        outputs: Sequence[tuple[str, int]],
        *,
        fee_rate: int | None = None,
        conf_target: int = 6,
        subtract_fee_from: Sequence[int] = (),
        replaceable: bool = True,
    ) -> Tx:
        """A signed transaction paying `outputs` (address, amount), not broadcast."""
        with self.chainstate.lock, self.lock_:
            plan = builder.plan_payment(
                self, outputs, fee_rate=fee_rate, conf_target=conf_target,
                subtract_fee_from=subtract_fee_from, replaceable=replaceable,
            )  # fmt: skip
            return builder.sign_plan(self, plan)

    def send(
        self,
        outputs: Sequence[tuple[str, int]],
        *,
        fee_rate: int | None = None,
        conf_target: int = 6,
        subtract_fee_from: Sequence[int] = (),
        replaceable: bool = True,
    ) -> bytes:
        """Create, sign and submit to the mempool; returns the txid (MempoolReject
        propagates)."""
        with self.chainstate.lock, self.lock_:
            tx = self.create_transaction(
                outputs, fee_rate=fee_rate, conf_target=conf_target,
                subtract_fee_from=subtract_fee_from, replaceable=replaceable,
            )  # fmt: skip
            return self.broadcast(tx)

    def broadcast(self, tx: Tx) -> bytes:
        with self.chainstate.lock, self.lock_:
            self.mempool.accept(tx)
            self.on_mempool_tx(tx)
            return tx.txid

    def bump_fee(self, txid: bytes, *, fee_rate: int | None = None, conf_target: int = 6) -> bytes:
        """Replace our mempool transaction `txid` by one paying a higher fee (BIP125)."""
        with self.chainstate.lock, self.lock_:
            tx = builder.bump_fee_tx(self, txid, fee_rate=fee_rate, conf_target=conf_target)
            return self.broadcast(tx)

    def sign_transaction(
        self, tx: Tx, prevouts: Mapping[OutPoint, TxOut] | None = None
    ) -> tuple[Tx, bool]:
        """Sign every input of `tx` the wallet has the key for; (signed tx, complete)."""
        with self.chainstate.lock, self.lock_:
            return builder.sign_foreign(self, tx, prevouts or {})
