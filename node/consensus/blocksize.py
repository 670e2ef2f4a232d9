"""The adaptive block-size limit and the sigop limit (SPEC §4).

The limit changes only at heights that are a positive multiple of
``block_size_retarget_interval`` (2016). Blocks 0..2015 have ``initial_max_block_size``
(2,000,000 bytes). At height ``h = p * 2016`` (p >= 1), with ``L`` the limit of block
``h - 1`` and ``M`` the median serialized size of blocks ``h - 2016 .. h - 1``:

- target ``2M``; if ``2M > L``: ``min(2M, L * 110 // 100)``, else ``max(2M, L * 95 // 100)``;
- then clamped to ``[min_max_block_size, max_max_block_size]`` (1,000,000 .. 64,000,000).

Median of an even count (always, 2016 sizes): the upper middle element, ``sorted(s)[n // 2]``,
the same convention as Bitcoin's median time past. The limit of every block is a function of
its parent's limit and, at a retarget height, the sizes of the previous period, so the chain
stores each block's limit in its index entry (`max_block_size` computes one step).

Sigops: a block may carry at most ``limit // sigops_divisor`` (50) signature operations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from node.params import ChainParams

SPEC_MIN_LIMIT = 1_000_000
SPEC_MAX_LIMIT = 64_000_000


def median_size(sizes: Sequence[int]) -> int:
    """The upper median: ``sorted(sizes)[len(sizes) // 2]``."""
    if not sizes:
        raise ValueError("median of no sizes")
    return sorted(sizes)[len(sizes) // 2]


def next_max_block_size(
    current_limit: int,
    recent_sizes: Sequence[int],
    *,
    min_limit: int = SPEC_MIN_LIMIT,
    max_limit: int = SPEC_MAX_LIMIT,
) -> int:
    """The limit after one retarget step from `current_limit` given the period's sizes."""
    target = 2 * median_size(recent_sizes)
    if target > current_limit:
        new = min(target, current_limit * 110 // 100)
    else:
        new = max(target, current_limit * 95 // 100)
    return max(min_limit, min(new, max_limit))


def is_size_retarget_height(height: int, params: ChainParams) -> bool:
    """Whether the limit may change at `height` (a positive multiple of 2016)."""
    return height > 0 and height % params.block_size_retarget_interval == 0


def max_block_size(
    height: int,
    params: ChainParams,
    parent_limit: int,
    period_sizes: Callable[[], Sequence[int]],
) -> int:
    """The size limit of the block at `height`.

    `parent_limit` is the limit of block ``height - 1`` (ignored at height 0);
    `period_sizes` is called only at a retarget height and must return the serialized sizes
    of blocks ``height - 2016 .. height - 1``.
    """
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    if height == 0:
        return params.initial_max_block_size
    if not is_size_retarget_height(height, params):
        return parent_limit
    sizes = period_sizes()
    if len(sizes) != params.block_size_retarget_interval:
        raise ValueError(
            f"need the sizes of the last {params.block_size_retarget_interval} blocks, "
            f"got {len(sizes)}"
        )
    return next_max_block_size(
        parent_limit,
        sizes,
        min_limit=params.min_max_block_size,
        max_limit=params.max_max_block_size,
    )


def size_limit_schedule(sizes: Sequence[int], params: ChainParams) -> list[int]:
    """Limits of blocks ``0 .. len(sizes)`` given the sizes of blocks ``0 .. len(sizes)-1``
    (a replay helper for tests and tools)."""
    interval = params.block_size_retarget_interval
    limits = [params.initial_max_block_size]
    for height in range(1, len(sizes) + 1):
        window = sizes[max(0, height - interval) : height]
        limits.append(max_block_size(height, params, limits[-1], _constant(window)))
    return limits


def _constant(value: Sequence[int]) -> Callable[[], Sequence[int]]:
    return lambda: value


def max_block_sigops(block_size_limit: int, params: ChainParams) -> int:
    """Signature operations allowed in a block whose size limit is `block_size_limit`."""
    return block_size_limit // params.sigops_divisor
