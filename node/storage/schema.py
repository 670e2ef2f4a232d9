"""The database schema (SPEC §10): sub-database names and every key layout, built in ONE place.

Modelled on py-evm's ``eth/db/schema.py``: small documented functions, one per kind of key.
Nothing else in the node concatenates bytes into a database key. ``docs/protocol/storage.md``
describes the same layouts in prose; the two must agree.

Integers inside keys are **big-endian** so that LMDB's lexicographic key order is numeric
order (heights iterate in height order, a transaction's outputs are adjacent and ordered by
index). Values are encoded in :mod:`node.storage.records`.
"""

from __future__ import annotations

import struct
from typing import Final

from node.storage.errors import InvalidKey
from node.types import OutPoint

__all__ = [
    "ALL_DBS",
    "DB_BLOCKS",
    "DB_BLOCK_INDEX",
    "DB_GOVERNANCE",
    "DB_HEIGHTS",
    "DB_MASTERNODES",
    "DB_META",
    "DB_QUORUMS",
    "DB_STATE_TRIE",
    "DB_TICKETS",
    "DB_UNDO",
    "DB_UTXO",
    "HASH_KEY_SIZE",
    "HEIGHT_KEY_SIZE",
    "META_NETWORK",
    "META_SCHEMA_VERSION",
    "META_TIP",
    "META_TRIE_PRUNED_HEIGHT",
    "SCHEMA_VERSION",
    "STATE_MASTERNODE_PREFIX",
    "STATE_PROPOSAL_PREFIX",
    "STATE_TICKET_PREFIX",
    "STATE_UTXO_PREFIX",
    "TICKET_LIVE_PREFIX",
    "TICKET_POOL_INFO_KEY",
    "TICKET_PURCHASE_PREFIX",
    "TICKET_RECORD_PREFIX",
    "TICKET_UNDO_PREFIX",
    "TRIE_HEIGHT_PREFIX",
    "TRIE_JOURNAL_PREFIX",
    "TRIE_NODE_PREFIX",
    "TRIE_PRUNE_FLOOR_KEY",
    "UTXO_KEY_SIZE",
    "block_key",
    "height_from_key",
    "height_key",
    "outpoint_from_utxo_key",
    "state_masternode_key",
    "state_proposal_key",
    "state_ticket_key",
    "state_utxo_key",
    "ticket_id_from_live_key",
    "ticket_id_from_record_key",
    "ticket_live_key",
    "ticket_purchase_key",
    "ticket_purchase_key_parts",
    "ticket_purchase_prefix",
    "ticket_record_key",
    "ticket_undo_key",
    "trie_height_key",
    "trie_journal_key",
    "trie_journal_key_parts",
    "trie_journal_prefix",
    "trie_node_key",
    "utxo_key",
]

#: Version of the on-disk layout (keys and record encodings). Bump it whenever either changes;
#: a database with another version is refused with SchemaVersionMismatch.
SCHEMA_VERSION: Final = 1

# --------------------------------------------------------------------------- sub-databases

#: Schema version, network name, tip and other singletons (keys ``META_*`` below).
DB_META: Final = b"meta"
#: Block hash -> BlockIndexRecord (header, chain work, status, tx count, size). This is also
#: SPEC §10's "headers" database: every known header lives here, with or without its body.
DB_BLOCK_INDEX: Final = b"block_index"
#: Block hash -> the block's raw wire serialization.
DB_BLOCKS: Final = b"blocks"
#: Block hash -> BlockUndo (the coins a connected block spent).
DB_UNDO: Final = b"undo"
#: utxo_key(outpoint) -> Coin.
DB_UTXO: Final = b"utxo"
#: height_key(height) -> hash of the main-chain block at that height.
DB_HEIGHTS: Final = b"heights"
#: The state trie's nodes (trie_node_key) and per-block journals (trie_journal_key).
DB_STATE_TRIE: Final = b"state_trie"
#: The ticket pool (ticket_record_key, ticket_live_key, ticket_purchase_key,
#: TICKET_POOL_INFO_KEY).
DB_TICKETS: Final = b"tickets"
#: Reserved for the masternode list, governance and quorums; their key builders are added
#: here by those layers.
DB_MASTERNODES: Final = b"masternodes"
DB_GOVERNANCE: Final = b"governance"
DB_QUORUMS: Final = b"quorums"

#: Every named sub-database, created when the environment is first opened.
ALL_DBS: Final[tuple[bytes, ...]] = (
    DB_META,
    DB_BLOCK_INDEX,
    DB_BLOCKS,
    DB_UNDO,
    DB_UTXO,
    DB_HEIGHTS,
    DB_STATE_TRIE,
    DB_TICKETS,
    DB_MASTERNODES,
    DB_GOVERNANCE,
    DB_QUORUMS,
)

# --------------------------------------------------------------------------- meta keys

