"""Web wallet pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """Landing page of the wallet."""
    return render(request, "wallet_ui/index.html")
