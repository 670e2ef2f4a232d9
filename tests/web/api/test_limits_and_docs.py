"""Rate limits (LocMem and a real Redis cache), the OpenAPI document against the URL
resolver, and the walk of every API route with hostile input: 400/404, never a 500."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from explorer.api.http import not_found
from explorer.api.openapi import DOCUMENT
from tests.web.api.chain import Scenario

LIMITED = {"RUSTY_API_RATE": 3, "RUSTY_API_RATE_WINDOW": 3600, "RUSTY_API_BURST": 0}


def _api_routes() -> list[str]:
    """Every route under /api/ as an OpenAPI path template, from the URL resolver."""
    (api,) = [
        p for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and str(p.pattern) == "api/"
    ]  # fmt: skip
    routes = []
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.callback is not_found:
            continue
        routes.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)))
    return routes


def test_every_route_is_in_the_openapi_document(client: Client) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc == DOCUMENT
    assert doc["openapi"].startswith("3.1")
    routes = _api_routes()
    assert len(routes) >= 40
    assert sorted(routes) == sorted(doc["paths"])


def test_every_documented_path_resolves_to_its_view() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    text = str(DOCUMENT)
    for ref in re.findall(r"#/components/schemas/(\w+)", text):
        assert ref in schemas
    for route, item in DOCUMENT["paths"].items():
        url = "/api" + re.sub(r"\{\w+\}", "x", route)
        assert resolve(url).func is not not_found, route
        for op in item.values():
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"\{(\w+)\}", route))


@override_settings(**LIMITED)
def test_rate_limit_answers_429_with_retry_after(client: Client, db: None) -> None:
    for _ in range(3):
        assert client.get("/api/mempool/txids").status_code != 429
    r = client.get("/api/mempool/txids")
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 3600
    assert r["Cache-Control"] == "no-store"
    assert r.content.startswith(b"Too many requests")
    # Another client IP has its own window.
    assert client.get("/api/openapi.json", REMOTE_ADDR="10.9.9.9").status_code == 200


@override_settings(RUSTY_API_RATE=0, RUSTY_API_BURST=2, RUSTY_API_BURST_WINDOW=3600)
def test_burst_limit(client: Client) -> None:
    codes = [client.get("/api/openapi.json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@override_settings(**LIMITED, RUSTY_API_PROXY_DEPTH=1)
def test_client_ip_from_a_trusted_proxy(client: Client) -> None:
    for _ in range(3):
        client.get("/api/openapi.json", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client.get("/api/openapi.json", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # A spoofed extra hop on the left does not change the address the proxy saw.
    r = client.get("/api/openapi.json", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    assert r.status_code == 429
    assert client.get("/api/openapi.json", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


@pytest.mark.redis
def test_rate_limit_shared_through_redis(client: Client, redis_url: str) -> None:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"rusty-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=caches, **LIMITED):
        codes = [client.get("/api/openapi.json").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        # no cache.clear(): on Redis that is FLUSHDB, which would wipe other tests' channel
        # layers; the keys carry a unique prefix and expire with the rate window


def test_unknown_api_paths_are_plain_404(client: Client) -> None:
    for path in ("/api/", "/api/nope", "/api/block", "/api/tx/", "/api/<script>alert(1)</script>"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r["Content-Type"].startswith("text/plain")
        assert b"<script>" not in r.content


def test_cors_and_methods(client: Client) -> None:
    r = client.get("/api/openapi.json")
    assert r["Access-Control-Allow-Origin"] == "*"
    r = client.post("/api/mempool")
    assert r.status_code == 405
    assert "GET" in r["Allow"]
    assert client.head("/api/openapi.json").status_code == 200


BAD_VALUES = [
    "zz",
    "-1",
    "1.5",
    "1e9",
    "99999999999999999999999999",
    "2147483648",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "1; DROP TABLE indexer_block",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "é",
    "A" * 300,
    "0" * 63,
    "g" * 64,
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_every_route_with_hostile_input(indexed: Scenario, client: Client, value: str) -> None:
    """Each path parameter in turn gets the hostile value (the others are valid)."""
    good = {
        "hash": indexed.hashes[12],
        "txid": indexed.block12_txids[1],
        "last_seen_txid": indexed.block12_txids[1],
        "ticket_id": "ab" * 32,
        "height": "3",
        "start_height": "3",
        "start_index": "0",
        "index": "0",
        "vout": "0",
        "address": indexed.address(indexed.b),
        "prefix": "rcrt1",
        "name": "tx-count",
    }
    for route in _api_routes():
        params = re.findall(r"\{(\w+)\}", route)
        for bad in params:
            url = "/api" + route
            for name in params:
                url = url.replace("{" + name + "}", value if name == bad else good[name])
            r = client.get(url)
            # Any run of letters and digits is a valid (empty-result) address prefix.
            allowed = (200, 400, 404) if bad == "prefix" else (400, 404)
            assert r.status_code in allowed, (url, r.status_code, r.content[:200])
            assert b"<script>" not in r.content, url
            if len(value) > 4 and r.status_code != 200:
                assert value.encode() not in r.content, (url, r.content[:200])  # no echo
            if r.status_code == 400:
                assert r["Content-Type"].startswith("text/plain")


def test_every_route_answers_with_good_input(indexed: Scenario, client: Client) -> None:
    """The same walk with valid parameters: every GET route answers 200 (raw block and fee
    estimates need the node: 503 here)."""
    values = {
        "hash": indexed.hashes[12],
        "txid": indexed.block12_txids[1],
        "last_seen_txid": indexed.block12_txids[3],
        "height": "3",
        "start_height": "3",
        "start_index": "25",
        "index": "1",
        "vout": "1",
        "address": indexed.address(indexed.b),
        "prefix": "rcrt1",
        "name": "difficulty",
    }
    for route in _api_routes():
        if route in ("/tx", "/v1/ticket/{ticket_id}"):
            continue
        url = "/api" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route)
        r = client.get(url)
        expected = 503 if route in ("/block/{hash}/raw", "/fee-estimates") else 200
        assert r.status_code == expected, (url, r.content[:200])
