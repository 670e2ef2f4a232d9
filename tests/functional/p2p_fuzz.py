"""p2p_fuzz: random and mutated frames are thrown at a running node's P2P socket from many
loopback addresses; the node never crashes, bans the senders it should, and keeps serving
an honest peer and its RPC."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from node.p2p.frame import encode_frame
from node.p2p.messages import Ping, Pong, command_of
from node.p2p.protocol import COMMANDS
from tests.functional.framework import NodeSet, connect_nodes, sync_blocks
from tests.node.p2p.rawpeer import ConnectionClosed, RawPeer
from tests.node.p2p.samples import samples

pytestmark = pytest.mark.slow

ROUNDS = 60


def mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 6)):
        kind = rng.choice(("flip", "insert", "delete", "truncate", "length"))
        pos = rng.randrange(len(data)) if data else 0
        if kind == "flip" and data:
            data[pos] ^= 1 << rng.randrange(8)
        elif kind == "insert":
            data[pos:pos] = rng.randbytes(rng.randint(1, 32))
        elif kind == "delete" and data:
            del data[pos]
        elif kind == "truncate":
            del data[pos:]
        elif len(data) >= 20:
            data[16:20] = rng.randbytes(4)
    return bytes(data)


def test_p2p_fuzz(nodes_factory: Callable[..., NodeSet]) -> None:
    nodes = nodes_factory(2)
    target, honest = nodes[0], nodes[1]
    connect_nodes(honest, target)
    target.generate(3)
    sync_blocks([target, honest])
    rng = random.Random(20261125)
    templates = samples()
    for i in range(ROUNDS):
        source = f"127.0.{1 + i // 200}.{10 + i % 200}"
        try:
            with RawPeer(target.p2p_port, source=source, timeout=5) as peer:
                if rng.random() < 0.7:
                    peer.handshake()
                for _ in range(rng.randint(1, 5)):
                    msg = rng.choice(templates)
                    frame = encode_frame(peer.magic, command_of(msg), msg.encode())
                    choice = rng.random()
                    if choice < 0.2:
                        frame = rng.randbytes(rng.randint(1, 300))
                    elif choice < 0.3:
                        command = rng.choice(COMMANDS)
                        frame = encode_frame(
                            peer.magic, command, rng.randbytes(rng.randint(0, 200))
                        )
                    else:
                        frame = mutate(rng, frame)
                    peer.send_raw(frame)
                peer.closed_within(0.2)
        except (ConnectionClosed, ConnectionError, OSError):
            pass
        assert target.alive(), f"node died in round {i}:\n{target.stderr_tail()}"
    assert target.getblockcount() == 3
    assert target.getconnectioncount() >= 1
    target.clearbanned()
    with RawPeer(target.p2p_port) as fine:
        fine.handshake()
        fine.send(Ping(5))
        assert fine.wait_for(Pong).nonce == 5
    target.generate(1)
    sync_blocks([target, honest])
    assert "unexpected error" not in target.new_log()
