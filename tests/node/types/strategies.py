"""Hypothesis strategies for every node.types value (reusable by other test areas).

Exports ``txs()``, ``blocks()``, ``headers()``, ``votes()``, ``payloads(tx_type)`` and the
smaller building blocks. Generated values are always valid for their constructors; special
transactions carry a payload that decodes under their ``tx_type``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from node.types import (
    Block,
    BlockHeader,
    DoubleSignEvidence,
    DoubleVoteEvidence,
    GovProposalPayload,
    GovVotePayload,
    MnRegisterPayload,
    MnRevokePayload,
    MnUpdateRegistrarPayload,
    MnUpdateServicePayload,
    OutPoint,
    Payload,
    PegInPayload,
    PegOutPayload,
    ProposalKind,
    QuorumCommitmentPayload,
    SlashPayload,
    TicketPurchasePayload,
    TicketRevokePayload,
    TicketVote,
    Tx,
    TxIn,
    TxOut,
    TxType,
    VoteChoice,
    VoterKind,
)
from node.types.payloads import (
    MAX_PARAM_NAME_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    MIN_TITLE_CHARS,
)

__all__ = [
    "blocks",
    "hashes",
    "headers",
    "outpoints",
    "payloads",
    "scripts",
    "tx_types",
    "txins",
    "txouts",
    "txs",
    "u16s",
    "u32s",
    "u64s",
    "votes",
]

u8s = st.integers(0, 0xFF)
u16s = st.integers(0, 0xFFFF)
u32s = st.integers(0, 0xFFFF_FFFF)
u64s = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
hashes = st.binary(min_size=32, max_size=32)
tx_types = st.sampled_from(list(TxType))


def fixed(n: int) -> st.SearchStrategy[bytes]:
    """Exactly ``n`` random bytes."""
    return st.binary(min_size=n, max_size=n)


def scripts(max_size: int = 80) -> st.SearchStrategy[bytes]:
    """Short opaque scripts; sizes straddle the 1/3-byte CompactSize boundary when asked."""
    return st.binary(max_size=max_size)


def outpoints() -> st.SearchStrategy[OutPoint]:
    return st.builds(OutPoint, hashes, u32s)


def txins() -> st.SearchStrategy[TxIn]:
    return st.builds(TxIn, outpoints(), u32s)


def txouts() -> st.SearchStrategy[TxOut]:
    return st.builds(TxOut, u64s, scripts())


def votes() -> st.SearchStrategy[TicketVote]:
    return st.builds(TicketVote, hashes, u16s, fixed(64))


def headers() -> st.SearchStrategy[BlockHeader]:
    return st.builds(BlockHeader, u32s, u64s, hashes, hashes, hashes, hashes, u64s, u32s, u64s)


_decimal = st.one_of(st.just(""), st.integers(-(10**30), 10**30).map(str))
_param_name = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    max_size=MAX_PARAM_NAME_CHARS,
)


def _double_vote() -> st.SearchStrategy[DoubleVoteEvidence]:
    return st.builds(DoubleVoteEvidence, hashes, votes(), hashes, votes())


def _double_sign() -> st.SearchStrategy[DoubleSignEvidence]:
    return st.builds(
        DoubleSignEvidence, hashes, u8s, hashes, hashes, hashes, fixed(96), hashes, fixed(96)
    )


_PAYLOAD_STRATEGIES: dict[TxType, st.SearchStrategy[Payload]] = {
    TxType.TICKET_PURCHASE: st.builds(TicketPurchasePayload, hashes, scripts()),
    TxType.TICKET_REVOKE: st.builds(TicketRevokePayload, hashes),
    TxType.MN_REGISTER: st.builds(
        MnRegisterPayload,
        u16s,
        fixed(16),
        u16s,
        hashes,
        fixed(48),
        fixed(96),
        hashes,
        scripts(),
        st.integers(0, 10_000),
        fixed(64),
    ),
    TxType.MN_UPDATE_SERVICE: st.builds(
        MnUpdateServicePayload, hashes, fixed(16), u16s, scripts(), fixed(96)
    ),
    TxType.MN_UPDATE_REGISTRAR: st.builds(
        MnUpdateRegistrarPayload, hashes, fixed(48), hashes, scripts(), fixed(64)
    ),
    TxType.MN_REVOKE: st.builds(MnRevokePayload, hashes, u16s, fixed(96)),
    TxType.QUORUM_COMMITMENT: st.builds(
        QuorumCommitmentPayload,
        u8s,
        hashes,
        st.binary(max_size=13),
        st.binary(max_size=13),
        fixed(48),
        hashes,
        fixed(96),
        fixed(96),
    ),
    TxType.GOV_PROPOSAL: st.builds(
        GovProposalPayload,
        st.sampled_from(list(ProposalKind)),
        st.text(min_size=MIN_TITLE_CHARS, max_size=MAX_TITLE_CHARS),
        st.text(max_size=MAX_URL_CHARS),
        hashes,
        _param_name,
        _decimal,
        u64s,
        scripts(),
        u32s,
    ),
    TxType.GOV_VOTE: st.builds(
        GovVotePayload,
        hashes,
        st.sampled_from(list(VoterKind)),
        hashes,
        st.sampled_from(list(VoteChoice)),
        u32s,
        fixed(64),
    ),
    TxType.SLASH: st.builds(SlashPayload, u64s, st.one_of(_double_vote(), _double_sign())),
    TxType.PEG_IN: st.builds(PegInPayload, hashes, st.binary(max_size=64)),
    TxType.PEG_OUT: st.builds(PegOutPayload, hashes, hashes, fixed(96)),
}

#: The tx_types that carry a typed payload.
PAYLOAD_TYPES: tuple[TxType, ...] = tuple(_PAYLOAD_STRATEGIES)


def payloads(tx_type: TxType | None = None) -> st.SearchStrategy[Payload]:
    """Valid payloads for ``tx_type`` (any special type when None)."""
    if tx_type is None:
        return st.one_of(*_PAYLOAD_STRATEGIES.values())
    return _PAYLOAD_STRATEGIES[TxType(tx_type)]


@st.composite
def txs(
    draw: st.DrawFn,
    *,
    tx_type: TxType | None = None,
    max_inputs: int = 3,
    max_outputs: int = 3,
    max_witness_size: int = 120,
) -> Tx:
    """Valid transactions; a typed payload is drawn from ``payloads(tx_type)``."""
    t = draw(tx_types) if tx_type is None else TxType(tx_type)
    inputs = draw(st.lists(txins(), max_size=max_inputs))
    outputs = draw(st.lists(txouts(), max_size=max_outputs))
    payload = b"" if t in (TxType.STANDARD, TxType.COINBASE) else draw(payloads(t)).serialize()
    witnesses = draw(
        st.lists(st.binary(max_size=max_witness_size), min_size=len(inputs), max_size=len(inputs))
    )
    return Tx(
        version=draw(u32s),
        tx_type=t,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        lock_time=draw(u32s),
        payload=payload,
        witnesses=tuple(witnesses),
    )


@st.composite
def blocks(draw: st.DrawFn, *, max_txs: int = 4, max_votes: int = 5) -> Block:
    """Valid blocks (roots are random: these are wire-level, not consensus-valid, blocks)."""
    return Block(
        header=draw(headers()),
        votes=tuple(draw(st.lists(votes(), max_size=max_votes))),
        txs=tuple(draw(st.lists(txs(), max_size=max_txs))),
    )
