"""The consensus error catalogue: one narrow class per Bitcoin Core-style reason."""

from __future__ import annotations

import pytest

from node.consensus import errors
from node.consensus.errors import ConsensusError, ScriptVerifyFailed
from node.errors import RustyError
from node.script.errors import ScriptError, ScriptErrorCode

REQUIRED_REASONS = [
    "bad-txns-vin-empty",
    "bad-txns-vout-empty",
    "bad-txns-oversize",
    "bad-txns-vout-toolarge",
    "bad-txns-txouttotal-toolarge",
    "bad-txns-inputs-duplicate",
    "bad-cb-length",
    "bad-txns-prevout-null",
    "bad-txns-inputs-missingorspent",
    "bad-txns-premature-spend-of-coinbase",
    "bad-txns-inputvalues-outofrange",
    "bad-txns-in-belowout",
    "bad-txns-nonfinal",
    "non-BIP68-final",
    "bad-cb-missing",
    "bad-cb-multiple",
    "bad-txnmrklroot",
    "bad-txns-duplicate",
    "bad-votesroot",
    "bad-blk-length",
    "bad-blk-sigops",
    "bad-cb-amount",
    "bad-cb-height",
    "bad-blk-height",
    "bad-prevblk",
    "time-too-old",
    "time-too-new",
    "bad-diffbits",
    "bad-state-root",
    "bad-version",
    "bad-txns-payload",
    "bad-txns-version",
    "block-script-verify-flag-failed",
    "high-hash",
]

CLASSES = [
    obj
    for obj in vars(errors).values()
    if isinstance(obj, type) and issubclass(obj, ConsensusError)
]
GROUPS = {
    ConsensusError,
    errors.TxRuleError,
    errors.BlockRuleError,
    errors.HeaderRuleError,
}


def test_every_required_reason_has_a_class() -> None:
    reasons = {cls.reason for cls in CLASSES}
    assert set(REQUIRED_REASONS) <= reasons


def test_leaf_classes_have_their_own_reason() -> None:
    for cls in CLASSES:
        assert issubclass(cls, RustyError)
        if cls in GROUPS:
            assert cls.reason == "consensus-invalid"
        else:
            assert cls.reason != "consensus-invalid", cls.__name__


@pytest.mark.parametrize("cls", [c for c in CLASSES if c is not ScriptVerifyFailed])
def test_str_starts_with_the_reason(cls: type[ConsensusError]) -> None:
    err = cls("details 42")
    assert str(err) == f"{cls.reason}: details 42"
    assert cls("x", reason="other").reason == "other"
    assert cls.reason == cls("y").reason


def test_only_body_mismatches_are_mutations() -> None:
    mutated = {cls.__name__ for cls in CLASSES if cls.mutated}
    assert mutated == {"BadMerkleRoot", "MutatedMerkle", "BadVotesRoot"}
    assert errors.MutatedMerkle.reason == errors.DuplicateTx.reason == "bad-txns-duplicate"


def test_script_verify_failed_keeps_the_script_error() -> None:
    inner = ScriptError(ScriptErrorCode.EVAL_FALSE, "false", input_index=1)
    err = ScriptVerifyFailed.from_script_error(inner, txid=bytes(range(32)), input_index=1)
    assert err.reason == "block-script-verify-flag-failed"
    assert err.script_error is inner
    assert err.input_index == 1
    assert err.txid == bytes(range(32))
    assert str(err).startswith("block-script-verify-flag-failed: (EVAL_FALSE) tx 000102")
