"""The staff admin (read-only views, search, filters, the reindex action), the DailyStat
aggregate task, and the `runnode` command's option handling."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pytest
from django.test import Client

from indexer.models import Address, Block, DailyStat, IndexerState, Ticket, Transaction
from indexer.sink import Indexer
from indexer.tasks import update_daily_stats
from node import api
from tests.web.indexer.chainbuilder import ROOT
from tests.web.indexer.conftest import Chains
from tests.web.indexer.expected import compare, recompute


def index_default(chains: Chains) -> None:
    reader = api.ChainReader.open_readonly(chains.a, chains.params)
    try:
        Indexer(reader).sync()
    finally:
        reader.close()


@pytest.mark.django_db(transaction=True)
def test_admin_lists_searches_and_filters_read_only(admin_client: Client, chains: Chains) -> None:
    index_default(chains)
    block = Block.objects.order_by("-height").first()
    assert block is not None
    tx = Transaction.objects.filter(height=block.height).first()
    address = Address.objects.order_by("-balance").first()
    ticket = Ticket.objects.first()
    assert tx is not None
    assert address is not None
    assert ticket is not None
    pages = {
        "/admin/indexer/block/": block.hash,
        f"/admin/indexer/block/?q={block.hash}": block.hash,
        f"/admin/indexer/block/?q={block.height}": block.hash,
        f"/admin/indexer/transaction/?q={tx.txid}": tx.txid,
        "/admin/indexer/transaction/?is_coinbase__exact=1": tx.txid[:0],
        f"/admin/indexer/address/?q={address.address[:12]}": address.address,
        f"/admin/indexer/address/?funded=yes&q={address.address}": address.address,
        "/admin/indexer/ticket/?status__exact=live": "live",
        f"/admin/indexer/ticket/?q={ticket.ticket_id}": ticket.ticket_id,
        "/admin/indexer/mempooltx/": "mempool",
        "/admin/indexer/indexerstate/": block.hash,
        f"/admin/indexer/block/{block.pk}/change/": block.hash,
        "/admin/indexer/dailystat/": "stat",
    }
    for url, needle in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert needle in response.content.decode(), url
    for url in ("/admin/indexer/block/add/", f"/admin/indexer/block/{block.pk}/delete/"):
        assert admin_client.get(url).status_code == 403, url
    # the change page is a view: no save button
    change = admin_client.get(f"/admin/indexer/block/{block.pk}/change/").content.decode()
    assert "_save" not in change
    # SQL-ish and script-ish searches are plain strings
    for q in ("' OR 1=1 --", "<script>alert(1)</script>", "%", "9" * 40):
        assert admin_client.get("/admin/indexer/block/", {"q": q}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_reindex_action_is_picked_up_by_the_indexer(admin_client: Client, chains: Chains) -> None:
    index_default(chains)
    low = Block.objects.get(height=chains.fork - 3)
    response = admin_client.post(
        "/admin/indexer/block/",
        {"action": "reindex_from_height", "_selected_action": [low.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Reindex from height {low.height} requested" in response.content.decode()
    assert IndexerState.objects.get(name="main").reindex_from == low.height
    reader = api.ChainReader.open_readonly(chains.a, chains.params)
    try:
        indexer = Indexer(reader)
        indexer.sync()
    finally:
        reader.close()
    expected = recompute(chains.a, chains.params)
    assert indexer.blocks_indexed == expected.height - low.height + 1
    assert compare(expected, "default") == []
    assert IndexerState.objects.get(name="main").reindex_from is None


@pytest.mark.django_db(transaction=True)
def test_reindex_needs_a_superuser(client: Client, chains: Chains, django_user_model: Any) -> None:
    index_default(chains)
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_block"))
    client.force_login(staff)
    page = client.get("/admin/indexer/block/")
    assert page.status_code == 200
    assert "reindex_from_height" not in page.content.decode()
    low = Block.objects.get(height=3)
    client.post("/admin/indexer/block/", {"action": "reindex_from_height",
                                          "_selected_action": [low.pk]})  # fmt: skip
    assert IndexerState.objects.get(name="main").reindex_from is None


@pytest.mark.django_db(transaction=True)
def test_daily_stats_task_is_exact_and_idempotent(chains: Chains) -> None:
    index_default(chains)
    per_day: dict[dt.date, list[Block]] = defaultdict(list)
    for block in Block.objects.order_by("height"):
        per_day[dt.datetime.fromtimestamp(block.timestamp, tz=dt.UTC).date()].append(block)
    written = update_daily_stats.delay()  # eager without a broker (the embedded setup)
    assert written.get() == len(per_day)

    first = list(DailyStat.objects.order_by("day").values())
    assert update_daily_stats() == len(per_day)
    assert update_daily_stats(full=True) == len(per_day)
    again = list(DailyStat.objects.order_by("day").values())
    assert [{k: v for k, v in r.items() if k != "id"} for r in first] == [
        {k: v for k, v in r.items() if k != "id"} for r in again
    ]
    for stat in DailyStat.objects.all():
        blocks = per_day[stat.day]
        assert stat.block_count == len(blocks)
        assert stat.tx_count == sum(b.tx_count for b in blocks)
        assert stat.total_size == sum(b.size for b in blocks)
        assert stat.total_fees == sum(b.total_fees for b in blocks)
        assert stat.supply == blocks[-1].supply
        assert stat.ticket_pool_size == blocks[-1].ticket_pool_size
    with pytest.raises(ValueError, match="days"):
        update_daily_stats(0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--network", "nowhere"], "invalid choice: 'nowhere'"),
        (["--rpcport", "70000"], "--rpcport must be between 0 and 65535"),
        (["--network", "mainnet", "--stakevalidationheight", "5"], "only allowed on regtest"),
    ],
)
def test_runnode_rejects_bad_node_options(args: list[str], message: str, tmp_path: Any) -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "runnode", "--datadir", str(tmp_path), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert message in out.stderr


def test_runnode_help_lists_the_node_options() -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "runnode", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0
    assert "runnode" in out.stdout
    assert "--minewallet" in out.stdout
    assert "--rpcport" in out.stdout


def test_runnode_refuses_an_unmigrated_database(tmp_path: Any) -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "runnode", "--network", "regtest", "--datadir",
         str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
             "RUSTY_DATADIR": str(tmp_path)},
    )  # fmt: skip
    assert out.returncode == 1
    assert "unapplied migration(s): run `manage.py migrate` first" in out.stderr
    assert not (tmp_path / "regtest" / "chain.lmdb").exists()
