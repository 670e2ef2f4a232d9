"""The JSON-RPC dispatcher: method table, request parsing, parameter binding, replies.

Follows bitcoind (src/httprpc.cpp, src/rpc/request.cpp, src/rpc/server.cpp):

- A request is JSON-RPC 1.0 unless it carries `"jsonrpc": "2.0"`; any other `jsonrpc` value
  is -32600. 2.0 replies carry `jsonrpc` and either `result` or `error`; 1.0 replies carry
  both. A 2.0 request without `id` is a notification: executed, never answered (HTTP 204).
- HTTP status: 2.0 errors and every batch answer with 200. A 1.0 error (or a request that
  cannot be parsed) answers 500, except -32600 -> 400 and -32601 -> 404.
- Parameters are bound by the method's signature, positionally (array) or by name
  (object). Too many / missing arguments -> -1 with the method's help (as bitcoind);
  an unknown name -> -8; a JSON value of the wrong type -> -3. A positional `null`
  means "use the default".
- Methods run in a worker thread (`asyncio.to_thread`), holding `Chainstate.lock` unless
  registered with `lock=False`. An exception that is not an RpcError is logged and
  answered with -32603, so no request can take the server down.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from node.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMETER,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISC_ERROR,
    PARSE_ERROR,
    TYPE_ERROR,
    RpcError,
)
from node.rpc.jsonfmt import dumps

if TYPE_CHECKING:
    from node.rpc.node import Node

log = logging.getLogger(__name__)

HTTP_OK = 200
HTTP_NO_CONTENT = 204
HTTP_BAD_REQUEST = 400
HTTP_NOT_FOUND = 404
HTTP_INTERNAL_SERVER_ERROR = 500


@dataclass(slots=True)
class Context:
    """What a method sees: the node, the method table, the wallet named by the URI."""

    node: Node
    table: MethodTable
    wallet_name: str | None = None
    request_stop: Callable[[], None] = lambda: None


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: Any
    required: bool
    default: Any

    @property
    def is_string(self) -> bool:
        """Whether the CLI passes this argument as a plain string (else parses JSON)."""
        return self.annotation is str or self.annotation == (str | None)


@dataclass(frozen=True, slots=True)
class RpcMethod:
    name: str
    category: str
    func: Callable[..., object]
    params: tuple[Param, ...]
    doc: str
    lock: bool = True
    translate: Callable[[Exception], RpcError | None] | None = None
    """Maps a module's domain errors (wallet, mempool) to RpcErrors."""

    @property
    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            shown = f'"{p.name}"' if p.is_string else p.name
            parts.append(shown if p.required else f"( {shown} )")
        return " ".join(parts)

    @property
    def help(self) -> str:
        return f"{self.usage}\n\n{self.doc}".rstrip()


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expected_type(tp: Any) -> str:
    names = {int: "number", float: "number", str: "string", bool: "bool", list: "array",
             dict: "object"}  # fmt: skip
    origin = typing.get_origin(tp) or tp
    if origin in (types.UnionType, typing.Union):
        return "|".join(_expected_type(a) for a in typing.get_args(tp) if a is not type(None))
    return names.get(origin, "any")


