"""Special-transaction payloads (SPEC §3.1, §5.4, §6.1, §6.3, §7.1): one class per tx_type 2..13.

Each payload is a frozen dataclass whose wire layout is its field order (the declarative
schema of node.types.record drives encoding, decoding and validation). Choices where SPEC is
silent are documented in docs/protocol/serialization.md. ``decode_payload`` maps a tx_type
and its payload bytes to the matching object (None for STANDARD/COINBASE, whose payload must
be empty).

Signatures: ``SIGNATURE_FIELDS`` names a payload's signature fields and
``with_zeroed_signature()`` returns a copy with them set to zero bytes of the same length.
``SIGNS_TRANSACTION`` is True where that signature is a SPEC §3.1 "special" signature over the
transaction (signed message = H_tag("RustyCoin/special", tx without witnesses and with the
field zeroed)); hashing and verification live in higher layers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Self

from node.types.block import TicketVote
from node.types.codec import (
    ByteReader,
    ByteWriter,
)
from node.types.errors import InvalidField
from node.types.record import (
    FieldSpec,
    Record,
    enum8,
    fixed,
    string,
    to_enum,
    u8,
    u16,
    u32,
    u64,
    var,
    vote,
)
from node.types.tx import TxType, tx_type_from_int

__all__ = [
    "MAX_BITSET_SIZE",
    "MAX_PARAM_NAME_CHARS",
    "MAX_PARAM_VALUE_CHARS",
    "MAX_PAYLOAD_SCRIPT_SIZE",
    "MAX_PEG_DESTINATION_SIZE",
    "MAX_TITLE_CHARS",
    "MAX_URL_CHARS",
    "MIN_TITLE_CHARS",
    "DoubleSignEvidence",
    "DoubleVoteEvidence",
    "GovProposalPayload",
    "GovVotePayload",
    "MnRegisterPayload",
    "MnRevokePayload",
    "MnUpdateRegistrarPayload",
    "MnUpdateServicePayload",
    "Payload",
    "PegInPayload",
    "PegOutPayload",
    "ProposalKind",
    "QuorumCommitmentPayload",
    "SlashKind",
    "SlashPayload",
    "TicketPurchasePayload",
    "TicketRevokePayload",
    "VoteChoice",
    "VoterKind",
    "decode_payload",
    "payload_class",
]

#: Scripts carried in payloads (reward, payout) obey the script size limit (SPEC §11).
MAX_PAYLOAD_SCRIPT_SIZE = 10_000
#: Quorum bitsets (signers, valid_members): up to 4096 members.
MAX_BITSET_SIZE = 512
MIN_TITLE_CHARS = 10
MAX_TITLE_CHARS = 128
MAX_URL_CHARS = 256
MAX_PARAM_NAME_CHARS = 64
MAX_PARAM_VALUE_CHARS = 64
MAX_PEG_DESTINATION_SIZE = 256
MAX_OPERATOR_REWARD = 10_000  # basis points

_PARAM_NAME_RE = re.compile(r"[A-Za-z0-9_]*")
_DECIMAL_RE = re.compile(r"(0|-?[1-9][0-9]*)?")


class ProposalKind(IntEnum):
    """GOV_PROPOSAL ``kind`` (SPEC §7.1)."""

    TEXT = 0
    PARAM_CHANGE = 1
    UPGRADE = 2
    TREASURY = 3


class VoterKind(IntEnum):
    """GOV_VOTE ``voter_kind`` (SPEC §7.2)."""

    TICKET = 0
    MASTERNODE = 1


class VoteChoice(IntEnum):
    """GOV_VOTE ``choice`` (SPEC §7.2)."""

    YES = 0
    NO = 1
    ABSTAIN = 2


class SlashKind(IntEnum):
    """SLASH evidence ``kind`` (SPEC §5.4)."""

    TICKET_DOUBLE_VOTE = 0
    OPERATOR_DOUBLE_SIGN = 1


# --------------------------------------------------------------------------- field checks


def _check_param_name(value: str, field: str) -> None:
    if not _PARAM_NAME_RE.fullmatch(value):
        raise InvalidField(f"{field}: {value!r} is not [A-Za-z0-9_]*")


def _check_decimal(value: str, field: str) -> None:
    if not _DECIMAL_RE.fullmatch(value):
        raise InvalidField(f"{field}: {value!r} is not a canonical decimal integer")


class Payload(Record):
    """Base of the typed payloads of tx_types 2..13."""

    __slots__ = ()
    TX_TYPE: ClassVar[TxType]
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ()
    SIGNS_TRANSACTION: ClassVar[bool] = False

    def with_zeroed_signature(self) -> Self:
        """Return a copy whose SIGNATURE_FIELDS are zero bytes of the same length (the form
        a special signature signs); ``self`` when the payload carries no signature."""
        if not self.SIGNATURE_FIELDS:
            return self
        values = {f.name: getattr(self, f.name) for f in self.FIELDS}
        for name in self.SIGNATURE_FIELDS:
            values[name] = bytes(len(values[name]))
        ctor: Any = type(self)
        obj: Self = ctor(**values)
        return obj


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True, slots=True)
class TicketPurchasePayload(Payload):
    """TICKET_PURCHASE (2): vote key and where stake rewards go (SPEC §3.1, §5.2)."""

    vote_pubkey: bytes  # 32-byte x-only Schnorr key
    reward_script: bytes

    TX_TYPE: ClassVar[TxType] = TxType.TICKET_PURCHASE
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("vote_pubkey", 32),
        var("reward_script", MAX_PAYLOAD_SCRIPT_SIZE),
    )


@dataclass(frozen=True, slots=True)
class TicketRevokePayload(Payload):
    """TICKET_REVOKE (3): the missed/expired ticket whose stake input 0 spends."""

    ticket_id: bytes

    TX_TYPE: ClassVar[TxType] = TxType.TICKET_REVOKE
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (fixed("ticket_id", 32),)


@dataclass(frozen=True, slots=True)
class MnRegisterPayload(Payload):
    """MN_REGISTER (4), SPEC §6.1; ``owner_sig`` is a special Schnorr signature."""

    collateral_index: int
    ip: bytes  # 16 bytes, IPv4-mapped (::ffff:a.b.c.d) for IPv4
    port: int
    owner_key: bytes
    operator_pubkey: bytes
    operator_pop: bytes
    voting_key: bytes
    payout_script: bytes
    operator_reward: int  # basis points, 0..10000
    owner_sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.MN_REGISTER
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("owner_sig",)
    SIGNS_TRANSACTION: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        u16("collateral_index"),
        fixed("ip", 16),
        u16("port"),
        fixed("owner_key", 32),
        fixed("operator_pubkey", 48),
        fixed("operator_pop", 96),
        fixed("voting_key", 32),
        var("payout_script", MAX_PAYLOAD_SCRIPT_SIZE),
        u16("operator_reward"),
        fixed("owner_sig", 64),
    )

    def __post_init__(self) -> None:
        Payload.__post_init__(self)
        if self.operator_reward > MAX_OPERATOR_REWARD:
            raise InvalidField(
                f"MnRegisterPayload.operator_reward: {self.operator_reward} basis points "
                f"exceed {MAX_OPERATOR_REWARD}"
            )


@dataclass(frozen=True, slots=True)
class MnUpdateServicePayload(Payload):
    """MN_UPDATE_SERVICE (5): new service address; ``sig`` is the operator's BLS signature."""

    pro_tx_hash: bytes
    ip: bytes
    port: int
    operator_payout: bytes  # script; empty = no separate operator payout
    sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.MN_UPDATE_SERVICE
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("sig",)
    SIGNS_TRANSACTION: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("pro_tx_hash", 32),
        fixed("ip", 16),
        u16("port"),
        var("operator_payout", MAX_PAYLOAD_SCRIPT_SIZE),
        fixed("sig", 96),
    )


