"""BIP39: the official Trezor vectors (English, passphrase "TREZOR") and malformed mnemonics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.wallet.bip32 import BITCOIN_MAINNET, ExtendedKey
from node.wallet.bip39 import (
    entropy_to_mnemonic,
    generate_mnemonic,
    mnemonic_to_entropy,
    mnemonic_to_seed,
    wordlist,
)
from node.wallet.errors import InvalidMnemonic

VECTORS = json.loads((Path(__file__).parent / "data" / "bip39_vectors.json").read_text())["english"]


def test_wordlist_is_official() -> None:
    words = wordlist()
    assert len(words) == 2048
    assert words[0] == "abandon"
    assert words[-1] == "zoo"
    assert list(words) == sorted(words)


@pytest.mark.parametrize(("entropy", "mnemonic", "seed", "xprv"), VECTORS)
def test_trezor_vectors(entropy: str, mnemonic: str, seed: str, xprv: str) -> None:
    assert entropy_to_mnemonic(bytes.fromhex(entropy)) == mnemonic
    assert mnemonic_to_entropy(mnemonic).hex() == entropy
    derived = mnemonic_to_seed(mnemonic, "TREZOR")
    assert derived.hex() == seed
    assert ExtendedKey.from_seed(derived).serialize(BITCOIN_MAINNET) == xprv


def test_normalisation_and_passphrase_matter() -> None:
    mnemonic = VECTORS[0][1]
    messy = "  " + mnemonic.upper().replace(" ", "   ") + "\n"
    assert mnemonic_to_seed(messy, "TREZOR").hex() == VECTORS[0][2]
    assert mnemonic_to_seed(mnemonic, "").hex() != VECTORS[0][2]


def test_generate_round_trips() -> None:
    for strength, words in ((128, 12), (256, 24)):
        mnemonic = generate_mnemonic(strength)
        assert len(mnemonic.split()) == words
        assert entropy_to_mnemonic(mnemonic_to_entropy(mnemonic)) == mnemonic
    assert generate_mnemonic() != generate_mnemonic()


@pytest.mark.parametrize(
    ("mnemonic", "match"),
    [
        ("abandon " * 11 + "abandon", "checksum"),  # last word wrong
        ("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo", "checksum"),
        ("abandon " * 10 + "about", "12, 15, 18, 21 or 24"),  # 11 words
        ("abandon " * 11 + "bitcoin", "not in the BIP39 wordlist"),
        ("", "got 0"),
        ("legal winner thank year wave sausage worth useful legal winner yellow thank", "checksum"),
    ],
)
def test_bad_mnemonics(mnemonic: str, match: str) -> None:
    with pytest.raises(InvalidMnemonic, match=match):
        mnemonic_to_entropy(mnemonic)
    with pytest.raises(InvalidMnemonic):
        mnemonic_to_seed(mnemonic)


def test_bad_entropy_and_strength() -> None:
    with pytest.raises(InvalidMnemonic):
        entropy_to_mnemonic(bytes(15))
    with pytest.raises(InvalidMnemonic):
        entropy_to_mnemonic("00" * 16)  # type: ignore[arg-type]
    with pytest.raises(InvalidMnemonic):
        generate_mnemonic(100)
    with pytest.raises(InvalidMnemonic):
        mnemonic_to_entropy(12)  # type: ignore[arg-type]
