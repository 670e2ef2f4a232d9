"""Search: straight to what a height, hash, txid or address names; prefix completions (also
as the htmx dropdown); a friendly message for malformed queries, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from explorer.search import QueryKind, classify
from tests.web.pages.builders import HRP, add_mempool_tx, address_of, build_chain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("", QueryKind.EMPTY),
        ("   ", QueryKind.EMPTY),
        ("0", QueryKind.HEIGHT),
        (" 42 ", QueryKind.HEIGHT),
        ("2147483647", QueryKind.HEIGHT),
        ("2147483648", QueryKind.MALFORMED),
        ("ab" * 32, QueryKind.HASH),
        ("AB" * 32, QueryKind.HASH),
        ("abcd", QueryKind.HEX_PREFIX),
        ("abc", QueryKind.MALFORMED),
        ("ab" * 33, QueryKind.MALFORMED),
        (address_of(1)[0], QueryKind.ADDRESS),
        (address_of(1)[0].upper(), QueryKind.ADDRESS),
        (address_of(1)[0][:12], QueryKind.ADDRESS_PREFIX),
        ("rcdv1qB", QueryKind.MALFORMED),  # mixed case
        ("rcrt1qqqqqq", QueryKind.MALFORMED),  # another network's prefix
        ("rc1qqqq", QueryKind.MALFORMED),
        ("<script>alert(1)</script>", QueryKind.MALFORMED),
        ("' OR 1=1 --", QueryKind.MALFORMED),
        ("x" * 101, QueryKind.MALFORMED),
    ],
)
def test_classify(raw: str, kind: QueryKind) -> None:
    query = classify(raw, HRP)
    assert query.kind is kind
    if kind is QueryKind.MALFORMED:
        assert query.problem
        assert raw.strip() not in query.problem or raw.strip() in {"rc1qqqq"}


def test_exact_matches_redirect(client: Client) -> None:
    chain = build_chain(blocks=4)
    pooled = add_mempool_tx(chain)
    cases = {
        "2": f"/block/{chain.blocks[2].hash}",
        chain.blocks[3].hash: f"/block/{chain.blocks[3].hash}",
        chain.blocks[3].hash.upper(): f"/block/{chain.blocks[3].hash}",
        chain.txs[1].txid: f"/tx/{chain.txs[1].txid}",
        pooled.txid: f"/tx/{pooled.txid}",
        chain.miner: f"/address/{chain.miner}",
        chain.miner.upper(): f"/address/{chain.miner}",
        chain.blocks[1].hash[:10]: f"/block/{chain.blocks[1].hash}",  # a unique prefix
    }
    for query, location in cases.items():
        response = client.get("/search", {"q": query})
        assert response.status_code == 302, query
        assert response["Location"] == location


def test_ambiguous_prefix_lists_candidates(client: Client) -> None:
    chain = build_chain(blocks=2)
    response = client.get("/search", {"q": f"{HRP}1q"})  # every P2PKH address starts so
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 matches; pick one" in body
    assert f'href="/address/{chain.miner}"' in body
    assert f'href="/address/{chain.payee}"' in body


def test_nothing_found_is_a_404_with_a_message(client: Client) -> None:
    build_chain(blocks=2)
    for query, message in [
        ("50", "There is no block at height 50: the tip is at height 1."),
        ("ab" * 32, "No block or transaction with that hash is known."),
        ("ffff", "Nothing known starts with that."),
    ]:
        response = client.get("/search", {"q": query})
        assert response.status_code == 404
        assert message in response.content.decode()


def test_malformed_query_gets_a_friendly_400(client: Client) -> None:
    for query in ["hello world", "<script>alert(1)</script>", "' OR 1=1 --", "rcrt1qqqqqq"]:
        response = client.get("/search", {"q": query})
        body = response.content.decode()
        assert response.status_code == 400
        assert 'id="search-message"' in body
        assert "<script>alert(1)</script>" not in body


def test_empty_search_shows_the_form(client: Client) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert 'action="/search"' in response.content.decode()


def test_suggest_dropdown_partial(client: Client) -> None:
    chain = build_chain(blocks=3)
    body = client.get("/search/suggest", {"q": chain.txs[0].txid[:6]}).content.decode()
    assert body.strip().startswith('<ul class="suggestion-list"')
    assert f'href="/tx/{chain.txs[0].txid}"' in body
    assert "<html" not in body  # a fragment, not a page
    height = client.get("/search/suggest", {"q": "1"}).content.decode()
    assert f'href="/block/{chain.blocks[1].hash}"' in height
    bad = client.get("/search/suggest", {"q": "<b>x</b>"})
    assert bad.status_code == 200
    assert 'class="muted suggestion-note"' in bad.content.decode()
    assert "<b>x</b>" not in bad.content.decode()
    assert client.get("/search/suggest", {"q": ""}).content.decode().strip() == ""


def test_every_page_has_the_search_form_with_htmx_suggestions(client: Client) -> None:
    body = client.get("/").content.decode()
    assert 'action="/search" method="get"' in body
    assert 'hx-get="/search/suggest"' in body
    assert 'hx-target="#search-suggestions"' in body
