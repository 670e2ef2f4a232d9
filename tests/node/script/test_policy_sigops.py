"""Standardness policy (separate from consensus) and sigop counting for the block limit."""

from __future__ import annotations

import hashlib

import pytest

from node.script.policy import (
    DUST_THRESHOLD,
    MAX_OP_RETURN_DATA,
    check_tx_script_policy,
    is_dust,
    is_standard_input,
    is_standard_script_pubkey,
    is_standard_script_sig,
    standard_script_type,
)
from node.script.sigops import (
    count_sigops,
    legacy_tx_sigops,
    p2sh_input_sigops,
    p2sh_tx_sigops,
    tx_sigops,
)
from node.script.templates import (
    ScriptType,
    htlc_script,
    multisig_script,
    null_data_script,
    p2pkh_script_for_pubkey,
    p2sh_script_for_redeem,
    p2sh_script_sig,
)
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.script.helpers import PUBKEYS, make_tx

PK1, PK2, PK3 = PUBKEYS[1], PUBKEYS[2], PUBKEYS[3]
HTLC = htlc_script(hashlib.sha256(b"x").digest(), PK1, PK2, 100)
P2PKH = p2pkh_script_for_pubkey(PK1)
SIG = b"\x40" + bytes(64)


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (P2PKH, ScriptType.P2PKH),
        (p2sh_script_for_redeem(b"\x51"), ScriptType.P2SH),
        (multisig_script(1, [PK1]), ScriptType.MULTISIG),
        (multisig_script(3, [PK1, PK2, PK3]), ScriptType.MULTISIG),
        (HTLC, ScriptType.HTLC),
        (null_data_script(), ScriptType.NULL_DATA),
        (null_data_script(bytes(MAX_OP_RETURN_DATA)), ScriptType.NULL_DATA),
        (null_data_script(bytes(40), bytes(40)), ScriptType.NULL_DATA),
    ],
)
def test_standard_script_pubkeys(script: bytes, kind: ScriptType) -> None:
    assert standard_script_type(script) is kind
    assert is_standard_script_pubkey(script)


@pytest.mark.parametrize(
    "script",
    [
        b"",
        b"\x51",
        multisig_script(1, [PK1, PK2, PK3, PK1]),  # 4 keys: consensus-valid, not standard
        null_data_script(bytes(MAX_OP_RETURN_DATA + 1)),
        null_data_script(bytes(41), bytes(40)),
        b"\x6a\x61",  # OP_RETURN NOP
        P2PKH + b"\x61",
    ],
)
def test_nonstandard_script_pubkeys(script: bytes) -> None:
    assert standard_script_type(script) is None
    assert not is_standard_script_pubkey(script)


def test_dust() -> None:
    assert is_dust(TxOut(DUST_THRESHOLD - 1, P2PKH))
    assert not is_dust(TxOut(DUST_THRESHOLD, P2PKH))
    assert not is_dust(TxOut(0, null_data_script(b"x")))


def test_script_sig_policy() -> None:
    assert is_standard_script_sig(SIG + b"\x20" + PK1)
    assert is_standard_script_sig(b"")
    assert not is_standard_script_sig(b"\x51\x61")
    assert not is_standard_script_sig(b"\x01")
    assert not is_standard_script_sig(b"\x4d\x08\x02" + bytes(520) * 4)  # 2092 bytes


def test_standard_inputs() -> None:
    assert is_standard_input(SIG + b"\x20" + PK1, P2PKH)
    assert not is_standard_input(b"\x51", b"\x51")  # spends a non-standard output
    assert not is_standard_input(b"", null_data_script())
    assert not is_standard_input(b"\x51\x61", P2PKH)  # not push-only
    small = multisig_script(2, [PK1, PK2, PK3])
    assert is_standard_input(p2sh_script_sig(small, SIG, SIG), p2sh_script_for_redeem(small))
    heavy = b"\xac" * 16  # 16 CHECKSIGs
    assert not is_standard_input(p2sh_script_sig(heavy), p2sh_script_for_redeem(heavy))
    ok15 = b"\xac" * 15
    assert is_standard_input(p2sh_script_sig(ok15), p2sh_script_for_redeem(ok15))
    assert not is_standard_input(b"", p2sh_script_for_redeem(small))  # no redeem script


