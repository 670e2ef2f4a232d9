"""Governance portal pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """Landing page of the portal."""
    return render(request, "governance_ui/index.html")
