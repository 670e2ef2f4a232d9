"""Rusty Coin full node: a plain Python library and daemon (no Django, no web stack)."""

__version__ = "0.1.0"