@dataclass(frozen=True, slots=True)
class MnUpdateRegistrarPayload(Payload):
    """MN_UPDATE_REGISTRAR (6): new keys/payout; ``owner_sig`` is the owner's Schnorr sig."""

    pro_tx_hash: bytes
    operator_pubkey: bytes
    voting_key: bytes
    payout_script: bytes
    owner_sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.MN_UPDATE_REGISTRAR
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("owner_sig",)
    SIGNS_TRANSACTION: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("pro_tx_hash", 32),
        fixed("operator_pubkey", 48),
        fixed("voting_key", 32),
        var("payout_script", MAX_PAYLOAD_SCRIPT_SIZE),
        fixed("owner_sig", 64),
    )


@dataclass(frozen=True, slots=True)
class MnRevokePayload(Payload):
    """MN_REVOKE (7): the operator ends service; ``sig`` is the operator's BLS signature."""

    pro_tx_hash: bytes
    reason: int
    sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.MN_REVOKE
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("sig",)
    SIGNS_TRANSACTION: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("pro_tx_hash", 32),
        u16("reason"),
        fixed("sig", 96),
    )


@dataclass(frozen=True, slots=True)
class QuorumCommitmentPayload(Payload):
    """QUORUM_COMMITMENT (8), SPEC §6.3. Bitsets: bit i = byte i//8, bit i%8 (LSB first).

    Both signatures sign the commitment hash (defined by the masternode layer), not the tx.
    """

    quorum_type: int
    quorum_hash: bytes
    signers: bytes
    valid_members: bytes
    quorum_pubkey: bytes
    vvec_hash: bytes
    quorum_sig: bytes
    members_sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.QUORUM_COMMITMENT
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("quorum_sig", "members_sig")
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        u8("quorum_type"),
        fixed("quorum_hash", 32),
        var("signers", MAX_BITSET_SIZE),
        var("valid_members", MAX_BITSET_SIZE),
        fixed("quorum_pubkey", 48),
        fixed("vvec_hash", 32),
        fixed("quorum_sig", 96),
        fixed("members_sig", 96),
    )


