"""The peer-to-peer network (SPEC §8): framing, messages, peers, address manager, ban list,
headers-first sync with parallel block download, and relay of transactions, blocks (headers
and compact blocks) and stake votes.

`node.p2p.service.P2PService` is the entry point the daemon starts in its asyncio loop;
docs/protocol/p2p.md describes the wire format and every choice made where SPEC is silent.
"""
