"""Explorer pages (thin: selectors supply the data)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from indexer.selectors import network_facts


def home(request: HttpRequest) -> HttpResponse:
    """The home page: network facts and the genesis block until blocks are indexed."""
    return render(request, "explorer/home.html", {"facts": network_facts()})
