"""Context-free checks: check_transaction, check_block_header and check_block (one mutation
per reject reason, each against a valid baseline)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from node.consensus.checks import (
    BASE_TX_TYPES,
    check_block,
    check_block_header,
    check_transaction,
)
from node.consensus.errors import ConsensusError
from node.crypto.merkle import merkle_root
from node.params import MAX_MONEY, REGTEST
from node.script.sigops import legacy_tx_sigops
from node.types.block import Block
from node.types.tx import COINBASE_VOUT, MAX_TX_SIZE, NULL_TXID, OutPoint, Tx, TxIn, TxOut, TxType
from tests.node.consensus.helpers import (
    coinbase,
    fill,
    make_block,
    mine,
    p2pkh,
    raw_block,
    spend,
    vote,
)
from tests.node.types.fixtures import sample_payloads

PAYLOADS = sample_payloads()


def reason_of(fn: Callable[[], object]) -> str:
    with pytest.raises(ConsensusError) as info:
        fn()
    assert str(info.value).startswith(info.value.reason + ": ")
    return info.value.reason


# --------------------------------------------------------------------------- transactions


def test_valid_transactions_pass() -> None:
    check_transaction(spend("ok"))
    check_transaction(spend("many", 3, (TxOut(1, b""), TxOut(MAX_MONEY - 1, b""))))
    check_transaction(coinbase(7))
    check_transaction(coinbase(7, data=b"ab"))
    check_transaction(coinbase(7, data=bytes(100)))
    check_transaction(spend("max", outputs=(TxOut(MAX_MONEY, b""),)))


def _ticket(payload: bytes | None = None) -> Tx:
    raw = PAYLOADS[TxType.TICKET_PURCHASE].serialize() if payload is None else payload
    return spend("ticket", tx_type=TxType.TICKET_PURCHASE, payload=raw)


def _dup_inputs() -> Tx:
    tx = spend("dup")
    return dataclasses.replace(tx, inputs=tx.inputs * 2, witnesses=tx.witnesses * 2)


def _coinbase_two_inputs() -> Tx:
    cb = coinbase(3)
    extra = TxIn(OutPoint(fill("x"), 0))
    return dataclasses.replace(cb, inputs=(*cb.inputs, extra), witnesses=cb.witnesses * 2)


def _coinbase_not_null() -> Tx:
    return dataclasses.replace(coinbase(3), inputs=(TxIn(OutPoint(NULL_TXID, 0)),))


def _null_prevout() -> Tx:
    tx = spend("np", 2)
    null = TxIn(OutPoint(NULL_TXID, COINBASE_VOUT))
    return dataclasses.replace(tx, inputs=(tx.inputs[0], null))


TX_CASES: list[tuple[str, Callable[[], Tx], str]] = [
    ("version 2", lambda: spend("v", version=2), "bad-txns-version"),
    ("version 0", lambda: spend("v", version=0), "bad-txns-version"),
    ("type not allowed", _ticket, "bad-txns-payload"),
    ("no inputs", lambda: spend("e", 0), "bad-txns-vin-empty"),
    ("no outputs", lambda: spend("e", outputs=()), "bad-txns-vout-empty"),
    (
        "oversize",
        lambda: spend("big", outputs=(TxOut(1, bytes(MAX_TX_SIZE - 60)),)),
        "bad-txns-oversize",
    ),
    (
        "vout too large",
        lambda: spend("o", outputs=(TxOut(MAX_MONEY + 1, b""),)),
        "bad-txns-vout-toolarge",
    ),
    (
        "total too large",
        lambda: spend("t", outputs=(TxOut(MAX_MONEY, b""), TxOut(1, b""))),
        "bad-txns-txouttotal-toolarge",
    ),
    ("duplicate inputs", _dup_inputs, "bad-txns-inputs-duplicate"),
    ("coinbase data 1 byte", lambda: coinbase(1, data=b"a"), "bad-cb-length"),
    ("coinbase data 101 bytes", lambda: coinbase(1, data=bytes(101)), "bad-cb-length"),
    ("coinbase two inputs", _coinbase_two_inputs, "bad-cb-input"),
    ("coinbase prevout not null", _coinbase_not_null, "bad-cb-input"),
    ("null prevout", _null_prevout, "bad-txns-prevout-null"),
]


@pytest.mark.parametrize(("name", "build", "reason"), TX_CASES, ids=[c[0] for c in TX_CASES])
def test_transaction_rejections(name: str, build: Callable[[], Tx], reason: str) -> None:
    tx = build()
    assert reason_of(lambda: check_transaction(tx)) == reason


def test_oversize_boundary() -> None:
    tx = spend("edge", outputs=(TxOut(1, bytes(MAX_TX_SIZE - 100)),))
    pad = MAX_TX_SIZE - tx.size
    at_limit = spend("edge", outputs=(TxOut(1, bytes(MAX_TX_SIZE - 100 + pad)),))
    assert at_limit.size == MAX_TX_SIZE
    check_transaction(at_limit)


def test_special_types_follow_the_allowed_set() -> None:
    allowed = BASE_TX_TYPES | {TxType.TICKET_PURCHASE}
    check_transaction(_ticket(), allowed_tx_types=allowed)
    bad = _ticket(PAYLOADS[TxType.TICKET_PURCHASE].serialize() + b"\x00")
    assert reason_of(lambda: check_transaction(bad, allowed_tx_types=allowed)) == "bad-txns-payload"
    truncated = _ticket(b"\x01\x02")
    assert (
        reason_of(lambda: check_transaction(truncated, allowed_tx_types=allowed))
        == "bad-txns-payload"
    )
    assert reason_of(lambda: check_transaction(coinbase(1), allowed_tx_types=frozenset())) == (
        "bad-txns-payload"
    )


def test_no_io_types_may_have_no_inputs_or_outputs() -> None:
    payload = PAYLOADS[TxType.GOV_VOTE].serialize()
    tx = spend("gv", 0, (), tx_type=TxType.GOV_VOTE, payload=payload)
    assert reason_of(lambda: check_transaction(tx)) == "bad-txns-payload"
    check_transaction(tx, allowed_tx_types=BASE_TX_TYPES | {TxType.GOV_VOTE})
    ticket = spend("tp", 0, tx_type=TxType.TICKET_PURCHASE, payload=_ticket().payload)
    allowed = BASE_TX_TYPES | {TxType.TICKET_PURCHASE}
    assert reason_of(lambda: check_transaction(ticket, allowed_tx_types=allowed)) == (
        "bad-txns-vin-empty"
    )


# --------------------------------------------------------------------------- headers


def test_header_version_and_pow() -> None:
    block = make_block([coinbase(1)])
    check_block_header(block.header, REGTEST)
    v2 = mine(dataclasses.replace(block.header, version=2), REGTEST)
    assert reason_of(lambda: check_block_header(v2, REGTEST)) == "bad-version"
    weak = mine(block.header, REGTEST, valid=False)
    assert reason_of(lambda: check_block_header(weak, REGTEST)) == "high-hash"
    easy = dataclasses.replace(block.header, bits=0x2100FFFF)
    assert reason_of(lambda: check_block_header(easy, REGTEST)) == "bad-diffbits"


# --------------------------------------------------------------------------- blocks


def base_txs() -> tuple[Tx, ...]:
    return (coinbase(1), spend("a"), spend("b"))


def test_valid_block_passes() -> None:
    check_block(make_block(base_txs()), REGTEST)
    check_block(make_block([coinbase(1)]), REGTEST)
    votes = (vote("1"), vote("2"), vote("3"))
    check_block(make_block(base_txs(), votes=votes), REGTEST)


def _with_header(block: Block, **changes: Any) -> Block:
    header = mine(dataclasses.replace(block.header, **changes), REGTEST)
    return Block(header=header, votes=block.votes, txs=block.txs)


def _mutated_merkle() -> Block:
    block = make_block(base_txs())
    return Block(header=block.header, votes=(), txs=(*block.txs, block.txs[-1]))


def _duplicate_txid() -> Block:
    a = spend("a")
    twin = dataclasses.replace(a, witnesses=(b"\x09\x09",))
    assert twin.txid == a.txid
    assert twin.wtxid != a.wtxid
    return make_block([coinbase(1), a, twin])


def _mutated_votes() -> Block:
    votes = (vote("1"), vote("2"), vote("3"))
    block = make_block(base_txs(), votes=votes)
    return Block(header=block.header, votes=(*votes, votes[-1]), txs=block.txs)


def _six_votes() -> Block:
    votes = tuple(vote(str(i)) for i in range(6))
    block = make_block(base_txs(), votes=votes[:5])
    header = mine(
        dataclasses.replace(block.header, votes_root=merkle_root([v.hash for v in votes])),
        REGTEST,
    )
    return raw_block(header, votes, block.txs)


BLOCK_CASES: list[tuple[str, Callable[[], Block], str, bool]] = [
    (
        "header version",
        lambda: _with_header(make_block(base_txs()), version=0),
        "bad-version",
        False,
    ),
    (
        "high hash",
        lambda: Block(mine(make_block(base_txs()).header, REGTEST, valid=False), (), base_txs()),
        "high-hash",
        False,
    ),
    ("merkle root", lambda: make_block(base_txs(), merkle=fill("m")), "bad-txnmrklroot", True),
    ("merkle mutation", _mutated_merkle, "bad-txns-duplicate", True),
    ("duplicate txid", _duplicate_txid, "bad-txns-duplicate", False),
    ("votes root", lambda: make_block(base_txs(), votes_root=fill("v")), "bad-votesroot", True),
    (
        "votes root set without votes",
        lambda: make_block(base_txs(), votes_root=merkle_root([vote("1").hash])),
        "bad-votesroot",
        True,
    ),
    ("votes mutation", _mutated_votes, "bad-votesroot", True),
    ("six votes", _six_votes, "bad-blk-votes", False),
    ("no transactions", lambda: make_block([]), "bad-blk-length", False),
    ("no coinbase", lambda: make_block([spend("a"), spend("b")]), "bad-cb-missing", False),
    ("coinbase not first", lambda: make_block([spend("a"), coinbase(1)]), "bad-cb-missing", False),
    (
        "second coinbase",
        lambda: make_block([coinbase(1), spend("a"), coinbase(1, data=b"other")]),
        "bad-cb-multiple",
        False,
    ),
    (
        "bad tx inside",
        lambda: make_block([coinbase(1), spend("a", outputs=(TxOut(MAX_MONEY + 1, b""),))]),
        "bad-txns-vout-toolarge",
        False,
    ),
    ("bad coinbase inside", lambda: make_block([coinbase(1, data=b"")]), "bad-cb-length", False),
    ("type not allowed", lambda: make_block([coinbase(1), _ticket()]), "bad-txns-payload", False),
]


@pytest.mark.parametrize(
    ("name", "build", "reason", "mutated"), BLOCK_CASES, ids=[c[0] for c in BLOCK_CASES]
)
def test_block_rejections(
    name: str, build: Callable[[], Block], reason: str, mutated: bool
) -> None:
    block = build()
    with pytest.raises(ConsensusError) as info:
        check_block(block, REGTEST)
    assert info.value.reason == reason
    assert info.value.mutated is mutated


def test_allowed_types_parameter_extends_blocks() -> None:
    block = make_block([coinbase(1), _ticket()])
    check_block(block, REGTEST, allowed_tx_types=BASE_TX_TYPES | {TxType.TICKET_PURCHASE})


def test_check_header_false_skips_proof_of_work() -> None:
    block = make_block(base_txs(), solve=False)
    weak = Block(mine(block.header, REGTEST, valid=False), (), block.txs)
    check_block(weak, REGTEST, check_header=False)
    assert reason_of(lambda: check_block(weak, REGTEST)) == "high-hash"


def test_block_size_limit_is_the_largest_possible_limit() -> None:
    block = make_block(base_txs())
    at_limit = dataclasses.replace(REGTEST, max_max_block_size=block.size)
    check_block(block, at_limit)
    below = dataclasses.replace(REGTEST, max_max_block_size=block.size - 1)
    assert reason_of(lambda: check_block(block, below)) == "bad-blk-length"


def test_legacy_sigops_limit() -> None:
    params = dataclasses.replace(REGTEST, max_max_block_size=100_000)
    limit = params.max_max_block_size // params.sigops_divisor
    cb = coinbase(1)
    assert legacy_tx_sigops(cb) == 1  # the P2PKH output; the coinbase data is not counted
    heavy_at = spend("s", outputs=(TxOut(1, b"\xac" * (limit - 1)),))
    assert legacy_tx_sigops(cb) + legacy_tx_sigops(heavy_at) == limit
    check_block(make_block([cb, heavy_at]), params)
    over = spend("s", outputs=(TxOut(1, b"\xac" * limit),))
    block = make_block([cb, over])
    assert reason_of(lambda: check_block(block, params)) == "bad-blk-sigops"
    # The script_sig counts too (multisig counts 20 in the legacy count).
    sig_heavy = spend("w", outputs=(TxOut(1, b"\xac" * (limit - 20)),), witness=b"\xae")
    block = make_block([cb, sig_heavy])
    assert reason_of(lambda: check_block(block, params)) == "bad-blk-sigops"


def test_coinbase_output_amount_is_not_checked_here() -> None:
    rich = coinbase(1, (TxOut(MAX_MONEY, p2pkh("m")),))
    check_block(make_block([rich]), REGTEST)
