"""Agenda signalling in vote_bits (SPEC §5.2, §7.3), exposed for the governance layer.

Bits 1..15 of a vote's ``vote_bits`` each name an agenda (bit 0 is "previous block valid"
and is not an agenda). Heights are grouped in windows of ``agenda_window`` (2016) blocks:
window k = heights ``[k*W, (k+1)*W)``. A window's tally counts, over the votes included in
its blocks, how many votes set each bit, and the total number of votes.

An agenda bit is *signalled* in a window when
``count[bit] * 100 >= agenda_threshold_percent * total_votes`` with ``total_votes > 0``
(75 % of the votes, integer comparison, no rounding). What activation then does (e.g. an
UPGRADE proposal taking effect) is the governance layer's decision.

`AgendaTally` is immutable; `with_block` / `without_block` give the tally after connecting /
disconnecting one block, so a reorg can walk it back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from node.params import ChainParams

__all__ = [
    "AGENDA_BITS",
    "AgendaTally",
    "agenda_signalled",
    "tally_window",
    "window_start",
]

AGENDA_BITS = range(1, 16)
"""The vote_bits positions that carry agendas."""


def window_start(height: int, params: ChainParams) -> int:
    """First height of the agenda window containing `height`."""
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    return height - height % params.agenda_window


@dataclass(frozen=True, slots=True)
class AgendaTally:
    """Votes and per-bit counts of one agenda window so far. ``counts[b]`` is the number of
    votes with bit b set, for b in 0..15 (index 0 counts bit 0 for information)."""

    window_start: int
    total_votes: int = 0
    counts: tuple[int, ...] = (0,) * 16

    def __post_init__(self) -> None:
        if len(self.counts) != 16:
            raise ValueError(f"counts must have 16 entries, got {len(self.counts)}")
        if self.total_votes < 0 or any(c < 0 or c > self.total_votes for c in self.counts):
            raise ValueError("tally counts out of range")

    def _step(self, vote_bits: Iterable[int], sign: int) -> AgendaTally:
        counts = list(self.counts)
        total = self.total_votes
        for bits in vote_bits:
            if not 0 <= bits <= 0xFFFF:
                raise ValueError(f"vote_bits {bits} is not a u16")
            total += sign
            for b in range(16):
                if bits >> b & 1:
                    counts[b] += sign
        return AgendaTally(self.window_start, total, tuple(counts))

    def with_block(self, vote_bits: Iterable[int]) -> AgendaTally:
        """The tally after a block whose votes carry `vote_bits`."""
        return self._step(vote_bits, 1)

    def without_block(self, vote_bits: Iterable[int]) -> AgendaTally:
        """The tally before that block (inverse of `with_block`)."""
        return self._step(vote_bits, -1)

    def signalled(self, bit: int, params: ChainParams) -> bool:
        """Whether agenda `bit` reached the threshold in this tally."""
        return agenda_signalled(self, bit, params)


def agenda_signalled(tally: AgendaTally, bit: int, params: ChainParams) -> bool:
    """``count[bit] * 100 >= agenda_threshold_percent * total_votes`` and total > 0."""
    if bit not in AGENDA_BITS:
        raise ValueError(f"agenda bit must be 1..15, got {bit}")
    total = tally.total_votes
    return total > 0 and tally.counts[bit] * 100 >= params.agenda_threshold_percent * total


def tally_window(
    start: int, blocks_vote_bits: Sequence[Sequence[int]], params: ChainParams
) -> AgendaTally:
    """The tally of the window starting at `start` from its blocks' vote_bits, in height
    order (``blocks_vote_bits[i]`` belongs to height ``start + i``)."""
    if start != window_start(start, params):
        raise ValueError(f"{start} is not the start of an agenda window")
    if len(blocks_vote_bits) > params.agenda_window:
        raise ValueError(f"{len(blocks_vote_bits)} blocks exceed the window")
    tally = AgendaTally(start)
    for bits in blocks_vote_bits:
        tally = tally.with_block(bits)
    return tally
