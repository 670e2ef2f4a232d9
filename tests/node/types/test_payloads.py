"""Special-transaction payloads: round trips per type, decode_payload, zeroed signatures and
the field-level rejections (enums, UTF-8, string limits, fixed lengths, truncation)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.types import (
    DoubleSignEvidence,
    DoubleVoteEvidence,
    GovProposalPayload,
    GovVotePayload,
    InvalidField,
    LimitExceeded,
    MnRegisterPayload,
    MnRevokePayload,
    MnUpdateRegistrarPayload,
    MnUpdateServicePayload,
    Payload,
    PegOutPayload,
    ProposalKind,
    QuorumCommitmentPayload,
    SlashKind,
    SlashPayload,
    TicketPurchasePayload,
    TicketVote,
    TrailingBytes,
    TruncatedInput,
    Tx,
    TxType,
    UnknownTxType,
    VoteChoice,
    VoterKind,
    decode_payload,
    payload_class,
)
from node.types.codec import encode_var_bytes
from tests.node.types.strategies import PAYLOAD_TYPES, payloads, txs


def proposal(**kw: object) -> GovProposalPayload:
    fields: dict[str, object] = {
        "kind": ProposalKind.PARAM_CHANGE,
        "title": "Raise the block size",
        "url": "https://example.org/p/1",
        "description_hash": b"\x11" * 32,
        "param_name": "max_block_size",
        "new_value": "4000000",
        "amount": 0,
        "payout_script": b"",
        "voting_blocks": 1000,
    }
    fields.update(kw)
    return GovProposalPayload(**fields)  # type: ignore[arg-type]


def mn_register(**kw: object) -> MnRegisterPayload:
    fields: dict[str, object] = {
        "collateral_index": 1,
        "ip": bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 1]),
        "port": 9737,
        "owner_key": b"\x01" * 32,
        "operator_pubkey": b"\x02" * 48,
        "operator_pop": b"\x03" * 96,
        "voting_key": b"\x04" * 32,
        "payout_script": b"\x51",
        "operator_reward": 500,
        "owner_sig": b"\x05" * 64,
    }
    fields.update(kw)
    return MnRegisterPayload(**fields)  # type: ignore[arg-type]


def test_every_special_type_has_a_payload_class() -> None:
    assert set(PAYLOAD_TYPES) == set(TxType) - {TxType.STANDARD, TxType.COINBASE}
    for t in PAYLOAD_TYPES:
        cls = payload_class(t)
        assert cls is not None
        assert cls.TX_TYPE is t
    assert payload_class(TxType.STANDARD) is None
    assert payload_class(1) is None


@pytest.mark.parametrize("tx_type", PAYLOAD_TYPES, ids=lambda t: t.name)
def test_payload_roundtrip(tx_type: TxType) -> None:
    @settings(max_examples=25)
    @given(payloads(tx_type))
    def check(p: Payload) -> None:
        raw = p.serialize()
        assert type(p).deserialize(raw) == p
        assert decode_payload(tx_type, raw) == p
        assert decode_payload(int(tx_type), raw) == p
        with pytest.raises(TrailingBytes):
            decode_payload(tx_type, raw + b"\x00")
        for cut in range(len(raw)):
            with pytest.raises((TruncatedInput, LimitExceeded)):
                decode_payload(tx_type, raw[:cut])

    check()


@settings(max_examples=50)
@given(txs())
def test_tx_decoded_payload(tx: Tx) -> None:
    p = tx.decoded_payload()
    if tx.tx_type in (TxType.STANDARD, TxType.COINBASE):
        assert p is None
    else:
        assert p is not None
        assert p.TX_TYPE is tx.tx_type
        assert p.serialize() == tx.payload
        assert tx.decoded_payload() is p  # cached


def test_decode_payload_empty_types() -> None:
    assert decode_payload(TxType.STANDARD, b"") is None
    assert decode_payload(TxType.COINBASE, b"") is None
    with pytest.raises(InvalidField, match="STANDARD"):
        decode_payload(TxType.STANDARD, b"\x00")
    with pytest.raises(InvalidField, match="COINBASE"):
        decode_payload(TxType.COINBASE, b"\x00\x01")
    with pytest.raises(UnknownTxType):
        decode_payload(14, b"")


def test_decoded_payload_rejects_garbage() -> None:
    tx = Tx(1, TxType.TICKET_REVOKE, (), (), 0, b"\x00" * 31, ())
    with pytest.raises(TruncatedInput):
        tx.decoded_payload()


def test_mn_register_layout() -> None:
    p = mn_register()
    raw = p.serialize()
    assert raw[:2] == b"\x01\x00"
    assert raw[2:18] == p.ip
    assert raw[18:20] == (9737).to_bytes(2, "little")
    assert len(raw) == 2 + 16 + 2 + 32 + 48 + 96 + 32 + 2 + 2 + 64
    assert raw[-66:-64] == (500).to_bytes(2, "little")
    assert raw[-64:] == b"\x05" * 64


def test_operator_reward_bound() -> None:
    mn_register(operator_reward=10_000)
    with pytest.raises(InvalidField, match="10001"):
        mn_register(operator_reward=10_001)
    raw = bytearray(mn_register().serialize())
    raw[-66:-64] = (10_001).to_bytes(2, "little")
    with pytest.raises(InvalidField):
        MnRegisterPayload.deserialize(bytes(raw))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ip", bytes(4)),
        ("owner_key", bytes(33)),
        ("operator_pubkey", bytes(96)),
        ("operator_pop", bytes(48)),
        ("owner_sig", bytes(65)),
        ("port", 70_000),
        ("collateral_index", -1),
        ("payout_script", bytes(10_001)),
    ],
)
def test_mn_register_field_checks(field: str, value: object) -> None:
    with pytest.raises((InvalidField, LimitExceeded), match=field):
        mn_register(**{field: value})


def test_with_zeroed_signature() -> None:
    p = mn_register()
    z = p.with_zeroed_signature()
    assert z.owner_sig == bytes(64)
    assert dataclasses.replace(z, owner_sig=p.owner_sig) == p
    assert p.owner_sig == b"\x05" * 64  # original untouched
    assert MnRegisterPayload.SIGNS_TRANSACTION

    r = MnRevokePayload(b"\x01" * 32, 2, b"\x07" * 96).with_zeroed_signature()
    assert r.sig == bytes(96)
    assert r.reason == 2
    svc = MnUpdateServicePayload(b"\x01" * 32, bytes(16), 1, b"", b"\x07" * 96)
    assert svc.with_zeroed_signature().sig == bytes(96)
    reg = MnUpdateRegistrarPayload(b"\x01" * 32, b"\x02" * 48, b"\x03" * 32, b"", b"\x07" * 64)
    assert reg.with_zeroed_signature().owner_sig == bytes(64)
    peg = PegOutPayload(b"\x01" * 32, b"\x02" * 32, b"\x03" * 96)
    assert peg.with_zeroed_signature().quorum_sig == bytes(96)
    assert peg.with_zeroed_signature().withdrawal_id == b"\x02" * 32
    qc = QuorumCommitmentPayload(
        1, bytes(32), b"\x07", b"\x07", bytes(48), bytes(32), b"\x01" * 96, b"\x02" * 96
    ).with_zeroed_signature()
    assert qc.quorum_sig == bytes(96)
    assert qc.members_sig == bytes(96)
    assert qc.signers == b"\x07"
    gv = GovVotePayload(bytes(32), VoterKind.TICKET, bytes(32), VoteChoice.NO, 3, b"\x09" * 64)
    assert gv.with_zeroed_signature().sig == bytes(64)
    tp = TicketPurchasePayload(bytes(32), b"\x51")
    assert tp.with_zeroed_signature() is tp  # nothing to zero


@given(payloads())
def test_zeroed_signature_keeps_length(p: Payload) -> None:
    z = p.with_zeroed_signature()
    assert len(z.serialize()) == len(p.serialize())
    for name in p.SIGNATURE_FIELDS:
        assert getattr(z, name) == bytes(len(getattr(p, name)))


def test_special_signature_flags() -> None:
    signing = {t for t in PAYLOAD_TYPES if payload_class(t).SIGNS_TRANSACTION}  # type: ignore[union-attr]
    assert signing == {
        TxType.MN_REGISTER,
        TxType.MN_UPDATE_SERVICE,
        TxType.MN_UPDATE_REGISTRAR,
        TxType.MN_REVOKE,
        TxType.PEG_OUT,
    }


# --------------------------------------------------------------------------- governance


def test_proposal_enum_coercion_and_bad_kind() -> None:
    p = proposal(kind=3)
    assert p.kind is ProposalKind.TREASURY
    with pytest.raises(InvalidField, match="kind"):
        proposal(kind=4)
    raw = bytearray(proposal().serialize())
    raw[0] = 7
    with pytest.raises(InvalidField, match="7"):
        GovProposalPayload.deserialize(bytes(raw))


def test_proposal_title_limits() -> None:
    proposal(title="x" * 10)
    proposal(title="é" * 128)
    with pytest.raises(InvalidField, match="title"):
        proposal(title="x" * 9)
    with pytest.raises(LimitExceeded, match="title"):
        proposal(title="x" * 129)
    with pytest.raises(LimitExceeded, match="url"):
        proposal(url="u" * 257)
    proposal(url="")


def test_proposal_bad_utf8_title_rejected() -> None:
    good = proposal(title="0123456789")
    raw = good.serialize()
    bad = raw.replace(encode_var_bytes(b"0123456789"), encode_var_bytes(b"01234567\xc3\x28"))
    assert bad != raw
    with pytest.raises(InvalidField, match="UTF-8"):
        GovProposalPayload.deserialize(bad)


def test_proposal_short_title_rejected_on_decode() -> None:
    raw = proposal(title="0123456789").serialize()
    bad = raw.replace(encode_var_bytes(b"0123456789"), encode_var_bytes(b"012345678"))
    with pytest.raises(InvalidField, match="at least 10"):
        GovProposalPayload.deserialize(bad)


@pytest.mark.parametrize("value", ["", "0", "-5", "123456789012345678901234567890"])
def test_proposal_decimal_ok(value: str) -> None:
    assert proposal(new_value=value).new_value == value


@pytest.mark.parametrize("value", ["01", "-0", "+1", "1.5", " 1", "1e3", "١٢"])
def test_proposal_decimal_rejected(value: str) -> None:
    with pytest.raises(InvalidField, match="new_value"):
        proposal(new_value=value)


@pytest.mark.parametrize("name", ["max block", "max-size", "ñ", "a;b"])
def test_proposal_param_name_rejected(name: str) -> None:
    with pytest.raises(InvalidField, match="param_name"):
        proposal(param_name=name)


def test_gov_vote_enums() -> None:
    v = GovVotePayload(bytes(32), 1, bytes(32), 2, 5, bytes(64))  # type: ignore[arg-type]
    assert v.voter_kind is VoterKind.MASTERNODE
    assert v.choice is VoteChoice.ABSTAIN
    raw = bytearray(v.serialize())
    raw[32] = 2  # voter_kind
    with pytest.raises(InvalidField, match="voter_kind"):
        GovVotePayload.deserialize(bytes(raw))
    raw = bytearray(v.serialize())
    raw[65] = 3  # choice
    with pytest.raises(InvalidField, match="choice"):
        GovVotePayload.deserialize(bytes(raw))


# --------------------------------------------------------------------------- slash


def _vote(prev: int) -> TicketVote:
    return TicketVote(b"\x0a" * 32, 1, bytes([prev]) * 64)


def test_slash_double_vote_layout() -> None:
    ev = DoubleVoteEvidence(b"\x01" * 32, _vote(1), b"\x02" * 32, _vote(2))
    p = SlashPayload(1234, ev)
    assert p.kind is SlashKind.TICKET_DOUBLE_VOTE
    raw = p.serialize()
    assert raw[0] == 0
    assert raw[1:9] == (1234).to_bytes(8, "little")
    assert len(raw) == 1 + 8 + 2 * (32 + 98)
    assert SlashPayload.deserialize(raw) == p
    assert p.with_zeroed_signature() is p  # evidence signatures are never zeroed


def test_slash_double_sign_layout() -> None:
    ev = DoubleSignEvidence(
        b"\x01" * 32,
        1,
        b"\x02" * 32,
        b"\x03" * 32,
        b"\x04" * 32,
        b"\x05" * 96,
        b"\x06" * 32,
        b"\x07" * 96,
    )
    p = SlashPayload(99, ev)
    assert p.kind is SlashKind.OPERATOR_DOUBLE_SIGN
    raw = p.serialize()
    assert raw[0] == 1
    assert len(raw) == 1 + 8 + 32 + 1 + 32 * 4 + 96 * 2
    assert SlashPayload.deserialize(raw) == p


def test_slash_rejects() -> None:
    ev = DoubleVoteEvidence(b"\x01" * 32, _vote(1), b"\x02" * 32, _vote(2))
    raw = bytearray(SlashPayload(1, ev).serialize())
    raw[0] = 2
    with pytest.raises(InvalidField, match="kind"):
        SlashPayload.deserialize(bytes(raw))
    with pytest.raises(InvalidField, match="evidence"):
        SlashPayload(1, b"evidence")  # type: ignore[arg-type]
    with pytest.raises(InvalidField, match="vote_a"):
        DoubleVoteEvidence(b"\x01" * 32, b"vote", b"\x02" * 32, _vote(2))  # type: ignore[arg-type]
    with pytest.raises(InvalidField, match="height"):
        SlashPayload(-1, ev)
    # kind 1 evidence under a kind 0 tag cannot decode as the wrong shape silently
    ds = DoubleSignEvidence(
        bytes(32), 0, bytes(32), bytes(32), bytes(32), bytes(96), bytes(32), bytes(96)
    )
    raw2 = bytearray(SlashPayload(1, ds).serialize())
    raw2[0] = 0
    with pytest.raises((TrailingBytes, TruncatedInput)):
        SlashPayload.deserialize(bytes(raw2))


# --------------------------------------------------------------------------- misc


@given(st.sampled_from(PAYLOAD_TYPES), st.binary(max_size=40))
def test_random_bytes_never_crash(tx_type: TxType, data: bytes) -> None:
    """Arbitrary input either decodes (and re-encodes identically) or raises our errors."""
    try:
        p = decode_payload(tx_type, data)
    except (InvalidField, LimitExceeded, TruncatedInput, TrailingBytes):
        return
    assert p is not None
    assert p.serialize() == data


def test_quorum_bitset_limit() -> None:
    QuorumCommitmentPayload(
        1, bytes(32), bytes(512), b"", bytes(48), bytes(32), bytes(96), bytes(96)
    )
    with pytest.raises(LimitExceeded, match="signers"):
        QuorumCommitmentPayload(
            1, bytes(32), bytes(513), b"", bytes(48), bytes(32), bytes(96), bytes(96)
        )
