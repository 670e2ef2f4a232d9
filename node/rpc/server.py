"""The RPC HTTP/1.1 server, written directly on asyncio streams (no web framework).

- POST `/` and `/wallet/<name>` (the wallet a wallet method acts on, like bitcoind);
  other paths 404, other verbs 405. Keep-alive by default on HTTP/1.1.
- Order of checks per request: rate limit (429 + Retry-After, per source IP) ->
  verb -> authentication (401 + `WWW-Authenticate`, after a 250 ms delay, before the body
  is read) -> path -> body size -> dispatch.
- Body limit: `max_body` (2 MiB) for everything; a larger body, up to `large_body()`
  (default: 2 x the block size limit + 64 KiB, the hex of the largest block), is read only
  from an authenticated client and accepted only when it is a single `submitblock` call;
  anything else answers 413. Header block <= 16 KiB (431), no chunked bodies (411/501).
- A failure while handling one request is logged and closes that connection; the server
  keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

from node.rpc.auth import COOKIE_NAME, Authenticator, write_cookie
from node.rpc.dispatch import Dispatcher
from node.rpc.ratelimit import RateLimiter

log = logging.getLogger(__name__)

MAX_BODY = 2 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024
AUTH_FAIL_DELAY = 0.25
IDLE_TIMEOUT = 60.0
BODY_TIMEOUT = 60.0


class HttpError(Exception):
    """Answer with `status` and close the connection."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers or {}


class RpcServer:
    """Serves JSON-RPC over HTTP; owns the cookie file while it runs."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        authenticator: Authenticator,
        *,
        netdir: Path | None = None,
        ratelimiter: RateLimiter | None = None,
        max_body: int = MAX_BODY,
        large_body: Callable[[], int] | None = None,
        auth_fail_delay: float = AUTH_FAIL_DELAY,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.dispatcher = dispatcher
        self.auth = authenticator
        self.netdir = netdir
        self.ratelimiter = ratelimiter or RateLimiter(0, 1)
        self.max_body = max_body
        self.large_body = large_body or (lambda: max_body)
        self.auth_fail_delay = auth_fail_delay
        self.idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cookie_path: Path | None = None
        self.requests = 0

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self, host: str, port: int) -> None:
        if self.netdir is not None:
            self.netdir.mkdir(parents=True, exist_ok=True)
            self.cookie_path, password = write_cookie(self.netdir)
            self.auth.cookie_password = password
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_HEADER_BYTES)
        log.info("RPC server listening on %s:%d", host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        if self.cookie_path is not None:
            self.cookie_path.unlink(missing_ok=True)
            self.cookie_path = None
        elif self.netdir is not None:
            (self.netdir / COOKIE_NAME).unlink(missing_ok=True)

    # ------------------------------------------------------------------ connections

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) else "local"
        try:
            keep_alive = True
            while keep_alive:
                try:
                    keep_alive = await self._one_request(reader, writer, client)
                except HttpError as exc:
                    await self._respond(writer, exc.status, None, False, exc.headers)
                    break
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            log.exception("RPC connection from %s failed", client)
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_head(
        self, reader: asyncio.StreamReader
    ) -> tuple[str, str, str, dict[str, str]] | None:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise HttpError(HTTPStatus.BAD_REQUEST) from None
            return None
        except asyncio.LimitOverrunError:
            raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE) from None
        try:
            text = raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
            raise HttpError(HTTPStatus.BAD_REQUEST) from None
        lines = text.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(HTTPStatus.BAD_REQUEST)
        verb, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise HttpError(HTTPStatus.BAD_REQUEST)
            headers[name.lower()] = value.strip()
        return verb, target, version, headers

    async def _discard_body(self, reader: asyncio.StreamReader, headers: dict[str, str]) -> bool:
        """Skip a small body so the connection can be reused; False when it cannot be."""
        if "transfer-encoding" in headers:
            return False
        length = _content_length(headers)
        if length is None or length > self.max_body:
            return length == 0
        await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT)
        return True

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
    ) -> bool:
        head = await self._read_head(reader)
        if head is None:
            return False
        verb, target, version, headers = head
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        wait = self.ratelimiter.take(client)
        if wait > 0:
            reuse = await self._discard_body(reader, headers)
            retry = {"Retry-After": str(max(1, math.ceil(wait)))}
            await self._respond(writer, HTTPStatus.TOO_MANY_REQUESTS, None, keep_alive and reuse,
                                retry)  # fmt: skip
            return keep_alive and reuse
        if verb != "POST":
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "POST"})
        if self.auth.check(headers.get("authorization")) is None:
            await asyncio.sleep(self.auth_fail_delay)
            reuse = await self._discard_body(reader, headers)
            await self._respond(writer, HTTPStatus.UNAUTHORIZED, None, keep_alive and reuse,
                                {"WWW-Authenticate": 'Basic realm="jsonrpc"'})  # fmt: skip
            return keep_alive and reuse
        wallet = _wallet_from_path(target)
        if "transfer-encoding" in headers:
            raise HttpError(HTTPStatus.NOT_IMPLEMENTED)
        length = _content_length(headers)
        if length is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED)
        if length > max(self.max_body, self.large_body()):
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT)
        if wallet is None:
            await self._respond(writer, HTTPStatus.NOT_FOUND, None, keep_alive)
            return keep_alive
        if length > self.max_body and not _is_single_submitblock(body):
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.requests += 1
        status, text = await self.dispatcher.handle(body, wallet or None)
        await self._respond(writer, status, text, keep_alive)
        return keep_alive

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        text: str | None,
        keep_alive: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        body = text.encode() if text is not None else b""
        reason = HTTPStatus(status).phrase
        lines = [f"HTTP/1.1 {status} {reason}"]
        if text is not None:
            lines.append("Content-Type: application/json")
        if status != HTTPStatus.NO_CONTENT:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
        for name, value in (extra or {}).items():
            lines.append(f"{name}: {value}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()


def _content_length(headers: dict[str, str]) -> int | None:
    raw = headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise HttpError(HTTPStatus.BAD_REQUEST)
    return int(raw)


def _wallet_from_path(target: str) -> str | None:
    """ "" for `/`, the wallet name for `/wallet/<name>`, None for any other path."""
    path = target.split("?", 1)[0]
    if path in ("/", ""):
        return ""
    if path.startswith("/wallet/"):
        name = unquote(path[len("/wallet/") :])
        return name if name else None
    return None


def _is_single_submitblock(body: bytes) -> bool:
    """Cheap check of a large body: one object whose method is submitblock."""
    head = body[:256].lstrip()
    if not head.startswith(b"{"):
        return False
    try:
        obj = json.loads(body)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("method") == "submitblock"
