"""The HTTP side of every API view: allowed methods, the rate limit, read-layer errors as
400/404/503 plain-text answers, JSON/text/binary responses and Cache-Control by depth.

Cache-Control (docs/REST.md): data about a block or transaction with >= 10 confirmations
is final ("public, max-age=31536000, immutable"); shallower, unconfirmed or chain-tip data
gets "public, max-age=10"; errors and POST answers are "no-store".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from explorer.api import ratelimit
from indexer.read.chain import confirmations, tip_height
from indexer.read.errors import InvalidInput, NodeRejected, NodeUnavailable, NotFound

CONF_FINAL: Final = 10
"""Confirmations after which a reorg is considered unlikely (electrs' CONF_FINAL)."""
LONG_CACHE: Final = "public, max-age=31536000, immutable"
SHORT_CACHE: Final = "public, max-age=10"
NO_STORE: Final = "no-store"
TEXT: Final = "text/plain; charset=utf-8"

View = Callable[..., HttpResponseBase]
log = logging.getLogger(__name__)


def text_error(status: int, message: str) -> HttpResponse:
    """A plain-text error answer that no cache keeps."""
    response = HttpResponse(message, status=status, content_type=TEXT)
    response["Cache-Control"] = NO_STORE
    return response


def cache_control(height: int | None) -> str:
    """Long for data at a height with >= CONF_FINAL confirmations, short otherwise."""
    if height is not None and confirmations(height, tip_height()) >= CONF_FINAL:
        return LONG_CACHE
    return SHORT_CACHE


def json_response(
    data: Any, height: int | None = None, *, cache: str | None = None
) -> HttpResponse:
    """Compact JSON with Cache-Control by the depth of `height` (or the given `cache`)."""
    body = json.dumps(data, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = cache or cache_control(height)
    return response


def text_response(
    text: str, height: int | None = None, *, cache: str | None = None
) -> HttpResponse:
    """A plain-text answer (Esplora answers heights, hashes and hex as text)."""
    response = HttpResponse(text, content_type=TEXT)
    response["Cache-Control"] = cache or cache_control(height)
    return response


def binary_response(data: bytes, height: int | None = None) -> HttpResponse:
    """Raw bytes (application/octet-stream)."""
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = cache_control(height)
    return response


def endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap an API view: method check (GET implies HEAD), rate limit, error mapping, CORS.

    POST views are CSRF-exempt: the API has no cookie-authenticated state to protect.
    """
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response: HttpResponseBase
            if request.method not in allowed:
                response = text_error(405, f"Method not allowed; use {' or '.join(methods)}")
                response["Allow"] = ", ".join(sorted(allowed))
                return _cors(response)
            wait = ratelimit.check(request)
            if wait is not None:
                response = text_error(429, f"Too many requests; retry after {wait} s")
                response["Retry-After"] = str(wait)
                return _cors(response)
            try:
                response = view(request, *args, **kwargs)
            except (InvalidInput, NodeRejected) as exc:
                response = text_error(400, str(exc))
            except NotFound as exc:
                response = text_error(404, str(exc))
            except NodeUnavailable as exc:
                log.warning("REST API: %s", exc)
                response = text_error(503, "The node is unavailable; try again later")
                response["Retry-After"] = "10"
            return _cors(response)

        return csrf_exempt(wrapper) if "POST" in methods else wrapper

    return decorate


def _cors(response: HttpResponseBase) -> HttpResponseBase:
    origin = settings.RUSTY_API_CORS_ORIGIN
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


def not_found(request: HttpRequest, unknown: str = "") -> HttpResponseBase:
    """Any /api/ path that names no endpoint: a plain-text 404 (not the HTML page)."""
    return _cors(text_error(404, "Not found: see /api/openapi.json for the endpoints"))
