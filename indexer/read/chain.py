"""Blocks in Esplora's shapes: the tip, a block by hash or height, pages of blocks, headers,
block status and the txids of a block.

Esplora block fields: id, height, version, timestamp, tx_count, size, weight, merkle_root,
previousblockhash, mediantime, nonce, bits, difficulty. Rusty Coin extras (extra keys, never
renames): votes_root, state_root, chainwork, vote_count, total_fees, subsidy, total_out,
supply, ticket_price (what purchases in the block paid), next_ticket_price (what a purchase
in the next block pays), ticket_pool_size, votes [{ticket_id, vote_bits}].
`weight` is 4 x size: Rusty Coin has no witness discount, so vsize = weight / 4 = size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from indexer.models import Block, Transaction, Vote
from indexer.read.errors import NotFound
from node.types.block import BlockHeader

BLOCKS_PER_PAGE: Final = 10
"""Blocks in one /blocks page (Esplora's BLOCK_LIMIT)."""
MEDIAN_TIME_SPAN: Final = 11
"""Blocks in the median-time-past window (the block itself and the 10 before it)."""
WEIGHT_PER_BYTE: Final = 4
ZERO_HASH: Final = "0" * 64
BLOCK_NOT_FOUND: Final = "Block not found"


@dataclass(frozen=True, slots=True)
class Tip:
    """The highest indexed block."""

    height: int
    hash: str
    timestamp: int


def tip() -> Tip | None:
    """The indexed tip, or None before the first block is indexed."""
    row = Block.objects.order_by("-height").values_list("height", "hash", "timestamp").first()
    return None if row is None else Tip(*row)


def tip_height() -> int:
    """Height of the indexed tip (-1 when nothing is indexed yet)."""
    t = tip()
    return -1 if t is None else t.height


def confirmations(height: int | None, tip_h: int) -> int:
    """Confirmations of a block/tx at `height` (0 when unconfirmed or above the tip)."""
    if height is None or height > tip_h:
        return 0
    return tip_h - height + 1


def _median_times(rows: Sequence[Block]) -> dict[int, int]:
    """Median time past of each block in `rows`, from the timestamps of up to 11 blocks."""
    if not rows:
        return {}
    heights = [b.height for b in rows]
    low, high = min(heights) - MEDIAN_TIME_SPAN + 1, max(heights)
    stamps = dict(
        Block.objects.filter(height__gte=max(low, 0), height__lte=high).values_list(
            "height", "timestamp"
        )
    )
    result: dict[int, int] = {}
    for h in heights:
        window = sorted(stamps[x] for x in range(h - MEDIAN_TIME_SPAN + 1, h + 1) if x in stamps)
        result[h] = window[len(window) // 2]
    return result


def _votes(block_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    rows = Vote.objects.filter(block_id__in=list(block_ids)).order_by("block_id", "position")
    for block_id, ticket_id, bits in rows.values_list("block_id", "ticket_id", "vote_bits"):
        out.setdefault(block_id, []).append({"ticket_id": ticket_id, "vote_bits": bits})
    return out


def blocks_json(rows: Sequence[Block]) -> list[dict[str, Any]]:
    """Esplora block objects (with the Rusty Coin extras) for `rows`, in the same order."""
    medians = _median_times(rows)
    votes = _votes(b.id for b in rows)
    return [
        {
            "id": b.hash,
            "height": b.height,
            "version": b.version,
            "timestamp": b.timestamp,
            "tx_count": b.tx_count,
            "size": b.size,
            "weight": b.size * WEIGHT_PER_BYTE,
            "merkle_root": b.merkle_root,
            "previousblockhash": None if b.height == 0 else b.prev_hash,
            "mediantime": medians[b.height],
            "nonce": b.nonce,
            "bits": b.bits,
            "difficulty": b.difficulty,
            "votes_root": b.votes_root,
            "state_root": b.state_root,
            "chainwork": b.chainwork,
            "vote_count": b.vote_count,
            "total_fees": b.total_fees,
            "subsidy": b.subsidy,
            "total_out": b.total_out,
            "supply": b.supply,
            "ticket_price": b.ticket_price,
            "next_ticket_price": b.current_ticket_price,
            "ticket_pool_size": b.ticket_pool_size,
            "votes": votes.get(b.id, []),
        }
        for b in rows
    ]


def block_json(block: Block) -> dict[str, Any]:
    """The Esplora block object of one block row (the shape the indexer broadcasts too)."""
    return blocks_json([block])[0]


def get_block(block_hash: str) -> Block:
    """The block row with this hash (lowercase hex); NotFound when it is not indexed."""
    block = Block.objects.filter(hash=block_hash).first()
    if block is None:
        raise NotFound(BLOCK_NOT_FOUND)
    return block


def block_by_hash(block_hash: str) -> dict[str, Any]:
    """GET /block/:hash: the block object."""
    return block_json(get_block(block_hash))


def block_hash_at(height: int) -> str:
    """GET /block-height/:height: the hash of the main-chain block at `height`."""
    found = Block.objects.filter(height=height).values_list("hash", flat=True).first()
    if found is None:
        raise NotFound(BLOCK_NOT_FOUND)
    return found


def block_by_height(height: int) -> dict[str, Any]:
    """The block object at `height` (for pages that address blocks by height)."""
    block = Block.objects.filter(height=height).first()
    if block is None:
        raise NotFound(BLOCK_NOT_FOUND)
    return block_json(block)


def blocks_page(
    start_height: int | None = None, count: int = BLOCKS_PER_PAGE
) -> list[dict[str, Any]]:
    """GET /blocks[/:start_height]: up to `count` blocks, newest first, from `start_height`
    or from the tip. Empty before the first block is indexed; a `start_height` above the
    tip is NotFound("Block not found"), as electrs answers."""
    tip_h = tip_height()
    if start_height is not None and start_height > tip_h:
        raise NotFound(BLOCK_NOT_FOUND)
    top = tip_h if start_height is None else start_height
    if top < 0:
        return []
    rows = list(Block.objects.filter(height__lte=top, height__gt=top - count).order_by("-height"))
    return blocks_json(rows)


def header_hex(block_hash: str) -> str:
    """GET /block/:hash/header: the 160-byte header in hex, rebuilt from the indexed fields."""
    b = get_block(block_hash)
    header = BlockHeader(
        version=b.version,
        height=b.height,
        prev_hash=bytes.fromhex(b.prev_hash),
        merkle_root=bytes.fromhex(b.merkle_root),
        votes_root=bytes.fromhex(b.votes_root),
        state_root=bytes.fromhex(b.state_root),
        timestamp=b.timestamp,
        bits=b.bits,
        nonce=b.nonce,
    )
    return header.serialize().hex()


def block_status(block_hash: str) -> dict[str, Any]:
    """GET /block/:hash/status: {in_best_chain, height, next_best}.

    Only main-chain blocks are indexed, so an unknown hash answers as electrs does for an
    orphaned block: {"in_best_chain": false, "height": null, "next_best": null}
    (next_best is null at the tip too).
    """
    row = Block.objects.filter(hash=block_hash).values_list("height", flat=True).first()
    if row is None:
        return {"in_best_chain": False, "height": None, "next_best": None}
    following = Block.objects.filter(height=row + 1).values_list("hash", flat=True).first()
    return {"in_best_chain": True, "height": row, "next_best": following}


def block_txids(block_hash: str) -> list[str]:
    """GET /block/:hash/txids: every txid of the block in block order."""
    block = get_block(block_hash)
    rows = Transaction.objects.filter(block_id=block.id).order_by("position")
    return list(rows.values_list("txid", flat=True))


def block_txid_at(block_hash: str, index: int) -> str:
    """GET /block/:hash/txid/:index: the txid at `index` in the block."""
    block = get_block(block_hash)
    found = (
        Transaction.objects.filter(block_id=block.id, position=index)
        .values_list("txid", flat=True)
        .first()
    )
    if found is None:
        raise NotFound(f"Transaction index out of range (the block has {block.tx_count})")
    return found