def type_matches(value: object, tp: Any) -> bool:
    """Whether a JSON value fits the annotation (int, float, str, bool, list, dict, unions)."""
    if tp is object or tp is Any:
        return True
    origin = typing.get_origin(tp) or tp
    if origin in (types.UnionType, typing.Union):
        return any(type_matches(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin in (list, Sequence):
        return isinstance(value, list)
    if origin in (dict, Mapping):
        return isinstance(value, dict)
    return isinstance(value, origin)


class MethodTable:
    """Name -> RpcMethod, built from the method modules."""

    def __init__(self) -> None:
        self.methods: dict[str, RpcMethod] = {}

    def add(self, method: RpcMethod) -> None:
        if method.name in self.methods:
            raise ValueError(f"RPC method {method.name} registered twice")
        self.methods[method.name] = method

    def get(self, name: str) -> RpcMethod | None:
        return self.methods.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.methods


Translator = Callable[[Exception], RpcError | None]
F = typing.TypeVar("F", bound=Callable[..., object])


def make_method(
    func: Callable[..., object],
    category: str,
    *,
    lock: bool = True,
    name: str | None = None,
    translate: Translator | None = None,
) -> RpcMethod:
    """An RpcMethod from a function `f(ctx, param, ...)` with type hints and a docstring."""
    hints = typing.get_type_hints(func)
    params = []
    for i, p in enumerate(inspect.signature(func).parameters.values()):
        if i == 0:
            continue
        required = p.default is inspect.Parameter.empty
        params.append(
            Param(p.name, hints.get(p.name, Any), required, None if required else p.default)
        )
    doc = inspect.cleandoc(func.__doc__ or "")
    return RpcMethod(name or func.__name__, category, func, tuple(params), doc, lock, translate)


class Collector:
    """A per-module list of methods filled by the `@collector` decorator."""

    def __init__(self, category: str, translate: Translator | None = None) -> None:
        self.category = category
        self.translate = translate
        self.methods: list[RpcMethod] = []

    def __call__(self, func: F) -> F:
        """Register `func`; it runs holding Chainstate.lock."""
        self.methods.append(make_method(func, self.category, translate=self.translate))
        return func

    def nolock(self, func: F) -> F:
        """Register `func`; it runs without Chainstate.lock (pure or self-locking)."""
        self.methods.append(make_method(func, self.category, lock=False, translate=self.translate))
        return func


def bind(method: RpcMethod, params: object) -> dict[str, Any]:
    """Keyword arguments for `method` from JSON params (array or object)."""
    values: dict[str, Any] = {}
    if isinstance(params, list):
        if len(params) > len(method.params):
            raise RpcError(MISC_ERROR, method.help)
        for spec, value in zip(method.params, params, strict=False):
            if value is not None:
                values[spec.name] = value
    elif isinstance(params, dict):
        known = {p.name for p in method.params}
        for key, value in params.items():
            if key not in known:
                raise RpcError(INVALID_PARAMETER, f"Unknown named parameter {key}")
            if value is not None:
                values[key] = value
    for spec in method.params:
        if spec.name not in values:
            if spec.required:
                raise RpcError(MISC_ERROR, method.help)
            continue
        value = values[spec.name]
        if not type_matches(value, spec.annotation):
            raise RpcError(
                TYPE_ERROR,
                f"JSON value of type {_json_type(value)} for parameter {spec.name} is not of "
                f"expected type {_expected_type(spec.annotation)}",
            )
    return values


@dataclass(slots=True)
class Call:
    """One parsed request object."""

    id: Any = None
    v2: bool = False
    notification: bool = False
    method: str = ""
    params: Any = field(default_factory=list)


def parse_call(obj: object) -> Call:
    """Validate a request object like bitcoind's JSONRPCRequest::parse; raises RpcError."""
    call = Call()
    if not isinstance(obj, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request object")
    call.id = obj.get("id")
    if "jsonrpc" in obj and obj["jsonrpc"] is not None:
        if obj["jsonrpc"] != "2.0":
            raise RpcError(INVALID_REQUEST, "JSON-RPC version not supported")
        call.v2 = True
        call.notification = "id" not in obj
    method = obj.get("method")
    if method is None:
        raise RpcError(INVALID_REQUEST, "Missing method")
    if not isinstance(method, str):
        raise RpcError(INVALID_REQUEST, "Method must be a string")
    call.method = method
    params = obj.get("params")
    if params is None:
        params = []
    if not isinstance(params, list | dict):
        raise RpcError(INVALID_REQUEST, "Params must be an array or object")
    call.params = params
    return call


def reply(call: Call, result: object = None, error: RpcError | None = None) -> dict[str, Any]:
    if call.v2:
        out: dict[str, Any] = {"jsonrpc": "2.0"}
        if error is None:
            out["result"] = result
        else:
            out["error"] = error.to_json()
        out["id"] = call.id
        return out
    return {
        "result": result if error is None else None,
        "error": None if error is None else error.to_json(),
        "id": call.id,
    }


def http_status_for(error: RpcError) -> int:
    if error.code == INVALID_REQUEST:
        return HTTP_BAD_REQUEST
    if error.code == METHOD_NOT_FOUND:
        return HTTP_NOT_FOUND
    return HTTP_INTERNAL_SERVER_ERROR


def _reject_constant(name: str) -> None:
    raise ValueError(f"invalid JSON constant {name}")


def loads(body: bytes) -> Any:
    """Parse a request body; raises RpcError(-32700) for anything that is not strict JSON."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RpcError(PARSE_ERROR, "Parse error") from None


class Dispatcher:
    """Turns HTTP request bodies into JSON-RPC replies."""

    def __init__(
        self,
        table: MethodTable,
        node: Node,
        *,
        request_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.table = table
        self.node = node
        self.request_stop = request_stop
        self.internal_errors = 0

    def context(self, wallet_name: str | None) -> Context:
        return Context(self.node, self.table, wallet_name, self.request_stop)

    def execute_sync(self, call: Call, ctx: Context) -> object:
        """Run one call in the current thread; raises RpcError only."""
        method = self.table.get(call.method)
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, "Method not found")
        kwargs = bind(method, call.params)
        try:
            if method.lock:
                with self.node.chainstate.lock:
                    return method.func(ctx, **kwargs)
            return method.func(ctx, **kwargs)
        except RpcError:
            raise
        except Exception as exc:
            mapped = method.translate(exc) if method.translate is not None else None
            if mapped is not None:
                raise mapped from None
            self.internal_errors += 1
            log.exception("RPC %s failed", call.method)
            raise RpcError(INTERNAL_ERROR, "Internal error") from None

    async def execute(self, call: Call, ctx: Context) -> object:
        return await asyncio.to_thread(self.execute_sync, call, ctx)

    async def _one(self, obj: object, ctx: Context) -> tuple[Call, dict[str, Any] | None]:
        """Reply object for one element of a batch (never raises)."""
        call = Call()
        try:
            call = parse_call(obj)
            result = await self.execute(call, ctx)
        except RpcError as exc:
            return call, None if call.notification else reply(call, error=exc)
        return call, None if call.notification else reply(call, result)

    async def handle(self, body: bytes, wallet_name: str | None = None) -> tuple[int, str | None]:
        """(HTTP status, response text or None for 204) for a request body."""
        ctx = self.context(wallet_name)
        try:
            request = loads(body)
        except RpcError as exc:
            return HTTP_INTERNAL_SERVER_ERROR, dumps(reply(Call(), error=exc)) + "\n"
        if isinstance(request, list):
            replies = []
            for obj in request:
                _, answer = await self._one(obj, ctx)
                if answer is not None:
                    replies.append(answer)
            if not replies and request:
                return HTTP_NO_CONTENT, None
            return HTTP_OK, dumps(replies) + "\n"
        if not isinstance(request, dict):
            error = RpcError(PARSE_ERROR, "Top-level object parse error")
            return HTTP_INTERNAL_SERVER_ERROR, dumps(reply(Call(), error=error)) + "\n"
        call = Call()
        try:
            call = parse_call(request)
        except RpcError as exc:
            return http_status_for(exc), dumps(reply(call, error=exc)) + "\n"
        try:
            result = await self.execute(call, ctx)
        except RpcError as exc:
            if call.notification:
                return HTTP_NO_CONTENT, None
            status = HTTP_OK if call.v2 else http_status_for(exc)
            return status, dumps(reply(call, error=exc)) + "\n"
        if call.notification:
            return HTTP_NO_CONTENT, None
        return HTTP_OK, dumps(reply(call, result)) + "\n"

    @staticmethod
    def call_count(body_obj: object) -> int:
        return len(body_obj) if isinstance(body_obj, list) else 1