def _tx(outputs: list[TxOut], witnesses: tuple[bytes, ...] = (b"",)) -> Tx:
    base = make_tx(inputs=len(witnesses))
    return Tx(1, TxType.STANDARD, base.inputs, tuple(outputs), 0, b"", witnesses)


def test_tx_script_policy_reasons() -> None:
    good = TxOut(10_000, P2PKH)
    assert check_tx_script_policy(_tx([good, TxOut(0, null_data_script(b"x"))])) is None
    assert check_tx_script_policy(_tx([TxOut(10_000, b"\x51")])) == "scriptpubkey"
    assert check_tx_script_policy(_tx([TxOut(545, P2PKH)])) == "dust"
    two_returns = [TxOut(0, null_data_script(b"a")), TxOut(0, null_data_script(b"b"))]
    assert check_tx_script_policy(_tx(two_returns)) == "multi-op-return"
    assert check_tx_script_policy(_tx([good], (b"\x61",))) == "scriptsig-not-pushonly"
    big = b"\x4d\x08\x02" + bytes(520)
    assert check_tx_script_policy(_tx([good], (big * 4,))) == "scriptsig-size"
    spent = [TxOut(1, b"\x51")]
    assert check_tx_script_policy(_tx([good]), spent) == "bad-txns-nonstandard-inputs"
    assert check_tx_script_policy(_tx([good], (SIG + b"\x20" + PK1,)), [TxOut(1, P2PKH)]) is None


# --------------------------------------------------------------------------- sigops


@pytest.mark.parametrize(
    ("script", "legacy", "accurate"),
    [
        (b"", 0, 0),
        (b"\xac", 1, 1),
        (b"\xad\xac", 2, 2),
        (P2PKH, 1, 1),
        (multisig_script(2, [PK1, PK2, PK3]), 20, 3),
        (multisig_script(16, [PK1] * 16), 20, 16),
        (b"\x00\xae", 20, 20),  # OP_0 before CHECKMULTISIG: not OP_1..OP_16
        (b"\x53\xaf\xac", 21, 4),  # CHECKMULTISIGVERIFY
        (b"\x01\xac", 0, 0),  # CHECKSIG byte inside a push
        (b"\xac\xac\x4c", 2, 2),  # counting stops at a truncated push
        (b"\xac\x4c\x05\xac", 1, 1),
        (HTLC, 1, 1),
    ],
)
def test_count_sigops(script: bytes, legacy: int, accurate: int) -> None:
    assert count_sigops(script) == legacy
    assert count_sigops(script, accurate=True) == accurate


def test_p2sh_and_tx_sigops() -> None:
    redeem = multisig_script(2, [PK1, PK2, PK3])
    p2sh = p2sh_script_for_redeem(redeem)
    script_sig = p2sh_script_sig(redeem, SIG, SIG)
    assert p2sh_input_sigops(script_sig, p2sh) == 3
    assert p2sh_input_sigops(script_sig, P2PKH) == 0
    assert p2sh_input_sigops(b"\x61", p2sh) == 0  # not push-only: no redeem script
    assert p2sh_input_sigops(b"", p2sh) == 0
    assert p2sh_input_sigops(b"\x53", p2sh) == 0  # OP_3 pushes no data

    outputs = [TxOut(1, P2PKH), TxOut(1, multisig_script(1, [PK1])), TxOut(1, p2sh)]
    tx = _tx(outputs, (script_sig, SIG + b"\x20" + PK1))
    spent = [TxOut(1, p2sh), TxOut(1, P2PKH)]
    assert legacy_tx_sigops(tx) == 1 + 20 + 0
    assert p2sh_tx_sigops(tx, spent) == 3
    assert tx_sigops(tx, spent) == 24
    with pytest.raises(ValueError, match="zip"):
        p2sh_tx_sigops(tx, spent[:1])


def test_coinbase_sigops() -> None:
    coinbase = Tx(
        1,
        TxType.COINBASE,
        (TxIn(OutPoint(bytes(32), 0xFFFFFFFF)),),
        (TxOut(1, multisig_script(1, [PK1])),),
        0,
        b"",
        (b"\xac\xac\xac",),  # free data that happens to look like CHECKSIGs
    )
    assert legacy_tx_sigops(coinbase) == 20
    assert p2sh_tx_sigops(coinbase, []) == 0
