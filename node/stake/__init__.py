"""Hybrid proof of stake (SPEC §5.2-§5.4): tickets, price, lottery, votes, stake rewards,
revocations, slashing, the ticket pool state machine and agenda tallies.

A pure, deterministic library: it imports only node.consensus, node.crypto, node.types,
node.params and node.errors; the chain wires it to storage (docs/protocol/stake.md,
"Integration").
"""
