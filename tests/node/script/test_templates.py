"""Standard templates: building, exact recognition, addresses, and signing + verifying a spend
of every template (P2PKH, P2SH, bare multisig, HTLC claim and refund, OP_RETURN)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto.address import encode_address, p2pkh_address, p2sh_address
from node.crypto.hashes import H, hash160
from node.script.errors import ScriptError, ScriptErrorCode, TemplateError
from node.script.flags import CONSENSUS_FLAGS, STANDARD_FLAGS
from node.script.parse import push_data
from node.script.sighash import PrecomputedTxData
from node.script.signing import sign_input
from node.script.templates import (
    HtlcInfo,
    MultisigInfo,
    ScriptType,
    address_for_script,
    classify,
    extract_addresses,
    htlc_claim_script_sig,
    htlc_lock_is_time,
    htlc_refund_script_sig,
    htlc_script,
    match_htlc,
    match_multisig,
    match_null_data,
    match_p2pkh,
    match_p2sh,
    multisig_script,
    multisig_script_sig,
    null_data_script,
    p2pkh_script,
    p2pkh_script_for_pubkey,
    p2pkh_script_sig,
    p2sh_script,
    p2sh_script_for_redeem,
    p2sh_script_sig,
    script_for_address,
)
from node.script.verify import verify_input
from node.types.tx import Tx, TxOut
from tests.node.script.helpers import PUBKEYS, SECRETS, make_tx, with_witness

PK1, PK2, PK3 = PUBKEYS[1], PUBKEYS[2], PUBKEYS[3]
PREIMAGE = b"swap secret"
PAYMENT_HASH = hashlib.sha256(PREIMAGE).digest()
HRP = "rcrt"


def _sign(tx: Tx, spent: TxOut, key: int, hash_type: int = 0, index: int = 0) -> bytes:
    return sign_input(SECRETS[key], tx, index, spent, hash_type, PrecomputedTxData.from_tx(tx))


def _spend(spent: TxOut, script_sig_for: object, **tx_kw: int) -> tuple[Tx, TxOut]:
    tx = make_tx(**tx_kw)
    script_sig = script_sig_for(tx)  # type: ignore[operator]
    return with_witness(tx, 0, script_sig), spent


def _check(
    tx: Tx, spent: TxOut, expect: ScriptErrorCode | None, flags: int = STANDARD_FLAGS
) -> None:
    if expect is None:
        verify_input(tx, 0, spent, flags)
    else:
        with pytest.raises(ScriptError) as info:
            verify_input(tx, 0, spent, flags)
        assert info.value.code is expect


# --------------------------------------------------------------------------- P2PKH


def test_p2pkh_build_and_match() -> None:
    script = p2pkh_script_for_pubkey(PK1)
    assert script == bytes.fromhex("76a914") + hash160(PK1) + bytes.fromhex("88ac")
    assert match_p2pkh(script) == hash160(PK1)
    assert classify(script) is ScriptType.P2PKH
    assert match_p2pkh(script[:-1]) is None
    assert match_p2pkh(script + b"\x61") is None
    with pytest.raises(TemplateError):
        p2pkh_script(bytes(19))
    with pytest.raises(TemplateError):
        p2pkh_script_for_pubkey(bytes(33))


@pytest.mark.parametrize("hash_type", [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83])
def test_p2pkh_spend(hash_type: int) -> None:
    spent = TxOut(10_000, p2pkh_script_for_pubkey(PK1))
    tx, _ = _spend(spent, lambda t: p2pkh_script_sig(_sign(t, spent, 1, hash_type), PK1))
    _check(tx, spent, None)
    wrong_key = with_witness(tx, 0, p2pkh_script_sig(_sign(tx, spent, 2, hash_type), PK2))
    _check(wrong_key, spent, ScriptErrorCode.EQUALVERIFY)
    other_value = TxOut(10_001, spent.script_pubkey)
    _check(tx, other_value, ScriptErrorCode.SIG_NULLFAIL)


# --------------------------------------------------------------------------- P2SH


def test_p2sh_build_and_match() -> None:
    redeem = multisig_script(2, [PK1, PK2, PK3])
    script = p2sh_script_for_redeem(redeem)
    assert script == b"\xc0\x20" + H(redeem) + b"\x87"
    assert match_p2sh(script) == H(redeem)
    assert classify(script) is ScriptType.P2SH
    assert p2sh_script(H(redeem)) == script
    with pytest.raises(TemplateError):
        p2sh_script(bytes(20))
    with pytest.raises(TemplateError):
        p2sh_script_for_redeem(bytes(521))
    with pytest.raises(TemplateError):
        p2sh_script_sig(bytes(521))
    assert match_p2sh(script[:-1] + b"\x88") is None


def test_p2sh_multisig_spend() -> None:
    redeem = multisig_script(2, [PK1, PK2, PK3])
    spent = TxOut(50_000, p2sh_script_for_redeem(redeem))

    def script_sig(tx: Tx) -> bytes:
        return p2sh_script_sig(redeem, _sign(tx, spent, 1), _sign(tx, spent, 3, 0x81))

    tx, _ = _spend(spent, script_sig)
    _check(tx, spent, None)
    swapped = with_witness(tx, 0, p2sh_script_sig(redeem, _sign(tx, spent, 3), _sign(tx, spent, 1)))
    _check(swapped, spent, ScriptErrorCode.SIG_NULLFAIL)
    other_redeem = multisig_script(1, [PK1])
    wrong = with_witness(tx, 0, p2sh_script_sig(other_redeem, _sign(tx, spent, 1)))
    _check(wrong, spent, ScriptErrorCode.EVAL_FALSE)


# --------------------------------------------------------------------------- multisig


@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 2), (2, 2), (1, 3), (2, 3), (3, 3)])
def test_bare_multisig_spend(m: int, n: int) -> None:
    keys = [PK1, PK2, PK3][:n]
    script = multisig_script(m, keys)
    assert match_multisig(script) == MultisigInfo(m, tuple(keys))
    assert classify(script) is ScriptType.MULTISIG
    spent = TxOut(20_000, script)
    signers = list(range(1, n + 1))[-m:]
    tx, _ = _spend(spent, lambda t: multisig_script_sig([_sign(t, spent, k) for k in signers]))
    _check(tx, spent, None)
    too_few = with_witness(tx, 0, multisig_script_sig([_sign(tx, spent, k) for k in signers[1:]]))
    _check(too_few, spent, ScriptErrorCode.INVALID_STACK_OPERATION)


def test_multisig_build_errors_and_near_misses() -> None:
    for m, keys in ((0, [PK1]), (2, [PK1]), (1, []), (1, [PK1] * 17), (1, [bytes(33)])):
        with pytest.raises(TemplateError):
            multisig_script(m, keys)
    script = multisig_script(1, [PK1, PK2])
    assert match_multisig(script[:-1] + b"\xaf") is None  # CHECKMULTISIGVERIFY
    assert match_multisig(b"\x51" + push_data(PK1) + b"\x52\xae") is None  # count mismatch
    assert match_multisig(b"\x52" + push_data(PK1) + b"\x51\xae") is None  # m > n
    non_minimal = b"\x51\x4c\x20" + PK1 + b"\x51\xae"
    assert match_multisig(non_minimal) is None
    assert match_multisig(b"\x51" + push_data(PK1[:31]) + b"\x51\xae") is None
    assert multisig_script(16, [PK1] * 16)[-2] == 0x60


# --------------------------------------------------------------------------- HTLC


def _htlc(lock_time: int = 1_000) -> bytes:
    return htlc_script(PAYMENT_HASH, PK1, PK2, lock_time)


def test_htlc_build_and_match() -> None:
    for lock_time in (1, 16, 17, 1_000, 499_999_999, 500_000_000, 0xFFFFFFFF):
        script = htlc_script(PAYMENT_HASH, PK1, PK2, lock_time)
        info = match_htlc(script)
        assert info == HtlcInfo(PAYMENT_HASH, PK1, PK2, lock_time)
        assert classify(script) is ScriptType.HTLC
        assert htlc_lock_is_time(info) is (lock_time >= 500_000_000)
    with pytest.raises(TemplateError):
        htlc_script(PAYMENT_HASH[:31], PK1, PK2, 10)
    with pytest.raises(TemplateError):
        htlc_script(PAYMENT_HASH, PK1[:31], PK2, 10)
    with pytest.raises(TemplateError):
        htlc_script(PAYMENT_HASH, PK1, PK2, 0)
    with pytest.raises(TemplateError):
        htlc_script(PAYMENT_HASH, PK1, PK2, 2**32)
    script = _htlc()
    assert match_htlc(script.replace(b"\xa8", b"\xa9", 1)) is None  # HASH160 for SHA256
    assert match_htlc(script[:-1] + b"\xad") is None
    assert match_htlc(script[:-1]) is None


@pytest.mark.parametrize("p2sh", [False, True])
def test_htlc_claim_and_refund(p2sh: bool) -> None:
    redeem = _htlc(1_000)
    spent = TxOut(30_000, p2sh_script_for_redeem(redeem) if p2sh else redeem)

    def wrap(script_sig: bytes) -> bytes:
        return script_sig + push_data(redeem) if p2sh else script_sig

    tx, _ = _spend(spent, lambda t: wrap(htlc_claim_script_sig(_sign(t, spent, 1), PREIMAGE)))
    _check(tx, spent, None)
    bad_preimage = with_witness(tx, 0, wrap(htlc_claim_script_sig(_sign(tx, spent, 1), b"guess")))
    _check(bad_preimage, spent, ScriptErrorCode.EQUALVERIFY)
    thief = with_witness(tx, 0, wrap(htlc_claim_script_sig(_sign(tx, spent, 2), PREIMAGE)))
    _check(thief, spent, ScriptErrorCode.SIG_NULLFAIL)

    for lock_time, sequence, expect in (
        (1_000, 0, None),
        (2_000, 0xFFFFFFFE, None),
        (999, 0, ScriptErrorCode.UNSATISFIED_LOCKTIME),
        (1_000, 0xFFFFFFFF, ScriptErrorCode.UNSATISFIED_LOCKTIME),
        (500_000_001, 0, ScriptErrorCode.UNSATISFIED_LOCKTIME),
    ):
        refund, _ = _spend(
            spent,
            lambda t: wrap(htlc_refund_script_sig(_sign(t, spent, 2))),
            lock_time=lock_time,
            sequence=sequence,
        )
        _check(refund, spent, expect)


# --------------------------------------------------------------------------- OP_RETURN


def test_null_data() -> None:
    script = null_data_script(b"hello", b"", b"\x05")
    assert script == b"\x6a\x05hello\x00\x55"  # b"\x05" is pushed as OP_5
    assert match_null_data(script) == (b"hello", b"", b"\x05")
    assert match_null_data(null_data_script(b"\x81", b"\x10", b"\x11")) == (
        b"\x81",
        b"\x10",
        b"\x11",
    )
    assert match_null_data(b"\x6a\x50") is None  # OP_RESERVED carries no data
    assert classify(script) is ScriptType.NULL_DATA
    assert match_null_data(b"\x6a") == ()
    assert match_null_data(b"\x6a\x61") is None  # NOP is not a push
    assert match_null_data(b"\x6a\x05ab") is None  # truncated
    assert match_null_data(b"") is None
    with pytest.raises(TemplateError):
        null_data_script(bytes(521))
    spent = TxOut(0, script)
    tx = with_witness(make_tx(), 0, b"")
    _check(tx, spent, ScriptErrorCode.OP_RETURN, CONSENSUS_FLAGS)


# --------------------------------------------------------------------------- addresses


def test_address_round_trips() -> None:
    p2pkh = p2pkh_script_for_pubkey(PK1)
    redeem = multisig_script(1, [PK1, PK2])
    p2sh = p2sh_script_for_redeem(redeem)
    for hrp in ("rc", "trc", "rcrt", "rcdv"):
        a1 = address_for_script(p2pkh, hrp)
        a2 = address_for_script(p2sh, hrp)
        assert a1 == str(p2pkh_address(hrp, PK1))
        assert a2 == str(p2sh_address(hrp, redeem))
        assert a1 is not None
        assert a2 is not None
        assert script_for_address(a1, hrp) == p2pkh
        assert script_for_address(a2, hrp) == p2sh
        assert script_for_address(p2pkh_address(hrp, PK1), hrp) == p2pkh


def test_address_errors() -> None:
    address = address_for_script(p2pkh_script_for_pubkey(PK1), "rc")
    assert address is not None
    for bad in (address[:-1] + ("q" if address[-1] != "q" else "p"), "rc1qqqq", "", "bc1xyz"):
        with pytest.raises(TemplateError) as info:
            script_for_address(bad, "rc")
        assert info.value.code is ScriptErrorCode.BAD_ADDRESS
    with pytest.raises(TemplateError):
        script_for_address(address, "trc")  # wrong network
    with pytest.raises(TemplateError):
        script_for_address(p2pkh_address("trc", PK1), "rc")
    for script in (multisig_script(1, [PK1]), _htlc(), null_data_script(b"x"), b"", b"\x51"):
        assert address_for_script(script, "rc") is None


def test_extract_addresses() -> None:
    def pkh(key: bytes) -> str:
        return encode_address(HRP, 0, hash160(key))

    assert extract_addresses(p2pkh_script_for_pubkey(PK1), HRP) == (pkh(PK1),)
    redeem = b"\x51"
    assert extract_addresses(p2sh_script_for_redeem(redeem), HRP) == (
        str(p2sh_address(HRP, redeem)),
    )
    assert extract_addresses(multisig_script(2, [PK1, PK2, PK3]), HRP) == (
        pkh(PK1),
        pkh(PK2),
        pkh(PK3),
    )
    assert extract_addresses(_htlc(), HRP) == (pkh(PK1), pkh(PK2))
    assert extract_addresses(null_data_script(b"x"), HRP) == ()
    assert extract_addresses(b"\x51\x52", HRP) == ()


def test_classify_nonstandard() -> None:
    for script in (b"", b"\x51", b"\x76\xa9", b"\x4c", p2pkh_script_for_pubkey(PK1) + b"\x61"):
        assert classify(script) is ScriptType.NONSTANDARD


@given(st.lists(st.binary(max_size=90), max_size=5))
def test_null_data_round_trip(chunks: list[bytes]) -> None:
    assert match_null_data(null_data_script(*chunks)) == tuple(chunks)
