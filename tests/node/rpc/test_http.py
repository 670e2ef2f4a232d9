"""rpc_http: auth, JSON-RPC 1.0/2.0 framing, batches, HTTP status conventions, size limits,
keep-alive and the rate limit, all through the real server with httpx."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from node.rpc.auth import make_rpcauth
from tests.node.rpc.nodeproc import NodeProcess, start_node


def post(node: NodeProcess, body: object, *, raw: bytes | None = None,
         auth: tuple[str, str] | None = None, path: str = "/") -> httpx.Response:  # fmt: skip
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(f"http://127.0.0.1:{node.port}{path}", content=content,
                      auth=auth or (node.user, node.password), timeout=30)  # fmt: skip


def test_cookie_auth_and_missing_or_wrong_credentials(node: NodeProcess) -> None:
    ok = post(node, {"method": "getblockcount", "id": 1})
    assert ok.status_code == 200
    assert ok.json() == {"result": 15, "error": None, "id": 1}
    started = time.monotonic()
    bad = post(node, {"method": "getblockcount", "id": 1}, auth=(node.user, "wrong"))
    assert bad.status_code == 401
    assert time.monotonic() - started >= 0.2  # the brute-force delay
    assert bad.headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    none = httpx.post(node.url, content=b"{}", timeout=30)
    assert none.status_code == 401
    garbage = httpx.post(node.url, content=b"{}", headers={"Authorization": "Basic !!!"})
    assert garbage.status_code == 401


def test_rpcauth_credentials(tmp_path: Path) -> None:
    line = make_rpcauth("alice", "s3cret")
    proc = start_node(tmp_path, "--rpcauth", line)
    try:
        good = post(proc, {"method": "getblockcount", "id": 7}, auth=("alice", "s3cret"))
        assert good.json()["result"] == 0
        assert post(proc, {"method": "getblockcount"}, auth=("alice", "nope")).status_code == 401
        assert post(proc, {"method": "getblockcount"}, auth=("bob", "s3cret")).status_code == 401
        # the cookie keeps working next to rpcauth
        assert post(proc, {"method": "getblockcount", "id": 1}).status_code == 200
    finally:
        assert proc.stop() == 0
    assert not (tmp_path / "regtest" / ".cookie").exists()


def test_bad_rpcauth_option_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.node.rpc.nodeproc import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "node", "--network", "regtest", "--datadir", str(tmp_path),
         "--rpcauth", "alice:nohash"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "invalid rpcauth" in result.stderr


def test_jsonrpc_versions_and_http_status(node: NodeProcess) -> None:
    v2 = post(node, {"jsonrpc": "2.0", "method": "getblockcount", "id": "a"})
    assert v2.status_code == 200
    assert v2.json() == {"jsonrpc": "2.0", "result": 15, "id": "a"}
    # unknown method: 404 for 1.0, 200 for 2.0
    r1 = post(node, {"method": "nosuch", "id": 1})
    assert r1.status_code == 404
    assert r1.json()["error"]["code"] == -32601
    assert r1.json()["result"] is None
    r2 = post(node, {"jsonrpc": "2.0", "method": "nosuch", "id": 1})
    assert r2.status_code == 200
    assert r2.json()["error"]["code"] == -32601
    assert "result" not in r2.json()
    # other 1.0 errors: 500
    r3 = post(node, {"method": "getblockhash", "params": [999], "id": 2})
    assert r3.status_code == 500
    assert r3.json()["error"] == {"code": -8, "message": "Block height out of range"}
    # notification: executed, no body
    r4 = post(node, {"jsonrpc": "2.0", "method": "getblockcount"})
    assert r4.status_code == 204
    assert r4.content == b""
    # unsupported version string
    r5 = post(node, {"jsonrpc": "3.0", "method": "getblockcount", "id": 1})
    assert r5.status_code == 400
    assert r5.json()["error"]["code"] == -32600


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 500, -32700),
        (b"", 500, -32700),
        (b"\xff\xfe", 500, -32700),
        (b'{"method": "getblockcount", "x": NaN}', 500, -32700),
        (b"[" * 100_000, 500, -32700),
        (b"42", 500, -32700),
        (b'"getblockcount"', 500, -32700),
        (b'{"id": 1}', 400, -32600),
        (b'{"method": 5, "id": 1}', 400, -32600),
        (b'{"method": "getblockcount", "params": "x", "id": 1}', 400, -32600),
    ],
)
def test_malformed_requests(node: NodeProcess, raw: bytes, status: int, code: int) -> None:
    r = post(node, None, raw=raw)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert post(node, {"method": "getblockcount", "id": 1}).json()["result"] == 15


@pytest.mark.parametrize(
    ("request_obj", "code"),
    [
        ({"method": "getblockhash", "params": [], "id": 1}, -1),  # missing argument
        ({"method": "getblockhash", "params": [1, 2], "id": 1}, -1),  # too many
        ({"method": "getblockhash", "params": ["1"], "id": 1}, -3),  # wrong type
        ({"method": "getblockhash", "params": [True], "id": 1}, -3),  # bool is not a number
        ({"method": "getblockhash", "params": {"heigth": 1}, "id": 1}, -8),  # unknown name
        ({"method": "getblock", "params": ["zz"], "id": 1}, -8),  # bad hash length
        ({"method": "getblock", "params": ["zz" * 32], "id": 1}, -8),  # not hex
        ({"method": "getblock", "params": ["00" * 32], "id": 1}, -5),  # unknown block
        ({"method": "decoderawtransaction", "params": ["abc"], "id": 1}, -22),
        ({"method": "decoderawtransaction", "params": ["00" * 20], "id": 1}, -22),
        ({"method": "submitblock", "params": ["0011"], "id": 1}, -22),
    ],
)
def test_bad_params(node: NodeProcess, request_obj: dict[str, object], code: int) -> None:
    r = post(node, request_obj)
    assert r.status_code == 500
    assert r.json()["error"]["code"] == code
    r2 = post(node, {**request_obj, "jsonrpc": "2.0"})
    assert r2.status_code == 200
    assert r2.json()["error"]["code"] == code


def test_named_params_and_null_defaults(node: NodeProcess) -> None:
    h = post(node, {"method": "getblockhash", "params": {"height": 3}, "id": 1}).json()
    assert len(h["result"]) == 64
    hdr = post(node, {"method": "getblockheader", "params": [h["result"], None], "id": 1})
    assert hdr.json()["result"]["height"] == 3
    raw = post(node, {"method": "getblockheader",
                      "params": {"blockhash": h["result"], "verbose": False}, "id": 1})  # fmt: skip
    assert len(raw.json()["result"]) == 320


def test_batches(node: NodeProcess) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "getblockcount", "id": 1},
        {"jsonrpc": "2.0", "method": "nosuch", "id": 2},
        {"method": "getblockhash", "params": [0], "id": 3},
        {"jsonrpc": "2.0", "method": "getblockcount"},  # notification: no answer
        17,
        {"jsonrpc": "2.0", "method": "getblockhash", "params": ["x"], "id": 5},
    ]
    r = post(node, batch)
    assert r.status_code == 200
    answers = r.json()
    assert len(answers) == 5
    assert answers[0] == {"jsonrpc": "2.0", "result": 15, "id": 1}
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["error"] is None
    assert len(answers[2]["result"]) == 64
    assert answers[3] == {"result": None, "error": {"code": -32600,
                          "message": "Invalid Request object"}, "id": None}  # fmt: skip
    assert answers[4]["error"]["code"] == -3
    empty = post(node, [])
    assert (empty.status_code, empty.json()) == (200, [])
    only_notes = post(node, [{"jsonrpc": "2.0", "method": "getblockcount"}])
    assert only_notes.status_code == 204


def test_http_level_errors(node: NodeProcess) -> None:
    auth = (node.user, node.password)
    assert httpx.get(node.url, auth=auth).status_code == 405
    assert post(node, {"method": "getblockcount"}, path="/other").status_code == 404
    huge = b'{"method": "getblockcount", "params": ["' + b"a" * (3 * 1024 * 1024) + b'"]}'
    assert post(node, None, raw=huge).status_code == 413
    # a large body is only accepted for submitblock (and it is decoded as a block)
    big = b'{"method": "submitblock", "params": ["' + b"00" * (1024 * 1024 + 10) + b'"], "id": 1}'
    r = post(node, None, raw=big)
    assert r.json()["error"]["code"] == -22
    assert post(node, {"method": "getblockcount", "id": 1}).status_code == 200


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_raw_http_garbage(node: NodeProcess) -> None:
    assert raw_exchange(node.port, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw_exchange(node.port, b"POST / HTTP/1.1\r\nX" + b"a" * 20000).startswith(
        b"HTTP/1.1 431"
    )
    token = __import__("base64").b64encode(f"{node.user}:{node.password}".encode()).decode()
    head = f"POST / HTTP/1.1\r\nAuthorization: Basic {token}\r\nConnection: close\r\n"
    assert raw_exchange(node.port, head.encode() + b"\r\n").startswith(b"HTTP/1.1 411")
    chunked = head + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    assert raw_exchange(node.port, chunked.encode()).startswith(b"HTTP/1.1 501")
    bad_len = head + "Content-Length: -5\r\n\r\n"
    assert raw_exchange(node.port, bad_len.encode()).startswith(b"HTTP/1.1 400")
    assert post(node, {"method": "getblockcount", "id": 1}).status_code == 200


def test_keep_alive_reuses_one_connection(node: NodeProcess) -> None:
    with httpx.Client(auth=(node.user, node.password)) as client:
        for i in range(20):
            r = client.post(node.url, json={"method": "getblockcount", "id": i})
            assert r.json()["result"] == 15
            assert r.headers["Connection"] == "keep-alive"
        # 20 answers over (at most) one pooled connection
        assert len(client._transport._pool.connections) == 1  # type: ignore[attr-defined]


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    proc = start_node(tmp_path, "--rpcratelimit", "1", "--rpcburst", "3")
    try:
        statuses = [post(proc, {"method": "getblockcount", "id": i}).status_code
                    for i in range(6)]  # fmt: skip
        assert statuses[:3] == [200, 200, 200]
        assert 429 in statuses[3:]
        r = post(proc, {"method": "getblockcount", "id": 9})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) >= 1
        time.sleep(1.1)
        assert post(proc, {"method": "getblockcount", "id": 10}).status_code == 200
    finally:
        assert proc.stop() == 0
