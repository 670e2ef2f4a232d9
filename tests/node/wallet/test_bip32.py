"""BIP32: test vectors 1-3 (Bitcoin version bytes), Rusty Coin version bytes and bad keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from node.crypto.schnorr import pubkey_from_secret, sign, verify
from node.wallet.bip32 import (
    BITCOIN_MAINNET,
    HARDENED,
    NETWORK_VERSIONS,
    ExtendedKey,
    account_path,
    b58check_decode,
    b58check_encode,
    parse_extended_key,
    parse_path,
)
from node.wallet.errors import InvalidExtendedKey

DATA = (Path(__file__).parent / "data" / "bip32_vectors.txt").read_text()


def _cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for block in DATA.split("===Test vector")[1:]:
        seed = re.search(r"Seed \(hex\): ([0-9a-f]+)", block)
        assert seed is not None
        for path, xpub, xprv in re.findall(
            r"\* Chain (\S+)\n\*\* ext pub: (\w+)\n\*\* ext prv: (\w+)", block
        ):
            cases.append((seed.group(1), path.replace("<sub>H</sub>", "'"), xpub, xprv))
    return cases


CASES = _cases()


def test_vector_file_parsed() -> None:
    assert len(CASES) == 6 + 6 + 2


@pytest.mark.parametrize(("seed", "path", "xpub", "xprv"), CASES)
def test_bip32_vectors(seed: str, path: str, xpub: str, xprv: str) -> None:
    node = ExtendedKey.from_seed(bytes.fromhex(seed)).derive_path(path)
    assert node.serialize(BITCOIN_MAINNET) == xprv
    assert node.neuter().serialize(BITCOIN_MAINNET) == xpub
    assert parse_extended_key(xprv, BITCOIN_MAINNET) == node
    assert parse_extended_key(xpub, BITCOIN_MAINNET) == node.neuter()


def test_public_derivation_matches_private() -> None:
    seed = bytes.fromhex(CASES[0][0])
    account = ExtendedKey.from_seed(seed).derive_path(account_path(0))
    public = account.neuter()
    for branch, index in ((0, 0), (0, 7), (1, 3)):
        priv = account.derive(branch).derive(index)
        pub = public.derive(branch).derive(index)
        assert priv.public_key == pub.public_key
        assert pubkey_from_secret(priv.secret) == pub.xonly
        msg = bytes(32)
        assert verify(pub.xonly, msg, sign(priv.secret, msg, bytes(32)))


def test_xonly_signing_works_for_odd_y_keys() -> None:
    """Derived keys with an odd-Y point still sign for their x-only key (BIP340)."""
    account = ExtendedKey.from_seed(bytes(range(32))).derive_path(account_path(0))
    parities = set()
    for index in range(12):
        node = account.derive(0).derive(index)
        parities.add(node.public_key[0])
        assert verify(node.xonly, b"m" * 32, sign(node.secret, b"m" * 32, bytes(32)))
    assert parities == {2, 3}


@pytest.mark.parametrize("network", sorted(NETWORK_VERSIONS))
def test_network_prefixes_are_stable(network: str) -> None:
    prefixes = {"mainnet": "rp", "testnet": "tp", "regtest": "gp", "devnet": "dp"}
    versions = NETWORK_VERSIONS[network]
    for fill in (0, 0xFF):
        payload_tail = bytes([fill]) * 74
        pub = b58check_encode(versions.public.to_bytes(4, "big") + payload_tail)
        prv = b58check_encode(versions.private.to_bytes(4, "big") + payload_tail)
        assert pub.startswith(prefixes[network][0] + "pub")
        assert prv.startswith(prefixes[network][0] + "prv")
        assert len(pub) == len(prv) == 111


def test_wrong_network_and_kind() -> None:
    node = ExtendedKey.from_seed(bytes(16)).derive_path(account_path(0))
    main, reg = NETWORK_VERSIONS["mainnet"], NETWORK_VERSIONS["regtest"]
    xpub = node.neuter().serialize(main)
    with pytest.raises(InvalidExtendedKey, match="for mainnet"):
        parse_extended_key(xpub, reg)
    with pytest.raises(InvalidExtendedKey, match="for bitcoin mainnet"):
        parse_extended_key(node.neuter().serialize(BITCOIN_MAINNET), reg)
    with pytest.raises(InvalidExtendedKey, match="expected an extended public"):
        parse_extended_key(node.serialize(main), main, private=False)
    with pytest.raises(InvalidExtendedKey, match="hardened"):
        node.neuter().derive(HARDENED)


def _tamper(text: str, versions: object = BITCOIN_MAINNET, **changes: int) -> str:
    payload = bytearray(b58check_decode(text))
    for offset, value in changes.items():
        payload[int(offset[1:])] = value
    return b58check_encode(bytes(payload))


def test_bad_extended_keys() -> None:
    xpub = CASES[0][2]
    xprv = CASES[0][3]
    bad = [
        xpub[:-1] + ("9" if xpub[-1] != "9" else "8"),  # checksum
        xpub + "1",  # length / checksum
        "0" + xpub[1:],  # not base58
        "",
        b58check_encode(b58check_decode(xpub)[:-1]),  # 77 bytes
        _tamper(xpub, o45=4),  # pubkey prefix 04
        _tamper(xpub, o45=2, o46=0, o47=0),  # x probably not on the curve? (checked below)
        _tamper(xprv, o45=1),  # private key data must start with 0
        b58check_encode(b58check_decode(xprv)[:46] + b"\xff" * 32),  # key >= n
        b58check_encode(b58check_decode(xprv)[:46] + bytes(32)),  # key == 0
        _tamper(xpub, o4=0, o5=1),  # depth 0 with a parent fingerprint
        _tamper(xpub, o0=0x12),  # unknown version
    ]
    for text in bad:
        try:
            parse_extended_key(text, BITCOIN_MAINNET)
        except InvalidExtendedKey:
            continue
        # Only the "maybe on the curve" case may parse; it must then be a valid point.
        assert text == bad[6]


def test_paths() -> None:
    assert parse_path("m/44'/7337'/0'/0/5") == (
        44 + HARDENED, 7337 + HARDENED, HARDENED, 0, 5,
    )  # fmt: skip
    assert parse_path("m/1h/2H") == (1 + HARDENED, 2 + HARDENED)
    assert parse_path("m") == ()
    for bad in ("44'/0", "m/x", "m/2147483648", "m//1", "m/-1"):
        with pytest.raises(InvalidExtendedKey):
            parse_path(bad)
    with pytest.raises(InvalidExtendedKey):
        ExtendedKey.from_seed(bytes(8))
    with pytest.raises(InvalidExtendedKey):
        account_path(-1)
