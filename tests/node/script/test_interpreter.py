"""Interpreter API: error attributes (code, position, opcode, stage, input), the step count,
injected checkers, the dispatch table, verify_input / verify_tx_inputs entry points."""

from __future__ import annotations

import pytest

from node.script import CONSENSUS_FLAGS, STANDARD_FLAGS, ScriptFlags
from node.script.asm import from_asm
from node.script.checker import BaseSignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import parse_flags
from node.script.interpreter import OPCODE_TABLE, eval_script, verify_script
from node.script.opcodes import DISABLED_OPCODES, Op
from node.script.ops_flow import op_bad
from node.script.sighash import PrecomputedTxData
from node.script.signing import sign_input
from node.script.templates import p2pkh_script_for_pubkey, p2pkh_script_sig
from node.script.txchecker import TransactionSignatureChecker
from node.script.verify import verify_input, verify_tx_inputs
from node.types.tx import Tx, TxOut
from tests.node.script.helpers import PUBKEYS, SECRETS, make_tx, with_witness

NULL = BaseSignatureChecker()


class RecordingChecker:
    """A checker that accepts exactly the signatures it is told to and records every call."""

    def __init__(self, good: set[bytes], lock_ok: bool = True) -> None:
        self.good = good
        self.lock_ok = lock_ok
        self.calls: list[tuple[bytes, int, bytes]] = []
        self.locks: list[tuple[str, int]] = []

    def check_schnorr(self, sig64: bytes, hash_type: int, pubkey32: bytes) -> bool:
        self.calls.append((sig64, hash_type, pubkey32))
        return sig64 in self.good

    def check_lock_time(self, lock_time: int) -> bool:
        self.locks.append(("cltv", lock_time))
        return self.lock_ok

    def check_sequence(self, sequence: int) -> bool:
        self.locks.append(("csv", sequence))
        return self.lock_ok


def _err(script_sig: str, script_pubkey: str, flags: int = CONSENSUS_FLAGS) -> ScriptError:
    with pytest.raises(ScriptError) as info:
        verify_script(from_asm(script_sig), from_asm(script_pubkey), flags, NULL)
    return info.value


def test_error_attributes() -> None:
    err = _err("1 2", "ADD 3 EQUALVERIFY NOP 0 VERIFY")
    assert err.code is ScriptErrorCode.VERIFY
    assert (err.position, err.opcode, err.stage) == (5, Op.OP_VERIFY, "script_pubkey")
    text = str(err)
    assert "VERIFY" in text
    assert "script_pubkey" in text
    assert "byte 5" in text
    assert "0x69" in text
    err = _err("1 IF", "1", ScriptFlags.P2SH)
    assert (err.code, err.position, err.opcode) == (
        ScriptErrorCode.UNBALANCED_CONDITIONAL,
        2,
        None,
    )
    assert err.stage == "script_sig"
    err = _err("", "")
    assert (err.code, err.position, err.stage) == (ScriptErrorCode.EVAL_FALSE, 0, "script_pubkey")
    err = _err("1 2 DUP 3", "1")
    assert (err.code, err.position, err.opcode, err.stage) == (
        ScriptErrorCode.SIG_PUSHONLY,
        2,
        Op.OP_DUP,
        "script_sig",
    )
    err = _err("1 1", "NOP", STANDARD_FLAGS)
    assert (err.code, err.position, err.stage) == (ScriptErrorCode.CLEANSTACK, 1, "script_pubkey")


def test_step_count_and_stack() -> None:
    stack: list[bytes] = []
    steps = eval_script(stack, from_asm("1 2 ADD <aabb> 0 IF NOP ENDIF"), 0, NULL)
    assert steps == 8
    assert stack == [b"\x03", b"\xaa\xbb"]
    assert eval_script([], b"", 0, NULL) == 0


def test_dispatch_table() -> None:
    assert len(OPCODE_TABLE) == 256
    implemented = {op for op in range(256) if OPCODE_TABLE[op] is not op_bad}
    for op in Op:
        if op <= Op.OP_PUSHDATA4 or op in DISABLED_OPCODES or op == Op.OP_INVALIDOPCODE:
            continue
        if op in (Op.OP_RESERVED, Op.OP_VER, Op.OP_VERIF, Op.OP_VERNOTIF):
            continue
        if op in (Op.OP_RESERVED1, Op.OP_RESERVED2):
            continue
        assert op in implemented, op.name
    assert 0xBA not in implemented
    assert 0xFF not in implemented


def test_injected_checker_sees_hash_types() -> None:
    pk = bytes(range(32))
    good = bytes(64)
    checker = RecordingChecker({good})
    stack: list[bytes] = []
    script = b"".join(
        [
            b"\x40" + good,
            b"\x20" + pk,
            bytes([Op.OP_CHECKSIGVERIFY]),
            b"\x41" + good + b"\x83",
            b"\x20" + pk,
            bytes([Op.OP_CHECKSIG]),
        ]
    )
    eval_script(stack, script, CONSENSUS_FLAGS, checker)
    assert stack == [b"\x01"]
    assert checker.calls == [(good, 0, pk), (good, 0x83, pk)]


