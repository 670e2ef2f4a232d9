"""Sample messages of every type, shared by the codec and fuzz tests."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from node.p2p.messages import (
    Addr,
    BlockMessage,
    BlockTxn,
    CmpctBlock,
    FeeFilter,
    GetAddr,
    GetBlockTxn,
    GetData,
    GetHeaders,
    Headers,
    Inv,
    InvItem,
    MempoolRequest,
    Message,
    NotFound,
    Ping,
    Pong,
    PrefilledTx,
    Reject,
    SendCmpct,
    TxMessage,
    Verack,
    Version,
    VoteMessage,
)
from node.p2p.netaddr import PeerAddress
from node.stake.votes import RelayedVote
from node.types.block import Block, BlockHeader, TicketVote
from node.types.tx import OutPoint, Tx, TxIn, TxOut, TxType

HEADER = BlockHeader(1, 5, b"\x01" * 32, b"\x02" * 32, bytes(32), b"\x03" * 32, 1_800_000_000,
                     0x207FFFFF, 42)  # fmt: skip
COINBASE = Tx(1, TxType.COINBASE, (TxIn(OutPoint(bytes(32), 0xFFFFFFFF), 0xFFFFFFFF),),
              (TxOut(50, b"\x51"),), 0, b"", (b"\x05\x00",))  # fmt: skip
SPEND = Tx(1, TxType.STANDARD, (TxIn(OutPoint(b"\x07" * 32, 1), 0xFFFFFFFE),),
           (TxOut(1000, b"\x51"), TxOut(2000, b"\x52")), 0, b"", (b"\x01\x02",))  # fmt: skip
VOTE = TicketVote(b"\x09" * 32, 1, b"\x0a" * 64)
BLOCK = Block(HEADER, (VOTE,), (COINBASE, SPEND))
V4 = PeerAddress(ipaddress.ip_address("10.1.2.3"), 29737, 1, 1_800_000_000)
V6 = PeerAddress(ipaddress.ip_address("2001:db8::1"), 1, 0, 1_800_000_001)


def samples() -> list[Message]:
    return [
        Version(
            1,
            1,
            1_800_000_000,
            replace(V4, time=0),
            replace(V6, time=0),
            2**63,
            "/RustyCoin:0.1.0/",
            99,
            True,
        ),
        Verack(),
        GetAddr(),
        MempoolRequest(),
        Ping(7),
        Pong(2**64 - 1),
        FeeFilter(1000),
        Addr((V4, V6)),
        Inv((InvItem(1, b"\x01" * 32), InvItem(99, b"\x02" * 32))),
        GetData((InvItem(2, b"\x03" * 32),)),
        NotFound(()),
        GetHeaders((b"\x04" * 32, b"\x05" * 32), b"\x06" * 32),
        Headers((HEADER, HEADER)),
        BlockMessage(BLOCK),
        TxMessage(SPEND),
        VoteMessage(RelayedVote(b"\x08" * 32, VOTE)),
        SendCmpct(True, 1),
        CmpctBlock(
            HEADER,
            (VOTE,),
            5,
            (b"abcdef", b"ghijkl"),
            (PrefilledTx(0, COINBASE), PrefilledTx(2, SPEND)),
        ),
        GetBlockTxn(b"\x0b" * 32, (0, 3, 4, 100)),
        BlockTxn(b"\x0c" * 32, (SPEND,)),
        Reject("tx", 0x10, "bad-txns-in-belowout", b"\x0d" * 32),
    ]
