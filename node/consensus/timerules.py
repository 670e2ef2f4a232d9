"""Time rules (SPEC §4): median time past and the timestamp window of a new block.

- ``median_time_past``: Bitcoin's ``GetMedianTimePast``: the timestamps of the last
  ``median_time_span`` (11) blocks ending at the given block (fewer near genesis), sorted,
  element ``n // 2`` (the upper middle for an even count).
- A block's timestamp must be strictly greater than the MTP of its parent
  (``time-too-old``) and at most ``adjusted_time + max_future_block_time`` (6T,
  ``time-too-new``), where adjusted_time is the node's clock in whole seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.consensus.errors import TimeTooNew, TimeTooOld
from node.params import ChainParams

DEFAULT_MEDIAN_SPAN = 11


def median_time_past(timestamps: Sequence[int], *, span: int = DEFAULT_MEDIAN_SPAN) -> int:
    """Median of the last `span` timestamps (oldest first; any order when <= span given)."""
    if not timestamps:
        raise ValueError("median_time_past needs at least one timestamp")
    if span <= 0:
        raise ValueError(f"span must be positive, got {span}")
    window = sorted(timestamps[-span:])
    return window[len(window) // 2]


def check_block_time(
    timestamp: int, median_time_past: int, adjusted_time: int, params: ChainParams
) -> None:
    """Raise TimeTooOld / TimeTooNew unless MTP < timestamp <= adjusted_time + 6T."""
    if timestamp <= median_time_past:
        raise TimeTooOld(f"timestamp {timestamp} is not after median time past {median_time_past}")
    latest = adjusted_time + params.max_future_block_time
    if timestamp > latest:
        raise TimeTooNew(
            f"timestamp {timestamp} is more than {params.max_future_block_time} s ahead of "
            f"adjusted time {adjusted_time}"
        )
