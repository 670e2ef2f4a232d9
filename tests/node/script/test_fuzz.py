"""Fuzzing: random byte scripts (raw and opcode-structured) through the interpreter and through
verify_script with a real transaction checker. Only ScriptError may escape, and the work per
script stays bounded: at most len(script) opcodes are read and the stack limit holds."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.script.checker import BaseSignatureChecker, SignatureChecker
from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import CONSENSUS_FLAGS, STANDARD_FLAGS, ScriptFlags
from node.script.interpreter import eval_script, verify_script
from node.script.limits import MAX_STACK_SIZE
from node.script.txchecker import TransactionSignatureChecker
from node.types.tx import TxOut
from tests.node.script.helpers import PUBKEYS, make_tx

MAX_SECONDS_PER_SCRIPT = 2.0  # generous: real scripts take microseconds to milliseconds
FLAGS = st.sampled_from([0, int(CONSENSUS_FLAGS), int(STANDARD_FLAGS), int(ScriptFlags.P2SH)])
TX = make_tx(inputs=2, outputs=2, lock_time=600, sequence=5)
CHECKER = TransactionSignatureChecker(TX, 0, TxOut(1_000, b"\x51"))

# Opcodes weighted toward the interesting ones; pushes of typical sizes.
_OPS = list(range(0x4F, 0x100))
_piece = st.one_of(
    st.sampled_from(_OPS).map(lambda op: bytes([op])),
    st.sampled_from([0x00, 0x51, 0x52, 0x60, 0x4F]).map(lambda op: bytes([op])),
    st.binary(min_size=0, max_size=5).map(lambda d: bytes([len(d)]) + d),
    st.binary(min_size=32, max_size=32).map(lambda d: b"\x20" + d),
    st.just(b"\x20" + PUBKEYS[1]),
    st.binary(min_size=64, max_size=65).map(lambda d: bytes([len(d)]) + d),
    st.sampled_from([b"\x4c", b"\x4d", b"\x4e", b"\x4c\x02\xaa", b"\x4d\x09\x02"]),
)
structured_scripts = st.lists(_piece, max_size=120).map(b"".join)
any_script = st.one_of(st.binary(max_size=400), structured_scripts)


def _run_eval(script: bytes, flags: int, checker: SignatureChecker, stack: list[bytes]) -> None:
    start = time.perf_counter()
    error: ScriptError | None = None
    steps = 0
    try:
        steps = eval_script(stack, script, flags, checker)
    except ScriptError as exc:  # anything else fails the test
        error = exc
    elapsed = time.perf_counter() - start
    if error is None:
        assert 0 <= steps <= len(script)
        assert len(stack) <= MAX_STACK_SIZE
    else:
        assert isinstance(error.code, ScriptErrorCode)
        assert error.position is None or 0 <= error.position <= len(script)
    assert elapsed < MAX_SECONDS_PER_SCRIPT


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_script, FLAGS)
def test_random_scripts_only_raise_script_error(script: bytes, flags: int) -> None:
    _run_eval(script, flags, BaseSignatureChecker(), [])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_script, FLAGS, st.lists(st.binary(max_size=40), max_size=8))
def test_random_scripts_with_tx_checker_and_initial_stack(
    script: bytes, flags: int, initial: list[bytes]
) -> None:
    _run_eval(script, flags, CHECKER, list(initial))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_script, any_script, FLAGS)
def test_random_verify_script(script_sig: bytes, script_pubkey: bytes, flags: int) -> None:
    start = time.perf_counter()
    stage = None
    try:
        verify_script(script_sig, script_pubkey, flags, CHECKER)
    except ScriptError as exc:  # anything else fails the test
        stage = exc.stage
    assert stage in (None, "script_sig", "script_pubkey", "redeem_script")
    assert time.perf_counter() - start < MAX_SECONDS_PER_SCRIPT


def test_heavy_scripts_stay_fast() -> None:
    """Hand-built worst cases: full stacks, max-size elements, op limit of expensive ops."""
    big = b"\x4d\x08\x02" + b"\xab" * 520
    heavy = [
        big + b"\xaa" * 200,  # 200 x HASH256 of 520 bytes
        big * 18 + b"\x76" * 201,  # 201 DUPs on a stack of big items
        b"\x51" * 998 + b"\x60\x7a" * 100,  # 100 ROLLs deep in a 998-item stack
        b"\x51" * 994 + b"\x71" * 201,  # 2ROT at the limit
        # 9 x 1-of-20 CHECKMULTISIG with a bad signature: 180 signature checks, 198 ops
        (b"\x40" + bytes(64) + b"\x51" + (b"\x20" + PUBKEYS[1]) * 20 + b"\x01\x14\xae\x75") * 9,
    ]
    for script in heavy:
        assert len(script) <= 10_000
        for checker in (BaseSignatureChecker(), CHECKER):
            _run_eval(script, 0, checker, [])
            _run_eval(script, int(CONSENSUS_FLAGS), checker, [])
