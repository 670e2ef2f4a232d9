"""The installed apps are routed and serve their pages; unknown paths get a clear 404."""

from __future__ import annotations

import pytest
from django.test import Client

from node.api import genesis_block, get_params

pytestmark = pytest.mark.django_db


def test_home_shows_the_devnet_genesis_block(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    genesis = genesis_block(get_params("devnet"))
    assert genesis.hash.hex() in body
    assert "Rusty Coin devnet explorer" in body
    assert "rcdv" in body  # address prefix in the parameters card


@pytest.mark.parametrize(
    ("path", "text"), [("/governance/", "Governance"), ("/wallet/", "never sent to this server")]
)
def test_app_landing_pages(client: Client, path: str, text: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "network": "devnet"}


@pytest.mark.parametrize("path", ["/nope", "/block/zz/x", "/<script>alert(1)</script>", "/%00"])
def test_unknown_paths_get_a_clear_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body
    assert "<script>alert(1)</script>" not in body


def test_malformed_hash_gets_a_clear_400(client: Client) -> None:
    response = client.get("/block/zz")
    assert response.status_code == 400
    assert "expected 64 hexadecimal characters" in response.content.decode()


def test_admin_is_routed(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_security_headers(client: Client) -> None:
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_node_card_says_when_the_node_is_unreachable(client: Client) -> None:
    response = client.get("/node-status")
    assert response.status_code == 200
    body = response.content.decode()
    assert "The node is not reachable" in body
    assert 'hx-trigger="every 5s"' in body
