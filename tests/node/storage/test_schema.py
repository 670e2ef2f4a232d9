"""Key layouts of node.storage.schema: sizes, ordering, inverses, uniqueness and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.storage import InvalidKey, schema
from node.types import OutPoint

hashes = st.binary(min_size=32, max_size=32)
outpoints = st.builds(OutPoint, hashes, st.integers(0, 0xFFFF_FFFF))
U64_MAX = (1 << 64) - 1


def test_db_names_are_distinct_and_complete() -> None:
    names = [getattr(schema, n) for n in dir(schema) if n.startswith("DB_")]
    assert len(names) == len(set(names)) == len(schema.ALL_DBS)
    assert set(names) == set(schema.ALL_DBS)
    assert all(isinstance(n, bytes) and n for n in schema.ALL_DBS)


def test_meta_keys_are_distinct() -> None:
    keys = [getattr(schema, n) for n in dir(schema) if n.startswith("META_")]
    assert len(keys) == 4
    assert len(set(keys)) == len(keys)


def test_schema_version_is_a_positive_int() -> None:
    assert isinstance(schema.SCHEMA_VERSION, int)
    assert schema.SCHEMA_VERSION >= 1


@given(st.lists(st.integers(0, U64_MAX), min_size=2, max_size=30, unique=True))
def test_height_key_sorts_numerically(heights: list[int]) -> None:
    keys = [schema.height_key(h) for h in heights]
    assert all(len(k) == schema.HEIGHT_KEY_SIZE for k in keys)
    assert sorted(keys) == [schema.height_key(h) for h in sorted(heights)]
    assert [schema.height_from_key(k) for k in keys] == heights


def test_height_key_boundaries() -> None:
    assert schema.height_key(255) < schema.height_key(256) < schema.height_key(65_536)
    assert schema.height_key(0) == bytes(8)
    for bad in (-1, U64_MAX + 1, 1.0, True, "1"):
        with pytest.raises(InvalidKey):
            schema.height_key(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        schema.height_from_key(b"\x00" * 7)


@given(outpoints)
def test_utxo_key_round_trip(outpoint: OutPoint) -> None:
    key = schema.utxo_key(outpoint)
    assert len(key) == schema.UTXO_KEY_SIZE
    assert key[:32] == outpoint.txid
    assert schema.outpoint_from_utxo_key(key) == outpoint


def test_utxo_keys_of_one_tx_are_adjacent_and_ordered() -> None:
    txid = bytes(range(32))
    vouts = [0, 1, 2, 255, 256, 70_000, 0xFFFF_FFFF]
    keys = [schema.utxo_key(OutPoint(txid, v)) for v in vouts]
    assert keys == sorted(keys)
    other_low = schema.utxo_key(OutPoint(bytes(range(31)) + b"\x1e", 0xFFFF_FFFF))
    other_high = schema.utxo_key(OutPoint(bytes(range(31)) + b"\x20", 0))
    assert other_low < keys[0]
    assert keys[-1] < other_high
    with pytest.raises(InvalidKey):
        schema.outpoint_from_utxo_key(keys[0][:-1])


def test_block_key() -> None:
    h = bytes(range(32))
    assert schema.block_key(h) == h
    for bad in (b"\x00" * 31, b"\x00" * 33, bytearray(32), "00" * 32):
        with pytest.raises(InvalidKey):
            schema.block_key(bad)  # type: ignore[arg-type]


def test_trie_keys() -> None:
    h = bytes(range(32))
    assert schema.trie_node_key(h) == b"n" + h
    jk = schema.trie_journal_key(258, h)
    assert jk == b"j" + (258).to_bytes(8, "big") + h
    assert jk.startswith(schema.trie_journal_prefix(258))
    assert schema.trie_journal_key_parts(jk) == (258, h)
    # journals sort by height whatever the block hash
    assert schema.trie_journal_key(9, b"\xff" * 32) < schema.trie_journal_key(10, bytes(32))
    # node and journal keys never collide (different first byte)
    assert schema.trie_node_key(h)[:1] != jk[:1]
    with pytest.raises(InvalidKey):
        schema.trie_node_key(h[:31])
    with pytest.raises(InvalidKey):
        schema.trie_journal_key(-1, h)
    with pytest.raises(InvalidKey):
        schema.trie_journal_key_parts(schema.trie_node_key(h))
    with pytest.raises(InvalidKey):
        schema.trie_journal_key_parts(jk[:-1])


@given(outpoints, hashes)
def test_state_keys_are_unique_per_kind(outpoint: OutPoint, ident: bytes) -> None:
    keys = {
        schema.state_utxo_key(outpoint),
        schema.state_ticket_key(ident),
        schema.state_masternode_key(ident),
        schema.state_proposal_key(ident),
    }
    assert len(keys) == 4
    assert schema.state_utxo_key(outpoint) == b"utxo" + schema.utxo_key(outpoint)
    assert schema.state_ticket_key(ident) == b"tckt" + ident
    assert schema.state_masternode_key(ident) == b"mnod" + ident
    assert schema.state_proposal_key(ident) == b"prop" + ident


def test_state_keys_reject_bad_ids() -> None:
    for fn in (schema.state_ticket_key, schema.state_masternode_key, schema.state_proposal_key):
        with pytest.raises(InvalidKey):
            fn(b"\x00" * 20)


def test_distinct_outpoints_give_distinct_keys() -> None:
    a = OutPoint(bytes(32), 1)
    b = OutPoint(bytes(31) + b"\x01", 0)
    assert schema.utxo_key(a) != schema.utxo_key(b)
    assert schema.state_utxo_key(a) != schema.state_utxo_key(b)
