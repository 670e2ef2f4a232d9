"""Websocket URL routing; each app contributes its consumers' routes here.

`/ws/` speaks the explorer's JSON protocol and `/ws/html/` sends htmx fragments; both are
documented in docs/WEBSOCKET.md.
"""

from django.urls import URLPattern, path

from explorer.consumers import HtmlLiveConsumer, LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/", LiveConsumer.as_asgi()),
    path("ws/html/", HtmlLiveConsumer.as_asgi()),
]
