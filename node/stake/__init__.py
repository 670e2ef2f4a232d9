"""Hybrid proof of stake (SPEC §5.2-§5.4): tickets, price, lottery, votes, stake rewards,
revocations, slashing, the ticket pool state machine and agenda tallies.

A deterministic library: the rules import only node.consensus, node.crypto, node.types,
node.params and node.errors; `store.py` persists the pool in LMDB (node.storage), and the
chain wires both in (docs/protocol/stake.md, "Integration").
"""
