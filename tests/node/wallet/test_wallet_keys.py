"""Wallet keys: SPEC path and addresses, gap limit, persistence, encryption and locking,
multiple wallets, watch-only xpubs, and the bad inputs of each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.crypto.address import decode_address
from node.wallet.bip32 import NETWORK_VERSIONS, ExtendedKey
from node.wallet.bip39 import mnemonic_to_seed
from node.wallet.errors import (
    BadPassphrase,
    InvalidExtendedKey,
    InvalidMnemonic,
    InvalidParameter,
    PrivateKeysDisabled,
    WalletAlreadyEncrypted,
    WalletAlreadyLoaded,
    WalletExists,
    WalletLocked,
    WalletNotEncrypted,
    WalletNotFound,
    WalletNotSpecified,
)
from node.wallet.keychain import GAP_LIMIT
from node.wallet.wallet import Wallet
from tests.node.wallet.helpers import HRP, MNEMONIC, Env, expected_address

REGTEST_VERSIONS = NETWORK_VERSIONS["regtest"]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    env = Env.open(tmp_path)
    yield env
    env.close()


def test_addresses_follow_the_spec_path(env: Env) -> None:
    wallet = env.manager.create("w", mnemonic=MNEMONIC)
    for index in range(3):
        assert wallet.get_new_address() == expected_address(f"m/44'/7337'/0'/0/{index}")
    assert wallet.get_change_address() == expected_address("m/44'/7337'/0'/1/0")
    address = wallet.get_new_address("rent")
    assert decode_address(address, HRP).version == 0
    assert wallet.labels[address] == "rent"
    assert wallet.get_mnemonic() == MNEMONIC


def test_lookahead_is_the_gap_limit(env: Env) -> None:
    wallet = env.manager.create("w", mnemonic=MNEMONIC)
    chain = wallet.state.keychains[0]
    assert len(chain.keys[0]) == GAP_LIMIT
    assert len(chain.keys[1]) == GAP_LIMIT
    for _ in range(5):
        wallet.get_new_address()
    assert len(chain.keys[0]) == 5 + GAP_LIMIT
    assert len(wallet.state.origins) == 5 + 2 * GAP_LIMIT


def test_wallets_persist_and_reload(env: Env) -> None:
    wallet = env.manager.create("w", mnemonic=MNEMONIC)
    issued = [wallet.get_new_address() for _ in range(3)]
    with pytest.raises(WalletAlreadyLoaded):
        env.manager.load("w")
    env.manager.unload("w")
    with pytest.raises(WalletNotFound):
        env.manager.unload("w")
    wallet = env.manager.load("w")
    assert wallet.get_new_address() == expected_address("m/44'/7337'/0'/0/3")
    manager = env.reopen_manager()
    assert manager.list() == []
    assert manager.list_dir() == ["w"]
    wallet = manager.load("w")
    assert wallet.state.keychains[0].issued[0] == 4
    assert issued[0] == expected_address("m/44'/7337'/0'/0/0")


def test_multiple_wallets_and_selection(env: Env) -> None:
    with pytest.raises(WalletNotFound, match="No wallet is loaded"):
        env.manager.get(None)
    a = env.manager.create("alice")
    assert env.manager.get(None) is a
    b = env.manager.create("bob")
    assert env.manager.list() == ["alice", "bob"]
    with pytest.raises(WalletNotSpecified):
        env.manager.get(None)
    assert env.manager.get("bob") is b
    with pytest.raises(WalletNotFound):
        env.manager.get("carol")
    with pytest.raises(WalletNotFound):
        env.manager.load("carol")
    with pytest.raises(WalletExists):
        env.manager.create("alice")
    assert a.get_mnemonic() != b.get_mnemonic()
    assert a.get_new_address() != b.get_new_address()
    for bad in ("", "../x", "a/b", ".hidden", "x" * 65, 5):
        with pytest.raises(InvalidParameter):
            env.manager.create(bad)  # type: ignore[arg-type]


def test_bad_mnemonic_and_xpub(env: Env) -> None:
    words = MNEMONIC.split()
    words[-1], words[-2] = words[-2], words[-1]
    with pytest.raises(InvalidMnemonic, match="checksum"):
        env.manager.create("w", mnemonic=" ".join(words))
    assert env.manager.list_dir() == []  # nothing half-created
    with pytest.raises(InvalidMnemonic):
        env.manager.create("w", mnemonic="correct horse battery staple")
    mainnet_xpub = ExtendedKey.from_seed(bytes(16)).neuter().serialize(NETWORK_VERSIONS["mainnet"])
    with pytest.raises(InvalidExtendedKey, match="for mainnet"):
        env.manager.create("w", watch_only_xpub=mainnet_xpub)
    with pytest.raises(InvalidExtendedKey):
        env.manager.create("w", watch_only_xpub="gpubNOTAKEY")
    with pytest.raises(InvalidParameter):
        env.manager.create("w", mnemonic=MNEMONIC, blank=True)
    with pytest.raises(InvalidParameter):
        env.manager.create("w", passphrase="pw", blank=True)
    assert env.manager.list() == []


def locked(wallet: Wallet) -> bool:
    return wallet.is_locked


def test_encryption_locking_and_timeout(env: Env) -> None:
    wallet = env.manager.create("w", mnemonic=MNEMONIC)
    with pytest.raises(WalletNotEncrypted):
        wallet.unlock("pw", 60)
    with pytest.raises(WalletNotEncrypted):
        wallet.lock()
    first = wallet.get_new_address()
    wallet.encrypt("s3cret")
    assert wallet.is_encrypted
    assert wallet.is_locked
    with pytest.raises(WalletAlreadyEncrypted):
        wallet.encrypt("again")
    # Locked: no secrets, but addresses (from the stored xpub) still work.
    with pytest.raises(WalletLocked):
        wallet.get_mnemonic()
    with pytest.raises(WalletLocked):
        wallet.account_key()
    assert wallet.get_new_address() == expected_address("m/44'/7337'/0'/0/1")
    with pytest.raises(BadPassphrase):
        wallet.unlock("wrong", 60)
    with pytest.raises(InvalidParameter):
        wallet.unlock("s3cret", -1)
    assert locked(wallet)
    wallet.unlock("s3cret", 60)
    assert not locked(wallet)
    assert wallet.unlocked_until == env.clock.now + 60
    assert wallet.get_mnemonic() == MNEMONIC
    env.clock.now += 61
    assert locked(wallet)
    with pytest.raises(WalletLocked):
        wallet.get_mnemonic()
    wallet.unlock("s3cret", 600)
    wallet.lock()
    with pytest.raises(WalletLocked):
        wallet.get_mnemonic()
    # The encryption persists; the key store no longer holds the mnemonic in clear.
    env.manager.unload("w")
    raw = (env.path / "regtest" / "wallets" / "w" / "wallet.lmdb" / "data.mdb").read_bytes()
    assert MNEMONIC.encode() not in raw
    wallet = env.manager.load("w")
    assert wallet.is_locked
    with pytest.raises(BadPassphrase):
        wallet.unlock("S3cret", 10)
    wallet.unlock("s3cret", 10)
    assert wallet.get_mnemonic() == MNEMONIC
    assert first == expected_address("m/44'/7337'/0'/0/0")


def test_created_encrypted(env: Env) -> None:
    wallet = env.manager.create("w", passphrase="pw")
    assert wallet.is_locked
    with pytest.raises(BadPassphrase):
        env.manager.create("v", passphrase="")


def test_watch_only_and_blank(env: Env) -> None:
    account = ExtendedKey.from_seed(mnemonic_to_seed(MNEMONIC)).derive_path("m/44'/7337'/0'")
    xpub = account.neuter().serialize(REGTEST_VERSIONS)
    watch = env.manager.create("watch", watch_only_xpub=xpub)
    assert not watch.has_private_keys
    assert watch.get_new_address() == expected_address("m/44'/7337'/0'/0/0")
    with pytest.raises(PrivateKeysDisabled):
        watch.get_mnemonic()
    with pytest.raises(PrivateKeysDisabled):
        watch.encrypt("pw")
    blank = env.manager.create("blank", blank=True)
    with pytest.raises(PrivateKeysDisabled):
        blank.get_new_address()
    blank.import_xpub(xpub)
    blank.import_xpub(xpub)  # idempotent
    assert len(blank.state.keychains) == 1
    assert blank.get_new_address() == expected_address("m/44'/7337'/0'/0/0")
    with pytest.raises(InvalidExtendedKey):
        blank.import_xpub(account.serialize(REGTEST_VERSIONS))  # an xprv
    hd = env.manager.create("hd")
    with pytest.raises(PrivateKeysDisabled):
        hd.import_xpub(xpub)