@dataclass(frozen=True, slots=True)
class GovProposalPayload(Payload):
    """GOV_PROPOSAL (9), SPEC §7.1. Strings are CompactSize-length UTF-8."""

    kind: ProposalKind
    title: str  # 10..128 characters
    url: str  # <= 256 characters
    description_hash: bytes
    param_name: str  # [A-Za-z0-9_]*, <= 64 characters
    new_value: str  # "" or a canonical decimal integer, <= 64 characters
    amount: int
    payout_script: bytes
    voting_blocks: int

    TX_TYPE: ClassVar[TxType] = TxType.GOV_PROPOSAL
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        enum8("kind", ProposalKind),
        string("title", MAX_TITLE_CHARS, MIN_TITLE_CHARS),
        string("url", MAX_URL_CHARS),
        fixed("description_hash", 32),
        string("param_name", MAX_PARAM_NAME_CHARS, check=_check_param_name),
        string("new_value", MAX_PARAM_VALUE_CHARS, check=_check_decimal),
        u64("amount"),
        var("payout_script", MAX_PAYLOAD_SCRIPT_SIZE),
        u32("voting_blocks"),
    )


@dataclass(frozen=True, slots=True)
class GovVotePayload(Payload):
    """GOV_VOTE (10), SPEC §7.2; ``sig`` signs the govvote message, not the tx."""

    proposal_id: bytes
    voter_kind: VoterKind
    voter_id: bytes
    choice: VoteChoice
    sequence: int
    sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.GOV_VOTE
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("sig",)
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("proposal_id", 32),
        enum8("voter_kind", VoterKind),
        fixed("voter_id", 32),
        enum8("choice", VoteChoice),
        u32("sequence"),
        fixed("sig", 64),
    )


@dataclass(frozen=True, slots=True)
class DoubleVoteEvidence(Record):
    """Two votes by one ticket at the same height for different ``prev_hash`` (each vote
    signs prev_hash || ticket_id || vote_bits)."""

    prev_hash_a: bytes
    vote_a: TicketVote
    prev_hash_b: bytes
    vote_b: TicketVote

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("prev_hash_a", 32),
        vote("vote_a"),
        fixed("prev_hash_b", 32),
        vote("vote_b"),
    )


@dataclass(frozen=True, slots=True)
class DoubleSignEvidence(Record):
    """Two BLS signature shares by one operator for the same quorum signing session
    (quorum_type, quorum_hash, request_id) over different message hashes."""

    pro_tx_hash: bytes
    quorum_type: int
    quorum_hash: bytes
    request_id: bytes
    msg_hash_a: bytes
    sig_a: bytes
    msg_hash_b: bytes
    sig_b: bytes

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("pro_tx_hash", 32),
        u8("quorum_type"),
        fixed("quorum_hash", 32),
        fixed("request_id", 32),
        fixed("msg_hash_a", 32),
        fixed("sig_a", 96),
        fixed("msg_hash_b", 32),
        fixed("sig_b", 96),
    )


