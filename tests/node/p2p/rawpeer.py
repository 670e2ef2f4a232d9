"""A raw P2P client on a plain socket (Bitcoin Core's P2PInterface, small): handshakes,
sends well-formed or deliberately broken frames and reads what the node answers. Used by the
in-process service tests and the functional tests."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import TypeVar

from node.p2p.frame import checksum, decode_header, encode_frame
from node.p2p.messages import Message, Ping, Pong, Verack, Version, command_of, decode_message
from node.p2p.netaddr import PeerAddress
from node.p2p.protocol import HEADER_LEN, NODE_NETWORK, PROTOCOL_VERSION
from node.params import get_params

REGTEST_MAGIC = get_params("regtest").magic
M = TypeVar("M", bound=Message)


class ConnectionClosed(AssertionError):
    """The node closed the connection."""


class RawPeer:
    """One TCP connection to a node, speaking frames directly."""

    def __init__(self, port: int, *, source: str = "127.0.0.1", magic: bytes = REGTEST_MAGIC,
                 timeout: float = 10.0) -> None:  # fmt: skip
        self.magic = magic
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))  # fmt: skip
        self.buf = b""
        self.received: list[Message] = []

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sending

    def send(self, msg: Message) -> None:
        self.send_raw(encode_frame(self.magic, command_of(msg), msg.encode()))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, command: str, payload: bytes, *, bad_checksum: bool = False,
                   length: int | None = None) -> None:  # fmt: skip
        check = checksum(payload)
        if bad_checksum:
            check = bytes(b ^ 0xFF for b in check)
        size = len(payload) if length is None else length
        header = (self.magic + command.encode().ljust(12, b"\x00") + size.to_bytes(4, "little")
                  + check)  # fmt: skip
        self.send_raw(header + payload)

    # ------------------------------------------------------------------ receiving

    def read(self, timeout: float = 10.0) -> Message | None:
        """The next message (None on timeout); ConnectionClosed when the node hung up."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= HEADER_LEN:
                header = decode_header(self.magic, self.buf[:HEADER_LEN])
                end = HEADER_LEN + header.length
                if len(self.buf) >= end:
                    payload, self.buf = self.buf[HEADER_LEN:end], self.buf[end:]
                    header.check_payload(payload)
                    msg = decode_message(header.command, payload)
                    if msg is not None:
                        self.received.append(msg)
                        return msg
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                return None
            except ConnectionError as exc:
                raise ConnectionClosed(str(exc)) from None
            if not data:
                raise ConnectionClosed("the node closed the connection")
            self.buf += data

    def wait_for(self, kind: type[M], timeout: float = 10.0) -> M:
        """Read until a message of `kind` arrives (answering pings on the way)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise AssertionError(f"no {kind.__name__} within {timeout} s")
            if isinstance(msg, Ping) and kind is not Ping:
                self.send(Pong(msg.nonce))
            if isinstance(msg, kind):
                return msg

    def sync(self, nonce: int = 0x5EED, timeout: float = 10.0) -> list[Message]:
        """Ping and wait for the pong: every message the node sent before it (the node handles
        a peer's messages in order, so everything sent before the ping has been handled)."""
        start = len(self.received)
        self.send(Ping(nonce))
        while True:
            pong = self.wait_for(Pong, timeout)
            if pong.nonce == nonce:
                return self.received[start:-1]

    def closed_within(self, timeout: float) -> bool:
        """Whether the node closes the connection within `timeout` (reading and dropping)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.read(max(0.0, deadline - time.monotonic()))
        except ConnectionClosed:
            return True
        return False

    def handshake(self, start_height: int = 0, *, nonce: int = 12345) -> Version:
        addr = PeerAddress(ipaddress.ip_address("127.0.0.1"), 0, NODE_NETWORK)
        self.send(Version(PROTOCOL_VERSION, NODE_NETWORK, int(time.time()), addr, addr, nonce,
                          "/rawpeer:0.1/", start_height, True))  # fmt: skip
        version = self.wait_for(Version)
        self.wait_for(Verack)
        self.send(Verack())
        return version
