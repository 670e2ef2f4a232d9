"""Template context shared by every page: the network the site serves."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The network name shown in the page header."""
    return {"rusty_network": settings.RUSTY_NETWORK}