_EVIDENCE_BY_KIND: dict[SlashKind, type[DoubleVoteEvidence] | type[DoubleSignEvidence]] = {
    SlashKind.TICKET_DOUBLE_VOTE: DoubleVoteEvidence,
    SlashKind.OPERATOR_DOUBLE_SIGN: DoubleSignEvidence,
}


@dataclass(frozen=True, slots=True)
class SlashPayload(Payload):
    """SLASH (11), SPEC §5.4: ``kind u8 | height u64 | evidence`` (kind from the evidence
    class). The evidence signatures are not special signatures and are never zeroed."""

    height: int
    evidence: DoubleVoteEvidence | DoubleSignEvidence

    TX_TYPE: ClassVar[TxType] = TxType.SLASH
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (u64("height"),)

    def __post_init__(self) -> None:
        Payload.__post_init__(self)
        if type(self.evidence) not in (DoubleVoteEvidence, DoubleSignEvidence):
            raise InvalidField(
                f"SlashPayload.evidence: expected DoubleVoteEvidence or DoubleSignEvidence, "
                f"got {type(self.evidence)!r}"
            )

    @property
    def kind(self) -> SlashKind:
        """The evidence kind written on the wire."""
        if type(self.evidence) is DoubleVoteEvidence:
            return SlashKind.TICKET_DOUBLE_VOTE
        return SlashKind.OPERATOR_DOUBLE_SIGN

    def stream_serialize(self, w: ByteWriter) -> None:
        w.write_u8(self.kind)
        w.write_u64(self.height)
        self.evidence.stream_serialize(w)

    @classmethod
    def stream_deserialize(cls, r: ByteReader) -> Self:
        kind = to_enum(SlashKind, r.read_u8("SlashPayload.kind"), "SlashPayload.kind")
        height = r.read_u64("SlashPayload.height")
        evidence = _EVIDENCE_BY_KIND[SlashKind(kind)].stream_deserialize(r)
        return cls(height, evidence)


@dataclass(frozen=True, slots=True)
class PegInPayload(Payload):
    """PEG_IN (12): the sidechain and the destination there (opaque to this chain)."""

    sidechain_id: bytes
    destination: bytes

    TX_TYPE: ClassVar[TxType] = TxType.PEG_IN
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("sidechain_id", 32),
        var("destination", MAX_PEG_DESTINATION_SIZE),
    )


@dataclass(frozen=True, slots=True)
class PegOutPayload(Payload):
    """PEG_OUT (13): a withdrawal released by the platform quorum's threshold signature,
    a special signature over the tx."""

    sidechain_id: bytes
    withdrawal_id: bytes
    quorum_sig: bytes

    TX_TYPE: ClassVar[TxType] = TxType.PEG_OUT
    SIGNATURE_FIELDS: ClassVar[tuple[str, ...]] = ("quorum_sig",)
    SIGNS_TRANSACTION: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        fixed("sidechain_id", 32),
        fixed("withdrawal_id", 32),
        fixed("quorum_sig", 96),
    )


# --------------------------------------------------------------------------- dispatch

_PAYLOAD_CLASSES: dict[TxType, type[Payload]] = {
    cls.TX_TYPE: cls
    for cls in (
        TicketPurchasePayload,
        TicketRevokePayload,
        MnRegisterPayload,
        MnUpdateServicePayload,
        MnUpdateRegistrarPayload,
        MnRevokePayload,
        QuorumCommitmentPayload,
        GovProposalPayload,
        GovVotePayload,
        SlashPayload,
        PegInPayload,
        PegOutPayload,
    )
}


def payload_class(tx_type: TxType | int) -> type[Payload] | None:
    """Return the payload class of ``tx_type`` (None for STANDARD and COINBASE)."""
    return _PAYLOAD_CLASSES.get(tx_type_from_int(tx_type))


def decode_payload(tx_type: TxType | int, data: bytes) -> Payload | None:
    """Strictly decode the payload of a ``tx_type`` transaction.

    Returns None for STANDARD and COINBASE, whose payload must be empty (else InvalidField);
    raises UnknownTxType for an undefined type and SerializationError on malformed data.
    """
    t = tx_type_from_int(tx_type)
    cls = _PAYLOAD_CLASSES.get(t)
    if cls is None:
        if data:
            raise InvalidField(
                f"tx payload: {t.name} requires an empty payload, got {len(data)} byte(s)"
            )
        return None
    return cls.deserialize(data)
