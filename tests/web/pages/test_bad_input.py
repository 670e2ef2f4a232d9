"""Walks every explorer page route with hostile and malformed input: never a 500, never a
reflected unescaped script, always a clear 400 or 404 page (or the search page's message).

The routes come from the URL resolver, so a page added later is walked too; a route whose
parameters this test does not know fails the test instead of being skipped.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern

from explorer.urls import urlpatterns
from tests.web.pages.builders import address_of, build_chain

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BAD_VALUES = [
    "zz",
    "0" * 63,
    "0" * 65,
    "g" * 64,
    SCRIPT,
    "<img src=x onerror=alert(1)>",
    "' OR '1'='1",
    "1; DROP TABLE indexer_block; --",
    "-1",
    "99999999999",
    "9" * 40,
    "2147483648",
    "\uff11\uff12\uff13",  # full-width digits
    "\u0000",
    "a" * 3000,
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "rcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    "rcdv1" + "q" * 50,
    "RcDv1qqqq",
]
UNKNOWN_HASH = "ab" * 32
UNKNOWN_ADDRESS = address_of(999)[0]
QUERY_PARAMS = {"page", "after", "q"}
PARAMETERS = {"block_hash", "height", "txid", "address"}


def _routes() -> list[URLPattern]:
    return [p for p in urlpatterns if isinstance(p, URLPattern)]


def _path(pattern: URLPattern, value: str) -> str:
    route = str(pattern.pattern)
    for name in pattern.pattern.converters:
        assert name in PARAMETERS, f"the bad-input walk does not know parameter {name!r}"
        route = route.replace(f"<str:{name}>", quote(value, safe=""))
    return "/" + route


def _body(response: HttpResponseBase) -> str:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


def _check(response_status: int, body: str, allowed: set[int]) -> None:
    assert response_status in allowed, (response_status, body[:500])
    assert SCRIPT not in body
    assert "<img src=x" not in body


@pytest.fixture
def chain_rows() -> None:
    build_chain(blocks=3)


@pytest.mark.usefixtures("chain_rows")
@pytest.mark.parametrize("value", BAD_VALUES)
def test_every_route_refuses_bad_path_values(client: Client, value: str) -> None:
    for pattern in _routes():
        if not pattern.pattern.converters:
            continue
        response = client.get(_path(pattern, value))
        _check(response.status_code, _body(response), {400, 404})


@pytest.mark.usefixtures("chain_rows")
def test_unknown_but_well_formed_identifiers_are_404(client: Client) -> None:
    for path in [f"/block/{UNKNOWN_HASH}", f"/tx/{UNKNOWN_HASH}", "/block-height/999999",
                 f"/address/{UNKNOWN_ADDRESS}", f"/address/{UNKNOWN_ADDRESS}/csv"]:  # fmt: skip
        response = client.get(path)
        _check(response.status_code, _body(response), {404})
        assert "Not found" in _body(response)


@pytest.mark.parametrize("value", [*BAD_VALUES, "0", "", "1.5", "1e3", " 2"])
def test_every_route_refuses_bad_query_values(client: Client, value: str) -> None:
    chain = build_chain(blocks=3)
    good = {"block_hash": chain.blocks[-1].hash, "height": "1", "txid": chain.txs[-1].txid,
            "address": chain.miner}  # fmt: skip
    for pattern in _routes():
        route = "/" + str(pattern.pattern)
        for name in pattern.pattern.converters:
            route = route.replace(f"<str:{name}>", good[name])
        for param in QUERY_PARAMS:
            response = client.get(route, {param: value})
            assert response.status_code != 500
            _check(response.status_code, _body(response), {200, 302, 400, 404})


def test_huge_page_numbers_and_foreign_cursors(client: Client) -> None:
    chain = build_chain(blocks=3)
    block = chain.blocks[-1].hash
    assert client.get(f"/block/{block}", {"page": "2"}).status_code == 404
    assert client.get(f"/block/{block}", {"page": "2147483647"}).status_code == 404
    assert client.get(f"/block/{block}", {"page": "2147483648"}).status_code == 400
    assert client.get(f"/block/{block}", {"page": "0"}).status_code == 400
    # a txid that exists but is not in this address's history
    foreign = chain.txs[0].txid  # the first coinbase pays the miner, not the payee
    response = client.get(f"/address/{chain.payee}", {"after": foreign})
    assert response.status_code == 404
    assert "not in this address" in _body(response)


def test_non_get_methods_are_refused(client: Client) -> None:
    build_chain(blocks=1)
    for pattern in _routes():
        if pattern.pattern.converters:
            continue
        assert client.post("/" + str(pattern.pattern)).status_code in {403, 405}
