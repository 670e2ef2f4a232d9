"""The FerrisScript known-answer table (data/script_tests.json): every opcode and limit, valid
and invalid, with the expected error code (and, where given, failing position and stage).

Each case is run twice: through `verify_input` (with the P2PKH fast path) and through
`verify_script` with a plain TransactionSignatureChecker; both must agree with the table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from node.script.errors import ScriptError, ScriptErrorCode
from node.script.flags import parse_flags
from node.script.interpreter import verify_script
from node.script.opcodes import Op
from node.script.txchecker import TransactionSignatureChecker
from node.script.verify import verify_input
from tests.node.script.helpers import build_case

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "script_tests.json").read_text()
)


def _run(fn: Any) -> ScriptError | None:
    try:
        fn()
    except ScriptError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i}-{c['comment'][:40]}" for i, c in enumerate(CASES)]
)
def test_script_case(case: dict[str, Any]) -> None:
    built = build_case(case)
    flags = parse_flags(built.flags)
    checker = TransactionSignatureChecker(built.tx, built.index, built.spent)
    results = [
        _run(lambda: verify_input(built.tx, built.index, built.spent, flags)),
        _run(lambda: verify_script(built.script_sig, built.spent.script_pubkey, flags, checker)),
    ]
    for err in results:
        if case["expect"] == "OK":
            assert err is None, f"{case['comment']}: unexpected {err}"
            continue
        assert err is not None, f"{case['comment']}: expected {case['expect']}, passed"
        assert err.code == ScriptErrorCode(case["expect"]), f"{case['comment']}: got {err}"
        if "pos" in case:
            assert err.position == case["pos"], f"{case['comment']}: {err}"
        if "stage" in case:
            assert err.stage == case["stage"], f"{case['comment']}: {err}"
    assert results[0] is None or results[0].input_index == built.index


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 300
    outcomes = Counter(c["expect"] for c in CASES)
    assert outcomes["OK"] >= 100
    assert sum(n for code, n in outcomes.items() if code != "OK") >= 200
    for code in outcomes:  # every expected code exists
        assert code == "OK" or ScriptErrorCode(code)


def test_table_covers_every_defined_opcode() -> None:
    text = " ".join(f"{c['sig']} {c['pub']} {c.get('redeem', '')}" for c in CASES).upper()
    words = set(text.split())
    missing = []
    for name, op in Op.__members__.items():
        short = name.removeprefix("OP_")
        if op in (Op.OP_0, Op.OP_INVALIDOPCODE) or Op.OP_PUSHDATA1 <= op <= Op.OP_PUSHDATA4:
            continue
        if Op.OP_1 <= op <= Op.OP_16 or op == Op.OP_1NEGATE or name in ("OP_FALSE", "OP_TRUE"):
            continue  # written as numbers
        if short not in words and name not in words:
            missing.append(name)
    assert not missing, f"opcodes without a test case: {missing}"


def test_table_covers_every_evaluation_error_code() -> None:
    expected = {c["expect"] for c in CASES}
    not_from_evaluation = {
        ScriptErrorCode.UNKNOWN_ERROR,
        ScriptErrorCode.SIG_HASHTYPE,
        ScriptErrorCode.BAD_TEMPLATE,
        ScriptErrorCode.BAD_ADDRESS,
        ScriptErrorCode.SIGHASH_INPUT,
    }
    missing = (
        {code.value for code in ScriptErrorCode}
        - expected
        - {code.value for code in not_from_evaluation}
    )
    assert not missing
