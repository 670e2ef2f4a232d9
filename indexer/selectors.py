"""Read-only queries the UI apps use; for now the static facts of the served network."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from node import api


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    """What a page shows about the network before any block is indexed."""

    name: str
    params: dict[str, str]
    genesis: dict[str, str]


def network_facts() -> NetworkFacts:
    """The configured network's parameters and genesis header, formatted for display."""
    params = api.get_params(settings.RUSTY_NETWORK)
    return NetworkFacts(
        name=params.name,
        params=api.describe_params(params),
        genesis=api.describe_header(api.genesis_block(params).header),
    )
