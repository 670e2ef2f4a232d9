"""Websocket URL routing; each app contributes its consumers' routes here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