#: u32 big-endian SCHEMA_VERSION.
META_SCHEMA_VERSION: Final = b"schema_version"
#: ASCII network name (``mainnet``, ``testnet``, ``regtest``, ``devnet``).
META_NETWORK: Final = b"network"
#: 32-byte hash of the main chain's tip (absent before genesis is connected).
META_TIP: Final = b"tip"
#: u64 big-endian: trie journals at or below this height have been pruned.
META_TRIE_PRUNED_HEIGHT: Final = b"trie_pruned_height"

# --------------------------------------------------------------------------- sizes, prefixes

HASH_KEY_SIZE: Final = 32
HEIGHT_KEY_SIZE: Final = 8
UTXO_KEY_SIZE: Final = 36

TRIE_NODE_PREFIX: Final = b"n"
TRIE_JOURNAL_PREFIX: Final = b"j"
TRIE_HEIGHT_PREFIX: Final = b"h"
TRIE_PRUNE_FLOOR_KEY: Final = b"p"
"""Key in DB_STATE_TRIE of the prune floor (u64 BE): no journal is kept below it."""

TICKET_RECORD_PREFIX: Final = b"t"
"""DB_TICKETS: ``b"t"`` + ticket id -> the ticket record (``Ticket.serialize()``)."""
TICKET_LIVE_PREFIX: Final = b"l"
"""DB_TICKETS: ``b"l"`` + ticket id -> empty value; present exactly while the ticket is LIVE."""
TICKET_PURCHASE_PREFIX: Final = b"p"
"""DB_TICKETS: ``b"p"`` + purchase height u64 BE + ticket id -> empty value, one per record."""
TICKET_POOL_INFO_KEY: Final = b"i"
"""DB_TICKETS: the single key of the pool info (``PoolInfo.serialize()``)."""
TICKET_UNDO_PREFIX: Final = b"u"
"""DB_TICKETS: ``b"u"`` + block hash -> the stake undo record of that connected block."""

STATE_UTXO_PREFIX: Final = b"utxo"
STATE_TICKET_PREFIX: Final = b"tckt"
STATE_MASTERNODE_PREFIX: Final = b"mnod"
STATE_PROPOSAL_PREFIX: Final = b"prop"

_U32BE = struct.Struct(">I")
_U64BE = struct.Struct(">Q")
_pack_u32be = _U32BE.pack
_pack_u64be = _U64BE.pack
_U64_MAX: Final = (1 << 64) - 1


def _hash32(value: bytes, what: str) -> bytes:
    if type(value) is not bytes or len(value) != HASH_KEY_SIZE:
        shown = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise InvalidKey(f"{what}: expected {HASH_KEY_SIZE} bytes, got {shown}")
    return value


def _height(height: int) -> bytes:
    if type(height) is not int or not 0 <= height <= _U64_MAX:
        raise InvalidKey(f"height: {height!r} is not an integer in [0, 2^64)")
    return _pack_u64be(height)


# --------------------------------------------------------------------------- block keys


def block_key(block_hash: bytes) -> bytes:
    """Key of a block in DB_BLOCK_INDEX, DB_BLOCKS and DB_UNDO: the 32-byte block hash."""
    return _hash32(block_hash, "block hash")


def height_key(height: int) -> bytes:
    """Key of DB_HEIGHTS: the height as u64 big-endian, so cursors iterate in height order."""
    return _height(height)


def height_from_key(key: bytes) -> int:
    """Inverse of :func:`height_key`."""
    if len(key) != HEIGHT_KEY_SIZE:
        raise InvalidKey(f"height key: expected {HEIGHT_KEY_SIZE} bytes, got {len(key)}")
    value: int = _U64BE.unpack(key)[0]
    return value


# --------------------------------------------------------------------------- utxo keys


def utxo_key(outpoint: OutPoint) -> bytes:
    """Key of DB_UTXO: txid (32) + vout u32 big-endian, so a transaction's outputs are
    adjacent and in index order."""
    return outpoint.txid + _pack_u32be(outpoint.vout)


def outpoint_from_utxo_key(key: bytes) -> OutPoint:
    """Inverse of :func:`utxo_key`."""
    if len(key) != UTXO_KEY_SIZE:
        raise InvalidKey(f"utxo key: expected {UTXO_KEY_SIZE} bytes, got {len(key)}")
    return OutPoint(bytes(key[:32]), _U32BE.unpack_from(key, 32)[0])


# --------------------------------------------------------------------------- state trie db


def trie_node_key(node_hash: bytes) -> bytes:
    """Key of a trie node in DB_STATE_TRIE: ``b"n"`` + the node's 32-byte hash."""
    return TRIE_NODE_PREFIX + _hash32(node_hash, "trie node hash")


def trie_journal_key(height: int, block_hash: bytes) -> bytes:
    """Key of a block's trie journal in DB_STATE_TRIE: ``b"j"`` + height u64 BE + block hash.

    Journals sort by height, so pruning walks them from the front.
    """
    return TRIE_JOURNAL_PREFIX + _height(height) + _hash32(block_hash, "block hash")


def trie_height_key(height: int) -> bytes:
    """Key in DB_STATE_TRIE listing the block hashes journaled at `height`:
    ``b"h"`` + height u64 BE."""
    return TRIE_HEIGHT_PREFIX + _height(height)


