"""Explorer pages (thin: selectors and services supply the data)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from indexer.selectors import network_facts
from indexer.services import node_status


def home(request: HttpRequest) -> HttpResponse:
    """The home page: the live node status, the network facts and the genesis block."""
    context = {"facts": network_facts(), "node": node_status()}
    return render(request, "explorer/home.html", context)


def node_card(request: HttpRequest) -> HttpResponse:
    """The node-status card alone, polled by htmx every few seconds."""
    return render(request, "explorer/home.html#node-status", {"node": node_status()})
