"""Difficulty (SPEC §4): the `bits` every block must carry, from LWMA-1 over the last N blocks.

LWMA-1 is zawy12's linearly weighted moving average (the form used by Bitcoin Gold and many
forks), evaluated here with exact integers. For the block at height ``h + 1`` whose parent
is at height ``h`` (``N = params.lwma_window``, ``T = params.target_spacing``):

- if ``params.pow_no_retarget`` (regtest) or ``h + 1 < N + 1``: ``bits = compact(pow_limit)``;
- otherwise, over the N blocks ``i = h-N+1 .. h`` with weights ``j = 1 .. N`` (oldest first):
  ``st_j = clamp(timestamp_i - timestamp_{i-1}, -6T, 6T)`` (solvetimes may be negative),
  ``t = max(sum(j * st_j), k // 10)`` with ``k = N * (N + 1) * T // 2``
  (the ``k // 10`` floor is Bitcoin Gold's guard: it keeps the target positive and limits a
  single step to a 10x difficulty rise), ``S = sum(target(bits_i))``, and
  ``next = (t * S) // (k * N)``, clamped to ``[1, pow_limit]``;
  ``bits = bits_from_target(next)`` (Bitcoin's GetCompact, rounding down).

With every solvetime equal to T, ``t = k`` and ``next`` is exactly the average target. The
single final division is the only rounding (Bitcoin Gold divides each target by ``k * N``
first, to fit 256 bits; Python integers make that unnecessary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from node.consensus.pow import bits_from_target, target_from_bits
from node.params import ChainParams


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What difficulty and time rules need of a header: its height, timestamp and bits."""

    height: int
    timestamp: int
    bits: int


def lwma_target(targets: Sequence[int], solvetimes: Sequence[int], spacing: int) -> int:
    """Raw LWMA-1 target (before clamping) from N targets and N solvetimes, oldest first."""
    n = len(targets)
    if n == 0 or len(solvetimes) != n:
        raise ValueError(f"need N > 0 targets and as many solvetimes, got {n}/{len(solvetimes)}")
    limit = 6 * spacing
    k = n * (n + 1) * spacing // 2
    weighted = 0
    for j, solvetime in enumerate(solvetimes, start=1):
        weighted += j * max(-limit, min(limit, solvetime))
    weighted = max(weighted, k // 10)
    return weighted * sum(targets) // (k * n)


def next_bits(params: ChainParams, previous: Sequence[HeaderInfo]) -> int:
    """The `bits` required for the block after ``previous[-1]``.

    `previous` holds consecutive headers, oldest first, ending at the parent: at least the
    last ``min(N + 1, parent_height + 1)`` of them (only that tail is used).
    """
    if not previous:
        raise ValueError("next_bits needs at least the parent header")
    limit_bits = bits_from_target(params.pow_limit)
    parent_height = previous[-1].height
    window = params.lwma_window
    if params.pow_no_retarget or parent_height + 1 < window + 1:
        return limit_bits
    if len(previous) < window + 1:
        raise ValueError(f"LWMA needs the last {window + 1} headers, got {len(previous)}")
    tail = previous[len(previous) - window - 1 :]
    for older, newer in pairwise(tail):
        if newer.height != older.height + 1:
            raise ValueError(
                f"headers must be consecutive: height {newer.height} after {older.height}"
            )
    solvetimes = [newer.timestamp - older.timestamp for older, newer in pairwise(tail)]
    targets = [target_from_bits(info.bits) for info in tail[1:]]
    target = lwma_target(targets, solvetimes, params.target_spacing)
    return bits_from_target(max(1, min(target, params.pow_limit)))
