"""The P2PKH fast path in `verify_input` never changes a verdict: on mutated P2PKH spends it
gives the same result (success, or the same error code) as the full interpreter."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.script import verify as verify_module
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import CONSENSUS_FLAGS, STANDARD_FLAGS, ScriptFlags
from node.script.interpreter import verify_script
from node.script.parse import push_data
from node.script.sighash import PrecomputedTxData
from node.script.signing import sign_input
from node.script.templates import p2pkh_script_for_pubkey
from node.script.txchecker import TransactionSignatureChecker
from node.script.verify import p2pkh_fast_accept, verify_input
from node.types.tx import Tx, TxOut
from tests.node.script.helpers import PUBKEYS, SECRETS, make_tx, with_witness

TX = make_tx(inputs=2, outputs=1)
PRE = PrecomputedTxData.from_tx(TX)
SPENT = TxOut(7_000, p2pkh_script_for_pubkey(PUBKEYS[1]))
SIGS = {ht: sign_input(SECRETS[1], TX, 0, SPENT, ht, PRE, bytes(32)) for ht in (0, 1, 3, 0x83)}
SIG_WRONG_KEY = sign_input(SECRETS[2], TX, 0, SPENT, 0, PRE, bytes(32))
SIG_SINGLE_NO_OUTPUT = sign_input(SECRETS[1], TX, 0, SPENT, 0x03, PRE, bytes(32))  # index 0 ok
FLAG_SETS = (0, int(CONSENSUS_FLAGS), int(STANDARD_FLAGS), int(ScriptFlags.P2SH))


def _outcome(fn: object) -> ScriptErrorCode | None:
    try:
        fn()  # type: ignore[operator]
    except ScriptError as exc:
        return exc.code
    return None


def _compare(script_sig: bytes, spent: TxOut, flags: int, index: int = 0) -> ScriptErrorCode | None:
    tx = with_witness(TX, index, script_sig)
    checker = TransactionSignatureChecker(tx, index, spent, PRE)
    fast = _outcome(lambda: verify_input(tx, index, spent, flags, PRE))
    full = _outcome(lambda: verify_script(script_sig, spent.script_pubkey, flags, checker))
    assert fast == full
    if p2pkh_fast_accept(script_sig, spent.script_pubkey, checker):
        assert full is None
    return full


sig_choice = st.sampled_from(
    [*SIGS.values(), SIG_WRONG_KEY, b"", bytes(64), SIGS[0][:63], SIGS[0] + b"\x00"]
    + [SIGS[0] + bytes([ht]) for ht in (0x00, 0x02, 0x04, 0x80, 0x81, 0xFF)]
)
key_choice = st.sampled_from([PUBKEYS[1], PUBKEYS[2], PUBKEYS[1][:31], PUBKEYS[1] + b"\x00"])


@st.composite
def mutated_script_sigs(draw: st.DrawFn) -> bytes:
    sig = bytearray(draw(sig_choice))
    if sig and draw(st.booleans()):
        sig[draw(st.integers(0, len(sig) - 1))] ^= 1 << draw(st.integers(0, 7))
    key = draw(key_choice)
    encoding = draw(st.sampled_from(["minimal", "pushdata1", "extra_below", "extra_above", "nop"]))
    if encoding == "pushdata1":
        return b"\x4c" + bytes([len(sig)]) + bytes(sig) + push_data(key)
    body = push_data(bytes(sig)) + push_data(key)
    if encoding == "extra_below":
        return b"\x51" + body
    if encoding == "extra_above":
        return body + b"\x51"
    if encoding == "nop":
        return body + b"\x61"
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_script_sigs(), st.sampled_from(FLAG_SETS))
def test_fast_path_equivalent_on_mutations(script_sig: bytes, flags: int) -> None:
    _compare(script_sig, SPENT, flags)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 24), st.integers(0, 7), st.sampled_from(FLAG_SETS))
def test_fast_path_equivalent_on_script_pubkey_mutations(pos: int, bit: int, flags: int) -> None:
    script = bytearray(SPENT.script_pubkey)
    script[pos] ^= 1 << bit
    script_sig = push_data(SIGS[0]) + push_data(PUBKEYS[1])
    _compare(script_sig, TxOut(SPENT.value, bytes(script)), flags)


@pytest.mark.parametrize("flags", FLAG_SETS)
def test_valid_spends_take_the_fast_path(monkeypatch: pytest.MonkeyPatch, flags: int) -> None:
    for ht, sig in SIGS.items():
        script_sig = push_data(sig) + push_data(PUBKEYS[1])
        assert _compare(script_sig, SPENT, flags) is None, ht

    def no_interpreter(*args: object) -> None:
        raise AssertionError("interpreter should not run")

    monkeypatch.setattr(verify_module, "verify_script", no_interpreter)
    tx: Tx = with_witness(TX, 0, push_data(SIGS[0]) + push_data(PUBKEYS[1]))
    verify_input(tx, 0, SPENT, flags, PRE)


def test_failures_fall_back_to_the_interpreter() -> None:
    script_sig = push_data(SIG_WRONG_KEY) + push_data(PUBKEYS[1])
    assert _compare(script_sig, SPENT, int(CONSENSUS_FLAGS)) is ScriptErrorCode.SIG_NULLFAIL
    assert _compare(script_sig, SPENT, 0) is ScriptErrorCode.EVAL_FALSE
    bad_type = push_data(SIGS[0] + b"\x00") + push_data(PUBKEYS[1])
    assert _compare(bad_type, SPENT, 0) is ScriptErrorCode.SCHNORR_SIG_HASHTYPE
    # SINGLE without a matching output (input 1 of a 1-output tx): the checker raises.
    single = sign_input(SECRETS[1], TX, 0, SPENT, 0x03, PRE, bytes(32))
    code = _compare(push_data(single) + push_data(PUBKEYS[1]), SPENT, 0, index=1)
    assert code is ScriptErrorCode.SCHNORR_SIG_HASHTYPE
