"""Websocket consumer tests."""