def trie_journal_prefix(height: int) -> bytes:
    """The common prefix of every journal key at ``height`` (``b"j"`` + height u64 BE)."""
    return TRIE_JOURNAL_PREFIX + _height(height)


def trie_journal_key_parts(key: bytes) -> tuple[int, bytes]:
    """Inverse of :func:`trie_journal_key`: ``(height, block_hash)``."""
    if len(key) != 1 + HEIGHT_KEY_SIZE + HASH_KEY_SIZE or key[:1] != TRIE_JOURNAL_PREFIX:
        raise InvalidKey(f"trie journal key: malformed ({key.hex()})")
    height: int = _U64BE.unpack_from(key, 1)[0]
    return height, bytes(key[1 + HEIGHT_KEY_SIZE :])


# --------------------------------------------------------------------------- tickets db
#
# DB_TICKETS holds the stake layer's ticket pool (node.stake.store.LmdbTicketStore): one
# record per ticket plus two indexes kept in step with it, and the pool info. The one-byte
# prefixes keep the kinds apart; within a kind, keys sort by ticket id (records, LIVE set)
# or by purchase height then ticket id (purchase index).


def ticket_record_key(ticket_id: bytes) -> bytes:
    """Key of a ticket record in DB_TICKETS: ``b"t"`` + ticket id (32)."""
    return TICKET_RECORD_PREFIX + _hash32(ticket_id, "ticket id")


def ticket_live_key(ticket_id: bytes) -> bytes:
    """Key of a ticket in DB_TICKETS' LIVE index: ``b"l"`` + ticket id (32)."""
    return TICKET_LIVE_PREFIX + _hash32(ticket_id, "ticket id")


def ticket_purchase_key(height: int, ticket_id: bytes) -> bytes:
    """Key of a ticket in DB_TICKETS' purchase-height index: ``b"p"`` + height u64 BE +
    ticket id (32), so the tickets bought at one height are adjacent."""
    return TICKET_PURCHASE_PREFIX + _height(height) + _hash32(ticket_id, "ticket id")


def ticket_undo_key(block_hash: bytes) -> bytes:
    """Key of a connected block's stake undo record in DB_TICKETS: ``b"u"`` + block hash."""
    return TICKET_UNDO_PREFIX + _hash32(block_hash, "block hash")


def ticket_purchase_prefix(height: int) -> bytes:
    """The common prefix of every purchase-index key at ``height`` (``b"p"`` + u64 BE)."""
    return TICKET_PURCHASE_PREFIX + _height(height)


def _ticket_id_after(key: bytes, prefix: bytes, what: str) -> bytes:
    if len(key) != len(prefix) + HASH_KEY_SIZE or not key.startswith(prefix):
        raise InvalidKey(f"{what}: malformed ({key.hex()})")
    return bytes(key[len(prefix) :])


def ticket_id_from_record_key(key: bytes) -> bytes:
    """Inverse of :func:`ticket_record_key`."""
    return _ticket_id_after(key, TICKET_RECORD_PREFIX, "ticket record key")


def ticket_id_from_live_key(key: bytes) -> bytes:
    """Inverse of :func:`ticket_live_key`."""
    return _ticket_id_after(key, TICKET_LIVE_PREFIX, "ticket live key")


def ticket_purchase_key_parts(key: bytes) -> tuple[int, bytes]:
    """Inverse of :func:`ticket_purchase_key`: ``(height, ticket_id)``."""
    if len(key) != 1 + HEIGHT_KEY_SIZE + HASH_KEY_SIZE or key[:1] != TICKET_PURCHASE_PREFIX:
        raise InvalidKey(f"ticket purchase key: malformed ({key.hex()})")
    height: int = _U64BE.unpack_from(key, 1)[0]
    return height, bytes(key[1 + HEIGHT_KEY_SIZE :])


# --------------------------------------------------------------------------- keys inside the trie


def state_utxo_key(outpoint: OutPoint) -> bytes:
    """Key of a UTXO inside the state trie: ``b"utxo"`` + txid + vout u32 BE."""
    return STATE_UTXO_PREFIX + outpoint.txid + _pack_u32be(outpoint.vout)


def state_ticket_key(ticket_id: bytes) -> bytes:
    """Key of a ticket inside the state trie: ``b"tckt"`` + ticket id (32)."""
    return STATE_TICKET_PREFIX + _hash32(ticket_id, "ticket id")


def state_masternode_key(pro_tx_hash: bytes) -> bytes:
    """Key of a masternode inside the state trie: ``b"mnod"`` + ProRegTx hash (32)."""
    return STATE_MASTERNODE_PREFIX + _hash32(pro_tx_hash, "pro_tx_hash")


def state_proposal_key(proposal_id: bytes) -> bytes:
    """Key of a governance proposal inside the state trie: ``b"prop"`` + proposal id (32)."""
    return STATE_PROPOSAL_PREFIX + _hash32(proposal_id, "proposal id")
