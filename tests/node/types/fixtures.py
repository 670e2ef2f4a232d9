"""Deterministic sample objects behind the checked-in known-answer file data/vectors.json.

The file was generated once with ``python -m tests.node.types.fixtures`` and is then only
read by test_vectors.py, so any change to an encoding or an id shows up as a test failure.
Regenerate it only for a deliberate, documented protocol change.
"""

from __future__ import annotations

import json
from pathlib import Path

import blake3

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

VECTORS_PATH = Path(__file__).parent / "data" / "vectors.json"


def fill(tag: str, n: int) -> bytes:
    """``n`` deterministic pseudo-random bytes named by ``tag``."""
    return bytes(blake3.blake3(tag.encode()).digest(length=n))


P2PKH = bytes.fromhex("76c0") + b"\x14" + fill("pkh", 20) + bytes.fromhex("88ac")


def sample_payloads() -> dict[TxType, Payload]:
    vote_a = TicketVote(fill("ticket", 32), 1, fill("sig-a", 64))
    vote_b = TicketVote(fill("ticket", 32), 1, fill("sig-b", 64))
    return {
        TxType.TICKET_PURCHASE: TicketPurchasePayload(fill("vote key", 32), P2PKH),
        TxType.TICKET_REVOKE: TicketRevokePayload(fill("ticket", 32)),
        TxType.MN_REGISTER: MnRegisterPayload(
            collateral_index=1,
            ip=bytes(10) + b"\xff\xff" + bytes([203, 0, 113, 7]),
            port=9737,
            owner_key=fill("owner", 32),
            operator_pubkey=fill("operator", 48),
            operator_pop=fill("pop", 96),
            voting_key=fill("voting", 32),
            payout_script=P2PKH,
            operator_reward=250,
            owner_sig=fill("owner sig", 64),
        ),
        TxType.MN_UPDATE_SERVICE: MnUpdateServicePayload(
            fill("protx", 32),
            bytes(10) + b"\xff\xff" + bytes([198, 51, 100, 9]),
            9737,
            b"",
            fill("op sig", 96),
        ),
        TxType.MN_UPDATE_REGISTRAR: MnUpdateRegistrarPayload(
            fill("protx", 32),
            fill("operator2", 48),
            fill("voting2", 32),
            P2PKH,
            fill("owner sig2", 64),
        ),
        TxType.MN_REVOKE: MnRevokePayload(fill("protx", 32), 1, fill("revoke sig", 96)),
        TxType.QUORUM_COMMITMENT: QuorumCommitmentPayload(
            1,
            fill("qhash", 32),
            b"\x1f",
            b"\x1f",
            fill("qpk", 48),
            fill("vvec", 32),
            fill("qsig", 96),
            fill("msig", 96),
        ),
        TxType.GOV_PROPOSAL: GovProposalPayload(
            ProposalKind.PARAM_CHANGE,
            "Raise ticket pool target — 2027",
            "https://rusty.example/p/1",
            fill("desc", 32),
            "ticket_pool_target",
            "25000",
            0,
            P2PKH,
            10_000,
        ),
        TxType.GOV_VOTE: GovVotePayload(
            fill("proposal", 32),
            VoterKind.MASTERNODE,
            fill("protx", 32),
            VoteChoice.YES,
            2,
            fill("gv sig", 64),
        ),
        TxType.SLASH: SlashPayload(
            500, DoubleVoteEvidence(fill("prev-a", 32), vote_a, fill("prev-b", 32), vote_b)
        ),
        TxType.PEG_IN: PegInPayload(fill("sidechain", 32), b"dest:" + fill("dest", 20)),
        TxType.PEG_OUT: PegOutPayload(fill("sidechain", 32), fill("wd", 32), fill("peg sig", 96)),
    }


def sample_slash_double_sign() -> SlashPayload:
    return SlashPayload(
        777,
        DoubleSignEvidence(
            fill("protx", 32),
            2,
            fill("qhash", 32),
            fill("req", 32),
            fill("m-a", 32),
            fill("s-a", 96),
            fill("m-b", 32),
            fill("s-b", 96),
        ),
    )


def sample_coinbase() -> Tx:
    return Tx(
        version=1,
        tx_type=TxType.COINBASE,
        inputs=(TxIn(OutPoint(bytes(32), 0xFFFF_FFFF)),),
        outputs=(TxOut(4_440_000_000, P2PKH), TxOut(5_180_000_000, P2PKH)),
        lock_time=0,
        payload=b"",
        witnesses=(b"Rusty Coin fixture",),
    )


def sample_txs() -> dict[str, Tx]:
    """One transaction per tx_type, plus a coinbase."""
    out: dict[str, Tx] = {"COINBASE": sample_coinbase()}
    standard_inputs = (
        TxIn(OutPoint(fill("prev1", 32), 0), 0xFFFF_FFFD),
        TxIn(OutPoint(fill("prev2", 32), 3)),
    )
    out["STANDARD"] = Tx(
        1,
        TxType.STANDARD,
        standard_inputs,
        (TxOut(100_000_000, P2PKH), TxOut(2_500, b"\x6a\x04test")),
        499_999_999,
        b"",
        (fill("wit1", 97), fill("wit2", 300)),
    )
    no_io = {TxType.QUORUM_COMMITMENT, TxType.GOV_VOTE, TxType.SLASH}
    for tx_type, payload in sample_payloads().items():
        if tx_type in no_io:
            inputs: tuple[TxIn, ...] = ()
            outputs: tuple[TxOut, ...] = ()
        else:
            inputs = (TxIn(OutPoint(fill(f"in {tx_type.name}", 32), 1)),)
            outputs = (TxOut(1_000_000_000, P2PKH),)
        out[tx_type.name] = Tx(
            1, tx_type, inputs, outputs, 0, payload.serialize(), tuple(b"\x00" * 66 for _ in inputs)
        )
    return out


def sample_block() -> Block:
    txs = sample_txs()
    header = BlockHeader(
        version=1,
        height=4096,
        prev_hash=fill("prev block", 32),
        merkle_root=fill("merkle", 32),
        votes_root=fill("votes", 32),
        state_root=fill("state", 32),
        timestamp=1_795_392_000,
        bits=0x1F00FFFF,
        nonce=0x0123_4567_89AB_CDEF,
    )
    votes = tuple(TicketVote(fill(f"t{i}", 32), 1 | (i << 1), fill(f"v{i}", 64)) for i in range(3))
    return Block(header, votes, (txs["COINBASE"], txs["STANDARD"], txs["TICKET_PURCHASE"]))


def build_vectors() -> dict[str, object]:
    txs = sample_txs()
    block = sample_block()
    return {
        "txs": {
            name: {
                "hex": tx.serialize().hex(),
                "hex_without_witness": tx.serialize_without_witness().hex(),
                "txid": tx.txid.hex(),
                "wtxid": tx.wtxid.hex(),
            }
            for name, tx in txs.items()
        },
        "slash_double_sign": {"hex": sample_slash_double_sign().serialize().hex()},
        "block": {
            "hex": block.serialize().hex(),
            "header_hex": block.header.serialize().hex(),
            "hash": block.hash.hex(),
            "vote_hashes": [v.hash.hex() for v in block.votes],
        },
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(build_vectors(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
