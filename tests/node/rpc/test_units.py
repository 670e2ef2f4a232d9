"""Unit tests of the RPC building blocks: auth, rate limiter, amount JSON, parameter binding."""

from __future__ import annotations

import asyncio
import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from node.rpc.auth import (
    Authenticator,
    AuthError,
    RpcAuthEntry,
    make_rpcauth,
    parse_basic,
    read_cookie,
    write_cookie,
)
from node.rpc.dispatch import Context, Dispatcher, MethodTable, bind, make_method
from node.rpc.errors import RpcError
from node.rpc.jsonfmt import Amount, dumps, parse_amount
from node.rpc.ratelimit import RateLimiter


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_rpcauth_matches_bitcoin_core_format() -> None:
    # share/rpcauth.py: HMAC-SHA256(key=salt, msg=password)
    entry = RpcAuthEntry.parse(
        "user:c0ffee$" + __import__("hmac").new(b"c0ffee", b"pw", "sha256").hexdigest()
    )
    assert entry.matches("user", "pw")
    assert not entry.matches("user", "pw2")
    assert not entry.matches("usr", "pw")
    line = make_rpcauth("bob", "hunter2", salt="aa")
    assert RpcAuthEntry.parse(line).matches("bob", "hunter2")
    for bad in ("nouser", "u:salt", "u:salt$abc", ":s$" + "0" * 64, "u:s$" + "g" * 64):
        with pytest.raises(AuthError):
            RpcAuthEntry.parse(bad)


def test_cookie_roundtrip_and_authenticator(tmp_path: Path) -> None:
    path, password = write_cookie(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_cookie(tmp_path) == ("__cookie__", password)
    auth = Authenticator(password, (RpcAuthEntry.parse(make_rpcauth("a", "b")),))
    assert auth.check(basic("__cookie__", password)) == "__cookie__"
    assert auth.check(basic("a", "b")) == "a"
    assert auth.check(basic("__cookie__", "x")) is None
    assert auth.check(None) is None
    assert auth.check("Bearer abc") is None
    assert parse_basic("Basic " + base64.b64encode(b"nocolon").decode()) is None
    (tmp_path / ".cookie").write_text("garbage")
    with pytest.raises(AuthError):
        read_cookie(tmp_path)


def test_token_bucket() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 4.0, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(4)] == [0.0] * 4
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") == 0.0  # per client
    now[0] = 0.5
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    assert RateLimiter(0, 1).take("a") == 0.0


def test_amount_json_and_parsing() -> None:
    assert dumps({"v": Amount(1), "w": [Amount(-150_000_000), Amount(0)]}) == (
        '{"v":0.00000001,"w":[-1.50000000,0.00000000]}'
    )
    assert json.loads(dumps({"x": Amount(123_456_789)}), parse_float=Decimal) == {
        "x": Decimal("1.23456789")
    }
    assert dumps({"a": [1, {}]}, indent=2) == '{\n  "a": [\n    1,\n    {}\n  ]\n}'
    assert parse_amount(0.1) == 10_000_000
    assert parse_amount("1.5") == 150_000_000
    assert parse_amount(0, allow_zero=True) == 0
    for bad in (0, -1, "1e-9", 0.123456789, "abc", 3e9, float("nan")):
        with pytest.raises(ValueError, match="mount"):
            parse_amount(bad)
    with pytest.raises(TypeError):
        parse_amount(True)


def sample(ctx: Context, height: int, verbose: bool = False, name: str | None = None) -> Any:
    """Doc."""
    return [height, verbose, name]


def test_bind_positional_named_and_types() -> None:
    m = make_method(sample, "test")
    assert m.usage == 'sample height ( verbose ) ( "name" )'
    assert bind(m, [1]) == {"height": 1}
    assert bind(m, [1, None, "x"]) == {"height": 1, "name": "x"}
    assert bind(m, {"height": 2, "verbose": True}) == {"height": 2, "verbose": True}
    cases = [([], -1), ([1, 2, 3, 4], -1), (["1"], -3), ([1.5], -3), ([True], -3),
             ([1, 1], -3), ({"hieght": 1}, -8), ({"verbose": True}, -1)]  # fmt: skip
    for params, code in cases:
        with pytest.raises(RpcError) as err:
            bind(m, params)
        assert err.value.code == code, params


class _FakeNode:
    class chainstate:  # noqa: N801
        import threading

        lock = threading.RLock()


def test_dispatcher_turns_crashes_into_internal_errors() -> None:
    def crash(ctx: Context) -> None:
        """Boom."""
        raise ZeroDivisionError

    table = MethodTable()
    table.add(make_method(crash, "test"))
    table.add(make_method(sample, "test"))
    d = Dispatcher(table, _FakeNode())  # type: ignore[arg-type]
    status, text = asyncio.run(d.handle(b'{"method": "crash", "id": 1}'))
    assert status == 500
    assert json.loads(text or "")["error"] == {"code": -32603, "message": "Internal error"}
    assert d.internal_errors == 1
    status, text = asyncio.run(
        d.handle(b'{"jsonrpc": "2.0", "method": "sample", "params": [3], "id": 1}')
    )
    assert (status, json.loads(text or "")) == (
        200,
        {"jsonrpc": "2.0", "result": [3, False, None], "id": 1},
    )
    with pytest.raises(ValueError, match="registered twice"):
        table.add(make_method(sample, "test"))