def test_empty_signature_never_reaches_checker() -> None:
    checker = RecordingChecker(set())
    stack: list[bytes] = []
    eval_script(stack, b"\x00\x20" + bytes(32) + b"\xac", CONSENSUS_FLAGS, checker)
    assert stack == [b""]
    assert checker.calls == []


def test_locktime_checker_calls() -> None:
    checker = RecordingChecker(set(), lock_ok=True)
    eval_script(
        [], from_asm("100 CHECKLOCKTIMEVERIFY 7 CHECKSEQUENCEVERIFY"), CONSENSUS_FLAGS, checker
    )
    assert checker.locks == [("cltv", 100), ("csv", 7)]
    checker = RecordingChecker(set(), lock_ok=False)
    with pytest.raises(ScriptError) as info:
        eval_script([], from_asm("100 CHECKLOCKTIMEVERIFY"), CONSENSUS_FLAGS, checker)
    assert info.value.code is ScriptErrorCode.UNSATISFIED_LOCKTIME


def test_base_checker_fails_everything() -> None:
    assert NULL.check_schnorr(bytes(64), 0, bytes(32)) is False
    assert NULL.check_lock_time(0) is False
    assert NULL.check_sequence(0) is False


def test_parse_flags() -> None:
    assert parse_flags("") == ScriptFlags.NONE
    assert parse_flags("consensus") == CONSENSUS_FLAGS
    assert parse_flags("STANDARD") == STANDARD_FLAGS
    assert parse_flags("P2SH, MINIMALDATA") == ScriptFlags.P2SH | ScriptFlags.MINIMALDATA
    assert CONSENSUS_FLAGS & ~STANDARD_FLAGS == 0
    assert not CONSENSUS_FLAGS & ScriptFlags.CLEANSTACK
    with pytest.raises(ValueError, match="unknown"):
        parse_flags("P2SH,BOGUS")


def _p2pkh_tx(n: int) -> tuple[Tx, list[TxOut]]:
    keys = [1 + i % 3 for i in range(n)]
    spent = [TxOut(1_000 + i, p2pkh_script_for_pubkey(PUBKEYS[k])) for i, k in enumerate(keys)]
    tx = make_tx(inputs=n, outputs=2)
    pre = PrecomputedTxData.from_tx(tx)
    sigs = [sign_input(SECRETS[k], tx, i, spent[i], 0, pre) for i, k in enumerate(keys)]
    for i, k in enumerate(keys):
        tx = with_witness(tx, i, p2pkh_script_sig(sigs[i], PUBKEYS[k]))
    return tx, spent


def test_verify_tx_inputs() -> None:
    tx, spent = _p2pkh_tx(4)
    verify_tx_inputs(tx, spent)
    verify_tx_inputs(tx, spent, STANDARD_FLAGS)
    wrong = list(spent)
    wrong[2] = TxOut(wrong[2].value + 1, wrong[2].script_pubkey)
    with pytest.raises(ScriptError) as info:
        verify_tx_inputs(tx, wrong)
    assert info.value.input_index == 2
    assert info.value.code is ScriptErrorCode.SIG_NULLFAIL
    assert "for input 2" in str(info.value)
    with pytest.raises(ScriptError) as info:
        verify_tx_inputs(tx, spent[:3])
    assert info.value.code is ScriptErrorCode.SIGHASH_INPUT


def test_verify_input_index_and_checker_errors() -> None:
    tx, spent = _p2pkh_tx(2)
    for index in (-1, 2):
        with pytest.raises(ScriptError) as info:
            verify_input(tx, index, spent[0])
        assert info.value.code is ScriptErrorCode.SIGHASH_INPUT
        with pytest.raises(ScriptError):
            TransactionSignatureChecker(tx, index, spent[0])
    # An injected checker replaces the transaction checker entirely.
    verify_input(tx, 0, spent[0], checker=RecordingChecker({tx.witnesses[0][1:65]}))
    with pytest.raises(ScriptError) as info:
        verify_input(tx, 0, spent[0], checker=RecordingChecker(set()))
    assert info.value.code is ScriptErrorCode.SIG_NULLFAIL


def test_precomputed_must_match_the_transaction() -> None:
    tx, spent = _p2pkh_tx(2)
    other = PrecomputedTxData.from_tx(make_tx(inputs=3))
    with pytest.raises(ScriptError) as info:
        verify_input(tx, 0, spent[0], precomputed=other)
    assert info.value.code is ScriptErrorCode.SIGHASH_INPUT
    # Built from the unsigned transaction (same txid): accepted.
    unsigned = make_tx(inputs=2, outputs=2)
    verify_input(tx, 1, spent[1], precomputed=PrecomputedTxData.from_tx(unsigned))
