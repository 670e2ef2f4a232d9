"""Project-level views: the health check and the 404 page."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe for load balancers: the process answers and knows its network."""
    return JsonResponse({"status": "ok", "network": settings.RUSTY_NETWORK})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A clear 404 page in the site's layout."""
    return render(request, "404.html", {"path": request.path}, status=404)
