"""A small JSON-RPC client on the standard library (http.client), usable from Django.

`RpcClient(url, user, password).call("getblock", hash, verbosity=2)`: positional or named
parameters (not both), one keep-alive connection reused across calls, JSON-RPC 2.0,
amounts parsed as `Decimal`. Errors raise `RpcError(code, message)`; transport failures
raise `RpcTransportError` (code -9 for "could not connect", HTTP status as text otherwise).
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import socket
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from node.rpc.errors import RpcError

__all__ = ["RpcClient", "RpcError", "RpcTransportError"]


class RpcTransportError(RpcError):
    """The request did not get a JSON-RPC answer (connection, HTTP or auth failure)."""

    def __init__(self, message: str, status: int | None = None, code: int = -9) -> None:
        super().__init__(code, message)
        self.status = status


DEFAULT_PORTS = {"mainnet": 9738, "testnet": 19738, "regtest": 29738, "devnet": 39738}


class RpcClient:
    """Calls one node's JSON-RPC interface (thread-safe; one connection, serialised)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"unsupported RPC URL {url!r} (expected http://host:port[/path])")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = f"Basic {token}"
        self._conn: http.client.HTTPConnection | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @classmethod
    def from_datadir(
        cls,
        datadir: Path,
        network: str,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        wallet: str | None = None,
        timeout: float = 30.0,
    ) -> RpcClient:
        """A client authenticated by the node's cookie file in `<datadir>/<network>/`."""
        cookie = Path(datadir) / network / ".cookie"
        try:
            user, _, password = cookie.read_text().strip().partition(":")
        except OSError as exc:
            raise RpcTransportError(f"cannot read the cookie file {cookie}: {exc.strerror}",
                                    code=-1) from None  # fmt: skip
        port = DEFAULT_PORTS.get(network, 9738) if port is None else port
        path = "/" if wallet is None else "/wallet/" + quote(wallet, safe="")
        return cls(f"http://{host}:{port}{path}", user, password, timeout)

    def with_wallet(self, wallet: str) -> RpcClient:
        other = RpcClient.__new__(RpcClient)
        other.__dict__.update(self.__dict__)
        other.path = "/wallet/" + quote(wallet, safe="")
        other._conn = None
        other._lock = threading.Lock()
        return other

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls

    def call(self, method: str, *params: Any, **named: Any) -> Any:
        if params and named:
            raise ValueError("pass positional or named parameters, not both")
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                   "params": dict(named) if named else list(params)}  # fmt: skip
        answer = self._post(request)
        if not isinstance(answer, dict):
            raise RpcTransportError("malformed JSON-RPC answer", code=-1)
        error = answer.get("error")
        if error:
            raise RpcError(int(error.get("code", -1)), str(error.get("message", "")))
        return answer.get("result")

    def batch(self, calls: Sequence[tuple[str, Sequence[Any] | Mapping[str, Any]]]) -> list[Any]:
        """Results (or RpcError instances) of several calls sent in one request, in order."""
        requests = []
        for method, params in calls:
            p = dict(params) if isinstance(params, Mapping) else list(params)
            requests.append({"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                             "params": p})  # fmt: skip
        answers = self._post(requests)
        if not isinstance(answers, list):
            raise RpcTransportError("malformed JSON-RPC batch answer", code=-1)
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        results: list[Any] = []
        for req in requests:
            a = by_id.get(req["id"], {})
            err = a.get("error")
            results.append(RpcError(err["code"], err["message"]) if err else a.get("result"))
        return results

    def _post(self, payload: object) -> Any:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Authorization": self._auth}
        with self._lock:
            for attempt in (0, 1):
                conn = self._connection()
                try:
                    conn.request("POST", self.path, body, headers)
                    response = conn.getresponse()
                    data = response.read()
                except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                    self.close()
                    if attempt:
                        raise RpcTransportError(
                            f"Could not connect to the server {self.host}:{self.port}"
                        ) from None
                    continue
                except (OSError, http.client.HTTPException) as exc:
                    self.close()
                    raise RpcTransportError(
                        f"Could not connect to the server {self.host}:{self.port} ({exc})"
                    ) from None
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                break
        status = response.status
        if status == 401:
            raise RpcTransportError("Authorization failed: Incorrect rpcuser or rpcpassword",
                                    status, code=-1)  # fmt: skip
        if status == 204:
            return None
        try:
            return json.loads(data, parse_float=Decimal)
        except ValueError:
            raise RpcTransportError(f"server returned HTTP error {status}", status,
                                    code=-1) from None  # fmt: skip

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.connect()
                self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                self._conn = None
                raise RpcTransportError(
                    f"Could not connect to the server {self.host}:{self.port}"
                ) from None
        return self._conn
