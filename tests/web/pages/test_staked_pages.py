"""The explorer pages on a real staked chain (tests/web/stakechain.py, indexed by the real
indexer): stake transaction types are named and explained, the stake output is marked,
stake rewards in the coinbase are labelled, the block page lists its votes, the tickets
page counts every state, and every page route answers 200 for every kind of object.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern

from explorer.urls import urlpatterns
from indexer.models import Block, Ticket, Transaction, Vote
from node import api
from node.types import TxType
from tests.web.stakechain import PARAMS, REWARD_SCRIPT, STAKER_SCRIPT, SVH, StakedChain

pytestmark = pytest.mark.django_db

HRP = PARAMS.bech32_hrp
STAKER = api.script_address(STAKER_SCRIPT, HRP)
REWARD = api.script_address(REWARD_SCRIPT, HRP)


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def _row(body: str, section: str, index: int) -> str:
    """The <tr> of input/output `index` in the section with that id."""
    part = body.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", part, re.S)
    return next(cells for i, cells in rows if int(i) == index)


def test_ticket_purchase_page_marks_the_stake_and_shows_the_ticket(
    client: Client, staked_db: StakedChain
) -> None:
    voted = Ticket.objects.filter(status="voted").order_by("purchase_height").first()
    assert voted is not None
    body = page(client, f"/tx/{voted.ticket_id}")
    assert "<dd>Ticket purchase <span" in body
    assert "stake" in _row(body, "tx-outputs", 0)
    assert "stake" not in _row(body, "tx-outputs", 1)
    ticket = body.split('id="tx-ticket"', 1)[1].split("</section>", 1)[0]
    assert "Voted" in ticket
    vote_block = Block.objects.get(height=voted.vote_block_height)
    assert f'href="/block/{vote_block.hash}"' in ticket
    assert REWARD in ticket


def test_revocation_and_slash_pages_name_their_ticket(
    client: Client, staked_db: StakedChain
) -> None:
    revoke = staked_db.revoke_txids[-1]
    body = page(client, f"/tx/{revoke}")
    assert "<dd>Ticket revocation <span" in body
    ticket_id = Transaction.objects.get(txid=revoke).inputs.get(index=0).prev_txid
    assert f'href="/tx/{ticket_id}"' in body.split('id="tx-ticket"', 1)[1]
    assert "Revoked" in body.split('id="tx-ticket"', 1)[1].split("</section>", 1)[0]

    body = page(client, f"/tx/{staked_db.slash_txid}")
    assert "<dd>Slash <span" in body
    ticket = body.split('id="tx-ticket"', 1)[1].split("</section>", 1)[0]
    assert f'href="/tx/{staked_db.slashed}"' in ticket
    assert "burned" in ticket.lower()
    assert STAKER in ticket
    # the purchase page says its stake was burned by the slash, not "spent"
    body = page(client, f"/tx/{staked_db.slashed}")
    cells = _row(body, "tx-outputs", 0)
    assert "burned" in cells.lower()
    assert f'href="/tx/{staked_db.slash_txid}"' in cells


def test_coinbase_labels_its_stake_rewards(client: Client, staked_db: StakedChain) -> None:
    block = Block.objects.get(height=SVH + 5)
    coinbase = Transaction.objects.get(block=block, position=0)
    body = page(client, f"/tx/{coinbase.txid}")
    assert "<dd>Coinbase <span" in body
    part = body.split('id="tx-outputs"', 1)[1].split("</section>", 1)[0]
    assert part.count("stake reward") == block.vote_count
    votes = Vote.objects.filter(block=block).order_by("position")
    for v in votes:
        assert f'href="/tx/{v.ticket_id}"' in part


def test_block_page_lists_votes_and_tickets_page_counts_states(
    client: Client, staked_db: StakedChain
) -> None:
    block = Block.objects.get(height=SVH + 10)
    body = page(client, f"/block/{block.hash}")
    votes = body.split('id="block-votes"', 1)[1].split("</section>", 1)[0]
    for v in Vote.objects.filter(block=block):
        assert v.ticket_id in votes
    assert f"Votes ({block.vote_count})" in votes
    body = page(client, "/tickets")
    counts = body.split('id="ticket-status-counts"', 1)[1].split("</dl>", 1)[0]
    for status in ("Immature", "Live", "Voted", "Missed", "Expired", "Revoked", "Slashed"):
        assert f"<dt>{status}</dt>" in counts
    assert "No votes yet" not in body


def test_every_page_route_answers_for_every_kind_of_object(
    client: Client, staked_db: StakedChain
) -> None:
    """The route walker with real objects: a block before and after SVH, a tx of every
    type (and the mempool purchase), the staker and reward addresses: 200/302, never 500."""
    assert staked_db.mempool_purchase is not None
    txids = [
        Transaction.objects.filter(tx_type=t).values_list("txid", flat=True).first()
        for t in (TxType.COINBASE, TxType.STANDARD, TxType.TICKET_PURCHASE,
                  TxType.TICKET_REVOKE, TxType.SLASH)
    ] + [staked_db.mempool_purchase.txid.hex()]  # fmt: skip
    blocks = [Block.objects.get(height=h) for h in (0, SVH - 1, SVH, staked_db.slash_height)]
    values = {
        "block_hash": [b.hash for b in blocks],
        "height": [str(b.height) for b in blocks],
        "txid": txids,
        "address": [STAKER, REWARD],
    }
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        names = list(pattern.pattern.converters)
        if not names:
            assert client.get("/" + str(pattern.pattern)).status_code == 200
            continue
        (name,) = names
        for value in values[name]:
            path = "/" + str(pattern.pattern).replace(f"<str:{name}>", str(value))
            assert client.get(path).status_code in {200, 302}, path


def test_block_page_shows_the_coins_created_with_stake_rewards(
    client: Client, staked_db: StakedChain
) -> None:
    """Only the shares with a recipient are created (SPEC §5.1): before SVH the miner's
    30 %, from SVH on plus 7 % per vote; the page says so next to the scheduled subsidy."""
    for height in (SVH - 1, SVH + 5):
        block = Block.objects.get(height=height)
        coinbase = Transaction.objects.get(block=block, position=0)
        body = page(client, f"/block/{block.hash}")
        created = api.format_amount(coinbase.output_total - block.total_fees)
        assert f'<span id="block-created">{created}</span> created' in body
        subsidy = api.subsidy(height, PARAMS)
        assert created == api.format_amount(subsidy * (30 + 7 * block.vote_count) // 100)
        if block.vote_count:
            assert (
                f"{block.vote_count} stake rewards of {api.format_amount(subsidy * 7 // 100)}"
                in body
            )
