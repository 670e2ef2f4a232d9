"""rpc_fuzz: a few thousand random and mutated requests; every answer is a well-formed
JSON-RPC result or error (or a plain HTTP error status), nothing unhandled is logged, and
the node keeps serving."""

from __future__ import annotations

import json
import random
import time

import httpx

from tests.node.rpc.nodeproc import ADDRESS, NodeProcess

METHODS = ["getblockcount", "getblockhash", "getblock", "getblockheader", "gettxout",
           "getrawtransaction", "decoderawtransaction", "decodescript", "validateaddress",
           "getstateproof", "verifychain", "help", "submitblock", "getmempoolentry",
           "testmempoolaccept", "sendrawtransaction", "estimatesmartfee", "getrawmempool",
           "getchaintips", "getblockchaininfo", "nosuch", "", "getmininginfo"]  # fmt: skip
VALUES: list[object] = [None, True, False, 0, -1, 1, 2**63, 2**64 + 5, 1.5, -0.0, "", "x",
                        "00" * 32, "zz" * 32, "ab", ADDRESS, [], [1], {}, {"a": 1},
                        "0" * 200, [[[[]]]], "\u0000", "é"]  # fmt: skip
N_REQUESTS = 2500


def random_request(rng: random.Random) -> object:
    req: dict[str, object] = {"method": rng.choice(METHODS)}
    if rng.random() < 0.9:
        req["id"] = rng.choice([1, "x", None, 2.5, [1]])
    if rng.random() < 0.5:
        req["jsonrpc"] = rng.choice(["2.0", "2.0", "1.0", 2, None])
    roll = rng.random()
    if roll < 0.6:
        req["params"] = [rng.choice(VALUES) for _ in range(rng.randint(0, 4))]
    elif roll < 0.8:
        req["params"] = {rng.choice(["height", "blockhash", "verbose", "n", "zz"]):
                         rng.choice(VALUES) for _ in range(rng.randint(0, 3))}  # fmt: skip
    elif roll < 0.9:
        req["params"] = rng.choice(VALUES)
    if rng.random() < 0.1:
        return [req, random_request(rng)] if rng.random() < 0.8 else rng.choice(VALUES)
    return req


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randrange(len(buf) + 1)
        if op < 0.4 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op < 0.7:
            buf[pos:pos] = bytes([rng.randrange(256)])
        else:
            del buf[pos : pos + rng.randint(1, 5)]
    return bytes(buf)


def well_formed(obj: object) -> bool:
    if not isinstance(obj, dict) or "id" not in obj:
        return False
    error = obj.get("error")
    if error is not None:
        return (isinstance(error, dict) and isinstance(error.get("code"), int)
                and isinstance(error.get("message"), str))  # fmt: skip
    return "result" in obj


def test_fuzzed_requests(node: NodeProcess) -> None:
    rng = random.Random(6)
    started = time.monotonic()
    internal = 0
    with httpx.Client(auth=(node.user, node.password), timeout=30) as client:
        for i in range(N_REQUESTS):
            body = json.dumps(random_request(rng)).encode()
            if i % 3 == 0:
                body = mutate(rng, body)
            r = client.post(node.url, content=body)
            assert r.status_code in (200, 204, 400, 404, 500), r.status_code
            if r.status_code == 204:
                assert r.content == b""
                continue
            answer = r.json()
            answers = answer if isinstance(answer, list) else [answer]
            for a in answers:
                assert well_formed(a), (body, a)
                if a.get("error") and a["error"]["code"] == -32603:
                    internal += 1
        assert client.post(node.url, json={"method": "getblockcount", "id": 1}).json()[
            "result"] == 15  # fmt: skip
    assert internal == 0
    assert time.monotonic() - started < 120
    assert node.alive()
    assert "Traceback" not in node.log()
